package report

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/schemas"
)

// Counts are the totals of a set of window metrics, with the SPEC §7 rates.
// A rate is nil when its denominator is zero.
type Counts struct {
	ClientEvents         int64                  `json:"client_events"`
	ServerEvents         int64                  `json:"server_events"`
	Matched              int64                  `json:"matched"`
	ClientOnly           int64                  `json:"client_only"`
	ServerOnly           int64                  `json:"server_only"`
	Duplicates           int64                  `json:"duplicates"`
	Unjoinable           int64                  `json:"unjoinable"`
	Aligned              int64                  `json:"aligned"`
	EventIDMissingClient int64                  `json:"event_id_missing_client"`
	EventIDMissingServer int64                  `json:"event_id_missing_server"`
	FindingsBySeverity   schemas.SeverityCounts `json:"findings_by_severity"`
	FindingsByCode       map[string]int64       `json:"findings_by_code"`
	PIILeaks             int64                  `json:"pii_leaks"`
	HashFindings         int64                  `json:"hash_findings"`
	MatchKeysHistogram   map[string]int64       `json:"match_keys_histogram"`
	// EMQEstimateAvg is the windows' emq_estimate_avg weighted by their
	// server events.
	EMQEstimateAvg *float64 `json:"emq_estimate_avg"`
	// SkewMsP50 and SkewMsP95 are the windows' percentiles averaged with
	// their matched counts as weights: percentiles do not merge exactly, so
	// these approximate. SkewMsMax is exact (largest |skew|, signed).
	SkewMsP50 *int64 `json:"skew_ms_p50"`
	SkewMsP95 *int64 `json:"skew_ms_p95"`
	SkewMsMax *int64 `json:"skew_ms_max"`
	// MatchKeysAvg is the mean number of match keys per server event with a
	// match-key summary, from the histogram.
	MatchKeysAvg *float64 `json:"match_keys_avg"`

	HitRatio              *float64 `json:"hit_ratio"`                // server_events / client_events
	DedupRate             *float64 `json:"dedup_rate"`               // matched / server_events
	AlignmentRate         *float64 `json:"alignment_rate"`           // aligned / matched
	EventIDCoverageClient *float64 `json:"event_id_coverage_client"` // 1 − event_id_missing_client / client_events
	EventIDCoverageServer *float64 `json:"event_id_coverage_server"`
}

// EventTotals are the Counts of one (destination, event_name).
type EventTotals struct {
	Destination string `json:"destination"`
	EventName   string `json:"event_name"`
	Counts
}

// DestinationTotals are the Counts of one destination.
type DestinationTotals struct {
	Destination string `json:"destination"`
	Counts
}

// FindingSummary is one finding code: how often it occurred and up to five
// example event_ids (the smallest, so the choice does not depend on read
// order). Never a value.
type FindingSummary struct {
	Code     string `json:"code"`
	Severity string `json:"severity"` // highest seen in audit records; "" when only metrics had it
	// Count is the metrics' count when any window metrics were read, else the
	// audit records' count.
	Count       int64    `json:"count"`
	RecordCount int64    `json:"record_count"` // occurrences in the audit records read
	ExampleIDs  []string `json:"example_event_ids"`
}

// PIILeak counts PII_LEAK findings of one entity, side and path (array
// indices replaced by [*]).
type PIILeak struct {
	Entity string `json:"entity"`
	Side   string `json:"side"`
	Path   string `json:"path"`
	Count  int64  `json:"count"`
}

// Reason is why a test event did not validate, with how often.
type Reason struct {
	Reason string `json:"reason"`
	Count  int64  `json:"count"`
}

// TestEventSide is one destination's view of a test event.
type TestEventSide struct {
	Destination      string     `json:"destination"`
	EventName        string     `json:"event_name"`
	Seen             int64      `json:"seen"` // audit records of this name (duplicates excluded)
	Matched          int64      `json:"matched"`
	Validated        int64      `json:"validated"`
	FirstValidatedAt *time.Time `json:"first_validated_at"`
	ExampleEventID   string     `json:"example_event_id,omitempty"`
	Blockers         []Reason   `json:"blockers"`
}

// TestEvent is one of the six SPEC §8 test events.
type TestEvent struct {
	Name             string          `json:"name"`     // Meta's name
	GA4Name          string          `json:"ga4_name"` // its GA4 equivalent
	Validated        bool            `json:"validated"`
	FirstValidatedAt *time.Time      `json:"first_validated_at"`
	ExampleEventID   string          `json:"example_event_id,omitempty"`
	Sides            []TestEventSide `json:"destinations"`
}

// KeyCoverage is one match key's coverage over a destination's server
// events.
type KeyCoverage struct {
	Key      string  `json:"key"`
	Present  int64   `json:"present"`
	Missing  int64   `json:"missing"`
	Coverage float64 `json:"coverage"`
	// Priority is the third-party ranking of REFERENCE §2.8 for Meta (1 =
	// em/ph … 4 = the rest); 0 for other destinations. Meta publishes no
	// weights.
	Priority int `json:"priority"`
}

// Roadmap is the EMQ improvement roadmap of one destination, in the order to
// work on it: priority, then most events lacking the key.
type Roadmap struct {
	Destination  string        `json:"destination"`
	ServerEvents int64         `json:"server_events"` // server events with a match-key summary
	IPAndUA      int64         `json:"ip_and_ua"`     // of which carry both client_ip_address and client_user_agent
	ActionSource int64         `json:"action_source_ok"`
	Keys         []KeyCoverage `json:"keys"`
}

// Summary is a snapshot of an Aggregator. It shares no memory with it.
type Summary struct {
	AuditRecords           int64 `json:"audit_records"`
	DuplicateAuditRecords  int64 `json:"duplicate_audit_records"`
	WindowMetrics          int64 `json:"window_metrics"`
	DuplicateWindowMetrics int64 `json:"duplicate_window_metrics"`
	LateWindowMetrics      int64 `json:"late_window_metrics"`

	FirstWindow *time.Time `json:"first_window"`
	LastWindow  *time.Time `json:"last_window"`
	FirstRecord *time.Time `json:"first_record"`
	LastRecord  *time.Time `json:"last_record"`

	Total        Counts              `json:"total"`
	Destinations []DestinationTotals `json:"destinations"`
	Events       []EventTotals       `json:"events"`
	Findings     []FindingSummary    `json:"findings"`
	PIILeaks     []PIILeak           `json:"pii_leaks"`
	TestEvents   []TestEvent         `json:"test_events"`
	Roadmaps     []Roadmap           `json:"emq_roadmap"`
}

// Destination returns the totals of destination d, or nil.
func (s *Summary) Destination(d string) *Counts {
	for i := range s.Destinations {
		if s.Destinations[i].Destination == d {
			return &s.Destinations[i].Counts
		}
	}
	return nil
}

// Event returns the totals of (destination, event_name), or nil.
func (s *Summary) Event(d, name string) *Counts {
	for i := range s.Events {
		if s.Events[i].Destination == d && s.Events[i].EventName == name {
			return &s.Events[i].Counts
		}
	}
	return nil
}

// Roadmap returns destination d's roadmap, or nil.
func (s *Summary) Roadmap(d string) *Roadmap {
	for i := range s.Roadmaps {
		if s.Roadmaps[i].Destination == d {
			return &s.Roadmaps[i]
		}
	}
	return nil
}

// Summary returns a snapshot of everything added so far: a deep copy, sorted,
// safe to keep and render while the Aggregator goes on.
func (a *Aggregator) Summary() Summary {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := Summary{
		AuditRecords:           a.records,
		DuplicateAuditRecords:  a.dupRecords,
		WindowMetrics:          a.metricsIn - a.dupMetrics - a.lateMetrics,
		DuplicateWindowMetrics: a.dupMetrics,
		LateWindowMetrics:      a.lateMetrics,
		FirstWindow:            optTime(a.firstWindow),
		LastWindow:             optTime(a.lastWindow),
		FirstRecord:            optTime(a.firstRecord),
		LastRecord:             optTime(a.lastRecord),
	}

	total := newSeriesAgg()
	dests := map[string]*seriesAgg{}
	// Merge in a fixed order: float sums (EMQ, skew) must not depend on map
	// iteration.
	keys := slices.Collect(maps.Keys(a.series))
	slices.SortFunc(keys, func(x, y seriesKey) int { return cmp.Or(cmp.Compare(x.dest, y.dest), cmp.Compare(x.name, y.name)) })
	for _, k := range keys {
		sa := a.series[k]
		s.Events = append(s.Events, EventTotals{Destination: k.dest, EventName: k.name, Counts: sa.counts()})
		total.merge(sa)
		d := dests[k.dest]
		if d == nil {
			d = newSeriesAgg()
			dests[k.dest] = d
		}
		d.merge(sa)
	}
	s.Total = total.counts()
	for d, sa := range dests {
		s.Destinations = append(s.Destinations, DestinationTotals{Destination: d, Counts: sa.counts()})
	}
	slices.SortFunc(s.Events, func(x, y EventTotals) int {
		return cmp.Or(cmp.Compare(x.Destination, y.Destination), cmp.Compare(x.EventName, y.EventName))
	})
	slices.SortFunc(s.Destinations, func(x, y DestinationTotals) int { return cmp.Compare(x.Destination, y.Destination) })

	codes := map[string]bool{}
	for c := range a.codes {
		codes[c] = true
	}
	for c := range total.codes {
		codes[c] = true
	}
	for c := range codes {
		f := FindingSummary{Code: c, ExampleIDs: []string{}}
		if ca := a.codes[c]; ca != nil {
			f.Severity = ca.severity
			f.RecordCount = ca.records
			f.ExampleIDs = slices.Clone(ca.examples)
		}
		f.Count = f.RecordCount
		if s.WindowMetrics > 0 {
			f.Count = total.codes[c]
		}
		s.Findings = append(s.Findings, f)
	}
	slices.SortFunc(s.Findings, func(x, y FindingSummary) int {
		return cmp.Or(-cmp.Compare(severityRank(x.Severity), severityRank(y.Severity)),
			-cmp.Compare(x.Count, y.Count), cmp.Compare(x.Code, y.Code))
	})

	for k, n := range a.leaks {
		s.PIILeaks = append(s.PIILeaks, PIILeak{Entity: k.entity, Side: k.side, Path: k.path, Count: n})
	}
	slices.SortFunc(s.PIILeaks, func(x, y PIILeak) int {
		return cmp.Or(-cmp.Compare(x.Count, y.Count), cmp.Compare(x.Entity, y.Entity),
			cmp.Compare(x.Side, y.Side), cmp.Compare(x.Path, y.Path))
	})

	s.TestEvents = a.testEvents()
	for d, da := range a.dest {
		s.Roadmaps = append(s.Roadmaps, da.roadmap(d))
	}
	slices.SortFunc(s.Roadmaps, func(x, y Roadmap) int { return cmp.Compare(x.Destination, y.Destination) })
	return s
}

func (a *Aggregator) testEvents() []TestEvent {
	out := make([]TestEvent, len(metaTestEvents))
	keys := slices.Collect(maps.Keys(a.tests))
	slices.SortFunc(keys, func(x, y testKey) int {
		return cmp.Or(cmp.Compare(x.dest, y.dest), cmp.Compare(x.name, y.name))
	})
	for i := range metaTestEvents {
		te := TestEvent{Name: metaTestEvents[i], GA4Name: ga4TestEvents[i], Sides: []TestEventSide{}}
		for _, k := range keys {
			if slotOf(k.dest, k.name) != i {
				continue
			}
			t := a.tests[k]
			side := TestEventSide{Destination: k.dest, EventName: k.name, Seen: t.seen, Matched: t.matched,
				Validated: t.validated, Blockers: []Reason{}}
			if t.validated > 0 {
				side.FirstValidatedAt = optTime(t.firstAt)
				side.ExampleEventID = t.example
				if !te.Validated || t.firstAt < te.FirstValidatedAt.UnixMilli() {
					te.Validated, te.FirstValidatedAt, te.ExampleEventID = true, optTime(t.firstAt), t.example
				}
			}
			for r, n := range t.blockers {
				side.Blockers = append(side.Blockers, Reason{r, n})
			}
			slices.SortFunc(side.Blockers, func(x, y Reason) int {
				return cmp.Or(-cmp.Compare(x.Count, y.Count), cmp.Compare(x.Reason, y.Reason))
			})
			te.Sides = append(te.Sides, side)
		}
		out[i] = te
	}
	return out
}

// The six test events of SPEC §8, by slot, and their GA4 equivalents.
var (
	metaTestEvents = []string{"ViewContent", "AddToCart", "InitiateCheckout", "Purchase", "Lead", "CompleteRegistration"}
	ga4TestEvents  = []string{"view_item", "add_to_cart", "begin_checkout", "purchase", "generate_lead", "sign_up"}
)

// slotOf returns the test-event slot of an event name on a destination, or
// -1. Meta takes Meta's names, ga4 the GA4 names, any other destination
// either.
func slotOf(dest, name string) int {
	if dest != "ga4" {
		if i := slices.Index(metaTestEvents, name); i >= 0 {
			return i
		}
	}
	if dest != "meta" {
		return slices.Index(ga4TestEvents, name)
	}
	return -1
}

// Meta's match keys in the order of the usual third-party ranking
// (REFERENCE §2.8): 1 em, ph; 2 fbc, fbp, external_id; 3 IP + UA; 4 the rest.
var metaKeyPriority = map[string]int{
	"em": 1, "ph": 1,
	"fbc": 2, "fbp": 2, "external_id": 2,
	"client_ip_address": 3, "client_user_agent": 3,
	"fn": 4, "ln": 4, "ct": 4, "st": 4, "zp": 4, "country": 4, "db": 4, "ge": 4,
}

// ga4Keys are the keys a GA4 server event can carry (user_data of enhanced
// conversions, and the ids).
var ga4Keys = []string{"em", "ph", "fn", "ln", "street", "ct", "st", "zp", "country", "client_id", "user_id"}

func (d *destAgg) roadmap(dest string) Roadmap {
	r := Roadmap{Destination: dest, ServerEvents: d.serverRecords, IPAndUA: d.ipAndUA, ActionSource: d.actionSourceOK, Keys: []KeyCoverage{}}
	var keys []string
	switch dest {
	case "meta":
		keys = slices.Collect(maps.Keys(metaKeyPriority))
	case "ga4":
		keys = ga4Keys
	default:
		keys = processors.MatchKeyNames
	}
	for _, k := range keys {
		n := d.keys[k]
		kc := KeyCoverage{Key: k, Present: n, Missing: d.serverRecords - n, Priority: metaPriority(dest, k)}
		if d.serverRecords > 0 {
			kc.Coverage = float64(n) / float64(d.serverRecords)
		}
		r.Keys = append(r.Keys, kc)
	}
	slices.SortFunc(r.Keys, func(x, y KeyCoverage) int {
		return cmp.Or(cmp.Compare(x.Priority, y.Priority), -cmp.Compare(x.Missing, y.Missing), cmp.Compare(x.Key, y.Key))
	})
	return r
}

func metaPriority(dest, key string) int {
	if dest != "meta" {
		return 0
	}
	return metaKeyPriority[key]
}

func newSeriesAgg() *seriesAgg {
	return &seriesAgg{codes: map[string]int64{}, hist: map[int]int64{}}
}

func (s *seriesAgg) merge(o *seriesAgg) {
	s.clientEvents += o.clientEvents
	s.serverEvents += o.serverEvents
	s.matched += o.matched
	s.clientOnly += o.clientOnly
	s.serverOnly += o.serverOnly
	s.duplicates += o.duplicates
	s.unjoinable += o.unjoinable
	s.aligned += o.aligned
	s.idMissingClient += o.idMissingClient
	s.idMissingServer += o.idMissingServer
	s.sev.Info += o.sev.Info
	s.sev.Warn += o.sev.Warn
	s.sev.Fail += o.sev.Fail
	s.sev.Critical += o.sev.Critical
	for c, n := range o.codes {
		s.codes[c] += n
	}
	s.piiLeaks += o.piiLeaks
	s.hashFindings += o.hashFindings
	for k, n := range o.hist {
		s.hist[k] += n
	}
	s.emqWeighted += o.emqWeighted
	s.emqWeight += o.emqWeight
	s.skewP50Sum += o.skewP50Sum
	s.skewP95Sum += o.skewP95Sum
	s.skewWeight += o.skewWeight
	if o.skewMax != nil && (s.skewMax == nil || abs64(*o.skewMax) > abs64(*s.skewMax)) {
		v := *o.skewMax
		s.skewMax = &v
	}
}

func (s *seriesAgg) counts() Counts {
	c := Counts{
		ClientEvents: s.clientEvents, ServerEvents: s.serverEvents, Matched: s.matched,
		ClientOnly: s.clientOnly, ServerOnly: s.serverOnly, Duplicates: s.duplicates,
		Unjoinable: s.unjoinable, Aligned: s.aligned,
		EventIDMissingClient: s.idMissingClient, EventIDMissingServer: s.idMissingServer,
		FindingsBySeverity: s.sev, FindingsByCode: maps.Clone(s.codes),
		PIILeaks: s.piiLeaks, HashFindings: s.hashFindings,
		MatchKeysHistogram: map[string]int64{},
	}
	var keys, events int64
	for k, n := range s.hist {
		c.MatchKeysHistogram[strconv.Itoa(k)] = n
		keys += int64(k) * n
		events += n
	}
	c.MatchKeysAvg = ratio(keys, events)
	if s.emqWeight > 0 {
		// Rounded to 1e-6 so the order windows were added in (float sums)
		// does not show.
		v := math.Round(s.emqWeighted/float64(s.emqWeight)*1e6) / 1e6
		c.EMQEstimateAvg = &v
	}
	if s.skewWeight > 0 {
		p50 := int64(math.Round(s.skewP50Sum / float64(s.skewWeight)))
		p95 := int64(math.Round(s.skewP95Sum / float64(s.skewWeight)))
		c.SkewMsP50, c.SkewMsP95 = &p50, &p95
	}
	if s.skewMax != nil {
		v := *s.skewMax
		c.SkewMsMax = &v
	}
	c.HitRatio = ratio(s.serverEvents, s.clientEvents)
	c.DedupRate = ratio(s.matched, s.serverEvents)
	c.AlignmentRate = ratio(s.aligned, s.matched)
	c.EventIDCoverageClient = ratio(s.clientEvents-s.idMissingClient, s.clientEvents)
	c.EventIDCoverageServer = ratio(s.serverEvents-s.idMissingServer, s.serverEvents)
	return c
}

func ratio(n, d int64) *float64 {
	if d <= 0 {
		return nil
	}
	v := float64(n) / float64(d)
	return &v
}

func optTime(ms int64) *time.Time {
	if ms == 0 {
		return nil
	}
	t := msTime(ms)
	return &t
}
