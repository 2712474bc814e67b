package schemas

import (
	"os"
	"path/filepath"
	"testing"
)

func benchDecodeFile(b *testing.B, path, header string) {
	in, err := os.ReadFile(filepath.Join("testdata", "decode", path))
	if err != nil {
		b.Fatal(err)
	}
	m := serverMessage(in, header)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(m, DecodeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeMP(b *testing.B) { benchDecodeFile(b, "ga4.mp/purchase.input", "") }

func BenchmarkDecodeMPBatch(b *testing.B) {
	benchDecodeFile(b, "ga4.mp/batch_override_time.input", "")
}

func TestDecodeMPSharedUserData(t *testing.T) {
	t.Parallel()
	body := []byte(`{"client_id":"1.2","user_data":{"sha256_email_address":["` +
		`c380883a7f5bd30f9566377252d7a73542e94bed90a654681412c7a0bfa0d409"]},` +
		`"events":[{"name":"a","params":{"x":1}},{"name":"b"}],"user_properties":{"tier":{"value":"gold"}}}`)
	evs, err := Decode(serverMessage(body, ""), DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 {
		t.Fatalf("%d events", len(evs))
	}
	for i := range evs {
		if len(evs[i].UserData) != 1 || evs[i].UserData[0].Path != "user_data.sha256_email_address[0]" || evs[i].ClientID != "1.2" {
			t.Errorf("event %d: user data %v client id %q", i, evs[i].UserData, evs[i].ClientID)
		}
	}
	// Request-level leaves without an Event field are reported once, on
	// the first event.
	if len(evs[0].Other) != 1 || evs[0].Other[0].Path != "user_properties.tier.value" || len(evs[1].Other) != 0 {
		t.Errorf("other: %v / %v", evs[0].Other, evs[1].Other)
	}
	// Appending to one event's fields never writes into another's.
	evs[0].Params = append(evs[0].Params, Field{Path: "x", Key: "x"})
	evs[0].UserData = append(evs[0].UserData, Field{Path: "y", Key: "y"})
	if len(evs[1].Params) != 0 || evs[1].UserData[0].Path != "user_data.sha256_email_address[0]" || len(evs[1].UserData) != 1 {
		t.Errorf("fields alias across events")
	}
}

func TestDecodeMPTimestamps(t *testing.T) {
	t.Parallel()
	body := []byte(`{"client_id":"1","events":[{"name":"a","timestamp_micros":1772446650000000},{"name":"b"}],"timestamp_micros":"1772446600000000"}`)
	evs, err := Decode(serverMessage(body, ""), DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if evs[0].EventTime != 1772446650000 || evs[0].EventTimePath != "events[0].timestamp_micros" {
		t.Errorf("event 0: %d from %s", evs[0].EventTime, evs[0].EventTimePath)
	}
	if evs[1].EventTime != 1772446600000 || evs[1].EventTimePath != "timestamp_micros" || evs[1].EventTimeUnit != "us" {
		t.Errorf("event 1: %d from %s", evs[1].EventTime, evs[1].EventTimePath)
	}
}
