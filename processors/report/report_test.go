package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sstaudit/sstaudit/schemas"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var fixedNow = time.Date(2026, 9, 22, 8, 0, 0, 0, time.UTC)

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./processors/report -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update and review the diff):\n%s", path, got)
	}
}

func TestGoldenReports(t *testing.T) {
	tests := []struct {
		name   string
		build  func() (*scenario, *Inventory)
		grades string // acceptable grades
	}{
		{"clean", cleanScenario, "A"},
		{"middle", middleScenario, "BCD"},
		{"broken", brokenScenario, "F"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, inv := tt.build()
			r := Build(s.aggregate().Summary(), inv, Options{Now: fixedNow, Since: fixedNow.Add(-24 * time.Hour)})
			if !strings.Contains(tt.grades, r.Score.Grade) || r.Score.Grade == "" {
				t.Errorf("grade %q (total %v), want one of %q", r.Score.Grade, *r.Score.Total, tt.grades)
			}
			var md, js bytes.Buffer
			if err := WriteMarkdown(&md, r); err != nil {
				t.Fatal(err)
			}
			if err := WriteJSON(&js, r); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name+".md", md.Bytes())
			golden(t, tt.name+".json", js.Bytes())

			// The JSON twin decodes and carries the same score.
			var back Report
			if err := json.Unmarshal(js.Bytes(), &back); err != nil {
				t.Fatal(err)
			}
			if back.Score.Grade != r.Score.Grade || *back.Score.Points != *r.Score.Points {
				t.Errorf("JSON score %s %d, want %s %d", back.Score.Grade, *back.Score.Points, r.Score.Grade, *r.Score.Points)
			}
			// Render is the Markdown report.
			var rd bytes.Buffer
			if err := Render(&rd, r); err != nil || rd.String() != md.String() {
				t.Errorf("Render differs from WriteMarkdown (err %v)", err)
			}
		})
	}
}

// Feeding the same outputs in another order, with redeliveries, gives the
// same report.
func TestReportIndependentOfOrderAndRedelivery(t *testing.T) {
	s, inv := brokenScenario()
	a := s.aggregate()
	b := NewAggregator()
	ms := s.metrics()
	for i := len(ms) - 1; i >= 0; i-- {
		b.AddMetrics(ms[i])
		b.AddMetrics(ms[i])
	}
	for i := len(s.records) - 1; i >= 0; i-- {
		b.Add(s.records[i])
	}
	var x, y bytes.Buffer
	_ = WriteJSON(&x, Build(a.Summary(), inv, Options{Now: fixedNow}))
	_ = WriteJSON(&y, Build(b.Summary(), inv, Options{Now: fixedNow}))
	// Only the duplicate counters may differ.
	strip := func(s string) string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			if !strings.Contains(l, `"duplicate_`) {
				out = append(out, l)
			}
		}
		return strings.Join(out, "\n")
	}
	if strip(x.String()) != strip(y.String()) {
		t.Errorf("reports differ by feeding order")
	}
}

func TestScoreBlockMatchesSpec(t *testing.T) {
	sc := score([]Section{
		{ID: "sgtm", Weight: 20, Checks: checks(Pass, Pass, Pass, Pass, Fail)}, // 80
		{ID: "capi", Weight: 25, Checks: checks(Pass)},
		{ID: "dedup", Weight: 15, Checks: checks(Pass)},
		{ID: "hit_ratio", Weight: 15, Checks: checks(Fail)},
		{ID: "test_events", Weight: 10, Checks: checks(NotMeasured)},
		{ID: "hash_pii", Weight: 15, Checks: checks(Warn, Pass, Pass)}, // 83.33
	})
	var b bytes.Buffer
	if err := WriteScoreBlock(&b, sc); err != nil {
		t.Fatal(err)
	}
	// (80·20 + 100·25 + 100·15 + 0·15 + 83.33·15) / 90 = 76.66…
	want := "Server-Side Tracking Health Score: 76/100 (Grade: C)\n" +
		"sGTM Pipeline:        80/100 ████████░░ (20%)\n" +
		"CAPI:                100/100 ██████████ (25%)\n" +
		"Deduplication:       100/100 ██████████ (15%)\n" +
		"Hit Ratio:             0/100 ░░░░░░░░░░ (15%)\n" +
		"Test Events:         n/a/100 ░░░░░░░░░░ (10%, not measured)\n" +
		"Hash Quality & PII:   83/100 ████████░░ (15%)\n"
	if b.String() != want {
		t.Errorf("score block:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestInventoryExample(t *testing.T) {
	data, err := os.ReadFile("testdata/inventory.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := decodeInventory(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := inv.Validate(); err != nil {
		t.Fatal(err)
	}
	if inv.SGTMHosting != "cloud_run" || inv.CustomDomain == nil || !*inv.CustomDomain || inv.CAPIMethod != "direct" || inv.Site == "" {
		t.Errorf("example inventory decoded as %+v", inv)
	}
	bad := Inventory{SGTMHosting: "heroku", CAPIMethod: "pigeon", CAPIPartner: "x"}
	err = bad.Validate()
	for _, want := range []string{"sgtm_hosting", "capi_method", "capi_partner"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to name %s", err, want)
		}
	}
}

func decodeInventory(data []byte) (*Inventory, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var inv Inventory
	return &inv, dec.Decode(&inv)
}

func TestAggregatorDeduplicates(t *testing.T) {
	a := NewAggregator()
	p50 := int64(10)
	m := &schemas.WindowMetrics{Destination: "meta", EventName: "Purchase", Partition: 1, WindowStart: 60_000,
		ClientEvents: 10, ServerEvents: 8, Matched: 8, Aligned: 8, SkewMsP50: &p50, SkewMsP95: &p50, SkewMsMax: &p50}
	a.AddMetrics(m)
	a.AddMetrics(m)
	other := *m
	other.Partition = 2
	a.AddMetrics(&other)
	id := "e1"
	r := &schemas.AuditRecord{AuditID: "x", Outcome: "client_only", Destination: "meta", EventID: &id, EventName: "Purchase",
		Findings: []schemas.FindingRecord{finding("DEDUP_CLIENT_ONLY", "warn", "client", "eid")}}
	a.Add(r)
	a.Add(r)
	s := a.Summary()
	if s.Total.ClientEvents != 20 || s.WindowMetrics != 2 || s.DuplicateWindowMetrics != 1 {
		t.Errorf("client events %d, windows %d, duplicates %d; want 20, 2, 1", s.Total.ClientEvents, s.WindowMetrics, s.DuplicateWindowMetrics)
	}
	if s.AuditRecords != 1 || s.DuplicateAuditRecords != 1 || s.Findings[0].RecordCount != 1 {
		t.Errorf("records %d, duplicates %d, findings %+v", s.AuditRecords, s.DuplicateAuditRecords, s.Findings)
	}
}

// Window starts beyond the per-series cap evict the oldest half; a window
// at or below them is then late, never counted twice.
func TestAggregatorWindowCap(t *testing.T) {
	a := NewAggregator()
	for i := range maxWindowsPerSeries + 1 {
		a.AddMetrics(&schemas.WindowMetrics{Destination: "meta", EventName: "Lead", WindowStart: int64(i) * 60_000, ClientEvents: 1})
	}
	a.AddMetrics(&schemas.WindowMetrics{Destination: "meta", EventName: "Lead", WindowStart: 0, ClientEvents: 1})
	a.AddMetrics(&schemas.WindowMetrics{Destination: "meta", EventName: "Lead", WindowStart: int64(maxWindowsPerSeries) * 60_000, ClientEvents: 1})
	s := a.Summary()
	if s.Total.ClientEvents != maxWindowsPerSeries+1 || s.LateWindowMetrics != 1 || s.DuplicateWindowMetrics != 1 {
		t.Errorf("events %d late %d dup %d", s.Total.ClientEvents, s.LateWindowMetrics, s.DuplicateWindowMetrics)
	}
	if n := len(a.windows[partSeries{seriesKey{"meta", "Lead"}, 0}].seen); n > maxWindowsPerSeries {
		t.Errorf("window set holds %d starts, cap %d", n, maxWindowsPerSeries)
	}
}

func TestAggregatorRecentAuditIDsBounded(t *testing.T) {
	a := NewAggregator(WithRecentAuditIDs(4))
	for i := range 10 {
		a.Add(&schemas.AuditRecord{AuditID: string(rune('a' + i)), Outcome: "matched"})
	}
	if len(a.recentSet) != 4 || len(a.recentRing) != 4 {
		t.Errorf("recent set %d ring %d, want 4", len(a.recentSet), len(a.recentRing))
	}
	a.Add(&schemas.AuditRecord{AuditID: "j", Outcome: "matched"}) // still remembered
	a.Add(&schemas.AuditRecord{AuditID: "a", Outcome: "matched"}) // forgotten: counted again
	if s := a.Summary(); s.AuditRecords != 11 || s.DuplicateAuditRecords != 1 {
		t.Errorf("records %d duplicates %d, want 11 and 1", s.AuditRecords, s.DuplicateAuditRecords)
	}
}

func TestExamplesAreSmallestFive(t *testing.T) {
	a := NewAggregator()
	for _, id := range []string{"e9", "e3", "e7", "e1", "e5", "e2", "e3"} {
		id := id
		a.Add(&schemas.AuditRecord{AuditID: "a" + id + string(rune(len(a.recentRing))), Outcome: "client_only", EventID: &id,
			Findings: []schemas.FindingRecord{finding("DEDUP_CLIENT_ONLY", "warn", "client", "eid")}})
	}
	got := strings.Join(a.Summary().Findings[0].ExampleIDs, ",")
	if got != "e1,e2,e3,e5,e7" {
		t.Errorf("examples %s", got)
	}
}

// Summary is a deep copy, and the Aggregator is safe for concurrent use (run
// with -race).
func TestSummarySnapshotConcurrent(t *testing.T) {
	s, _ := cleanScenario()
	ms := s.metrics()
	a := NewAggregator()
	var wg sync.WaitGroup
	wg.Go(func() {
		for _, r := range s.records {
			a.Add(r)
		}
	})
	wg.Go(func() {
		for _, m := range ms {
			a.AddMetrics(m)
		}
	})
	wg.Go(func() {
		for range 20 {
			sum := a.Summary()
			sum.Total.FindingsByCode["X"] = 1
			for i := range sum.Findings {
				sum.Findings[i].ExampleIDs = append(sum.Findings[i].ExampleIDs[:0], "mutated")
			}
		}
	})
	wg.Wait()
	sum := a.Summary()
	if _, ok := sum.Total.FindingsByCode["X"]; ok {
		t.Error("a snapshot's map is shared with the aggregator")
	}
	for _, f := range sum.Findings {
		for _, id := range f.ExampleIDs {
			if id == "mutated" {
				t.Error("a snapshot's examples are shared with the aggregator")
			}
		}
	}
}
