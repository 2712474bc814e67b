package schemas

import "testing"

func BenchmarkDecodeSGTM(b *testing.B) {
	benchDecodeFile(b, "sgtm.event/purchase_plaintext.input", "")
}

func TestDecodeSGTMClasses(t *testing.T) {
	t.Parallel()
	body := []byte(`{"event_name":"purchase","client_id":"1.2","value":"9.5","items":[{"item_id":"A"}],` +
		`"x-ga-gcs":"G100","x-ga-mp2-seg":"1","page_title":"T","user_data":{"email_address":"a@example.org"},` +
		`"x-fb-ud-ph":"491701234567","custom_flag":true}`)
	evs, err := Decode(serverMessage(body, ""), DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := evs[0]
	paths := func(fs []Field) (out []string) {
		for _, f := range fs {
			out = append(out, f.Path)
		}
		return out
	}
	if got := paths(e.Params); len(got) != 3 || got[0] != "value" || got[1] != "items[0].item_id" || got[2] != "custom_flag" {
		t.Errorf("params %v", got)
	}
	if got := paths(e.Other); len(got) != 2 || got[0] != "x-ga-mp2-seg" || got[1] != "page_title" {
		t.Errorf("other %v", got)
	}
	if got := paths(e.UserData); len(got) != 2 || got[0] != "user_data.email_address" || got[1] != "x-fb-ud-ph" {
		t.Errorf("user data %v", got)
	}
	if e.Consent.GCS != "G100" || e.ClientID != "1.2" || e.EventName != "purchase" {
		t.Errorf("gcs %q client id %q name %q", e.Consent.GCS, e.ClientID, e.EventName)
	}
}
