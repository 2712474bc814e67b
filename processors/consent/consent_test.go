package consent

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/sstaudit/sstaudit/processors/internal/eventtest"
	"github.com/sstaudit/sstaudit/schemas"
)

// tcString encodes a TCF v2 core segment (version 2, CMP 7, purposes
// consented as given) followed by a vendor section, as a CMP would.
func tcString(version int, purposes ...int) string {
	bits := make([]byte, 240)
	put := func(off, width int, v uint64) {
		for i := 0; i < width; i++ {
			bits[off+i] = byte(v >> uint(width-1-i) & 1)
		}
	}
	put(0, 6, uint64(version))
	put(6, 36, 17724465000)  // Created, deciseconds
	put(42, 36, 17724465000) // LastUpdated
	put(78, 12, 7)           // CmpId
	put(120, 12, 150)        // VendorListVersion
	put(132, 6, 4)           // TcfPolicyVersion
	for _, p := range purposes {
		bits[152+p-1] = 1
	}
	put(213, 16, 10) // MaxVendorId
	raw := make([]byte, len(bits)/8)
	for i, b := range bits {
		raw[i/8] |= b << uint(7-i%8)
	}
	return base64.RawURLEncoding.EncodeToString(raw) + ".YAAAAAAAAAAA"
}

const (
	hEm = eventtest.HashedEmail
	hPh = "74bd805bcc47f8603082430ca056311389e38b74fcdfbc32bcb5c6a9269ff3bf"
)

func mp(consent, userData string) string {
	s := `{"client_id":"1388405713.1771574400","timestamp_micros":1772446500000000`
	if consent != "" {
		s += `,"consent":{"ad_user_data":"` + consent + `","ad_personalization":"` + consent + `"}`
	}
	if userData != "" {
		s += `,"user_data":` + userData
	}
	return s + `,"events":[{"name":"purchase","params":{"transaction_id":"T1","value":1,"currency":"EUR","session_id":"1","engagement_time_msec":1}}]}`
}

func TestDecodePurposes(t *testing.T) {
	t.Parallel()
	got, ok := DecodePurposes(tcString(2, 1, 2, 3, 4, 7, 9, 10, 24))
	if !ok {
		t.Fatal("valid v2 string not decoded")
	}
	for p := 1; p <= 24; p++ {
		want := p == 1 || p == 2 || p == 3 || p == 4 || p == 7 || p == 9 || p == 10 || p == 24
		if got.Has(p) != want {
			t.Errorf("purpose %d: %v, want %v", p, got.Has(p), want)
		}
	}
	std := strings.NewReplacer("-", "+", "_", "/").Replace(tcString(2, 1, 3))
	if got, ok := DecodePurposes("  " + std + "==  "); !ok || !got.Has(1) || !got.Has(3) || got.Has(4) {
		t.Errorf("standard alphabet with padding: %v %v", got, ok)
	}
	for name, tc := range map[string]string{
		"empty": "", "short": "CPXxRfAPXxRf", "version 1": tcString(1, 1, 2, 3), "garbage": strings.Repeat("%", 40),
		"not base64": "CPXxRfAPXxRfAAfKABENB!CgAAAAAAAAAAYgAAAAAAAA", "gpp header": "DBABMA~", "bad segment only": ".CPXxRfAPXxRfAAfKABENB",
	} {
		if _, ok := DecodePurposes(tc); ok {
			t.Errorf("%s: decoded, want not ok", name)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	allPurposes := tcString(2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	noAds := tcString(2, 1, 7)
	type want struct{ Code, Sev, Path string }
	tests := []struct {
		name    string
		side    schemas.Side
		payload string
		want    []want
	}{
		{"mp granted with user data", schemas.SideServer, mp("GRANTED", `{"sha256_email_address":["`+hEm+`"]}`), nil},
		{"mp denied with user data", schemas.SideServer, mp("DENIED", `{"sha256_email_address":["`+hEm+`"],"sha256_phone_number":["`+hPh+`"]}`),
			[]want{{CodePIIWithoutConsent, "critical", "user_data.sha256_email_address[0]"}}},
		{"mp denied, lower case", schemas.SideServer, mp("denied", `{"address":[{"city":"berlin","country":"DE"}]}`),
			[]want{{CodePIIWithoutConsent, "critical", "user_data.address[0].city"}}},
		{"mp denied without user data", schemas.SideServer, mp("DENIED", ""), nil},
		{"mp denied with user_id only", schemas.SideServer,
			`{"client_id":"1.2","user_id":"cust-1","consent":{"ad_user_data":"DENIED"},"events":[{"name":"purchase","params":{"transaction_id":"T1"}}]}`,
			[]want{{CodePIIWithoutConsent, "critical", "user_id"}}},
		{"mp denied: client_id is not user data", schemas.SideServer,
			`{"client_id":"1.2","consent":{"ad_user_data":"DENIED"},"events":[{"name":"purchase","params":{"transaction_id":"T1"}}]}`, nil},
		{"pixel tcf without purpose 3 and ud[em]", schemas.SideClient,
			"id=1&ev=Purchase&eid=O1&ts=1772446481250&gdpr=1&gdpr_consent=" + noAds + "&ud[em]=" + hEm,
			[]want{{CodePIIWithoutConsent, "critical", "ud[em]"}}},
		{"pixel tcf all purposes", schemas.SideClient,
			"id=1&ev=Purchase&eid=O1&ts=1772446481250&gdpr=1&gdpr_consent=" + allPurposes + "&ud[em]=" + hEm, nil},
		{"pixel tcf denied but gdpr=0", schemas.SideClient,
			"id=1&ev=Purchase&eid=O1&ts=1772446481250&gdpr=0&gdpr_consent=" + noAds + "&ud[em]=" + hEm, nil},
		{"pixel garbage tc string proves nothing", schemas.SideClient,
			"id=1&ev=Purchase&eid=O1&ts=1772446481250&gdpr=1&gdpr_consent=not-a-tc-string&ud[em]=" + hEm, nil},
		{"pixel tcf denied, fbp only", schemas.SideClient,
			"id=1&ev=Purchase&eid=O1&ts=1772446481250&gdpr=1&gdpr_consent=" + noAds + "&fbp=fb.1.1771574400000.1388405713", nil},
		{"sgtm gcd alone: fail, never critical", schemas.SideServer,
			`{"event_name":"purchase","client_id":"1.2","x-ga-gcd":"13l3l3p3p1l1","user_data":{"email_address":"ana.lima@example.org"}}`,
			[]want{{CodePIIWithoutConsent, "fail", "user_data.email_address"}}},
		{"sgtm gcd granted", schemas.SideServer,
			`{"event_name":"purchase","client_id":"1.2","x-ga-gcd":"13l3l3l3l1l1","user_data":{"email_address":"ana.lima@example.org"}}`, nil},
		{"gtag gcd ad_storage denied only", schemas.SideClient,
			"v=2&tid=G-X&cid=1.2&en=purchase&gcd=13p3l3l3l1l1&uid=cust-1", nil},
		{"gtag gcd ad_user_data denied with uid", schemas.SideClient,
			"v=2&tid=G-X&cid=1.2&en=purchase&gcd=13l3l3q3q1l1&uid=cust-1",
			[]want{{CodePIIWithoutConsent, "fail", "uid"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Check(eventtest.DecodeOne(t, tt.side, tt.payload), nil, nil)
			eventtest.Findings(t, got, tt.want)
			for _, f := range got {
				eventtest.Complete(t, f, tt.side)
				eventtest.NoValues(t, f, hEm, "ana.lima", "cust-1")
			}
		})
	}
}

// TestGCDNeverCriticalAlone: whatever the config says, a gcd reading alone is
// not critical; with a documented denial beside it the documented one rules.
func TestGCDNeverCriticalAlone(t *testing.T) {
	t.Parallel()
	cfg := NewDefaultConfig()
	cfg.GCDSeverity = schemas.SeverityCritical
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "gcd_severity") {
		t.Errorf("Validate accepted a critical gcd severity: %v", err)
	}
	ev := eventtest.DecodeOne(t, schemas.SideServer, `{"event_name":"purchase","client_id":"1.2","x-ga-gcd":"13l3l3p3p1l1","user_data":{"sha256_email_address":"`+hEm+`"}}`)
	if got := Check(ev, nil, nil); len(got) != 1 || got[0].Severity != schemas.SeverityFail {
		t.Fatalf("gcd alone: %+v", got)
	}
	both := *ev
	both.Consent.AdUserData = "DENIED"
	if got := Check(&both, nil, nil); len(got) != 1 || got[0].Severity != schemas.SeverityCritical {
		t.Errorf("gcd and MP denial: %+v, want one critical", got)
	}
	off := NewDefaultConfig()
	off.GCDSeverity = ""
	if got := Check(ev, off, nil); len(got) != 0 {
		t.Errorf("gcd ignored: %+v", got)
	}
}

func TestTCFPurposesPerDestination(t *testing.T) {
	t.Parallel()
	ev := eventtest.DecodeOne(t, schemas.SideClient, "id=1&ev=Purchase&eid=O1&gdpr=1&gdpr_consent="+tcString(2, 1, 3, 4)+"&ud[em]="+hEm)
	if got := Check(ev, nil, nil); len(got) != 1 || !strings.Contains(got[0].Message, "purpose 7") {
		t.Errorf("default 1,3,4,7 without 7: %+v", got)
	}
	cfg := NewDefaultConfig()
	cfg.TCFPurposes = map[schemas.Destination][]int{schemas.DestinationMeta: {1, 3, 4}}
	if got := Check(ev, cfg, nil); len(got) != 0 {
		t.Errorf("meta needs 1,3,4 only: %+v", got)
	}
	cfg.TCFPurposes = nil
	if got := Check(ev, cfg, nil); len(got) != 0 {
		t.Errorf("no purposes required: %+v", got)
	}
}

func TestConsentMissing(t *testing.T) {
	t.Parallel()
	cfg := NewDefaultConfig()
	cfg.Requirements = []Requirement{{Destinations: []schemas.Destination{schemas.DestinationGA4}, Regions: []string{"de", "FR"}}}
	sgtm := func(extra string) *schemas.Event {
		return eventtest.DecodeOne(t, schemas.SideServer, `{"event_name":"purchase","client_id":"1.2"`+extra+`}`)
	}
	tests := []struct {
		name string
		ev   *schemas.Event
		cfg  *Config
		want int
	}{
		{"default requires nothing", sgtm(`,"event_location":{"country":"DE"}`), nil, 0},
		{"DE without signal", sgtm(`,"event_location":{"country":"DE"}`), cfg, 1},
		{"DE with gcs", sgtm(`,"event_location":{"country":"DE"},"x-ga-gcs":"G111"`), cfg, 0},
		{"US without signal", sgtm(`,"event_location":{"country":"US"}`), cfg, 0},
		{"unknown region, fail safe", sgtm(``), cfg, 1},
		{"meta event not covered", eventtest.DecodeOne(t, schemas.SideClient, "id=1&ev=Purchase&eid=O1"), cfg, 0},
		{"mp consent satisfies", eventtest.DecodeOne(t, schemas.SideServer, mp("GRANTED", "")), cfg, 0},
		{"mp without consent", eventtest.DecodeOne(t, schemas.SideServer, mp("", "")), cfg, 1},
	}
	onlyTCF := NewDefaultConfig()
	onlyTCF.Requirements = []Requirement{{Signals: []string{SignalTCF}, Severity: schemas.SeverityFail}}
	tests = append(tests,
		struct {
			name string
			ev   *schemas.Event
			cfg  *Config
			want int
		}{"tcf required, garbage tc string", eventtest.DecodeOne(t, schemas.SideClient, "id=1&ev=Purchase&eid=O1&gdpr_consent=garbage"), onlyTCF, 1},
		struct {
			name string
			ev   *schemas.Event
			cfg  *Config
			want int
		}{"tcf required, valid tc string", eventtest.DecodeOne(t, schemas.SideClient, "id=1&ev=Purchase&eid=O1&gdpr_consent="+tcString(2, 1)), onlyTCF, 0},
	)
	for _, tt := range tests {
		got := Check(tt.ev, tt.cfg, nil)
		if len(got) != tt.want {
			t.Errorf("%s: got %+v, want %d", tt.name, got, tt.want)
			continue
		}
		for _, f := range got {
			if f.Code != CodeMissing || f.Path == "" || f.Detector != DetectorMissing {
				t.Errorf("%s: %+v", tt.name, f)
			}
		}
	}
	if got := Check(eventtest.DecodeOne(t, schemas.SideServer, mp("", "")), cfg, nil); len(got) == 1 && (got[0].Path != "consent" || got[0].Severity != schemas.SeverityWarn) {
		t.Errorf("mp path/severity: %+v", got[0])
	}
	if got := Check(eventtest.DecodeOne(t, schemas.SideClient, "id=1&ev=Purchase&eid=O1"), onlyTCF, nil); len(got) != 1 || got[0].Path != "gdpr_consent" || got[0].Severity != schemas.SeverityFail {
		t.Errorf("pixel path/severity: %+v", got)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	if err := NewDefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	bad := &Config{
		UserDataKeys: []string{"shoe_size"}, TCFPurposes: map[schemas.Destination][]int{"tiktok": {0, 25}},
		GCDSeverity:  "loud",
		Requirements: []Requirement{{Destinations: []schemas.Destination{"x"}, Regions: []string{"DEU"}, Signals: []string{"smoke"}, Severity: "huge"}},
		RegionPaths:  []string{""},
	}
	err := bad.Validate()
	for _, w := range []string{"shoe_size", "tiktok", "purpose 0", "purpose 25", "loud", `destination "x"`, "DEU", "smoke", "huge", "region path 0"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Validate() = %v, want it to mention %q", err, w)
		}
	}
}

func TestCleanEventAllocs(t *testing.T) {
	ev := eventtest.DecodeOne(t, schemas.SideServer, cleanCAPI)
	eventtest.NoAllocs(t, "clean event", func(out []schemas.Finding) []schemas.Finding { return Check(ev, nil, out) })
	granted := eventtest.DecodeOne(t, schemas.SideClient, "id=1&ev=Purchase&eid=O1&gdpr=1&gdpr_consent="+tcString(2, 1, 2, 3, 4, 7)+"&ud[em]="+hEm)
	eventtest.NoAllocs(t, "granted TCF event", func(out []schemas.Finding) []schemas.Finding { return Check(granted, nil, out) })
}

func BenchmarkCheckCleanCAPI(b *testing.B) {
	ev := eventtest.DecodeOne(b, schemas.SideServer, cleanCAPI)
	out := make([]schemas.Finding, 0, 4)
	b.ReportAllocs()
	for b.Loop() {
		out = Check(ev, nil, out[:0])
	}
	if len(out) != 0 {
		b.Fatalf("clean event produced %+v", out)
	}
}

// cleanCAPI is a well-formed ~1 KB CAPI Purchase with a granted TCF string.
var cleanCAPI = `{"data":[{"event_name":"Purchase","event_time":1772446490,"event_id":"ORD-77120","action_source":"website",
"event_source_url":"https://store.example.net/order/complete?fbclid=IwZXh0bgNhZW0CMTEAAR2x_Demo-Click&gdpr=1&gdpr_consent=` + tcString(2, 1, 2, 3, 4, 7) + `",
"user_data":{"em":["c380883a7f5bd30f9566377252d7a73542e94bed90a654681412c7a0bfa0d409"],"ph":["2f9fbc550b12cbc0e6242384cc472bd1e4f058a8b773f189f7acb86d202655ce"],
"fn":["24d4b96f58da6d4a8512313bbd02a28ebf0ca95dec6e4c86ef78ce7f01e788ac"],"external_id":["cust-55810"],"client_ip_address":"198.51.100.23",
"client_user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
"fbc":"fb.1.1772446152044.IwZXh0bgNhZW0CMTEAAR2x_Demo-Click","fbp":"fb.1.1771574400000.1388405713"},
"custom_data":{"currency":"EUR","value":84.5,"order_id":"ORD-77120","content_type":"product",
"content_ids":["TEE-RED-M","CAP-01"],"contents":[{"id":"TEE-RED-M","quantity":1,"item_price":59.5},{"id":"CAP-01","quantity":1,"item_price":25}],"num_items":2}}],
"partner_agent":"example-sgtm-0.3"}`

// FuzzDecodePurposes: any string decodes without panic; a decoded string
// keeps its purposes when later segments change.
func FuzzDecodePurposes(f *testing.F) {
	for _, s := range []string{tcString(2, 1, 3, 4, 7), tcString(1, 2), "", "C", strings.Repeat("_", 30), "CP.x", "  CQ===== "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := DecodePurposes(s)
		if !ok {
			if p != 0 {
				t.Fatalf("not ok but purposes %b", p)
			}
			return
		}
		core := strings.TrimSpace(s)
		if i := strings.IndexByte(core, '.'); i >= 0 {
			core = core[:i]
		}
		if q, ok2 := DecodePurposes(core + ".other"); !ok2 || q != p {
			t.Fatalf("core %q with another segment: %b %v, want %b", core, q, ok2, p)
		}
	})
}
