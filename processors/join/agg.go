package join

import (
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/sstaudit/sstaudit/schemas"
)

// Agg is the running aggregate of one metrics window of one (destination,
// event name); it is also the pending contribution a group keeps while its
// event name may still change (server side seen, client not yet). Every
// count is exact; only the skew quantiles are estimated (see skewBucket).
type Agg struct {
	ClientEvents, ServerEvents   int64
	Matched                      int64
	ClientOnly, ServerOnly       int64
	Duplicates, Unjoinable       int64
	Aligned                      int64
	MissingClient, MissingServer int64
	Sev                          [4]int64 // info, warn, fail, critical
	PIILeaks, HashFindings       int64
	EMQN                         int64 // server events with a match-key summary
	EMQSum                       float64
	SkewN                        int64 // matched pairs with both event times
	SkewMax                      int64 // largest |skew|, signed; valid when SkewN > 0
	Codes                        []CodeCount
	MatchKeys                    []int64 // index: number of match keys present
	Skew                         []SkewBucket
}

// CodeCount counts findings of one code.
type CodeCount struct {
	Code string
	N    int64
}

// SkewBucket counts matched pairs whose skew fell in bucket Idx.
type SkewBucket struct {
	Idx int32
	N   int64
}

func (a *Agg) empty() bool {
	return a.scalarMask() == 0 && a.EMQN == 0 && a.SkewN == 0 && len(a.Codes) == 0 && len(a.MatchKeys) == 0 && len(a.Skew) == 0
}

func (a *Agg) reset() {
	codes, mk, sk := a.Codes[:0], a.MatchKeys[:0], a.Skew[:0]
	*a = Agg{Codes: codes, MatchKeys: mk, Skew: sk}
}

// finding counts one finding.
func (a *Agg) finding(f *schemas.Finding) {
	if r := f.Severity.Rank(); r > 0 {
		a.Sev[r-1]++
	}
	if f.Code == "PII_LEAK" {
		a.PIILeaks++
	}
	if strings.HasPrefix(f.Code, "HASH_") {
		a.HashFindings++
	}
	a.addCode(f.Code, 1)
}

func (a *Agg) addCode(code string, n int64) {
	i, ok := slices.BinarySearchFunc(a.Codes, code, func(c CodeCount, s string) int { return strings.Compare(c.Code, s) })
	if ok {
		a.Codes[i].N += n
		return
	}
	a.Codes = slices.Insert(a.Codes, i, CodeCount{Code: code, N: n})
}

// matchKeys counts one server event's match-key summary.
func (a *Agg) matchKeys(mk *schemas.MatchKeys) {
	n := int(mk.Count)
	if n < 0 {
		n = 0
	}
	for len(a.MatchKeys) <= n {
		a.MatchKeys = append(a.MatchKeys, 0)
	}
	a.MatchKeys[n]++
	a.EMQN++
	a.EMQSum += mk.EMQEstimate
}

// skew counts one matched pair's skew.
func (a *Agg) skew(v int64) {
	if a.SkewN == 0 || abs64(v) > abs64(a.SkewMax) || (abs64(v) == abs64(a.SkewMax) && v > a.SkewMax) {
		a.SkewMax = v
	}
	a.SkewN++
	a.addSkew(skewBucket(v), 1)
}

func (a *Agg) addSkew(idx int32, n int64) {
	i, ok := slices.BinarySearchFunc(a.Skew, idx, func(b SkewBucket, x int32) int { return int(b.Idx) - int(x) })
	if ok {
		a.Skew[i].N += n
		return
	}
	a.Skew = slices.Insert(a.Skew, i, SkewBucket{Idx: idx, N: n})
}

// Add folds b into a.
func (a *Agg) Add(b *Agg) {
	a.ClientEvents += b.ClientEvents
	a.ServerEvents += b.ServerEvents
	a.Matched += b.Matched
	a.ClientOnly += b.ClientOnly
	a.ServerOnly += b.ServerOnly
	a.Duplicates += b.Duplicates
	a.Unjoinable += b.Unjoinable
	a.Aligned += b.Aligned
	a.MissingClient += b.MissingClient
	a.MissingServer += b.MissingServer
	for i := range a.Sev {
		a.Sev[i] += b.Sev[i]
	}
	a.PIILeaks += b.PIILeaks
	a.HashFindings += b.HashFindings
	a.EMQN += b.EMQN
	a.EMQSum += b.EMQSum
	if b.SkewN > 0 {
		if a.SkewN == 0 || abs64(b.SkewMax) > abs64(a.SkewMax) || (abs64(b.SkewMax) == abs64(a.SkewMax) && b.SkewMax > a.SkewMax) {
			a.SkewMax = b.SkewMax
		}
		a.SkewN += b.SkewN
	}
	for _, c := range b.Codes {
		a.addCode(c.Code, c.N)
	}
	for len(a.MatchKeys) < len(b.MatchKeys) {
		a.MatchKeys = append(a.MatchKeys, 0)
	}
	for i, n := range b.MatchKeys {
		a.MatchKeys[i] += n
	}
	for _, s := range b.Skew {
		a.addSkew(s.Idx, s.N)
	}
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// Skew quantiles come from a log-linear histogram: |skew| below 32 ms has a
// bucket per millisecond (exact); above, each power of two is split into 16
// buckets, so a bucket's midpoint is within 1/32 (3.2%) of every value in it.
// The histogram has at most ~1,900 buckets whatever the input, and typically a
// few dozen. The maximum is exact.
const skewExact = 32

// skewBucket maps a skew to its signed bucket index (monotone in v).
func skewBucket(v int64) int32 {
	a := uint64(v)
	if v < 0 {
		a = uint64(-v) // MinInt64 stays itself, read as 2^63: fine
	}
	var idx int32
	if a < skewExact {
		idx = int32(a)
	} else {
		e := bits.Len64(a) - 1 // ≥ 5
		m := (a >> uint(e-4)) & 15
		idx = skewExact + int32(e-5)*16 + int32(m)
	}
	if v < 0 {
		return -idx
	}
	return idx
}

// skewValue is the midpoint of bucket idx.
func skewValue(idx int32) int64 {
	a := int64(idx)
	if a < 0 {
		a = -a
	}
	var v int64
	if a < skewExact {
		v = a
	} else {
		e := int((a-skewExact)/16) + 5
		m := (a - skewExact) % 16
		lo := (16 + m) << uint(e-4)
		v = lo + (int64(1)<<uint(e-4))/2
	}
	if idx < 0 {
		return -v
	}
	return v
}

// skewQuantile returns the nearest-rank q-quantile of the histogram.
func (a *Agg) skewQuantile(q float64) int64 {
	var n int64
	for _, b := range a.Skew {
		n += b.N
	}
	rank := int64(math.Ceil(q * float64(n)))
	if rank < 1 {
		rank = 1
	}
	var seen int64
	for _, b := range a.Skew {
		seen += b.N
		if seen >= rank {
			return skewValue(b.Idx)
		}
	}
	return 0
}

// Metrics renders a as the WindowMetrics record of a window.
func (a *Agg) Metrics(dest, name string, partition int32, start, end int64, pl schemas.Pipeline) *schemas.WindowMetrics {
	m := &schemas.WindowMetrics{
		Destination:          dest,
		EventName:            name,
		Partition:            partition,
		WindowStart:          start,
		WindowEnd:            end,
		ClientEvents:         a.ClientEvents,
		ServerEvents:         a.ServerEvents,
		Matched:              a.Matched,
		ClientOnly:           a.ClientOnly,
		ServerOnly:           a.ServerOnly,
		Duplicates:           a.Duplicates,
		Unjoinable:           a.Unjoinable,
		Aligned:              a.Aligned,
		EventIDMissingClient: a.MissingClient,
		EventIDMissingServer: a.MissingServer,
		FindingsBySeverity: schemas.SeverityCounts{
			Info: a.Sev[0], Warn: a.Sev[1], Fail: a.Sev[2], Critical: a.Sev[3],
		},
		FindingsByCode:     make(map[string]int64, len(a.Codes)),
		PIILeaks:           a.PIILeaks,
		HashFindings:       a.HashFindings,
		MatchKeysHistogram: make(map[string]int64, len(a.MatchKeys)),
		Pipeline:           pl,
		SchemaVersion:      schemas.RecordSchemaVersion,
	}
	for _, c := range a.Codes {
		m.FindingsByCode[c.Code] = c.N
	}
	for i, n := range a.MatchKeys {
		if n != 0 {
			m.MatchKeysHistogram[strconv.Itoa(i)] = n
		}
	}
	if a.SkewN > 0 {
		p50, p95, mx := a.skewQuantile(0.50), a.skewQuantile(0.95), a.SkewMax
		m.SkewMsP50, m.SkewMsP95, m.SkewMsMax = &p50, &p95, &mx
	}
	if a.EMQN > 0 {
		avg := a.EMQSum / float64(a.EMQN)
		m.EMQEstimateAvg = &avg
	}
	return m
}

const aggVersion = 1

func (a *Agg) scalarMask() uint32 {
	var m uint32
	for i, v := range a.scalars() {
		if v != 0 {
			m |= 1 << uint(i)
		}
	}
	return m
}

func (a *Agg) scalars() [16]int64 {
	return [16]int64{a.ClientEvents, a.ServerEvents, a.Matched, a.ClientOnly, a.ServerOnly,
		a.Duplicates, a.Unjoinable, a.Aligned, a.MissingClient, a.MissingServer,
		a.Sev[0], a.Sev[1], a.Sev[2], a.Sev[3], a.PIILeaks, a.HashFindings}
}

func (a *Agg) scalarPtrs() [16]*int64 {
	return [16]*int64{&a.ClientEvents, &a.ServerEvents, &a.Matched, &a.ClientOnly, &a.ServerOnly,
		&a.Duplicates, &a.Unjoinable, &a.Aligned, &a.MissingClient, &a.MissingServer,
		&a.Sev[0], &a.Sev[1], &a.Sev[2], &a.Sev[3], &a.PIILeaks, &a.HashFindings}
}

// AppendBinary appends the compact encoding of a: a version byte, a bitmask
// of the non-zero counts and their varints, then the sparse parts.
func (a *Agg) AppendBinary(b []byte) []byte {
	b = append(b, aggVersion)
	mask := a.scalarMask()
	b = appendUvarint(b, uint64(mask))
	for i, v := range a.scalars() {
		if mask&(1<<uint(i)) != 0 {
			b = appendVarint(b, v)
		}
	}
	b = appendUvarint(b, uint64(a.EMQN))
	if a.EMQN > 0 {
		b = appendU64(b, math.Float64bits(a.EMQSum))
	}
	b = appendUvarint(b, uint64(a.SkewN))
	if a.SkewN > 0 {
		b = appendVarint(b, a.SkewMax)
	}
	b = appendUvarint(b, uint64(len(a.Codes)))
	for _, c := range a.Codes {
		b = appendString(b, c.Code)
		b = appendVarint(b, c.N)
	}
	b = appendUvarint(b, uint64(len(a.MatchKeys)))
	for _, n := range a.MatchKeys {
		b = appendVarint(b, n)
	}
	b = appendUvarint(b, uint64(len(a.Skew)))
	for _, s := range a.Skew {
		b = appendVarint(b, int64(s.Idx))
		b = appendVarint(b, s.N)
	}
	return b
}

// decode reads an Agg written by AppendBinary into a, reusing its slices.
func (a *Agg) decode(r *reader) {
	a.reset()
	if r.byte() != aggVersion {
		r.fail()
		return
	}
	mask := r.uvarint()
	for i, p := range a.scalarPtrs() {
		if mask&(1<<uint(i)) != 0 {
			*p = r.varint()
		}
	}
	a.EMQN = int64(r.uvarint())
	if a.EMQN > 0 {
		a.EMQSum = r.f64()
	}
	a.SkewN = int64(r.uvarint())
	if a.SkewN > 0 {
		a.SkewMax = r.varint()
	}
	for n := r.count(); n > 0; n-- {
		var prev string // the code decoded into this slot last time, if any
		if i := len(a.Codes); i < cap(a.Codes) {
			prev = a.Codes[:i+1][i].Code
		}
		a.Codes = append(a.Codes, CodeCount{Code: r.stringAs(prev), N: r.varint()})
	}
	for n := r.count(); n > 0; n-- {
		a.MatchKeys = append(a.MatchKeys, r.varint())
	}
	for n := r.count(); n > 0; n-- {
		a.Skew = append(a.Skew, SkewBucket{Idx: int32(r.varint()), N: r.varint()})
	}
}

// UnmarshalBinary decodes an Agg written by AppendBinary.
func (a *Agg) UnmarshalBinary(b []byte) error {
	r := reader{b: b}
	a.decode(&r)
	if r.err == nil && len(r.b) != 0 {
		r.fail()
	}
	return r.err
}
