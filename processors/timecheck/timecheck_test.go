package timecheck

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sstaudit/sstaudit/schemas"
)

// recordTime is the Kafka record time of every test message: 2026-03-02 10:15:00 UTC.
const recordTime = int64(1772446500000)

func decode(t testing.TB, side schemas.Side, payload string) *schemas.Event {
	t.Helper()
	evs, err := schemas.Decode(schemas.Message{
		Value: []byte(payload), Side: side,
		Source: schemas.Source{Topic: "tracking." + string(side), RecordTime: recordTime},
	}, schemas.DecodeOptions{})
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return &evs[0]
}

func capi(eventTime, actionSource string) string {
	return `{"data":[{"event_name":"Purchase","event_time":` + eventTime + `,"event_id":"ORD-1","action_source":"` + actionSource +
		`","event_source_url":"https://store.example.net/done","user_data":{"client_user_agent":"Mozilla/5.0","fbp":"fb.1.1771574400000.1388405713"},` +
		`"custom_data":{"currency":"EUR","value":84.5}}]}`
}

func mp(ts string) string {
	return `{"client_id":"1388405713.1771574400","timestamp_micros":` + ts + `,"events":[{"name":"purchase","params":{"transaction_id":"T1","value":1,"currency":"EUR"}}]}`
}

func sgtm(ts string) string {
	return `{"event_name":"purchase","client_id":"1.2","timestamp":` + ts + `,"event_id":"E1","value":1,"currency":"EUR"}`
}

func pixel(ts string) string {
	return "id=100200300400500&ev=Purchase&eid=ORD-1&ts=" + ts + "&dl=https%3A%2F%2Fstore.example.net%2F"
}

func TestCheck(t *testing.T) {
	t.Parallel()
	sec := func(d time.Duration) string { return itoa((recordTime - d.Milliseconds()) / 1000) }
	ms := func(d time.Duration) string { return itoa(recordTime - d.Milliseconds()) }
	us := func(d time.Duration) string { return itoa((recordTime - d.Milliseconds()) * 1000) }
	tests := []struct {
		name     string
		side     schemas.Side
		payload  string
		wantCode string
		wantSev  schemas.Severity
		wantPath string
	}{
		{"capi on time", schemas.SideServer, capi(sec(30*time.Second), "website"), "", "", ""},
		{"capi 6 days old", schemas.SideServer, capi(sec(6*24*time.Hour), "website"), "", "", ""},
		{"capi 8 days old", schemas.SideServer, capi(sec(8*24*time.Hour), "website"), CodeStale, SevStale, "data[0].event_time"},
		{"physical store 30 days old", schemas.SideServer, capi(sec(30*24*time.Hour), "physical_store"), "", "", ""},
		{"physical store 63 days old", schemas.SideServer, capi(sec(63*24*time.Hour), "physical_store"), CodeStale, SevStale, "data[0].event_time"},
		{"capi 59 s ahead", schemas.SideServer, capi(sec(-59*time.Second), "website"), "", "", ""},
		{"capi 5 min ahead", schemas.SideServer, capi(sec(-5*time.Minute), "website"), CodeFuture, SevFuture, "data[0].event_time"},
		{"capi ms in seconds field", schemas.SideServer, capi(ms(0), "website"), CodeUnit, SevUnit, "data[0].event_time"},
		{"capi µs in seconds field", schemas.SideServer, capi(us(0), "website"), CodeUnit, SevUnit, "data[0].event_time"},
		{"capi fractional seconds", schemas.SideServer, capi(sec(0)+".25", "website"), "", "", ""},
		{"capi exponent seconds", schemas.SideServer, capi("1.7724465e9", "website"), "", "", ""},
		{"mp on time", schemas.SideServer, mp(us(time.Hour)), "", "", ""},
		{"mp 71 h old", schemas.SideServer, mp(us(71 * time.Hour)), "", "", ""},
		{"mp 73 h old", schemas.SideServer, mp(us(73 * time.Hour)), CodeStale, SevStale, "timestamp_micros"},
		{"mp ms in µs field", schemas.SideServer, mp(ms(0)), CodeUnit, SevUnit, "timestamp_micros"},
		{"mp seconds in µs field", schemas.SideServer, mp(sec(0)), CodeUnit, SevUnit, "timestamp_micros"},
		{"sgtm seconds ok", schemas.SideServer, sgtm(sec(0)), "", "", ""},
		{"sgtm ms in seconds field", schemas.SideServer, sgtm(ms(0)), CodeUnit, SevUnit, "timestamp"},
		{"pixel ms ok", schemas.SideClient, pixel(ms(2 * time.Second)), "", "", ""},
		{"pixel seconds in ms field", schemas.SideClient, pixel(sec(0)), CodeUnit, SevUnit, "ts"},
		{"pixel clock 10 days behind", schemas.SideClient, pixel(ms(10 * 24 * time.Hour)), CodeStale, SevStaleClient, "ts"},
		{"pixel clock 2 min ahead", schemas.SideClient, pixel(ms(-2 * time.Minute)), CodeFuture, SevFuture, "ts"},
		{"gtag has no payload time", schemas.SideClient, "v=2&tid=G-EXAMPLE123&cid=1.2&en=purchase", "", "", ""},
		{"9 digits is no unit: judged as a time (1975)", schemas.SideServer, capi("177244650", "website"), CodeStale, SevStale, "data[0].event_time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := decode(t, tt.side, tt.payload)
			got := Check(ev, nil, nil)
			if tt.wantCode == "" {
				if len(got) != 0 {
					t.Fatalf("want no finding, got %+v", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("want one %s, got %+v", tt.wantCode, got)
			}
			f := got[0]
			if f.Code != tt.wantCode || f.Severity != tt.wantSev || f.Path != tt.wantPath {
				t.Errorf("got %s/%s at %s, want %s/%s at %s", f.Code, f.Severity, f.Path, tt.wantCode, tt.wantSev, tt.wantPath)
			}
			if f.Side != schemas.FindingSide(tt.side) || f.Detector == "" || f.Message == "" {
				t.Errorf("incomplete finding %+v", f)
			}
			if strings.Contains(f.Message, ev.EventTimeRaw) {
				t.Errorf("message carries the value: %q", f.Message)
			}
		})
	}
}

func TestCheckConfig(t *testing.T) {
	t.Parallel()
	ev := decode(t, schemas.SideServer, mp(itoa((recordTime-50*3600*1000)*1000)))
	cfg := NewDefaultConfig()
	cfg.GA4MaxAge = 48 * time.Hour
	if got := Check(ev, cfg, nil); len(got) != 1 || got[0].Code != CodeStale {
		t.Errorf("GA4MaxAge 48h, event 50h old: got %+v, want TIME_STALE", got)
	}
	fut := decode(t, schemas.SideServer, capi(itoa(recordTime/1000+90), "website"))
	cfg = NewDefaultConfig()
	cfg.FutureTolerance = 2 * time.Minute
	if got := Check(fut, cfg, nil); len(got) != 0 {
		t.Errorf("tolerance 2m, event 90s ahead: got %+v", got)
	}
	client := decode(t, schemas.SideClient, pixel(itoa(recordTime-10*24*3600*1000)))
	cfg.CheckClient = false
	if got := Check(client, cfg, nil); len(got) != 0 {
		t.Errorf("CheckClient off: got %+v", got)
	}
	noRec := *fut
	noRec.Source.RecordTime = 0
	if got := Check(&noRec, nil, nil); len(got) != 0 {
		t.Errorf("no record time: got %+v", got)
	}
	if got := Check(nil, nil, nil); got != nil {
		t.Errorf("nil event: %+v", got)
	}
}

func TestRawDigits(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]int{
		"1772446500": 10, "1772446500000": 13, "1772446500000000": 16, "0001772446500": 10,
		"1772446500.123": 10, " 1772446500 ": 10, "1.7724465e12": 13, "+1772446500": 10,
		"": -1, "abc": -1, "-1772446500": -1, "17724e": -1, "1772446500.1x": -1, "0": 1,
	} {
		if got := rawDigits(raw); got != want {
			t.Errorf("rawDigits(%q) = %d, want %d", raw, got, want)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	if err := NewDefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	bad := &Config{FutureTolerance: -time.Second}
	err := bad.Validate()
	for _, want := range []string{"meta_max_age", "physical_store_max_age", "ga4_max_age", "future_tolerance"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to name %s", err, want)
		}
	}
}

func TestCleanEventAllocs(t *testing.T) {
	ev := decode(t, schemas.SideServer, capi(itoa(recordTime/1000), "website"))
	out := make([]schemas.Finding, 0, 4)
	if n := testing.AllocsPerRun(200, func() { out = Check(ev, nil, out[:0]) }); n != 0 || len(out) != 0 {
		t.Fatalf("clean event: %.0f allocations, %d findings; want 0, 0", n, len(out))
	}
}

func BenchmarkCheckCleanCAPI(b *testing.B) {
	ev := decode(b, schemas.SideServer, cleanCAPI)
	out := make([]schemas.Finding, 0, 4)
	b.ReportAllocs()
	for b.Loop() {
		out = Check(ev, nil, out[:0])
	}
	if len(out) != 0 {
		b.Fatalf("clean event produced %+v", out)
	}
}

// cleanCAPI is a well-formed ~1 KB CAPI Purchase at the record time.
const cleanCAPI = `{"data":[{"event_name":"Purchase","event_time":1772446490,"event_id":"ORD-77120","action_source":"website",
"event_source_url":"https://store.example.net/order/complete?fbclid=IwZXh0bgNhZW0CMTEAAR2x_Demo-Click",
"user_data":{"em":["c380883a7f5bd30f9566377252d7a73542e94bed90a654681412c7a0bfa0d409"],"ph":["2f9fbc550b12cbc0e6242384cc472bd1e4f058a8b773f189f7acb86d202655ce"],
"fn":["24d4b96f58da6d4a8512313bbd02a28ebf0ca95dec6e4c86ef78ce7f01e788ac"],"ln":["00211591ed7f2b0c5a4eed1e1f2e1b6f5c3cbd2d17e8cd98bd7c8e8e1e6fd56d"],
"country":["959a45d412e5b4e3e7ba7c6b8c6e3a0c7d17c24e1a82bba2d59a6d74f7b52578"],"external_id":["cust-55810"],"client_ip_address":"198.51.100.23",
"client_user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
"fbc":"fb.1.1772446152044.IwZXh0bgNhZW0CMTEAAR2x_Demo-Click","fbp":"fb.1.1771574400000.1388405713"},
"custom_data":{"currency":"EUR","value":84.5,"order_id":"ORD-77120","content_type":"product",
"content_ids":["TEE-RED-M","CAP-01"],"contents":[{"id":"TEE-RED-M","quantity":1,"item_price":59.5},{"id":"CAP-01","quantity":1,"item_price":25}],"num_items":2}}],
"partner_agent":"example-sgtm-0.3"}`

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// FuzzCheck: any decodable event is checked without panic, and a unit
// finding is never accompanied by stale/future.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{capi("1772446500", "website"), capi("1772446500000", "website"), mp("17724465"), sgtm(`"1.7e9"`), pixel("-1"), pixel("99999999999999999999999")} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		evs, err := schemas.Decode(schemas.Message{Value: []byte(s), Source: schemas.Source{RecordTime: recordTime}}, schemas.DecodeOptions{})
		if err != nil {
			return
		}
		for i := range evs {
			got := Check(&evs[i], nil, nil)
			if len(got) > 1 {
				t.Fatalf("more than one time finding: %+v", got)
			}
		}
	})
}
