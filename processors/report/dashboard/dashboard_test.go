package dashboard

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sstaudit/sstaudit/processors/audit"
	"github.com/sstaudit/sstaudit/processors/join"
	"github.com/sstaudit/sstaudit/processors/report"
	"github.com/sstaudit/sstaudit/schemas"
	"github.com/sstaudit/sstaudit/schemas/synth"
	"github.com/sstaudit/sstaudit/state"
)

// synthOutputs runs n synth conversions through decode, the audit checks
// and the real join (5 s metrics windows, in-memory state), closes every
// group and returns the outputs.
func synthOutputs(t *testing.T, seed uint64, n int) ([]*schemas.AuditRecord, []*schemas.WindowMetrics) {
	t.Helper()
	start := time.Date(2026, 9, 21, 10, 0, 0, 0, time.UTC)
	tick := 0
	g, err := synth.New(synth.Config{Seed: seed, Mix: synth.DefaultMix, Clock: func() time.Time {
		tick++
		return start.Add(time.Duration(tick) * 50 * time.Millisecond)
	}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := audit.New(audit.NewDefaultPolicy(), []byte("test-fingerprint-key"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := state.Open("", state.WithInMemory())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	jc := join.NewDefaultConfig()
	jc.Clock = func() time.Time { return start }
	jc.MetricsWindow = 5 * time.Second
	proc, err := join.New(jc, a.Checks())
	if err != nil {
		t.Fatal(err)
	}
	var recs []*schemas.AuditRecord
	var mets []*schemas.WindowMetrics
	joiner := state.NewJoiner(store, proc)
	collect := func(outs []join.Output, err error) {
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range outs {
			if o.Audit != nil {
				recs = append(recs, o.Audit)
			}
			if o.Metrics != nil {
				mets = append(mets, o.Metrics)
			}
		}
	}
	opts := a.DecodeOptions(0)
	offsets := map[schemas.Side]int64{}
	for range n {
		for _, rec := range g.Next() {
			m := schemas.Message{Value: rec.Value, Side: rec.Side,
				Source: schemas.Source{Topic: "tracking." + string(rec.Side), Offset: offsets[rec.Side], RecordTime: rec.Time.UnixMilli()}}
			offsets[rec.Side]++
			if rec.Header {
				m.Format = string(rec.Format)
			}
			evs, err := schemas.Decode(m, opts)
			if err != nil {
				continue
			}
			for k := range evs {
				ev := &evs[k]
				collect(joiner.Apply(ev))
			}
		}
	}
	end := start.Add(400 * 24 * time.Hour).UnixMilli()
	collect(joiner.CloseAll(end))
	if len(recs) == 0 || len(mets) == 0 {
		t.Fatalf("synth gave %d records, %d metrics", len(recs), len(mets))
	}
	return recs, mets
}

// feed adds everything to l (and to the extra aggregators), interleaved
// as the pipeline's outputs are.
func feed(l *Live, recs []*schemas.AuditRecord, mets []*schemas.WindowMetrics, aggs ...*report.Aggregator) {
	for i := range max(len(recs), len(mets)) {
		if i < len(recs) {
			l.Add(recs[i])
			for _, a := range aggs {
				a.Add(recs[i])
			}
		}
		if i < len(mets) {
			l.AddMetrics(mets[i])
			for _, a := range aggs {
				a.AddMetrics(mets[i])
			}
		}
	}
}

// The series sum to the Summary's per-event counts; the skew histogram holds
// every matched pair once; a redelivery of everything changes nothing.
func TestLiveSeriesAndSkew(t *testing.T) {
	t.Parallel()
	recs, mets := synthOutputs(t, 7, 600)
	l := NewLive()
	feed(l, recs, mets)
	first := l.Snapshot()
	feed(l, recs, mets) // at-least-once: all of it again
	snap := l.Snapshot()

	if len(snap.Series) == 0 {
		t.Fatal("no series")
	}
	multiWindow := false
	for _, s := range snap.Series {
		var client, server int64
		for i, w := range s.Windows {
			client += w.ClientEvents
			server += w.ServerEvents
			if i > 0 && !s.Windows[i-1].Start.Before(w.Start) {
				t.Fatalf("%s/%s windows not in order at %d", s.Destination, s.EventName, i)
			}
			if w.ClientEvents > 0 && (w.HitRatio == nil || *w.HitRatio != float64(w.ServerEvents)/float64(w.ClientEvents)) {
				t.Fatalf("%s/%s window %v: hit ratio %v for %d/%d", s.Destination, s.EventName, w.Start, w.HitRatio, w.ServerEvents, w.ClientEvents)
			}
		}
		multiWindow = multiWindow || len(s.Windows) > 1
		c := snap.Summary.Event(s.Destination, s.EventName)
		if c == nil || c.ClientEvents != client || c.ServerEvents != server {
			t.Fatalf("%s/%s: series sum %d/%d, summary %+v", s.Destination, s.EventName, client, server, c)
		}
	}
	if !multiWindow {
		t.Fatal("no series spans more than one window: the time axis is untested")
	}

	var pairs, want int64
	for _, b := range snap.Skew.Buckets {
		pairs += b.Pairs
	}
	for _, r := range recs {
		if r.SkewMs != nil {
			want++
		}
	}
	if pairs != want || want == 0 {
		t.Fatalf("skew histogram holds %d pairs, records carry %d skews", pairs, want)
	}
	if snap.Skew.P95Ms == nil || snap.Skew.MaxMs == nil {
		t.Fatal("skew percentiles missing")
	}
	if got, _ := json.Marshal(snap); string(got) != string(must(json.Marshal(first))) {
		t.Fatal("a redelivery changed the series or the histogram")
	}
	if string(must(json.Marshal(snap.Summary.Total))) != string(must(json.Marshal(first.Summary.Total))) {
		t.Fatal("a redelivery changed the totals")
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// A series keeps its newest maxPoints windows; a window older than those is
// ignored rather than counted again.
func TestLiveSeriesBounded(t *testing.T) {
	t.Parallel()
	l := NewLive()
	win := func(i int, part int32) *schemas.WindowMetrics {
		return &schemas.WindowMetrics{Destination: "meta", EventName: "Purchase", Partition: part,
			WindowStart: int64(i) * 5000, WindowEnd: int64(i+1) * 5000, ClientEvents: 10, ServerEvents: 9}
	}
	for i := 1; i <= maxPoints+10; i++ {
		l.AddMetrics(win(i, 0))
		l.AddMetrics(win(i, 1))
	}
	l.AddMetrics(win(3, 2)) // older than the kept windows
	s := l.Snapshot().Series
	if len(s) != 1 || len(s[0].Windows) != maxPoints {
		t.Fatalf("series %d, windows %d; want 1, %d", len(s), len(s[0].Windows), maxPoints)
	}
	w := s[0].Windows
	if w[0].Start.UnixMilli() != 11*5000 || w[len(w)-1].Start.UnixMilli() != int64(maxPoints+10)*5000 {
		t.Fatalf("kept windows %v … %v", w[0].Start, w[len(w)-1].Start)
	}
	if w[0].ClientEvents != 20 || *w[0].HitRatio != 0.9 {
		t.Fatalf("first kept window %+v: partitions not summed", w[0])
	}
	for i := range maxSeries + 5 {
		l.AddMetrics(&schemas.WindowMetrics{Destination: "ga4", EventName: "e" + strconv.Itoa(i), WindowStart: 5000, WindowEnd: 10000, ClientEvents: 1})
	}
	if n := len(l.Snapshot().Series); n != maxSeries {
		t.Fatalf("%d series, want the bound %d", n, maxSeries)
	}
}

func mustNew(t *testing.T, cfg Config) *Dashboard {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no live", Config{}, "no Live"},
		{"negative refresh", Config{Live: NewLive(), Refresh: -time.Second}, "refresh must not be negative"},
		{"negative alignment", Config{Live: NewLive(), Alignment: -time.Second}, "alignment must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := New(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := New(Config{Live: NewLive()}); err != nil {
		t.Fatalf("defaults: %v", err)
	}
}

func newTestServer(t *testing.T, d *Dashboard) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	d.Mount(mux.Handle)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// The page shows the score and grade, the six sections, and charts with
// data: hit-ratio lines, skew bars, severity segments, test events.
func TestPage(t *testing.T) {
	t.Parallel()
	recs, mets := synthOutputs(t, 3, 600)
	l := NewLive()
	feed(l, recs, mets)
	d := mustNew(t, Config{Live: l, Health: func() Health {
		lag := int64(12345)
		return Health{Ready: true, Consumed: 1500, Events: 1490, DLQ: 10, OpenTasks: 3, ConsumerLag: &lag}
	}})
	srv := newTestServer(t, d)
	code, h, body := get(t, srv.URL+"/")
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %s", code, h.Get("Content-Type"))
	}
	sc := report.Evaluate(l.Snapshot().Summary, nil)
	if sc.Points == nil {
		t.Fatal("synth traffic gave no score")
	}
	for _, want := range []string{
		`id="score-points">` + strconv.Itoa(*sc.Points) + `<`,
		`id="grade">` + sc.Grade + `<`,
		"sGTM Pipeline (20%)", "CAPI (25%)", "Deduplication (15%)", "Server-Side Hit Ratio (15%)",
		"Test Events (6) (10%)", "Hash Quality &amp; PII (15%)",
		"meta · Purchase", "ViewContent", "CompleteRegistration", "Dedup rate", "Alignment rate",
		`<span class="chip pass" id="readiness">ready</span>`, "1,500 messages",
		`id="lag">12,345 records behind`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := len(regexp.MustCompile(`<polyline class="line \w+" points="[\d.]+,[\d.]+ [\d.]+,[\d.]+`).FindAllString(body, -1)); n < 4 {
		t.Errorf("%d hit-ratio lines with two or more points, want ≥ 4", n)
	}
	if !regexp.MustCompile(`<rect class="pass" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="(?:[1-9][\d.]*)"`).MatchString(body) {
		t.Error("no non-empty skew bar")
	}
	if !regexp.MustCompile(`<rect class="(?:pass|warn|fail)" x="210" y="6" width="[1-9][\d.]*"`).MatchString(body) {
		t.Error("no non-empty section bar")
	}
	if strings.Contains(body, "<script") || strings.Contains(body, "http://") || strings.Contains(body, "https://") {
		t.Error("page loads scripts or outside resources")
	}
	if dir := os.Getenv("SSTAUDIT_ARTEFACTS"); dir != "" {
		path := filepath.Join(dir, "dashboard-synth.html")
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("page written to %s", path)
	}
	if t.Failed() {
		t.Logf("page:\n%s", body)
	}
}

// /api/summary carries the aggregator's figures and the same score as the
// page.
func TestAPISummaryMatchesAggregator(t *testing.T) {
	t.Parallel()
	recs, mets := synthOutputs(t, 5, 400)
	l := NewLive()
	ref := report.NewAggregator()
	feed(l, recs, mets, ref)
	now := time.Date(2026, 9, 21, 12, 0, 0, 0, time.UTC)
	d := mustNew(t, Config{Live: l, Now: func() time.Time { return now }})
	srv := newTestServer(t, d)
	code, h, body := get(t, srv.URL+"/api/summary")
	if code != http.StatusOK || h.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /api/summary = %d %s", code, h.Get("Content-Type"))
	}
	var got View
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	want := ref.Summary()
	if g, w := must(json.Marshal(got.Summary)), must(json.Marshal(want)); string(g) != string(w) {
		t.Fatalf("summary differs from the aggregator's:\n got %.600s\nwant %.600s", g, w)
	}
	ws := report.Evaluate(want, nil)
	if got.Score.Points == nil || *got.Score.Points != *ws.Points || got.Score.Grade != ws.Grade || len(got.Score.Sections) != 6 {
		t.Fatalf("score %v %s, want %v %s", got.Score.Points, got.Score.Grade, *ws.Points, ws.Grade)
	}
	if got.Summary.Total.DedupRate == nil || got.Summary.Total.AlignmentRate == nil || got.Summary.Total.HitRatio == nil {
		t.Fatal("rates missing")
	}
	if len(got.Series) == 0 || len(got.Skew.Buckets) != len(skewLabels) || got.Pipeline != nil || !got.GeneratedAt.Equal(now) {
		t.Fatalf("series %d, buckets %d, pipeline %v, at %v", len(got.Series), len(got.Skew.Buckets), got.Pipeline, got.GeneratedAt)
	}
	if code, _, _ := get(t, srv.URL+"/nothing"); code != http.StatusNotFound {
		t.Fatalf("GET /nothing = %d, want 404 (/ is exact)", code)
	}
}

// Nothing a finding or an event could reveal reaches the page or the JSON:
// messages, fingerprints, match-key contents and sides' details stay out;
// entities, paths, codes and example event_ids show.
func TestNoValuesShown(t *testing.T) {
	t.Parallel()
	secrets := []string{"john.smith@gmail.com", "+14155550123", "4111111111111111", "fp0123456789abcd", "Smith", "DE89370400440532013000"}
	str := func(s string) *string { return &s }
	l := NewLive()
	skew := int64(1200)
	for i := range 20 {
		id := "evt-" + strconv.Itoa(i)
		l.Add(&schemas.AuditRecord{
			AuditID: "a" + strconv.Itoa(i), Outcome: "matched", Destination: "meta", EventID: &id,
			EventName: "Purchase", ClientEventName: str("Purchase"), ServerEventName: str("Purchase"),
			Client: &schemas.SideInfo{RecordTime: 1_790_000_000_000}, Server: &schemas.SideInfo{RecordTime: 1_790_000_000_500, ActionSource: str("website")},
			SkewMs: &skew, MatchKeys: &schemas.MatchKeys{Present: []string{"em", "ph"}, Count: 2},
			Findings: []schemas.FindingRecord{
				{Code: "PII_LEAK", Severity: "critical", Side: "server", Path: "event_source_url?email", Entity: str("email"),
					Detector: "regex", Message: "found john.smith@gmail.com in the URL", Fingerprint: str("fp0123456789abcd")},
				{Code: "PII_LEAK", Severity: "critical", Side: "client", Path: "dl?phone", Entity: str("phone"),
					Detector: "regex", Message: "phone +14155550123 in dl"},
				{Code: "HASH_PLAINTEXT", Severity: "critical", Side: "server", Path: "data[0].user_data.ln[0]",
					Detector: "hash", Message: "plain last name Smith; card 4111111111111111; iban DE89370400440532013000"},
			},
		})
	}
	l.AddMetrics(&schemas.WindowMetrics{Destination: "meta", EventName: "Purchase", WindowStart: 1_790_000_000_000, WindowEnd: 1_790_000_060_000,
		ClientEvents: 20, ServerEvents: 20, Matched: 20, Aligned: 20, PIILeaks: 40,
		FindingsBySeverity: schemas.SeverityCounts{Critical: 60}, FindingsByCode: map[string]int64{"PII_LEAK": 40, "HASH_PLAINTEXT": 20}})
	srv := newTestServer(t, mustNew(t, Config{Live: l}))
	_, _, page := get(t, srv.URL+"/")
	_, _, js := get(t, srv.URL+"/api/summary")
	for _, body := range []string{page, js} {
		for _, s := range secrets {
			if strings.Contains(strings.ToLower(body), strings.ToLower(s)) {
				t.Errorf("output contains %q", s)
			}
		}
	}
	for _, want := range []string{"event_source_url?email", "dl?phone", "PII_LEAK", "HASH_PLAINTEXT", ">email<", ">phone<", "evt-0"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// Throughput is measured between loads; the average over the uptime.
func TestPipelineThroughput(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 9, 21, 12, 0, 0, 0, time.UTC)
	consumed := int64(0)
	d := mustNew(t, Config{Live: NewLive(), Now: func() time.Time { return now },
		Health: func() Health { return Health{Ready: false, Reason: "join: rebalancing", Consumed: consumed} }})
	if p := d.View().Pipeline; p.MessagesPerSecond != nil || p.AvgMessagesPerSecond != nil {
		t.Fatalf("rates before time passed: %+v", p)
	}
	for range 12 { // two minutes at 100 msg/s, then 10 s at 400 msg/s
		now, consumed = now.Add(10*time.Second), consumed+1000
		d.View()
	}
	now, consumed = now.Add(10*time.Second), consumed+4000
	p := d.View().Pipeline
	if p.MessagesPerSecond == nil || *p.MessagesPerSecond != 150 { // the last 60 s: 9,000 over 60 s
		t.Fatalf("recent rate %v, want 150", p.MessagesPerSecond)
	}
	if p.AvgMessagesPerSecond == nil || *p.AvgMessagesPerSecond != 16000.0/130 {
		t.Fatalf("average %v, want %v", p.AvgMessagesPerSecond, 16000.0/130)
	}
	srv := newTestServer(t, d)
	if _, _, body := get(t, srv.URL+"/"); !strings.Contains(body, "join: rebalancing") || !strings.Contains(body, `id="readiness">not ready<`) {
		t.Fatal("page does not show the readiness reason")
	} else if !strings.Contains(body, `id="lag">not known yet<`) {
		t.Error("page does not say the lag is unknown")
	}
}

// An empty Live renders (no data yet) without a score.
func TestEmptyPage(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, mustNew(t, Config{Live: NewLive()}))
	code, _, body := get(t, srv.URL+"/")
	if code != http.StatusOK || !strings.Contains(body, "No metrics window has closed yet.") || !strings.Contains(body, `id="grade">no data<`) {
		t.Fatalf("GET / = %d:\n%s", code, body)
	}
}
