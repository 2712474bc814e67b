package hashing

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/schemas"
)

func sha(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

const (
	recordMs = int64(1772446500000)
	fbcOK    = "fb.1.1772446152044.IwZXh0bgNhZW0CMTEAAR2x_Demo-Click"
	fbpOK    = "fb.1.1771574400000.1388405713"
)

func ud(path, key, value string) schemas.Field {
	return schemas.Field{Path: path, Key: key, Value: value, Kind: schemas.KindString}
}

// capiEvent is a clean CAPI purchase (REFERENCE §1.1) of ~1 KB.
func capiEvent() *schemas.Event {
	p := "data[0].user_data."
	return &schemas.Event{
		Side: schemas.SideServer, Format: schemas.FormatMetaCAPI, Destination: schemas.DestinationMeta,
		EventID: "ORD-77120", EventName: "Purchase", ActionSource: "website",
		URL:        "https://store.example.net/order/complete?fbclid=IwZXh0bgNhZW0CMTEAAR2x_Demo-Click",
		ExternalID: "cust-55810", ClientIP: "198.51.100.23",
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
		ClickIDs:  schemas.ClickIDs{FBCLID: "IwZXh0bgNhZW0CMTEAAR2x_Demo-Click", FBC: fbcOK, FBP: fbpOK},
		UserData: []schemas.Field{
			ud(p+"em[0]", "em", sha("ana.lima@example.org")),
			ud(p+"ph[0]", "ph", sha("49301234567")),
			ud(p+"fn[0]", "fn", sha("ana")),
			ud(p+"ln[0]", "ln", sha("lima")),
			ud(p+"ct[0]", "ct", sha("berlin")),
			ud(p+"zp[0]", "zp", sha("10115")),
			ud(p+"country[0]", "country", sha("de")),
			ud(p+"db[0]", "db", sha("19900412")),
			ud(p+"ge[0]", "ge", sha("f")),
			ud(p+"external_id[0]", "external_id", "cust-55810"),
			ud(p+"client_ip_address", "client_ip_address", "198.51.100.23"),
			ud(p+"client_user_agent", "client_user_agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"),
			ud(p+"fbc", "fbc", fbcOK),
			ud(p+"fbp", "fbp", fbpOK),
		},
		Params: []schemas.Field{
			{Path: "data[0].custom_data.currency", Key: "currency", Value: "EUR"},
			{Path: "data[0].custom_data.value", Key: "value", Value: "84.5", Kind: schemas.KindNumber},
			{Path: "data[0].custom_data.order_id", Key: "order_id", Value: "ORD-77120"},
			{Path: "data[0].custom_data.content_ids[0]", Key: "content_ids", Value: "TEE-RED-M"},
		},
		Source: schemas.Source{Topic: "tracking.server", RecordTime: recordMs},
	}
}

func mpEvent() *schemas.Event {
	return &schemas.Event{
		Side: schemas.SideServer, Format: schemas.FormatGA4MP, Destination: schemas.DestinationGA4,
		EventName: "purchase", ClientID: "1388405713.1771574400", UserID: "cust-55810",
		UserData: []schemas.Field{
			ud("user_data.sha256_email_address[0]", "sha256_email_address", sha("ana.lima@example.org")),
			ud("user_data.sha256_phone_number[0]", "sha256_phone_number", sha("+49301234567")),
			ud("user_data.address[0].sha256_first_name", "sha256_first_name", sha("ana")),
			ud("user_data.address[0].city", "city", "berlin"),
			ud("user_data.address[0].postal_code", "postal_code", "10115"),
			ud("user_data.address[0].country", "country", "DE"),
		},
		Params: []schemas.Field{
			{Path: "events[0].params.transaction_id", Key: "transaction_id", Value: "ORD-77120"},
			{Path: "events[0].params.currency", Key: "currency", Value: "EUR"},
		},
		Source: schemas.Source{RecordTime: recordMs},
	}
}

func setUD(ev *schemas.Event, key, value string) *schemas.Event {
	for i := range ev.UserData {
		if ev.UserData[i].Key == key {
			ev.UserData[i].Value = value
			return ev
		}
	}
	panic("no key " + key)
}

func codes(fs []schemas.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code+"@"+f.Path)
	}
	return out
}

func TestCheck(t *testing.T) {
	upper := strings.ToUpper(sha("ana.lima@example.org"))
	md := md5.Sum([]byte("ana.lima@example.org"))
	sgtm := func() *schemas.Event {
		return &schemas.Event{
			Side: schemas.SideServer, Format: schemas.FormatSGTM, Destination: schemas.DestinationGA4,
			ClientID: "1388405713.1771574400",
			UserData: []schemas.Field{
				ud("user_data.email_address", "email_address", "John.Smith@gmail.com"),
				ud("user_data.phone_number", "phone_number", "+49 30 1234567"),
				ud("user_data.sha256_email_address", "sha256_email_address", sha("johnsmith@gmail.com")),
				ud("user_data.sha256_phone_number", "sha256_phone_number", sha("+49301234567")),
			},
		}
	}
	cases := []struct {
		name string
		ev   *schemas.Event
		want []string // code@path, in order; nil = clean
	}{
		{"clean capi", capiEvent(), nil},
		{"clean mp", mpEvent(), nil},
		{"clean sgtm plaintext inbound, Google hashes", sgtm(), nil},
		{"plaintext em", setUD(capiEvent(), "em", "Ana.Lima@example.org"), []string{"HASH_PLAINTEXT@data[0].user_data.em[0]"}},
		{"plaintext short ge", setUD(capiEvent(), "ge", "f"), []string{"HASH_PLAINTEXT@data[0].user_data.ge[0]"}},
		{"plaintext ph", setUD(capiEvent(), "ph", "+49 30 1234567"), []string{"HASH_PLAINTEXT@data[0].user_data.ph[0]"}},
		{"upper hex", setUD(capiEvent(), "em", upper), []string{"HASH_FORMAT@data[0].user_data.em[0]"}},
		{"base64", setUD(capiEvent(), "fn", "dMmBlZOPJj8BCxPYbyAiQ1yrk06hMhs6KTMoFZhO3Gs="), []string{"HASH_FORMAT@data[0].user_data.fn[0]"}},
		{"whitespace", setUD(capiEvent(), "ln", " "+sha("lima")), []string{"HASH_FORMAT@data[0].user_data.ln[0]"}},
		{"truncated", setUD(capiEvent(), "ln", sha("lima")[:62]), []string{"HASH_FORMAT@data[0].user_data.ln[0]"}},
		{"64 digits", setUD(capiEvent(), "ln", strings.Repeat("1234567890", 6)+"1234"), []string{"HASH_FORMAT@data[0].user_data.ln[0]"}},
		{"md5", setUD(capiEvent(), "em", hex.EncodeToString(md[:])), []string{"HASH_WEAK_ALGO@data[0].user_data.em[0]"}},
		{"sha512 shape", setUD(capiEvent(), "em", sha("a")+sha("b")), []string{"HASH_WEAK_ALGO@data[0].user_data.em[0]"}},
		{"sentinel empty", setUD(capiEvent(), "em", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), []string{"HASH_SENTINEL@data[0].user_data.em[0]"}},
		{"sentinel undefined upper", setUD(capiEvent(), "fn", strings.ToUpper(sha("undefined"))), []string{"HASH_SENTINEL@data[0].user_data.fn[0]"}},
		{"sentinel base64 empty", setUD(capiEvent(), "fn", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="), []string{"HASH_SENTINEL@data[0].user_data.fn[0]"}},
		{"sentinel template", setUD(capiEvent(), "em", sha("{{email}}")), []string{"HASH_SENTINEL@data[0].user_data.em[0]"}},
		{"sentinel double empty", setUD(capiEvent(), "em", "cd372fb85148700fa88095e3492d3f9f5beb43e555e5ff26d95f5a6adc36f8e6"), []string{"HASH_SENTINEL@data[0].user_data.em[0]"}},
		{"sentinel md5 empty", setUD(capiEvent(), "em", "d41d8cd98f00b204e9800998ecf8427e"), []string{"HASH_SENTINEL@data[0].user_data.em[0]"}},
		{"sentinel external_id", setUD(capiEvent(), "external_id", sha("null")), []string{"HASH_SENTINEL@data[0].user_data.external_id[0]"}},
		{"country upper", setUD(capiEvent(), "country", "9b202ecbc6d45c6d8901d989a918878397a3eb9d00e8f48022fc051b19d21a1d"), []string{"HASH_NOT_NORMALIZED@data[0].user_data.country[0]"}},
		{"ge Male", setUD(capiEvent(), "ge", "03f8c1273e3da99bb315fe7b71c8e45159c826e6d3f42eecd4612078248f73a1"), []string{"HASH_NOT_NORMALIZED@data[0].user_data.ge[0]"}},
		{"ge garbage", setUD(capiEvent(), "ge", sha("x")), []string{"HASH_NOT_NORMALIZED@data[0].user_data.ge[0]"}},
		{"zip+4", setUD(capiEvent(), "zp", "5f49a8d9c8ffd0ca020052c2ac374302ca8e87d007379fdcf10c085f71caad4c"), []string{"HASH_NOT_NORMALIZED@data[0].user_data.zp[0]"}},
		{"db dashes", setUD(capiEvent(), "db", sha("1990-04-12")), []string{"HASH_NOT_NORMALIZED@data[0].user_data.db[0]"}},
		{"db dd/mm", setUD(capiEvent(), "db", sha("12/04/1990")), []string{"HASH_NOT_NORMALIZED@data[0].user_data.db[0]"}},
		{"city with space", setUD(capiEvent(), "ct", sha("new york")), []string{"HASH_NOT_NORMALIZED@data[0].user_data.ct[0]"}},
		{"city normalised", setUD(capiEvent(), "ct", sha("newyork")), nil},
		{"country double", setUD(capiEvent(), "country", sha(sha("de"))), []string{"HASH_DOUBLE@data[0].user_data.country[0]"}},
		{"db double", setUD(capiEvent(), "db", sha(sha("19970216"))), []string{"HASH_DOUBLE@data[0].user_data.db[0]"}},
		{"forbidden ip", setUD(capiEvent(), "client_ip_address", sha("198.51.100.23")), []string{"HASH_FORBIDDEN@data[0].user_data.client_ip_address"}},
		{"forbidden fbp", setUD(capiEvent(), "fbp", sha(fbpOK)), []string{"HASH_FORBIDDEN@data[0].user_data.fbp"}},
		{"ga4 unhashed country", setUD(mpEvent(), "country", sha("de")), []string{"HASH_FORBIDDEN@user_data.address[0].country"}},
		{"ga4 sha256 upper", setUD(mpEvent(), "sha256_first_name", strings.ToUpper(sha("ana"))), []string{"HASH_FORMAT@user_data.address[0].sha256_first_name"}},
		{"ga4 sha256 plaintext", setUD(mpEvent(), "sha256_email_address", "ana.lima@example.org"), []string{"HASH_PLAINTEXT@user_data.sha256_email_address[0]"}},
		{"mp plain key", func() *schemas.Event {
			e := mpEvent()
			e.UserData = append(e.UserData, ud("user_data.email_address", "email_address", "ana.lima@example.org"))
			return e
		}(), []string{"HASH_PLAINTEXT@user_data.email_address"}},
		{"sgtm sha256 key plaintext still checked", setUD(sgtm(), "sha256_phone_number", "+49 30 1234567"), []string{"HASH_PLAINTEXT@user_data.sha256_phone_number"}},
		{"sgtm gmail hashed the Meta way", setUD(sgtm(), "sha256_email_address", sha("john.smith@gmail.com")), []string{"HASH_NOT_NORMALIZED@user_data.sha256_email_address"}},
		{"sgtm phone hashed the Meta way", setUD(sgtm(), "sha256_phone_number", sha("49301234567")), []string{"HASH_NOT_NORMALIZED@user_data.sha256_phone_number"}},
		{"sgtm double hash", setUD(sgtm(), "sha256_email_address", sha(sha("johnsmith@gmail.com"))), []string{"HASH_DOUBLE@user_data.sha256_email_address"}},
		{"sgtm raw hash", setUD(sgtm(), "sha256_email_address", sha("John.Smith@gmail.com")), []string{"HASH_NOT_NORMALIZED@user_data.sha256_email_address"}},
		{"meta ph with + and plaintext in event", func() *schemas.Event {
			e := setUD(capiEvent(), "ph", sha("+49301234567"))
			e.Destination = schemas.DestinationMeta
			e.Format = schemas.FormatSGTM
			e.UserData = append(e.UserData, ud("user_data.phone_number", "phone_number", "+49 30 1234567"))
			return e
		}(), []string{"HASH_NOT_NORMALIZED@data[0].user_data.ph[0]"}},
		{"meta gmail dots kept: fine for Meta", func() *schemas.Event {
			e := setUD(capiEvent(), "em", sha("john.smith@gmail.com"))
			e.URL = "https://store.example.net/thanks?email=John.Smith%40gmail.com"
			return e
		}(), nil},
		{"meta gmail dots removed, URL email", func() *schemas.Event {
			e := setUD(capiEvent(), "em", sha("johnsmith@gmail.com"))
			e.URL = "https://store.example.net/thanks?email=John.Smith%2540gmail.com"
			return e
		}(), []string{"HASH_NOT_NORMALIZED@data[0].user_data.em[0]"}},
		{"ga4 outside user data", func() *schemas.Event {
			e := mpEvent()
			e.UserID = sha("ana.lima@example.org")
			e.Params = append(e.Params, schemas.Field{Path: "events[0].params.cx_hem", Key: "cx_hem", Value: sha("x")})
			e.Params = append(e.Params, schemas.Field{Path: "events[0].params.event_id", Key: "event_id", Value: sha("id")})
			return e
		}(), []string{"HASH_OUTSIDE_USER_DATA@user_id", "HASH_OUTSIDE_USER_DATA@events[0].params.cx_hem"}},
		{"meta custom_data hash", func() *schemas.Event {
			e := capiEvent()
			e.Params = append(e.Params, schemas.Field{Path: "data[0].custom_data.hem", Key: "hem", Value: sha("x")})
			return e
		}(), []string{"HASH_OUTSIDE_USER_DATA@data[0].custom_data.hem"}},
		{"ip with port", func() *schemas.Event {
			e := setUD(capiEvent(), "client_ip_address", "198.51.100.23:443")
			e.ClientIP = "198.51.100.23:443"
			return e
		}(), []string{"IP_WITH_PORT@data[0].user_data.client_ip_address"}},
		{"ipv6 with port", func() *schemas.Event { e := capiEvent(); e.ClientIP = "[2001:db8::1]:443"; return e }(), []string{"IP_WITH_PORT@client_ip_address"}},
		{"ipv6 bare", func() *schemas.Event { e := capiEvent(); e.ClientIP = "2001:db8::1"; return e }(), nil},
		{"fbc seconds", func() *schemas.Event {
			e := setUD(capiEvent(), "fbc", "fb.1.1772446152.IwZXh0bgNhZW0CMTEAAR2x_Demo-Click")
			e.ClickIDs.FBC = "fb.1.1772446152.IwZXh0bgNhZW0CMTEAAR2x_Demo-Click"
			return e
		}(), []string{"CLICKID_FORMAT@data[0].user_data.fbc"}},
		{"fbp bad shape", func() *schemas.Event { e := capiEvent(); e.ClickIDs.FBP = "GA1.1.123"; return e }(), []string{"CLICKID_FORMAT@user_data.fbp"}},
		{"fbc future", func() *schemas.Event {
			e := capiEvent()
			e.ClickIDs.FBC = "fb.1.1772446900000.IwZXh0bgNhZW0CMTEAAR2x_Demo-Click"
			return e
		}(), []string{"CLICKID_FORMAT@user_data.fbc"}},
		{"fbc 5 segments", func() *schemas.Event { e := capiEvent(); e.ClickIDs.FBC = fbcOK + ".AQ"; return e }(), nil},
	}
	fp := processors.NewFingerprinter([]byte("test-key"))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Check(c.ev, nil, fp, nil)
			if strings.Join(codes(got), ",") != strings.Join(c.want, ",") {
				t.Fatalf("got %v, want %v", codes(got), c.want)
			}
			for _, f := range got {
				if f.Fingerprint == "" || len(f.Fingerprint) != 16 || f.Detector == "" || f.Message == "" {
					t.Errorf("finding incomplete: %+v", f)
				}
				for _, v := range c.ev.UserData {
					if len(v.Value) > 3 && strings.Contains(f.Message, v.Value) {
						t.Errorf("message leaks a value: %q", f.Message)
					}
				}
				if f.Side != schemas.FindingServer {
					t.Errorf("side = %s", f.Side)
				}
			}
		})
	}
}

func TestCheckPixelUD(t *testing.T) {
	ev := &schemas.Event{
		Side: schemas.SideClient, Format: schemas.FormatMetaPixel, Destination: schemas.DestinationMeta,
		UserData: []schemas.Field{ud("ud[em]", "em", "ana.lima@example.org"), ud("ud[ph]", "ph", sha("49301234567"))},
	}
	got := Check(ev, nil, nil, nil)
	if len(got) != 1 || got[0].Code != CodePlaintext || got[0].Path != "ud[em]" || got[0].Side != schemas.FindingClient ||
		got[0].Severity != schemas.SeverityCritical || got[0].Fingerprint != "" {
		t.Fatalf("got %+v", got)
	}
}

func TestSentinelVectors(t *testing.T) {
	s := DefaultSentinels()
	for _, h := range []string{
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"36a9e7f1c95b82ffb99743e0c5c4ce95d83c9a430aac59f84ef3cbfab6145068",
		"01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b",
		"74234e98afe7498fb5daf1f36ac2d78acc339464f950703b8c019892f982b90b",
		"eb045d78d273107348b0300c01d29b7552d622abbc6faf81b3ec55359aa9950c",
		"b28c94b2195c8ed259f0b415aaee3f39b0b2920a4537611499fa044956917a21",
		"12ae32cb1ec02d01eda3581b127c1fee3b0dc53572ed6baf239721a03d82e126",
		"2fa568238f6d6aa0d84b7d66ec13b95eef51f803f1fdc5b8c54e475574ee6de3",
		"cd372fb85148700fa88095e3492d3f9f5beb43e555e5ff26d95f5a6adc36f8e6",
		"da39a3ee5e6b4b0d3255bfef95601890afd80709",
	} {
		b, _ := hex.DecodeString(h)
		if !s.Has(b) {
			t.Errorf("sentinel %s missing", h[:16])
		}
	}
	b, _ := hex.DecodeString(sha("ana"))
	if s.Has(b) {
		t.Error("a real name is a sentinel")
	}
}

func TestDictionary(t *testing.T) {
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	d := BuildDictionary(DictOptions{Today: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	t.Logf("dictionary: %d digests, %d KB of digests, heap +%d KB, built in %s",
		d.Len(), d.Bytes()/1024, (int64(ms1.HeapAlloc)-int64(ms0.HeapAlloc))/1024, d.BuildTime)
	look := func(v string) DictHit { b, _ := hex.DecodeString(v); return d.Lookup(b) }
	if h := look(sha("us")); !h.Valid(slotCountry) {
		t.Error("us not valid")
	}
	if h := look("4b650e5c4785025dee7bd65e3c5c527356717d7a1c0bfef5b4ada8ca1e9cbe17"); !h.Wrong(slotCountry) || !h.Wrong(slotState) {
		t.Error("CA not wrong for country and state")
	}
	if h := look(sha("ca")); !h.Valid(slotCountry) || !h.Valid(slotState) {
		t.Error("ca not valid for country and state")
	}
	if h := look(sha("20260301")); !h.Valid(slotDOB) {
		t.Error("today missing")
	}
	if h := look(sha("19000101")); !h.Valid(slotDOB) {
		t.Error("1900-01-01 missing")
	}
	if h := look(sha("18991231")); h.Valid(slotDOB) {
		t.Error("1899 present")
	}
	if h := look(sha("00501")); !h.Valid(slotZip) {
		t.Error("zip with leading zero missing")
	}
	if h := look(sha("ana")); h != 0 {
		t.Error("name in dictionary")
	}
}

func TestConfigValidate(t *testing.T) {
	if err := NewDefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	c := NewDefaultConfig()
	c.ClickIDFutureTolerance = -time.Second
	c.OutsideUserDataIgnore = []string{""}
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "tolerance") || !strings.Contains(err.Error(), "ignore key 0") {
		t.Fatalf("err = %v", err)
	}
}

func TestCheckCleanNoAllocs(t *testing.T) {
	ev := capiEvent()
	out := make([]schemas.Finding, 0, 8)
	Check(ev, nil, nil, out) // build the tables
	if n := testing.AllocsPerRun(100, func() { out = Check(ev, nil, nil, out[:0]) }); n != 0 {
		t.Fatalf("clean check allocates %v times", n)
	}
}

func BenchmarkCheckCleanCAPI(b *testing.B) {
	ev := capiEvent()
	fp := processors.NewFingerprinter([]byte("k"))
	out := make([]schemas.Finding, 0, 8)
	out = Check(ev, nil, fp, out)
	if len(out) != 0 {
		b.Fatal(codes(out))
	}
	b.ReportAllocs()
	for b.Loop() {
		out = Check(ev, nil, fp, out[:0])
	}
}

func BenchmarkBuildDictionary(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		BuildDictionary(DictOptions{})
	}
}
