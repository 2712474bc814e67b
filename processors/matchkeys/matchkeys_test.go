package matchkeys

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/processors/internal/eventtest"
	"github.com/sstaudit/sstaudit/schemas"
)

const (
	hEm = eventtest.HashedEmail
	hPh = "2f9fbc550b12cbc0e6242384cc472bd1e4f058a8b773f189f7acb86d202655ce"
	ua  = eventtest.UserAgent
)

// capi builds a one-event CAPI batch with the given action_source (omitted
// when "-"), event_source_url (omitted when "") and user_data members.
func capi(actionSource, url, userData string) string {
	s := `{"data":[{"event_name":"Purchase","event_time":1772446490,"event_id":"ORD-1"`
	if actionSource != "-" {
		s += `,"action_source":"` + actionSource + `"`
	}
	if url != "" {
		s += `,"event_source_url":"` + url + `"`
	}
	return s + `,"user_data":{` + userData + `},"custom_data":{"currency":"EUR","value":84.5}}]}`
}

const (
	udFull = `"em":["` + hEm + `"],"ph":["` + hPh + `"],"external_id":["cust-1"],"client_ip_address":"198.51.100.23","client_user_agent":"` + ua +
		`","fbc":"fb.1.1772446152044.IwZXh0bgNhZW0CMTEAAR2x_Demo-Click","fbp":"fb.1.1771574400000.1388405713"`
	udFive  = `"em":["` + hEm + `"],"client_ip_address":"198.51.100.23","client_user_agent":"` + ua + `","fbp":"fb.1.1771574400000.1388405713","external_id":"x"`
	udThree = `"client_ip_address":"198.51.100.23","client_user_agent":"` + ua + `","fbp":"fb.1.1771574400000.1388405713"`
	udNoUA  = `"em":["` + hEm + `"],"ph":["` + hPh + `"],"external_id":["cust-1"],"client_ip_address":"198.51.100.23","fbp":"fb.1.1771574400000.1388405713","fbc":"fb.1.1772446152044.IwZXh0bgNhZW0CMTEAAR2x_Demo-Click"`
	url     = "https://store.example.net/order/complete"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	type want struct{ Code, Sev, Path string }
	tests := []struct {
		name    string
		side    schemas.Side
		payload string
		want    []want
	}{
		{"full website event is clean", schemas.SideServer, capi("website", url, udFull), nil},
		{"5 keys: band warn, info", schemas.SideServer, capi("website", url, udFive),
			[]want{{CodeKeysLow, "info", "data[0].user_data"}}},
		{"3 keys: band fail, warn", schemas.SideServer, capi("website", url, udThree),
			[]want{{CodeKeysLow, "warn", "data[0].user_data"}}},
		{"website without user agent", schemas.SideServer, capi("website", url, udNoUA),
			[]want{{CodeRequiredMissing, "fail", "data[0].user_data.client_user_agent"}}},
		{"website without event_source_url", schemas.SideServer, capi("website", "", udFull),
			[]want{{CodeRequiredMissing, "fail", "data[0].event_source_url"}}},
		{"web-looking event without action_source", schemas.SideServer, capi("-", url, udFull),
			[]want{{CodeRequiredMissing, "fail", "data[0].action_source"}}},
		{"crm event without action_source is params' business", schemas.SideServer,
			capi("-", "", `"em":["`+hEm+`"],"ph":["`+hPh+`"],"external_id":"a","fn":"`+hEm+`","ln":"`+hEm+`","ct":"`+hEm+`"`), nil},
		{"physical_store needs no UA or URL", schemas.SideServer,
			capi("physical_store", "", `"em":["`+hEm+`"],"ph":["`+hPh+`"],"external_id":"a","fn":"`+hEm+`","ln":"`+hEm+`","ct":"`+hEm+`"`), nil},
		{"single event object paths", schemas.SideServer,
			`{"event_name":"Lead","event_time":1772446490,"action_source":"website","user_data":{` + udThree + `}}`,
			[]want{{CodeRequiredMissing, "fail", "event_source_url"}, {CodeKeysLow, "warn", "user_data"}}},
		{"sgtm event data has no action_source yet", schemas.SideServer,
			`{"event_name":"purchase","client_id":"1.2","user_agent":"` + ua + `","page_location":"https://s.example.net/"}`, nil},
		{"pixel is not checked", schemas.SideClient, "id=1&ev=Purchase&eid=ORD-1&ts=1772446481250", nil},
		{"ga4 mp is not banded by default", schemas.SideServer,
			`{"client_id":"1.2","events":[{"name":"purchase","params":{"transaction_id":"T1","value":1,"currency":"EUR"}}]}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Check(eventtest.DecodeOne(t, tt.side, tt.payload), nil, nil)
			eventtest.Findings(t, got, tt.want)
			for i, f := range got {
				eventtest.Complete(t, f, schemas.SideServer)
				if f.Fingerprint != "" {
					t.Errorf("finding %d carries a fingerprint: %+v", i, f)
				}
				eventtest.NoValues(t, f, "198.51.100.23", hEm)
			}
		})
	}
}

func TestCheckConfig(t *testing.T) {
	t.Parallel()
	ev := eventtest.DecodeOne(t, schemas.SideServer, capi("website", url, udFive))
	cfg := NewDefaultConfig()
	cfg.WarnBandSeverity = ""
	if got := Check(ev, cfg, nil); len(got) != 0 {
		t.Errorf("band warn silenced: got %+v", got)
	}
	cfg = NewDefaultConfig()
	cfg.PassKeys, cfg.WarnKeys = 5, 3
	if got := Check(ev, cfg, nil); len(got) != 0 {
		t.Errorf("pass at 5: got %+v", got)
	}
	mp := eventtest.DecodeOne(t, schemas.SideServer, `{"client_id":"1.2","events":[{"name":"purchase","params":{"transaction_id":"T1"}}]}`)
	cfg = NewDefaultConfig()
	cfg.Destinations = append(cfg.Destinations, schemas.DestinationGA4)
	if got := Check(mp, cfg, nil); len(got) != 1 || got[0].Code != CodeKeysLow || got[0].Path != "user_data" {
		t.Errorf("ga4 enabled, client_id only: got %+v", got)
	}
}

// TestKeysMatchSnapshot keeps Keys in step with processors.BuildSnapshot on
// every decoder golden input.
func TestKeysMatchSnapshot(t *testing.T) {
	t.Parallel()
	inputs, _ := filepath.Glob("../../schemas/testdata/decode/*/*.input")
	if len(inputs) == 0 {
		t.Fatal("no decoder inputs found")
	}
	d := processors.NewDigester(nil)
	n := 0
	for _, in := range inputs {
		b, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		format := filepath.Base(filepath.Dir(in))
		if format == "detect" {
			format = ""
		}
		for _, side := range []schemas.Side{schemas.SideClient, schemas.SideServer} {
			evs, err := schemas.Decode(schemas.Message{Value: b, Format: format, Side: side}, schemas.DecodeOptions{})
			if err != nil {
				continue
			}
			for i := range evs {
				n++
				if got, want := Keys(&evs[i]), processors.BuildSnapshot(&evs[i], d).MatchKeys; got != want {
					t.Errorf("%s event %d: Keys %v, BuildSnapshot %v", in, i, got.Names(), want.Names())
				}
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d events compared", n)
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	evs := eventtest.Decode(t, schemas.SideServer, capi("website", url, udFull))
	s := processors.BuildSnapshot(&evs[0], processors.NewDigester(nil))
	got := Summarize(&s, nil)
	if got.Count != 7 || got.Band != BandPass || !slices.Equal(got.Present, s.MatchKeys.Names()) {
		t.Errorf("full: %+v", got)
	}
	if got.EMQEstimate != 9.3 {
		t.Errorf("full: emq %v, want 9.3 (doc.go example)", got.EMQEstimate)
	}
	for _, c := range []struct {
		keys processors.MatchKey
		emq  float64
		band string
	}{
		{processors.KeyEmail | processors.KeyClientIP | processors.KeyUserAgent | processors.KeyFBP, 7.3, BandWarn},
		{processors.KeyClientIP | processors.KeyUserAgent | processors.KeyFBP, 4.3, BandFail},
		{0, 0, BandFail},
	} {
		s := processors.Snapshot{MatchKeys: c.keys}
		got := Summarize(&s, nil)
		if got.EMQEstimate != c.emq || got.Band != c.band || int(got.Count) != c.keys.Count() {
			t.Errorf("%v: %+v, want emq %v band %s", c.keys.Names(), got, c.emq, c.band)
		}
		if got.Present == nil {
			t.Errorf("%v: Present is nil, want a list", c.keys.Names())
		}
	}
	if z := Summarize(nil, nil); z.Count != 0 || z.Band != BandFail || z.EMQEstimate != 0 {
		t.Errorf("nil snapshot: %+v", z)
	}
}

// TestEMQMonotoneAndBounded: adding any key never lowers the estimate, and it
// stays within [0, 10], for the defaults and random weights.
func TestEMQMonotoneAndBounded(t *testing.T) {
	t.Parallel()
	all := processors.MatchKey(1)<<len(processors.MatchKeyNames) - 1
	r := rand.New(rand.NewPCG(1, 2))
	cfgs := []*Config{NewDefaultConfig()}
	for range 5 {
		c := NewDefaultConfig()
		for k := range c.Weights {
			c.Weights[k] = r.Float64() * 5
		}
		c.IPUABonus = r.Float64() * 3
		c.Scale = 0.5 + r.Float64()*10
		cfgs = append(cfgs, c)
	}
	for ci, cfg := range cfgs {
		if e := EMQ(all, cfg); e < 0 || e > 10 {
			t.Fatalf("cfg %d: all keys emq %v out of [0,10]", ci, e)
		}
		for range 3000 {
			k := processors.MatchKey(r.Uint32()) & all
			base := EMQ(k, cfg)
			if base < 0 || base > 10 {
				t.Fatalf("cfg %d: emq(%v) = %v out of bounds", ci, k.Names(), base)
			}
			for b := range len(processors.MatchKeyNames) {
				if more := EMQ(k|1<<uint(b), cfg); more < base {
					t.Fatalf("cfg %d: adding %s to %v lowers emq %v → %v", ci, processors.MatchKeyNames[b], k.Names(), base, more)
				}
			}
		}
	}
	// Each default weight matters: em alone beats fbp alone beats ct alone.
	if !(EMQ(processors.KeyEmail, nil) > EMQ(processors.KeyFBP, nil) && EMQ(processors.KeyFBP, nil) > EMQ(processors.KeyCity, nil) && EMQ(processors.KeyCity, nil) > 0) {
		t.Error("default ranking em > fbp > ct > 0 violated")
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	if err := NewDefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	bad := &Config{PassKeys: 2, WarnKeys: 3, WarnBandSeverity: "loud", Destinations: []schemas.Destination{"tiktok"},
		Weights: map[string]float64{"shoe_size": 1, "em": -1}, IPUABonus: -1}
	err := bad.Validate()
	for _, w := range []string{"warn_keys", "loud", "tiktok", "shoe_size", "weight of em", "ip_ua_bonus", "scale"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Validate() = %v, want it to mention %q", err, w)
		}
	}
}

func TestCleanEventAllocs(t *testing.T) {
	ev := eventtest.DecodeOne(t, schemas.SideServer, eventtest.CleanCAPI)
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

func BenchmarkSummarize(b *testing.B) {
	ev := eventtest.DecodeOne(b, schemas.SideServer, eventtest.CleanCAPI)
	s := processors.BuildSnapshot(ev, processors.NewDigester(nil))
	b.ReportAllocs()
	for b.Loop() {
		_ = Summarize(&s, nil)
	}
}
