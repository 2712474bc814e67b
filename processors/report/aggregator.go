package report

import (
	"hash/fnv"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/schemas"
)

// Memory bounds of an Aggregator. Each is documented in doc.go.
const (
	defaultRecentAuditIDs = 1 << 18 // audit_ids remembered for deduplication
	maxWindowsPerSeries   = 4096    // window starts remembered per (destination, event_name, partition)
	maxSeries             = 2000    // (destination, event_name) pairs kept apart; the rest fold into "(other)"
	maxWindowSeries       = 16384   // (destination, event_name, partition) with a window set
	maxCodes              = 256     // distinct finding codes
	maxLeakPaths          = 256     // distinct (entity, side, path) of PII leaks
	maxExamples           = 5       // example event_ids per finding code
	maxHistogramKeys      = 64      // match-key counts 0..63
	maxBlockers           = 32      // distinct reasons a test event did not validate
	otherName             = "(other)"
)

// Option configures an Aggregator.
type Option func(*Aggregator)

// WithRecentAuditIDs bounds how many audit_ids the Aggregator remembers to
// drop redelivered audit records, overriding the default of 262,144. A
// redelivery older than that many distinct records is counted again.
func WithRecentAuditIDs(n int) Option {
	return func(a *Aggregator) {
		if n > 0 {
			a.recentCap = n
		}
	}
}

// Aggregator folds audit records and window metrics into a Summary. Outputs
// are at-least-once, so it drops window metrics it has already seen (same
// destination, event_name, window_start, partition) and audit records whose
// audit_id it has seen. Every map it keeps is keyed by a bounded set (see
// doc.go), so a long-lived Aggregator fed live stays bounded in memory.
//
// It is safe for concurrent use: Add and AddMetrics may be called from
// several goroutines while another takes Summary snapshots.
type Aggregator struct {
	mu sync.Mutex

	recentCap  int
	recentSet  map[uint64]struct{}
	recentRing []uint64
	recentNext int

	windows map[partSeries]*windowSet
	series  map[seriesKey]*seriesAgg

	records, dupRecords                int64
	metricsIn, dupMetrics, lateMetrics int64
	firstWindow, lastWindow            int64 // ms; 0 when none
	firstRecord, lastRecord            int64 // ms of record time; 0 when none
	codes                              map[string]*codeAgg
	leaks                              map[leakKey]int64
	dest                               map[string]*destAgg
	tests                              map[testKey]*testAgg
}

type seriesKey struct{ dest, name string }

type partSeries struct {
	seriesKey
	partition int32
}

// windowSet remembers the window starts seen for one partition series. When
// full it forgets the oldest half and raises floor: a window at or below
// floor counts as already seen (late).
type windowSet struct {
	floor int64
	seen  map[int64]struct{}
}

type seriesAgg struct {
	clientEvents, serverEvents, matched, clientOnly, serverOnly int64
	duplicates, unjoinable, aligned                             int64
	idMissingClient, idMissingServer                            int64
	sev                                                         schemas.SeverityCounts
	codes                                                       map[string]int64
	piiLeaks, hashFindings                                      int64
	hist                                                        map[int]int64
	emqWeighted                                                 float64
	emqWeight                                                   int64
	skewP50Sum, skewP95Sum                                      float64
	skewWeight                                                  int64
	skewMax                                                     *int64
}

type codeAgg struct {
	severity string
	records  int64    // occurrences in (deduplicated) audit records
	examples []string // smallest event_ids, sorted, at most maxExamples
}

type leakKey struct{ entity, side, path string }

type destAgg struct {
	serverRecords  int64
	keys           map[string]int64
	ipAndUA        int64
	actionSourceOK int64
}

type testKey struct{ dest, name string }

type testAgg struct {
	seen, matched, validated int64
	firstAt                  int64 // ms
	example                  string
	blockers                 map[string]int64
}

// NewAggregator returns an empty Aggregator.
func NewAggregator(opts ...Option) *Aggregator {
	a := &Aggregator{
		recentCap: defaultRecentAuditIDs,
		windows:   map[partSeries]*windowSet{},
		series:    map[seriesKey]*seriesAgg{},
		codes:     map[string]*codeAgg{},
		leaks:     map[leakKey]int64{},
		dest:      map[string]*destAgg{},
		tests:     map[testKey]*testAgg{},
	}
	for _, o := range opts {
		o(a)
	}
	a.recentSet = make(map[uint64]struct{}, min(a.recentCap, 1024))
	return a
}

// AddMetrics folds one WindowMetrics in, unless it was seen before.
func (a *Aggregator) AddMetrics(m *schemas.WindowMetrics) {
	if m == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.metricsIn++
	sk := a.seriesKeyFor(m.Destination, m.EventName)
	ps := partSeries{seriesKey{m.Destination, m.EventName}, m.Partition}
	ws := a.windows[ps]
	if ws == nil && len(a.windows) < maxWindowSeries {
		ws = &windowSet{floor: -1 << 62, seen: map[int64]struct{}{}}
		a.windows[ps] = ws
	}
	// Beyond maxWindowSeries partition series, windows of new ones are
	// counted without deduplication (doc.go).
	if ws != nil {
		if m.WindowStart <= ws.floor {
			a.lateMetrics++
			return
		}
		if _, dup := ws.seen[m.WindowStart]; dup {
			a.dupMetrics++
			return
		}
		ws.add(m.WindowStart)
	}
	if a.firstWindow == 0 || m.WindowStart < a.firstWindow {
		a.firstWindow = m.WindowStart
	}
	if m.WindowEnd > a.lastWindow {
		a.lastWindow = m.WindowEnd
	}

	s := a.series[sk]
	if s == nil {
		s = &seriesAgg{codes: map[string]int64{}, hist: map[int]int64{}}
		a.series[sk] = s
	}
	s.clientEvents += m.ClientEvents
	s.serverEvents += m.ServerEvents
	s.matched += m.Matched
	s.clientOnly += m.ClientOnly
	s.serverOnly += m.ServerOnly
	s.duplicates += m.Duplicates
	s.unjoinable += m.Unjoinable
	s.aligned += m.Aligned
	s.idMissingClient += m.EventIDMissingClient
	s.idMissingServer += m.EventIDMissingServer
	s.sev.Info += m.FindingsBySeverity.Info
	s.sev.Warn += m.FindingsBySeverity.Warn
	s.sev.Fail += m.FindingsBySeverity.Fail
	s.sev.Critical += m.FindingsBySeverity.Critical
	for code, n := range m.FindingsByCode {
		if _, ok := s.codes[code]; !ok && len(s.codes) >= maxCodes {
			code = otherName
		}
		s.codes[code] += n
	}
	s.piiLeaks += m.PIILeaks
	s.hashFindings += m.HashFindings
	for k, n := range m.MatchKeysHistogram {
		c, err := strconv.Atoi(k)
		if err != nil || c < 0 {
			continue
		}
		s.hist[min(c, maxHistogramKeys-1)] += n
	}
	if m.EMQEstimateAvg != nil && m.ServerEvents > 0 {
		s.emqWeighted += *m.EMQEstimateAvg * float64(m.ServerEvents)
		s.emqWeight += m.ServerEvents
	}
	if m.Matched > 0 && m.SkewMsP50 != nil && m.SkewMsP95 != nil {
		s.skewP50Sum += float64(*m.SkewMsP50) * float64(m.Matched)
		s.skewP95Sum += float64(*m.SkewMsP95) * float64(m.Matched)
		s.skewWeight += m.Matched
	}
	if m.SkewMsMax != nil && (s.skewMax == nil || abs64(*m.SkewMsMax) > abs64(*s.skewMax)) {
		v := *m.SkewMsMax
		s.skewMax = &v
	}
}

func (w *windowSet) add(start int64) {
	if len(w.seen) >= maxWindowsPerSeries {
		starts := make([]int64, 0, len(w.seen))
		for s := range w.seen {
			starts = append(starts, s)
		}
		slices.Sort(starts)
		for _, s := range starts[:len(starts)/2] {
			delete(w.seen, s)
		}
		w.floor = starts[len(starts)/2-1]
	}
	w.seen[start] = struct{}{}
}

// seriesKeyFor returns the key a series is kept under: itself, or
// (destination, "(other)") once maxSeries series exist.
func (a *Aggregator) seriesKeyFor(dest, name string) seriesKey {
	k := seriesKey{dest, name}
	if _, ok := a.series[k]; ok || len(a.series) < maxSeries {
		return k
	}
	return seriesKey{dest, otherName}
}

// Add folds one AuditRecord in, unless its audit_id was seen recently.
func (a *Aggregator) Add(r *schemas.AuditRecord) {
	if r == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.remember(r.AuditID) {
		a.dupRecords++
		return
	}
	a.records++
	at := recordTime(r)
	if at > 0 && (a.firstRecord == 0 || at < a.firstRecord) {
		a.firstRecord = at
	}
	if at > a.lastRecord {
		a.lastRecord = at
	}

	eventID := ""
	if r.EventID != nil {
		eventID = *r.EventID
	}
	blocking := ""
	for i := range r.Findings {
		f := &r.Findings[i]
		a.addCode(f, eventID)
		if f.Code == "PII_LEAK" {
			entity := "unknown"
			if f.Entity != nil {
				entity = *f.Entity
			}
			k := leakKey{entity, f.Side, normalisePath(f.Path)}
			if _, ok := a.leaks[k]; !ok && len(a.leaks) >= maxLeakPaths {
				k = leakKey{entity, f.Side, otherName}
			}
			a.leaks[k]++
		}
		if (f.Severity == "fail" || f.Severity == "critical") && (blocking == "" || f.Code < blocking) {
			blocking = f.Code
		}
	}

	if r.Server != nil && r.MatchKeys != nil {
		a.addServerKeys(r)
	}

	if r.Outcome == string(schemas.OutcomeDuplicate) {
		return
	}
	slot := slotOf(r.Destination, r.EventName)
	if slot < 0 {
		return
	}
	tk := testKey{r.Destination, r.EventName}
	t := a.tests[tk]
	if t == nil {
		t = &testAgg{blockers: map[string]int64{}}
		a.tests[tk] = t
	}
	t.seen++
	reason := ""
	switch {
	case r.Outcome != string(schemas.OutcomeMatched):
		reason = "outcome " + r.Outcome
	case r.EventID == nil || *r.EventID == "":
		reason = "no event_id"
	case r.ClientEventName == nil || r.ServerEventName == nil || *r.ClientEventName != *r.ServerEventName:
		reason = "event_name differs"
	case blocking != "":
		reason = blocking
	}
	if r.Outcome == string(schemas.OutcomeMatched) {
		t.matched++
	}
	if reason != "" {
		if _, ok := t.blockers[reason]; ok || len(t.blockers) < maxBlockers {
			t.blockers[reason]++
		}
		return
	}
	t.validated++
	if t.firstAt == 0 || at < t.firstAt || (at == t.firstAt && eventID < t.example) {
		t.firstAt, t.example = at, eventID
	}
}

// addServerKeys counts the server side's match keys and action_source.
func (a *Aggregator) addServerKeys(r *schemas.AuditRecord) {
	d := a.dest[r.Destination]
	if d == nil {
		if len(a.dest) >= maxSeries {
			return
		}
		d = &destAgg{keys: map[string]int64{}}
		a.dest[r.Destination] = d
	}
	d.serverRecords++
	var ip, ua bool
	for _, k := range r.MatchKeys.Present {
		if !slices.Contains(processors.MatchKeyNames, k) {
			continue
		}
		d.keys[k]++
		ip = ip || k == "client_ip_address"
		ua = ua || k == "client_user_agent"
	}
	if ip && ua {
		d.ipAndUA++
	}
	if r.Server.ActionSource != nil && !hasFinding(r.Findings, "EVENT_ACTION_SOURCE", "server") {
		d.actionSourceOK++
	}
}

func (a *Aggregator) addCode(f *schemas.FindingRecord, eventID string) {
	c := a.codes[f.Code]
	if c == nil {
		if len(a.codes) >= maxCodes {
			return
		}
		c = &codeAgg{}
		a.codes[f.Code] = c
	}
	c.records++
	if severityRank(f.Severity) > severityRank(c.severity) {
		c.severity = f.Severity
	}
	if eventID == "" {
		return
	}
	i, found := slices.BinarySearch(c.examples, eventID)
	if found || i >= maxExamples {
		return
	}
	c.examples = slices.Insert(c.examples, i, eventID)
	if len(c.examples) > maxExamples {
		c.examples = c.examples[:maxExamples]
	}
}

// remember adds id to the recent set and reports whether it was new.
func (a *Aggregator) remember(id string) bool {
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	k := h.Sum64()
	if _, ok := a.recentSet[k]; ok {
		return false
	}
	if len(a.recentRing) < a.recentCap {
		a.recentRing = append(a.recentRing, k)
	} else {
		delete(a.recentSet, a.recentRing[a.recentNext])
		a.recentRing[a.recentNext] = k
		a.recentNext = (a.recentNext + 1) % a.recentCap
	}
	a.recentSet[k] = struct{}{}
	return true
}

// recordTime is when the group's last side reached Kafka (ms): the moment a
// matched pair became complete.
func recordTime(r *schemas.AuditRecord) int64 {
	var t int64
	if r.Client != nil {
		t = r.Client.RecordTime
	}
	if r.Server != nil && r.Server.RecordTime > t {
		t = r.Server.RecordTime
	}
	return t
}

func hasFinding(fs []schemas.FindingRecord, code, side string) bool {
	for i := range fs {
		if fs[i].Code == code && fs[i].Side == side {
			return true
		}
	}
	return false
}

var indexRE = regexp.MustCompile(`\[\d+\]`)

// normalisePath replaces array indices by [*], so data[0].user_data.em[0] and
// data[3].user_data.em[1] are one row (and the set of paths stays small).
func normalisePath(p string) string { return indexRE.ReplaceAllString(p, "[*]") }

func severityRank(s string) int {
	switch s {
	case "info":
		return 1
	case "warn":
		return 2
	case "fail":
		return 3
	case "critical":
		return 4
	}
	return 0
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
