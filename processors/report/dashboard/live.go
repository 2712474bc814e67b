package dashboard

import (
	"cmp"
	"hash/fnv"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/sstaudit/sstaudit/processors/report"
	"github.com/sstaudit/sstaudit/schemas"
)

// Memory bounds of a Live, besides its report.Aggregator's (doc.go).
const (
	maxSeries    = 64      // (destination, event_name) hit-ratio series charted
	maxPoints    = 120     // windows per series; the oldest are forgotten
	maxRecentIDs = 1 << 16 // audit_ids remembered to skip redelivered skews
)

// skewBounds are the upper bounds (ms, exclusive) of the skew histogram's
// buckets over |skew_ms|; the last bucket is open.
var skewBounds = []int64{
	1_000, 5_000, 30_000, 60_000, 5 * 60_000, 15 * 60_000, 60 * 60_000,
}

var skewLabels = []string{"< 1 s", "1–5 s", "5–30 s", "30 s–1 m", "1–5 m", "5–15 m", "15 m–1 h", "≥ 1 h"}

// Live is what the dashboard draws from: a report.Aggregator fed live by the
// pipeline's outputs, plus the two things a one-off report does not need — a
// bounded time series of each (destination, event_name)'s windows, for the
// hit ratio over time, and a histogram of matched pairs' skew_ms.
//
// Outputs are at-least-once, so Live, like the Aggregator, ignores a window
// (destination, event_name, window_start, partition) or an audit_id it has
// already folded in. It is safe for concurrent use: the pipeline's tasks call
// Add and AddMetrics from their goroutines while handlers take snapshots.
// One mutex covers the Aggregator and the rest, so a snapshot is consistent.
type Live struct {
	agg *report.Aggregator

	mu     sync.Mutex
	series map[seriesKey]*series
	// skew counts matched pairs per skewBounds bucket; skewBefore those
	// whose server event time precedes the browser's.
	skew       []int64
	skewBefore int64
	recentSet  map[uint64]struct{}
	recentRing []uint64
	recentNext int
}

type seriesKey struct{ dest, name string }

type winKey struct {
	start     int64
	partition int32
}

// series is one (destination, event_name)'s windows, summed over
// partitions and sorted by start. When it holds maxPoints windows it drops
// the oldest and raises floor: a window at or below floor is ignored.
type series struct {
	points []point
	seen   map[winKey]struct{}
	floor  int64
}

type point struct {
	start, end     int64 // ms
	client, server int64
}

// NewLive returns an empty Live folding into a new report.Aggregator made
// with opts.
func NewLive(opts ...report.Option) *Live {
	return &Live{
		agg:       report.NewAggregator(opts...),
		series:    map[seriesKey]*series{},
		skew:      make([]int64, len(skewLabels)),
		recentSet: map[uint64]struct{}{},
	}
}

// Add folds one audit record in; nil is ignored.
func (l *Live) Add(r *schemas.AuditRecord) {
	if r == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.agg.Add(r)
	if r.SkewMs == nil || !l.remember(r.AuditID) {
		return
	}
	v := *r.SkewMs
	if v < 0 {
		l.skewBefore++
		v = -v
	}
	i, _ := slices.BinarySearch(skewBounds, v+1)
	l.skew[i]++
}

// AddMetrics folds one window in; nil is ignored.
func (l *Live) AddMetrics(m *schemas.WindowMetrics) {
	if m == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.agg.AddMetrics(m)
	k := seriesKey{m.Destination, m.EventName}
	s := l.series[k]
	if s == nil {
		if len(l.series) >= maxSeries {
			return
		}
		s = &series{seen: map[winKey]struct{}{}, floor: -1 << 62}
		l.series[k] = s
	}
	wk := winKey{m.WindowStart, m.Partition}
	if m.WindowStart <= s.floor {
		return
	}
	if _, dup := s.seen[wk]; dup {
		return
	}
	s.seen[wk] = struct{}{}
	i, found := slices.BinarySearchFunc(s.points, m.WindowStart, func(p point, t int64) int { return cmp.Compare(p.start, t) })
	if !found {
		s.points = slices.Insert(s.points, i, point{start: m.WindowStart, end: m.WindowEnd})
	}
	p := &s.points[i]
	p.client += m.ClientEvents
	p.server += m.ServerEvents
	p.end = max(p.end, m.WindowEnd)
	if len(s.points) > maxPoints {
		s.floor = s.points[0].start
		s.points = slices.Delete(s.points, 0, 1)
		maps.DeleteFunc(s.seen, func(w winKey, _ struct{}) bool { return w.start <= s.floor })
	}
}

// remember adds id to the recent set and reports whether it was new.
func (l *Live) remember(id string) bool {
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	k := h.Sum64()
	if _, ok := l.recentSet[k]; ok {
		return false
	}
	if len(l.recentRing) < maxRecentIDs {
		l.recentRing = append(l.recentRing, k)
	} else {
		delete(l.recentSet, l.recentRing[l.recentNext])
		l.recentRing[l.recentNext] = k
		l.recentNext = (l.recentNext + 1) % maxRecentIDs
	}
	l.recentSet[k] = struct{}{}
	return true
}

// Summary returns the aggregator's Summary (report.Aggregator.Summary).
func (l *Live) Summary() report.Summary {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.agg.Summary()
}

// Snapshot is a copy of what a Live holds, sharing no memory with it.
type Snapshot struct {
	Summary report.Summary `json:"-"`
	Series  []Series       `json:"hit_ratio_series"`
	Skew    Skew           `json:"skew"`
}

// Series is one (destination, event_name)'s windows, oldest first.
type Series struct {
	Destination string   `json:"destination"`
	EventName   string   `json:"event_name"`
	Windows     []Window `json:"windows"`
}

// Window is one metrics window of a series, summed over partitions.
type Window struct {
	Start        time.Time `json:"window_start"`
	End          time.Time `json:"window_end"`
	ClientEvents int64     `json:"client_events"`
	ServerEvents int64     `json:"server_events"`
	// HitRatio is server_events / client_events (SPEC §7); nil without
	// client events.
	HitRatio *float64 `json:"hit_ratio"`
}

// Skew is the histogram of matched pairs' |skew_ms|, and the metrics'
// percentiles (report.Counts: p50 and p95 approximate over windows).
type Skew struct {
	Buckets []SkewBucket `json:"buckets"`
	// ServerFirst counts pairs whose server event time precedes the
	// browser's (negative skew_ms); they sit in the buckets by |skew|.
	ServerFirst int64  `json:"server_first"`
	P50Ms       *int64 `json:"p50_ms"`
	P95Ms       *int64 `json:"p95_ms"`
	MaxMs       *int64 `json:"max_ms"`
}

// SkewBucket is one bar of the skew histogram: pairs with lo ≤ |skew_ms| <
// hi (hi nil: open).
type SkewBucket struct {
	Label string `json:"label"`
	LoMs  int64  `json:"lo_ms"`
	HiMs  *int64 `json:"hi_ms"`
	Pairs int64  `json:"pairs"`
}

// Snapshot returns the aggregator's Summary, the series and the skew
// histogram, all as of the same moment: every output is in all three or in
// none.
func (l *Live) Snapshot() Snapshot {
	l.mu.Lock()
	defer l.mu.Unlock()
	snap := Snapshot{Summary: l.agg.Summary()}
	keys := slices.SortedFunc(maps.Keys(l.series), func(x, y seriesKey) int {
		return cmp.Or(cmp.Compare(x.dest, y.dest), cmp.Compare(x.name, y.name))
	})
	snap.Series = make([]Series, 0, len(keys))
	for _, k := range keys {
		s := Series{Destination: k.dest, EventName: k.name, Windows: make([]Window, 0, len(l.series[k].points))}
		for _, p := range l.series[k].points {
			w := Window{Start: time.UnixMilli(p.start).UTC(), End: time.UnixMilli(p.end).UTC(), ClientEvents: p.client, ServerEvents: p.server}
			if p.client > 0 {
				v := float64(p.server) / float64(p.client)
				w.HitRatio = &v
			}
			s.Windows = append(s.Windows, w)
		}
		snap.Series = append(snap.Series, s)
	}
	var lo int64
	for i, label := range skewLabels {
		b := SkewBucket{Label: label, LoMs: lo, Pairs: l.skew[i]}
		if i < len(skewBounds) {
			hi := skewBounds[i]
			b.HiMs, lo = &hi, hi
		}
		snap.Skew.Buckets = append(snap.Skew.Buckets, b)
	}
	snap.Skew.ServerFirst = l.skewBefore
	t := snap.Summary.Total
	snap.Skew.P50Ms, snap.Skew.P95Ms, snap.Skew.MaxMs = t.SkewMsP50, t.SkewMsP95, t.SkewMsMax
	return snap
}
