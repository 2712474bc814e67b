package join

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/schemas"
)

const (
	t0         = int64(1_700_000_040_000) // a minute boundary
	minute     = int64(60_000)
	closeAfter = int64(62 * 60_000) // default match window + grace
)

var fixedClock = func() time.Time { return time.UnixMilli(1_800_000_000_000) }

func newTestProc(t testing.TB, checks Checks, mod ...func(*Config)) *Processor {
	t.Helper()
	cfg := NewDefaultConfig()
	cfg.Clock = fixedClock
	cfg.InstanceID, cfg.Version, cfg.Partition = "test-1", "v0", 3
	for _, m := range mod {
		m(&cfg)
	}
	p, err := New(cfg, checks)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// testChecks carries the payload digest in the snapshot, so tests can plant
// ID reuse, and adds one per-event finding for events named "Bad".
func testChecks() Checks {
	return Checks{
		Snapshot: func(ev *schemas.Event) processors.Snapshot {
			s := DefaultSnapshot(ev)
			s.Payload = nameDigest(ev.TransactionID)
			s.MatchKeys = processors.KeyEmail | processors.KeyPhone
			return s
		},
		Event: func(ev *schemas.Event, out []schemas.Finding) []schemas.Finding {
			if ev.EventName == "Bad" {
				out = append(out, schemas.Finding{Code: "PII_LEAK", Severity: schemas.SeverityCritical,
					Side: findingSide(ev.Side), Path: "dl", Entity: "email", Detector: "pii"})
			}
			return out
		},
	}
}

type evOpt func(*schemas.Event)

func withTxn(s string) evOpt      { return func(e *schemas.Event) { e.TransactionID = s } }
func withEventTime(t int64) evOpt { return func(e *schemas.Event) { e.EventTime = t } }
func withBatch(i int32) evOpt     { return func(e *schemas.Event) { e.Source.BatchIndex = i } }

func mkEvent(side schemas.Side, id, name string, rt, offset int64, opts ...evOpt) *schemas.Event {
	e := &schemas.Event{Side: side, Destination: schemas.DestinationMeta, EventID: id, JoinKey: id, EventName: name,
		EventTime: rt - 1000, TransactionID: "o-1"}
	e.Format = schemas.FormatMetaPixel
	e.Source = schemas.Source{Topic: "tracking.client", Partition: 3, Offset: offset, RecordTime: rt, BatchSize: 1}
	if side == schemas.SideServer {
		e.Format = schemas.FormatMetaCAPI
		e.Source.Topic = "tracking.server"
	}
	if id != "" {
		e.EventIDPath = "eid"
	}
	for _, o := range opts {
		o(e)
	}
	return e
}

func client(id, name string, rt, off int64, o ...evOpt) *schemas.Event {
	return mkEvent(schemas.SideClient, id, name, rt, off, o...)
}
func server(id, name string, rt, off int64, o ...evOpt) *schemas.Event {
	return mkEvent(schemas.SideServer, id, name, rt, off, o...)
}

// step is one call: an event to Apply, or a time to Advance to.
type step struct {
	ev      *schemas.Event
	advance int64
}

func run(t testing.TB, p *Processor, st State, steps ...step) []Output {
	t.Helper()
	var out []Output
	for _, s := range steps {
		var o []Output
		var err error
		if s.ev != nil {
			o, err = p.Apply(st, s.ev)
		} else {
			o, err = p.Advance(st, s.advance)
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o...)
	}
	return out
}

func audits(out []Output) []*schemas.AuditRecord {
	var r []*schemas.AuditRecord
	for _, o := range out {
		if o.Audit != nil {
			r = append(r, o.Audit)
		}
	}
	return r
}

func metrics(out []Output) []*schemas.WindowMetrics {
	var r []*schemas.WindowMetrics
	for _, o := range out {
		if o.Metrics != nil {
			r = append(r, o.Metrics)
		}
	}
	return r
}

func codes(a *schemas.AuditRecord) []string {
	var c []string
	for _, f := range a.Findings {
		c = append(c, f.Code)
	}
	return c
}

func TestOutcomes(t *testing.T) {
	tests := []struct {
		name     string
		steps    []step
		outcomes []string   // audit outcomes in order
		codes    [][]string // finding codes of each audit record
		check    func(t *testing.T, a []*schemas.AuditRecord)
	}{
		{
			name:     "matched client first",
			steps:    []step{{ev: client("e1", "Purchase", t0, 10)}, {ev: server("e1", "Purchase", t0+500, 20)}},
			outcomes: []string{"matched"},
			codes:    [][]string{nil},
			check: func(t *testing.T, a []*schemas.AuditRecord) {
				r := a[0]
				if r.Client == nil || r.Server == nil || r.Client.Offset != 10 || r.Server.Offset != 20 {
					t.Errorf("sides = %+v / %+v", r.Client, r.Server)
				}
				if r.SkewMs == nil || *r.SkewMs != 500 || r.Aligned == nil || !*r.Aligned {
					t.Errorf("skew %v aligned %v", r.SkewMs, r.Aligned)
				}
				if r.EventID == nil || *r.EventID != "e1" || r.EventName != "Purchase" || r.MatchKeys == nil || r.MatchKeys.Count != 2 || r.MatchKeys.Band != BandFail {
					t.Errorf("record %+v", r)
				}
			},
		},
		{
			name:     "matched server first",
			steps:    []step{{ev: server("e1", "Purchase", t0, 20)}, {ev: client("e1", "Purchase", t0+500, 10)}},
			outcomes: []string{"matched"},
			codes:    [][]string{nil},
			check: func(t *testing.T, a []*schemas.AuditRecord) {
				if a[0].SkewMs == nil || *a[0].SkewMs != -500 {
					t.Errorf("skew %v", a[0].SkewMs)
				}
			},
		},
		{
			name:     "name mismatch",
			steps:    []step{{ev: server("e1", "purchase", t0, 20)}, {ev: client("e1", "Purchase", t0, 10)}},
			outcomes: []string{"matched"},
			codes:    [][]string{{CodeNameMismatch}},
			check: func(t *testing.T, a []*schemas.AuditRecord) {
				if a[0].EventName != "Purchase" || *a[0].ServerEventName != "purchase" || *a[0].ClientEventName != "Purchase" {
					t.Errorf("names %q %q %q", a[0].EventName, *a[0].ClientEventName, *a[0].ServerEventName)
				}
			},
		},
		{
			name: "misaligned",
			steps: []step{{ev: client("e1", "Lead", t0, 10)},
				{ev: server("e1", "Lead", t0+1000, 20, withEventTime(t0+6*minute))}},
			outcomes: []string{"matched"},
			codes:    [][]string{{CodeMisaligned}},
			check: func(t *testing.T, a []*schemas.AuditRecord) {
				if *a[0].SkewMs != 6*minute+1000 || *a[0].Aligned {
					t.Errorf("skew %d aligned %v", *a[0].SkewMs, *a[0].Aligned)
				}
			},
		},
		{
			name: "no event time: no skew",
			steps: []step{{ev: client("e1", "Lead", t0, 10, withEventTime(0))},
				{ev: server("e1", "Lead", t0, 20)}},
			outcomes: []string{"matched"},
			codes:    [][]string{nil},
			check: func(t *testing.T, a []*schemas.AuditRecord) {
				if a[0].SkewMs != nil || a[0].Aligned != nil {
					t.Errorf("skew %v aligned %v", a[0].SkewMs, a[0].Aligned)
				}
			},
		},
		{
			name: "duplicate before and after the match, redeliveries ignored",
			steps: []step{
				{ev: client("e1", "Purchase", t0, 10)},
				{ev: client("e1", "Purchase", t0, 10)},   // redelivery
				{ev: client("e1", "Purchase", t0+1, 11)}, // duplicate
				{ev: client("e1", "Purchase", t0+1, 11)}, // redelivery of the duplicate
				{ev: server("e1", "Purchase", t0+2, 20)}, // match
				{ev: server("e1", "Purchase", t0+2, 20)}, // redelivery after the match
				{ev: server("e1", "Purchase", t0+3, 21)}, // duplicate after the match
				{ev: client("e1", "Purchase", t0+1, 11)}, // redelivery after the match
				{ev: client("e1", "Purchase", t0+4, 12, withBatch(0))},
				{ev: client("e1", "Purchase", t0+4, 12, withBatch(1))}, // same message, next batch element: duplicate
			},
			outcomes: []string{"duplicate", "matched", "duplicate", "duplicate", "duplicate"},
			codes:    [][]string{{CodeDuplicate}, nil, {CodeDuplicate}, {CodeDuplicate}, {CodeDuplicate}},
		},
		{
			name: "id reused: other payload or other name",
			steps: []step{
				{ev: server("e1", "Purchase", t0, 20)},
				{ev: server("e1", "Purchase", t0, 21, withTxn("o-2"))},
				{ev: server("e1", "Lead", t0, 22)},
				{ev: client("e1", "Purchase", t0, 10)},
				{ev: client("e1", "Purchase", t0, 11, withTxn("o-99"))},
			},
			outcomes: []string{"duplicate", "duplicate", "matched", "duplicate"},
			codes:    [][]string{{CodeIDReused}, {CodeIDReused}, nil, {CodeIDReused}},
		},
		{
			name:     "unjoinable",
			steps:    []step{{ev: client("", "Purchase", t0, 10)}, {ev: server("", "Purchase", t0, 20)}},
			outcomes: []string{"unjoinable", "unjoinable"},
			codes:    [][]string{{CodeNoEventID}, {CodeNoEventID}},
			check: func(t *testing.T, a []*schemas.AuditRecord) {
				if a[0].EventID != nil || a[0].Client == nil || a[1].Server == nil || a[1].MatchKeys == nil {
					t.Errorf("records %+v %+v", a[0], a[1])
				}
			},
		},
		{
			name: "orphans close on idle advance, not before",
			steps: []step{
				{ev: client("c1", "Purchase", t0, 10)},
				{ev: server("s1", "Lead", t0+1, 20)},
				{advance: t0 + closeAfter - 1},
				{advance: t0 + closeAfter},
				{advance: t0 + closeAfter + 1},
			},
			outcomes: []string{"client_only", "server_only"},
			codes:    [][]string{{CodeClientOnly}, {CodeServerOnly}},
			check: func(t *testing.T, a []*schemas.AuditRecord) {
				if a[0].Findings[0].Severity != "warn" || a[1].Findings[0].Severity != "info" || a[1].MatchKeys == nil || a[0].MatchKeys != nil {
					t.Errorf("records %+v %+v", a[0], a[1])
				}
			},
		},
		{
			name: "a record after the close opens a new group",
			steps: []step{
				{ev: client("e1", "Purchase", t0, 10)},
				{ev: server("e1", "Purchase", t0+closeAfter, 20)},
			},
			outcomes: []string{"client_only"},
			codes:    [][]string{{CodeClientOnly}},
		},
		{
			name: "event findings travel with the pair",
			steps: []step{
				{ev: client("e1", "Bad", t0, 10)},
				{ev: server("e1", "Bad", t0, 20)},
			},
			outcomes: []string{"matched"},
			codes:    [][]string{{"PII_LEAK", "PII_LEAK"}},
			check: func(t *testing.T, a []*schemas.AuditRecord) {
				if a[0].Findings[0].Side != "client" || a[0].Findings[1].Side != "server" || *a[0].Findings[0].Entity != "email" {
					t.Errorf("findings %+v", a[0].Findings)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newTestProc(t, testChecks())
			a := audits(run(t, p, newMemState(), tc.steps...))
			var got []string
			for _, r := range a {
				got = append(got, r.Outcome)
			}
			if !slices.Equal(got, tc.outcomes) {
				t.Fatalf("outcomes = %v, want %v", got, tc.outcomes)
			}
			for i, r := range a {
				if !slices.Equal(codes(r), tc.codes[i]) {
					t.Errorf("record %d (%s) codes = %v, want %v", i, r.Outcome, codes(r), tc.codes[i])
				}
				if len(r.AuditID) != 32 || r.Pipeline.ProcessedAt != fixedClock().UnixMilli() || r.Pipeline.InstanceID != "test-1" {
					t.Errorf("record %d: id %q pipeline %+v", i, r.AuditID, r.Pipeline)
				}
			}
			if tc.check != nil {
				tc.check(t, a)
			}
		})
	}
}

func TestKeysAndAuditID(t *testing.T) {
	p := newTestProc(t, Checks{})
	out := run(t, p, newMemState(),
		step{ev: client("e1", "Purchase", t0, 10)}, step{ev: server("e1", "Purchase", t0, 20)},
		step{ev: client("", "Lead", t0, 11)}, step{advance: t0 + 10*closeAfter})
	a := audits(out)
	if out[0].Key != "meta/e1" {
		t.Errorf("matched key %q", out[0].Key)
	}
	if out[1].Key != a[1].AuditID {
		t.Errorf("unjoinable key %q, audit id %q", out[1].Key, a[1].AuditID)
	}
	c, s := client("e1", "", t0, 10).Source, server("e1", "", t0, 20).Source
	if want := AuditID(schemas.OutcomeMatched, &c, &s); a[0].AuditID != want {
		t.Errorf("audit id %s, want %s", a[0].AuditID, want)
	}
	if AuditID(schemas.OutcomeMatched, &c, &s) == AuditID(schemas.OutcomeDuplicate, &c, &s) {
		t.Error("audit id ignores the outcome")
	}
	m := metrics(out)
	if len(m) != 2 {
		t.Fatalf("%d metrics", len(m))
	}
	for _, o := range out {
		if o.Metrics != nil && o.Key != fmt.Sprintf("meta/%s/%d", o.Metrics.EventName, o.Metrics.WindowStart) {
			t.Errorf("metrics key %q", o.Key)
		}
	}
}

func TestWindowEmittedOnceAfterItsGroupsClose(t *testing.T) {
	p := newTestProc(t, testChecks())
	st := newMemState()
	// Two groups in window [t0, t0+1m): the second opens at its last ms.
	out := run(t, p, st,
		step{ev: client("a", "Purchase", t0, 1)},
		step{ev: client("b", "Purchase", t0+minute-1, 2)},
		step{ev: server("a", "Purchase", t0+5, 3)},
	)
	if len(metrics(out)) != 0 {
		t.Fatal("window emitted early")
	}
	// At t0+closeAfter group a closes (silently: matched); b is still open.
	out = run(t, p, st, step{advance: t0 + closeAfter})
	if len(out) != 0 {
		t.Fatalf("outputs at first close: %+v", out)
	}
	// b closes at t0+1m-1+closeAfter, the window is due at t0+1m+closeAfter.
	out = run(t, p, st, step{advance: t0 + minute - 1 + closeAfter})
	if a := audits(out); len(a) != 1 || a[0].Outcome != "client_only" || len(metrics(out)) != 0 {
		t.Fatalf("outputs at b's close: %d audits, %d metrics", len(a), len(metrics(out)))
	}
	out = run(t, p, st, step{advance: t0 + minute + closeAfter})
	m := metrics(out)
	if len(m) != 1 {
		t.Fatalf("%d windows emitted", len(m))
	}
	w := m[0]
	if w.WindowStart != t0 || w.WindowEnd != t0+minute || w.ClientEvents != 2 || w.ServerEvents != 1 || w.Matched != 1 ||
		w.ClientOnly != 1 || w.Partition != 3 || w.Aligned != 1 || *w.SkewMsP50 != 5 || *w.SkewMsMax != 5 ||
		w.FindingsBySeverity.Warn != 1 || w.FindingsByCode[CodeClientOnly] != 1 || w.MatchKeysHistogram["2"] != 1 {
		t.Errorf("window %+v", w)
	}
	if out = run(t, p, st, step{advance: t0 + 100*closeAfter}); len(out) != 0 {
		t.Errorf("emitted again: %+v", out)
	}
	if len(st.groups) != 0 || len(st.expiry) != 0 || len(st.windows) != 0 {
		t.Errorf("state left: %d groups, %d index, %d windows", len(st.groups), len(st.expiry), len(st.windows))
	}
}

func TestLateRecordNeverLandsInAnEmittedWindow(t *testing.T) {
	p := newTestProc(t, Checks{})
	st := newMemState()
	out := run(t, p, st, step{ev: client("a", "Purchase", t0, 1)}, step{advance: t0 + minute + closeAfter})
	if len(metrics(out)) != 1 {
		t.Fatal("first window not emitted")
	}
	// A record from the emitted window's time arrives late.
	out = run(t, p, st, step{ev: client("late", "Purchase", t0+10, 2)}, step{advance: t0 + 100*closeAfter})
	m := metrics(out)
	if len(m) != 1 || m[0].WindowStart != t0+minute || m[0].ClientEvents != 1 || m[0].ClientOnly != 1 {
		t.Fatalf("late record counted in %+v", m)
	}
}

func TestClientSecondDecidesEventName(t *testing.T) {
	p := newTestProc(t, testChecks())
	st := newMemState()
	out := run(t, p, st,
		step{ev: server("e1", "purchase_srv", t0, 20)},
		step{ev: server("e1", "purchase_srv", t0+1, 21)}, // duplicate, before the client
		step{ev: client("e1", "Purchase", t0+2, 10)},
		step{ev: server("e1", "purchase_srv", t0+3, 22)}, // duplicate, after
		step{ev: server("e2", "purchase_srv", t0, 23)},   // stays server-only
		step{advance: t0 + 100*closeAfter},
	)
	byName := map[string]*schemas.WindowMetrics{}
	for _, m := range metrics(out) {
		byName[m.EventName] = m
	}
	if len(byName) != 2 {
		t.Fatalf("windows %v", byName)
	}
	pu, srv := byName["Purchase"], byName["purchase_srv"]
	if pu.ServerEvents != 3 || pu.ClientEvents != 1 || pu.Duplicates != 2 || pu.Matched != 1 || pu.ServerOnly != 0 ||
		pu.FindingsByCode[CodeDuplicate] != 2 || pu.FindingsByCode[CodeNameMismatch] != 1 || pu.MatchKeysHistogram["2"] != 3 {
		t.Errorf("Purchase window %+v", pu)
	}
	if srv.ServerEvents != 1 || srv.ServerOnly != 1 || srv.ClientEvents != 0 || srv.FindingsByCode[CodeServerOnly] != 1 ||
		*srv.EMQEstimateAvg != 0 {
		t.Errorf("server-only window %+v", srv)
	}
	if a := audits(out); a[0].EventName != "purchase_srv" || a[1].EventName != "Purchase" || a[2].EventName != "Purchase" {
		t.Errorf("names %q %q %q", a[0].EventName, a[1].EventName, a[2].EventName)
	}
}

func TestUnjoinableCounts(t *testing.T) {
	p := newTestProc(t, testChecks())
	out := run(t, p, newMemState(),
		step{ev: client("", "Bad", t0, 1)}, step{ev: server("", "Bad", t0, 2)}, step{advance: t0 + 100*closeAfter})
	m := metrics(out)
	if len(m) != 1 {
		t.Fatalf("%d windows", len(m))
	}
	w := m[0]
	if w.Unjoinable != 2 || w.EventIDMissingClient != 1 || w.EventIDMissingServer != 1 || w.ClientEvents != 1 ||
		w.ServerEvents != 1 || w.PIILeaks != 2 || w.FindingsBySeverity.Critical != 2 || w.FindingsByCode[CodeNoEventID] != 2 {
		t.Errorf("window %+v", w)
	}
}

func TestBoundedCloseBacklog(t *testing.T) {
	p := newTestProc(t, Checks{}, func(c *Config) { c.MaxClosesPerCall = 3 })
	st := newMemState()
	var steps []step
	for i := range 10 {
		steps = append(steps, step{ev: client(fmt.Sprint("g", i), "Lead", t0+int64(i), int64(i))})
	}
	run(t, p, st, steps...)
	out := run(t, p, st, step{advance: t0 + 100*closeAfter})
	if len(audits(out)) != 3 || len(metrics(out)) != 0 {
		t.Fatalf("first advance: %d audits %d metrics", len(audits(out)), len(metrics(out)))
	}
	n := len(out)
	for {
		more, err := p.Backlog(st)
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			break
		}
		o := run(t, p, st, step{advance: 0})
		if len(o) == 0 {
			t.Fatal("backlog made no progress")
		}
		out = append(out, o...)
	}
	if len(audits(out)) != 10 || len(metrics(out)) != 1 || metrics(out)[0].ClientOnly != 10 || n != 3 {
		t.Errorf("%d audits, %d metrics", len(audits(out)), len(metrics(out)))
	}
}

// A group that is due but not yet closed (backlog) is closed before an event
// of its key is applied, as an unbounded close would have done.
func TestDueGroupClosedBeforeItsKeyIsApplied(t *testing.T) {
	p := newTestProc(t, Checks{}, func(c *Config) { c.MaxClosesPerCall = 1 })
	st := newMemState()
	run(t, p, st, step{ev: client("a", "Lead", t0, 1)}, step{ev: client("b", "Lead", t0+1, 2)})
	out := run(t, p, st, step{ev: server("b", "Lead", t0+1+closeAfter, 3)})
	var got []string
	for _, a := range audits(out) {
		got = append(got, a.Outcome+":"+*a.EventID)
	}
	if !slices.Equal(got, []string{"client_only:b", "client_only:a"}) {
		t.Errorf("outcomes %v", got)
	}
}

func TestStateKeys(t *testing.T) {
	for _, id := range []string{"6f1c2a3b-1234-5678-9abc-def012345678", "6F1C2A3B-1234-5678-9ABC-DEF012345678",
		"6f1c2a3b-1234-5678-9abc-def01234567", "6f1c2a3b_1234-5678-9abc-def012345678", "x", "ORDER-1"} {
		k := groupKey(nil, schemas.DestinationGA4, id)
		dest, got, err := splitKey(k)
		if err != nil || dest != "ga4" || got != id {
			t.Errorf("%q: %q %q %v", id, dest, got, err)
		}
		if _, ok := packUUID(id); ok != (len(k) == 1+3+16) {
			t.Errorf("%q: packed %v, key %d bytes", id, ok, len(k))
		}
	}
	if _, ok := packUUID("6F1C2A3B-1234-5678-9ABC-DEF012345678"); ok {
		t.Error("upper-case UUID packed: it would not round-trip")
	}
	if _, _, err := splitKey([]byte{0x83, 'g', 'a', '4', 1}); err == nil {
		t.Error("short packed key accepted")
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"match window too long", func(c *Config) { c.MatchWindow = 49 * time.Hour }, "match window"},
		{"negative grace", func(c *Config) { c.Grace = -1 }, "grace"},
		{"negative alignment", func(c *Config) { c.Alignment = -time.Second }, "alignment"},
		{"sub-ms window", func(c *Config) { c.MetricsWindow = time.Microsecond }, "metrics window"},
		{"negative partition", func(c *Config) { c.Partition = -1 }, "partition"},
		{"no closes", func(c *Config) { c.MaxClosesPerCall = -1 }, "max closes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewDefaultConfig()
			tc.mod(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
			if _, err := New(c, Checks{}); err == nil {
				t.Error("New accepted it")
			}
		})
	}
	if err := NewDefaultConfig().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	p, err := New(Config{}, Checks{})
	if err != nil || p.Config().MatchWindow != time.Hour || p.Config().MaxClosesPerCall != 1000 {
		t.Errorf("zero config: %v %+v", err, p)
	}
}

func TestDefaultMatchKeysBands(t *testing.T) {
	for n, want := range map[int]string{0: "fail", 3: "fail", 4: "warn", 5: "warn", 6: "pass", 9: "pass"} {
		s := processors.Snapshot{MatchKeys: processors.MatchKey(1<<uint(n) - 1)}
		mk := DefaultMatchKeys(&s)
		if mk.Band != want || int(mk.Count) != n || len(mk.Present) != n || mk.EMQEstimate != 0 {
			t.Errorf("%d keys: %+v, want band %s", n, mk, want)
		}
	}
}

// ---- random streams: determinism, splitting, planted truth ----

// truth is what a generated stream planted, per group event name.
type truth struct {
	ClientEvents, ServerEvents, Matched, ClientOnly, ServerOnly, Duplicates, Unjoinable, MissingClient, MissingServer int64
}

// genStream plants n groups of random kinds and returns the events in
// record-time order, with redeliveries mixed in, and the truth.
func genStream(seed uint64, n int) ([]*schemas.Event, map[string]*truth) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	names := []string{"Purchase", "Lead", "AddToCart", "ViewContent"}
	tr := map[string]*truth{}
	get := func(name string) *truth {
		if tr[name] == nil {
			tr[name] = &truth{}
		}
		return tr[name]
	}
	var evs []*schemas.Event
	off := map[schemas.Side]int64{}
	add := func(e *schemas.Event) {
		e.Source.Offset = off[e.Side]
		off[e.Side]++
		evs = append(evs, e)
	}
	for i := range n {
		id := fmt.Sprintf("ev-%d-%d", seed, i)
		first := t0 + int64(i)*250 + rng.Int64N(200)
		name := names[rng.IntN(len(names))]
		within := func() int64 { return first + rng.Int64N(40*minute) }
		switch k := rng.IntN(10); {
		case k < 5: // pair, random order, maybe renamed on the server, maybe duplicates
			sname := name
			if rng.IntN(5) == 0 {
				sname = strings.ToLower(name)
			}
			t := get(name)
			t.Matched++
			t.ClientEvents++
			t.ServerEvents++
			c, s := client(id, name, first, 0), server(id, sname, within(), 0)
			if rng.IntN(2) == 0 {
				c.Source.RecordTime, s.Source.RecordTime = s.Source.RecordTime, c.Source.RecordTime
			}
			add(c)
			add(s)
			for range rng.IntN(3) {
				if rng.IntN(2) == 0 {
					add(client(id, name, within(), 0))
					t.ClientEvents++
				} else {
					add(server(id, sname, within(), 0))
					t.ServerEvents++
				}
				t.Duplicates++
			}
		case k < 7:
			t := get(name)
			t.ClientOnly++
			t.ClientEvents++
			add(client(id, name, first, 0))
			if rng.IntN(4) == 0 {
				add(client(id, name, within(), 0, withTxn("other")))
				t.ClientEvents++
				t.Duplicates++
			}
		case k < 9:
			t := get(name)
			t.ServerOnly++
			t.ServerEvents++
			add(server(id, name, first, 0))
			if rng.IntN(4) == 0 {
				add(server(id, name, within(), 0))
				t.ServerEvents++
				t.Duplicates++
			}
		default:
			t := get(name)
			t.Unjoinable++
			if rng.IntN(2) == 0 {
				add(client("", name, first, 0))
				t.ClientEvents++
				t.MissingClient++
			} else {
				add(server("", name, first, 0))
				t.ServerEvents++
				t.MissingServer++
			}
		}
	}
	// Order by record time (stable), as a consumer interleaving by timestamp would.
	slices.SortStableFunc(evs, func(a, b *schemas.Event) int { return int(a.Source.RecordTime - b.Source.RecordTime) })
	// Redeliveries: re-apply some events of the same group soon after.
	var out []*schemas.Event
	for i, e := range evs {
		out = append(out, e)
		if e.JoinKey != "" && rng.IntN(8) == 0 {
			j := max(0, i-rng.IntN(3))
			if evs[j].JoinKey != "" {
				out = append(out, evs[j])
			}
		}
	}
	return out, tr
}

func sumMetrics(out []Output) map[string]*truth {
	got := map[string]*truth{}
	for _, m := range metrics(out) {
		t := got[m.EventName]
		if t == nil {
			t = &truth{}
			got[m.EventName] = t
		}
		t.ClientEvents += m.ClientEvents
		t.ServerEvents += m.ServerEvents
		t.Matched += m.Matched
		t.ClientOnly += m.ClientOnly
		t.ServerOnly += m.ServerOnly
		t.Duplicates += m.Duplicates
		t.Unjoinable += m.Unjoinable
		t.MissingClient += m.EventIDMissingClient
		t.MissingServer += m.EventIDMissingServer
	}
	return got
}

func applyAll(t testing.TB, p *Processor, st State, evs []*schemas.Event) []Output {
	t.Helper()
	var out []Output
	for _, e := range evs {
		o, err := p.Apply(st, e)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o...)
	}
	return out
}

func drain(t testing.TB, p *Processor, st State, at int64) []Output {
	t.Helper()
	out := run(t, p, st, step{advance: at})
	for {
		more, err := p.Backlog(st)
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			return out
		}
		out = append(out, run(t, p, st, step{advance: 0})...)
	}
}

func TestPlantedTruth(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 42} {
		for _, maxCloses := range []int{1000, 2} {
			t.Run(fmt.Sprintf("seed%d/closes%d", seed, maxCloses), func(t *testing.T) {
				t.Parallel()
				evs, want := genStream(seed, 3000)
				p := newTestProc(t, testChecks(), func(c *Config) { c.MaxClosesPerCall = maxCloses })
				st := newMemState()
				out := applyAll(t, p, st, evs)
				out = append(out, drain(t, p, st, t0+1000*closeAfter)...)
				got := sumMetrics(out)
				for name, w := range want {
					if g := got[name]; g == nil || *g != *w {
						t.Errorf("%s: got %+v, want %+v", name, g, w)
					}
				}
				if len(got) != len(want) {
					t.Errorf("names %d, want %d", len(got), len(want))
				}
				// Audit records: one per outcome, each id once.
				ids := map[string]bool{}
				for _, a := range audits(out) {
					if ids[a.AuditID] {
						t.Fatalf("audit id %s twice", a.AuditID)
					}
					ids[a.AuditID] = true
				}
				var outcomes int64
				for _, w := range want {
					outcomes += w.Matched + w.ClientOnly + w.ServerOnly + w.Duplicates + w.Unjoinable
				}
				if int64(len(ids)) != outcomes {
					t.Errorf("%d audit records, want %d", len(ids), outcomes)
				}
				if len(st.groups)+len(st.expiry)+len(st.windows) != 0 {
					t.Errorf("state left behind")
				}
			})
		}
	}
}

// stripTime clears the only field that is not a function of the input.
func stripTime(out []Output) []Output {
	for _, o := range out {
		if o.Audit != nil {
			o.Audit.Pipeline.ProcessedAt = 0
		}
		if o.Metrics != nil {
			o.Metrics.Pipeline.ProcessedAt = 0
		}
	}
	return out
}

func TestDeterminism(t *testing.T) {
	evs, _ := genStream(7, 2000)
	p1 := newTestProc(t, testChecks())
	p2 := newTestProc(t, testChecks(), func(c *Config) {
		c.Clock = time.Now
		c.ClientTopic, c.ServerTopic = "tracking.client", "tracking.server"
	})
	s1, s2 := newMemState(), newMemState()
	o1 := stripTime(append(applyAll(t, p1, s1, evs), drain(t, p1, s1, t0+1000*closeAfter)...))
	o2 := stripTime(append(applyAll(t, p2, s2, evs), drain(t, p2, s2, t0+1000*closeAfter)...))
	if len(o1) != len(o2) {
		t.Fatalf("%d vs %d outputs", len(o1), len(o2))
	}
	for i := range o1 {
		if deref(o1[i]) != deref(o2[i]) {
			t.Fatalf("output %d differs:\n%+v\n%+v", i, deref(o1[i]), deref(o2[i]))
		}
	}
}

// deref renders an output as JSON (the key and the record), so pointers
// compare by value.
func deref(o Output) string {
	b, err := json.Marshal(o)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// A crash after a commit at c and more work up to c+d (outputs written, state
// not committed) replays from c: the outputs seen downstream, deduplicated by
// key, are those of an uninterrupted run, and every replayed output is
// identical to the first copy.
func TestSplitReplay(t *testing.T) {
	evs, want := genStream(11, 1500)
	rng := rand.New(rand.NewPCG(5, 6))
	for range 5 {
		c := rng.IntN(len(evs))
		d := rng.IntN(len(evs) - c)
		p := newTestProc(t, testChecks())
		st := newMemState()
		seen := map[string]string{}
		var kept []Output
		emit := func(out []Output) {
			for _, o := range stripTime(out) {
				id := o.Key
				if o.Audit != nil {
					id = o.Audit.AuditID
				}
				s := deref(o)
				if prev, ok := seen[id]; ok {
					if prev != s {
						t.Fatalf("replayed output %s differs", id)
					}
					continue
				}
				seen[id] = s
				kept = append(kept, o)
			}
		}
		emit(applyAll(t, p, st, evs[:c]))
		committed := st.clone()
		emit(applyAll(t, p, st, evs[c:c+d])) // written, then the crash
		p = newTestProc(t, testChecks())     // restart
		st = committed
		emit(applyAll(t, p, st, evs[c:]))
		emit(drain(t, p, st, t0+1000*closeAfter))
		got := sumMetrics(kept)
		for name, w := range want {
			if g := got[name]; g == nil || *g != *w {
				t.Errorf("split %d+%d: %s: got %+v, want %+v", c, d, name, g, w)
			}
		}
	}
}

func TestSkewSketch(t *testing.T) {
	var a Agg
	rng := rand.New(rand.NewPCG(1, 2))
	var vals []int64
	for range 10000 {
		v := int64(rng.NormFloat64() * 60000)
		vals = append(vals, v)
		a.skew(v)
	}
	slices.Sort(vals)
	for _, q := range []float64{0.5, 0.95} {
		exact := vals[int(q*float64(len(vals)))-1]
		got := a.skewQuantile(q)
		if err := abs64(got - exact); float64(err) > 0.032*float64(abs64(exact))+1 {
			t.Errorf("q%.2f = %d, exact %d", q, got, exact)
		}
	}
	mx := vals[0]
	if -vals[0] < vals[len(vals)-1] {
		mx = vals[len(vals)-1]
	}
	if a.SkewMax != mx {
		t.Errorf("max %d, want %d", a.SkewMax, mx)
	}
	for _, v := range []int64{0, 1, -1, 31, 32, -33, 1000, 1 << 40, -(1 << 50)} {
		got := skewValue(skewBucket(v))
		if float64(abs64(got-v)) > float64(abs64(v))/32+0.5 {
			t.Errorf("bucket of %d gives %d", v, got)
		}
	}
}

func TestEncodingRoundTrip(t *testing.T) {
	snap := processors.Snapshot{
		Side: schemas.SideServer, Format: schemas.FormatMetaCAPI, EventName: "Purchase", EventTime: t0 - 5000,
		Source:       schemas.Source{Topic: "tracking.server", Partition: 3, Offset: 123456, RecordTime: t0 + 7, BatchIndex: 2, BatchSize: 4},
		ActionSource: "website", MatchKeys: processors.KeyEmail | processors.KeyFBP, ClickIDs: processors.ClickFBC,
		Consent: processors.ConsentSignalPresent, FBP: 77, Payload: 99, FBCLID: 1 << 63,
		Hashes:      []processors.HashDigest{{Key: 0, Value: 5, Double: 6}, {Key: 1, Value: 8}},
		Plain:       []processors.PlainDigest{{Key: 1, Norm: 11, Double: 12, Wrong: [3]uint64{13, 14, 0}}},
		FindingsMax: schemas.SeverityFail, TraceID: [16]byte{1}, SpanID: [8]byte{2},
	}
	fs := []schemas.Finding{{Code: "HASH_FORMAT", Severity: schemas.SeverityWarn, Side: schemas.FindingServer, Path: "p", Entity: "e", Detector: "d", Message: "m", Fingerprint: "f"}}
	var g group
	g.first, g.closeAt, g.window = t0, t0+closeAfter, t0
	g.server.setFull(&snap, fs)
	g.dups = []uint64{1, 2}
	g.pending.ServerEvents = 2
	g.pending.matchKeys(&schemas.MatchKeys{Count: 2, EMQEstimate: 6.5})
	g.pending.finding(&fs[0])
	topics := [2]string{"tracking.client", "tracking.server"}
	b := g.appendBinary(nil, &topics)
	var h group
	if err := h.decode(b, &topics); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%+v", g) != fmt.Sprintf("%+v", h) {
		t.Errorf("round trip:\n%+v\n%+v", g, h)
	}
	for i := range b {
		if err := h.decode(b[:i], &topics); err == nil {
			t.Fatalf("truncated at %d decoded", i)
		}
	}
	g.matched, g.evName = true, "Purchase"
	g.server.compact()
	g.pending.reset()
	b = g.appendBinary(nil, &topics)
	if err := h.decode(b, &topics); err != nil || fmt.Sprintf("%+v", g) != fmt.Sprintf("%+v", h) {
		t.Errorf("compact round trip %v:\n%+v\n%+v", err, g, h)
	}
}

func BenchmarkApplyMatchedPair(b *testing.B) {
	p := newTestProc(b, Checks{})
	st := newMemState()
	c, s := client("", "Purchase", t0, 0), server("", "Purchase", t0, 0)
	b.ReportAllocs()
	i := int64(0)
	for b.Loop() {
		id := fmt.Sprint("e", i)
		c.JoinKey, s.JoinKey = id, id
		c.Source.Offset, s.Source.Offset = i, i
		c.Source.RecordTime, s.Source.RecordTime = t0+i, t0+i
		if _, err := p.Apply(st, c); err != nil {
			b.Fatal(err)
		}
		if _, err := p.Apply(st, s); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
