package report

import (
	"math"
	"testing"
)

func checks(vs ...Verdict) []Check {
	out := make([]Check, len(vs))
	for i, v := range vs {
		out[i] = Check{ID: string(v), Verdict: v}
	}
	return out
}

func allSections(vs ...[]Verdict) []Section {
	weights := []int{20, 25, 15, 15, 10, 15}
	ids := []string{"sgtm", "capi", "dedup", "hit_ratio", "test_events", "hash_pii"}
	out := make([]Section, len(vs))
	for i, v := range vs {
		out[i] = Section{ID: ids[i], Weight: weights[i], Checks: checks(v...)}
	}
	return out
}

func TestScoreMath(t *testing.T) {
	P, W, F, N := Pass, Warn, Fail, NotMeasured
	tests := []struct {
		name      string
		sections  []Section
		sections2 []float64 // want section scores, NaN for not measured
		total     float64   // NaN: no total
		grade     string
		measured  int
	}{
		{"all pass", allSections([]Verdict{P, P}, []Verdict{P}, []Verdict{P}, []Verdict{P}, []Verdict{P}, []Verdict{P}),
			[]float64{100, 100, 100, 100, 100, 100}, 100, "A", 100},
		{"all fail", allSections([]Verdict{F}, []Verdict{F}, []Verdict{F}, []Verdict{F}, []Verdict{F}, []Verdict{F}),
			[]float64{0, 0, 0, 0, 0, 0}, 0, "F", 100},
		{"all warn", allSections([]Verdict{W}, []Verdict{W}, []Verdict{W}, []Verdict{W}, []Verdict{W}, []Verdict{W}),
			[]float64{50, 50, 50, 50, 50, 50}, 50, "F", 100},
		// 20·75 + 25·50 + 15·100 + 15·0 + 10·100 + 15·(200/3) = 6250 → 62.5
		{"mix", allSections([]Verdict{P, W}, []Verdict{P, F}, []Verdict{P}, []Verdict{F}, []Verdict{P}, []Verdict{P, P, F}),
			[]float64{75, 50, 100, 0, 100, 200.0 / 3}, 62.5, "D", 100},
		// not-measured checks leave the mean: sgtm = mean(P, F) = 50
		{"not measured check", allSections([]Verdict{P, F, N, N}, []Verdict{P}, []Verdict{P}, []Verdict{P}, []Verdict{P}, []Verdict{P}),
			[]float64{50, 100, 100, 100, 100, 100}, 90, "A", 100},
		// capi unmeasured: (20·100 + 15·0 + 15·100 + 10·100 + 15·100) / 75 = 80
		{"not measured section", allSections([]Verdict{P}, []Verdict{N, N}, []Verdict{F}, []Verdict{P}, []Verdict{P}, []Verdict{P}),
			[]float64{100, math.NaN(), 0, 100, 100, 100}, 80, "B", 75},
		{"nothing measured", allSections([]Verdict{N}, []Verdict{N}, []Verdict{N}, []Verdict{N}, []Verdict{N}, []Verdict{N}),
			[]float64{math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()}, math.NaN(), "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := score(tt.sections)
			for i, want := range tt.sections2 {
				got := sc.Sections[i].Score
				if math.IsNaN(want) != (got == nil) || (got != nil && math.Abs(*got-want) > 1e-9) {
					t.Errorf("section %s = %v, want %v", sc.Sections[i].ID, fmtp(got), want)
				}
			}
			if math.IsNaN(tt.total) != (sc.Total == nil) || (sc.Total != nil && math.Abs(*sc.Total-tt.total) > 1e-9) {
				t.Errorf("total = %v, want %v", fmtp(sc.Total), tt.total)
			}
			if sc.Grade != tt.grade || sc.MeasuredWeight != tt.measured {
				t.Errorf("grade %q measured %d, want %q %d", sc.Grade, sc.MeasuredWeight, tt.grade, tt.measured)
			}
		})
	}
}

func fmtp(p *float64) any {
	if p == nil {
		return "nil"
	}
	return *p
}

func TestGradeBoundaries(t *testing.T) {
	tests := []struct {
		total float64
		grade string
	}{
		{100, "A"}, {90, "A"}, {89.999, "B"}, {80, "B"}, {79.99, "C"}, {70, "C"}, {69.9, "D"}, {60, "D"}, {59.99, "F"}, {0, "F"},
	}
	for _, tt := range tests {
		if g := Grade(tt.total); g != tt.grade {
			t.Errorf("Grade(%v) = %s, want %s", tt.total, g, tt.grade)
		}
	}
	// The printed points are the total rounded down: 89.99 prints 89 with B.
	sc := score(allSections([]Verdict{Pass}, []Verdict{Pass}, []Verdict{Pass}, []Verdict{Pass}, []Verdict{Pass}, []Verdict{Pass, Pass, Warn}))
	// 85 + 15·(250/3)/100 = 97.5
	if *sc.Points != 97 || sc.Grade != "A" {
		t.Errorf("points %d grade %s, want 97 A", *sc.Points, sc.Grade)
	}
}

func TestBands(t *testing.T) {
	hr := []struct {
		r float64
		v Verdict
	}{{0.8, Pass}, {1.0, Pass}, {1.2, Pass}, {1.2001, Warn}, {3, Warn}, {0.7999, Warn}, {0.5, Warn}, {0.4999, Fail}, {0, Fail}}
	for _, tt := range hr {
		if v := HitRatioVerdict(tt.r); v != tt.v {
			t.Errorf("HitRatioVerdict(%v) = %s, want %s", tt.r, v, tt.v)
		}
	}
	te := map[int]Verdict{6: Pass, 5: Warn, 3: Warn, 2: Fail, 0: Fail}
	for n, want := range te {
		if v := TestEventsVerdict(n); v != want {
			t.Errorf("TestEventsVerdict(%d) = %s, want %s", n, v, want)
		}
	}
}

// Section checks over summaries built to sit on each band edge.
func TestSectionChecks(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	find := func(sc Score, id string) Check {
		for _, s := range sc.Sections {
			for _, c := range s.Checks {
				if c.ID == id {
					return c
				}
			}
		}
		t.Fatalf("no check %s", id)
		return Check{}
	}
	meta := func(c Counts, events ...EventTotals) Summary {
		return Summary{AuditRecords: 1, Total: c, Destinations: []DestinationTotals{{Destination: "meta", Counts: c}}, Events: events}
	}
	tests := []struct {
		name string
		s    Summary
		inv  *Inventory
		id   string
		want Verdict
	}{
		{"emq 8.0 pass", meta(Counts{}, EventTotals{"meta", "Purchase", Counts{ServerEvents: 1, EMQEstimateAvg: f(8.0)}}), nil, "capi.emq_purchase", Pass},
		{"emq 7.9 warn", meta(Counts{}, EventTotals{"meta", "Purchase", Counts{ServerEvents: 1, EMQEstimateAvg: f(7.9)}}), nil, "capi.emq_purchase", Warn},
		{"emq 6.0 warn", meta(Counts{}, EventTotals{"meta", "Purchase", Counts{ServerEvents: 1, EMQEstimateAvg: f(6.0)}}), nil, "capi.emq_purchase", Warn},
		{"emq 5.99 fail", meta(Counts{}, EventTotals{"meta", "Purchase", Counts{ServerEvents: 1, EMQEstimateAvg: f(5.99)}}), nil, "capi.emq_purchase", Fail},
		{"emq none", meta(Counts{}), nil, "capi.emq_purchase", NotMeasured},
		{"emq no estimator", meta(Counts{}, EventTotals{"meta", "Purchase", Counts{ServerEvents: 1, EMQEstimateAvg: f(0), MatchKeysAvg: f(7)}}), nil, "capi.emq_purchase", NotMeasured},
		{"emq 0 without keys", meta(Counts{}, EventTotals{"meta", "Purchase", Counts{ServerEvents: 1, EMQEstimateAvg: f(0), MatchKeysAvg: f(0)}}), nil, "capi.emq_purchase", Fail},
		{"keys 6 pass", meta(Counts{MatchKeysAvg: f(6)}), nil, "capi.completeness", Pass},
		{"keys 5 warn", meta(Counts{MatchKeysAvg: f(5)}), nil, "capi.completeness", Warn},
		{"keys 4 warn", meta(Counts{MatchKeysAvg: f(4)}), nil, "capi.completeness", Warn},
		{"keys 3.9 fail", meta(Counts{MatchKeysAvg: f(3.9)}), nil, "capi.completeness", Fail},
		{"dedup 90 pass", meta(Counts{DedupRate: f(0.9)}), nil, "dedup.rate", Pass},
		{"dedup 89 warn", meta(Counts{DedupRate: f(0.89)}), nil, "dedup.rate", Warn},
		{"dedup 70 warn", meta(Counts{DedupRate: f(0.7)}), nil, "dedup.rate", Warn},
		{"dedup 69 fail", meta(Counts{DedupRate: f(0.69)}), nil, "dedup.rate", Fail},
		{"dedup none", meta(Counts{}), nil, "dedup.rate", NotMeasured},
		{"hit ratio 130", meta(Counts{}, EventTotals{"meta", "Lead", Counts{ClientEvents: 10, ServerEvents: 13, HitRatio: f(1.3)}}), nil, "hit_ratio.meta.Lead", Warn},
		{"hit ratio no browser", meta(Counts{}, EventTotals{"meta", "Lead", Counts{ServerEvents: 13}}), nil, "hit_ratio.meta.Lead", Warn},
		{"hit ratio absent", meta(Counts{}), nil, "hit_ratio.meta.Lead", NotMeasured},
		{"no inventory", meta(Counts{}), nil, "sgtm.custom_domain", NotMeasured},
		{"custom domain", meta(Counts{}), &Inventory{CustomDomain: boolPtr(true)}, "sgtm.custom_domain", Pass},
		{"no custom domain", meta(Counts{}), &Inventory{CustomDomain: boolPtr(false)}, "sgtm.custom_domain", Fail},
		{"app engine", meta(Counts{}), &Inventory{SGTMHosting: "app_engine"}, "sgtm.hosting", Warn},
		{"capi none", Summary{}, &Inventory{CAPIMethod: "none"}, "capi.present", Fail},
		{"capi pixel only", meta(Counts{ClientEvents: 5}), nil, "capi.present", Fail},
		{"plaintext", meta(Counts{ClientEvents: 1000, FindingsByCode: map[string]int64{"HASH_PLAINTEXT": 1}}), nil, "hash.plaintext", Fail},
		{"double 1%", meta(Counts{ClientEvents: 1000, FindingsByCode: map[string]int64{"HASH_DOUBLE": 10}}), nil, "hash.double", Warn},
		{"double >1%", meta(Counts{ClientEvents: 1000, FindingsByCode: map[string]int64{"HASH_DOUBLE": 11}}), nil, "hash.double", Fail},
		{"consent mismatch", meta(Counts{ClientEvents: 10, FindingsByCode: map[string]int64{"CONSENT_MISMATCH": 1}}), nil, "hash.consent", Warn},
		{"hash no events", meta(Counts{}), nil, "hash.quality", NotMeasured},
		{"test events none", Summary{}, nil, "test_events.validated", NotMeasured},
		{"test events 0", meta(Counts{}), nil, "test_events.validated", Fail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := find(Evaluate(tt.s, tt.inv), tt.id)
			if c.Verdict != tt.want {
				t.Errorf("%s = %s (%s), want %s", tt.id, c.Verdict, c.Figure, tt.want)
			}
			if (c.Verdict == NotMeasured) != (c.Value == nil) && c.ID != "hit_ratio.meta.Lead" {
				t.Errorf("value %v with verdict %s", c.Value, c.Verdict)
			}
		})
	}
}
