package timecheck

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sstaudit/sstaudit/processors/internal/eventtest"
	"github.com/sstaudit/sstaudit/schemas"
)

// recordTime is the Kafka record time of every test message: 2026-03-02 10:15:00 UTC.
const recordTime = eventtest.RecordTime

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
			ev := eventtest.DecodeOne(t, tt.side, tt.payload)
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
			eventtest.Complete(t, f, tt.side)
			eventtest.NoValues(t, f, ev.EventTimeRaw)
		})
	}
}

func TestCheckConfig(t *testing.T) {
	t.Parallel()
	ev := eventtest.DecodeOne(t, schemas.SideServer, mp(itoa((recordTime-50*3600*1000)*1000)))
	cfg := NewDefaultConfig()
	cfg.GA4MaxAge = 48 * time.Hour
	if got := Check(ev, cfg, nil); len(got) != 1 || got[0].Code != CodeStale {
		t.Errorf("GA4MaxAge 48h, event 50h old: got %+v, want TIME_STALE", got)
	}
	fut := eventtest.DecodeOne(t, schemas.SideServer, capi(itoa(recordTime/1000+90), "website"))
	cfg = NewDefaultConfig()
	cfg.FutureTolerance = 2 * time.Minute
	if got := Check(fut, cfg, nil); len(got) != 0 {
		t.Errorf("tolerance 2m, event 90s ahead: got %+v", got)
	}
	client := eventtest.DecodeOne(t, schemas.SideClient, pixel(itoa(recordTime-10*24*3600*1000)))
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
	ev := eventtest.DecodeOne(t, schemas.SideServer, capi(itoa(recordTime/1000), "website"))
	eventtest.NoAllocs(t, "clean event", func(out []schemas.Finding) []schemas.Finding { return Check(ev, nil, out) })
}

func BenchmarkCheckCleanCAPI(b *testing.B) {
	ev := eventtest.DecodeOne(b, schemas.SideServer, eventtest.CleanCAPI)
	out := make([]schemas.Finding, 0, 4)
	b.ReportAllocs()
	for b.Loop() {
		out = Check(ev, nil, out[:0])
	}
	if len(out) != 0 {
		b.Fatalf("clean event produced %+v", out)
	}
}

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
