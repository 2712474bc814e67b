package state

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/processors/join"
	"github.com/sstaudit/sstaudit/schemas"
)

const (
	jt0     = int64(1_700_000_040_000)
	jminute = int64(60_000)
)

func newJoin(t testing.TB) *join.Processor {
	t.Helper()
	cfg := join.NewDefaultConfig()
	cfg.Partition = 0
	cfg.Clock = func() time.Time { return time.UnixMilli(0) }
	p, err := join.New(cfg, join.Checks{Snapshot: func(ev *schemas.Event) processors.Snapshot {
		s := join.DefaultSnapshot(ev)
		s.Payload = uint64(len(ev.TransactionID)) + 1
		return s
	}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func jevent(side schemas.Side, id, name string, rt int64) *schemas.Event {
	e := &schemas.Event{Side: side, Destination: schemas.DestinationMeta, EventID: id, JoinKey: id, EventName: name,
		EventTime: rt, Format: schemas.FormatMetaPixel,
		Source: schemas.Source{Topic: "tracking.client", RecordTime: rt, BatchSize: 1}}
	if side == schemas.SideServer {
		e.Format, e.Source.Topic = schemas.FormatMetaCAPI, "tracking.server"
	}
	return e
}

// stream plants n groups (pairs, orphans, duplicates, unjoinables) in
// record-time order with per-topic offsets, as a consumer reading both
// topics by timestamp would see them.
func stream(seed uint64, n int) []*schemas.Event {
	rng := rand.New(rand.NewPCG(seed, 1))
	var evs []*schemas.Event
	for i := range n {
		id := fmt.Sprintf("e%d", i)
		rt := jt0 + int64(i)*300
		name := []string{"Purchase", "Lead"}[rng.IntN(2)]
		switch rng.IntN(6) {
		case 0, 1:
			evs = append(evs, jevent(schemas.SideClient, id, name, rt), jevent(schemas.SideServer, id, name, rt+rng.Int64N(20*jminute)))
		case 2:
			evs = append(evs, jevent(schemas.SideServer, id, name, rt), jevent(schemas.SideClient, id, name, rt+rng.Int64N(20*jminute)),
				jevent(schemas.SideServer, id, name, rt+rng.Int64N(20*jminute)))
		case 3:
			evs = append(evs, jevent(schemas.SideClient, id, name, rt))
		case 4:
			evs = append(evs, jevent(schemas.SideServer, id, name, rt))
		default:
			evs = append(evs, jevent(schemas.SideClient, "", name, rt))
		}
	}
	slices.SortStableFunc(evs, func(a, b *schemas.Event) int { return int(a.Source.RecordTime - b.Source.RecordTime) })
	next := map[string]int64{}
	for _, e := range evs {
		e.Source.Offset = next[e.Source.Topic]
		next[e.Source.Topic]++
	}
	return evs
}

// consume runs evs through p on s the way a task does: skip what the stored
// offsets say was applied, commit every batch events with the offsets, call
// emit before each commit; crashAt ≥ 0 abandons the open transaction after
// that many applied events (emit has seen its outputs: they may have reached
// Kafka) and returns false.
func consume(t testing.TB, s *Store, p *join.Processor, evs []*schemas.Event, batch, crashAt int, emit func([]join.Output)) bool {
	t.Helper()
	tx := s.Begin()
	defer tx.Discard()
	applied := 0
	var pending []join.Output
	for _, e := range evs {
		next, ok, err := tx.Offset(e.Source.Topic, e.Source.Partition)
		if err != nil {
			t.Fatal(err)
		}
		if ok && e.Source.Offset < next {
			continue
		}
		out, err := p.Apply(tx, e)
		if err != nil {
			t.Fatal(err)
		}
		pending = append(pending, out...)
		if err := tx.SetOffset(e.Source.Topic, e.Source.Partition, e.Source.Offset+1); err != nil {
			t.Fatal(err)
		}
		applied++
		if applied == crashAt {
			emit(pending)
			return false
		}
		if applied%batch == 0 || tx.Full() {
			emit(pending)
			pending = pending[:0]
			mustCommit(t, tx)
			tx = s.Begin()
		}
	}
	out, err := p.Advance(tx, jt0+1000*jminute*100)
	if err != nil {
		t.Fatal(err)
	}
	emit(append(pending, out...))
	mustCommit(t, tx)
	return true
}

type collector struct {
	t    testing.TB
	seen map[string]string
}

func (c *collector) emit(out []join.Output) {
	for _, o := range out {
		id := o.Key
		if o.Audit != nil {
			id = o.Audit.AuditID
		}
		b, _ := json.Marshal(o)
		if prev, ok := c.seen[id]; ok && prev != string(b) {
			c.t.Fatalf("output %s re-emitted differently:\n%s\n%s", id, prev, b)
		}
		c.seen[id] = string(b)
	}
}

// Crash at arbitrary points (state committed up to the last batch, the rest
// abandoned), reopen the store, resume from its offsets: the outputs,
// deduplicated by id, equal those of an uninterrupted run, and no replayed
// output differs from its first copy.
func TestJoinCrashReplay(t *testing.T) {
	evs := stream(3, 1500)
	ref := &collector{t: t, seen: map[string]string{}}
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	consume(t, s, newJoin(t), evs, 50, -1, ref.emit)
	s.Close()
	if len(ref.seen) < 1000 {
		t.Fatalf("only %d outputs", len(ref.seen))
	}

	rng := rand.New(rand.NewPCG(9, 9))
	for round := range 3 {
		dir := t.TempDir()
		got := &collector{t: t, seen: map[string]string{}}
		for done := false; !done; {
			s, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			crash := 1 + rng.IntN(len(evs))
			if round == 2 {
				crash = -1 // one clean pass after no crash: same as reference
			}
			done = consume(t, s, newJoin(t), evs, 50, crash, got.emit)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if len(got.seen) != len(ref.seen) {
			t.Errorf("round %d: %d distinct outputs, want %d", round, len(got.seen), len(ref.seen))
		}
		for id, v := range ref.seen {
			if got.seen[id] != v {
				t.Fatalf("round %d: output %s:\n got %s\nwant %s", round, id, got.seen[id], v)
			}
		}
	}
}

// The same input into two fresh stores gives identical outputs and state.
func TestJoinDeterministicOnStore(t *testing.T) {
	evs := stream(5, 800)
	var runs [2][]string
	for i := range runs {
		forEachModeOnce(t, i == 0, func(s *Store) {
			c := &collector{t: t, seen: map[string]string{}}
			var order []string
			consume(t, s, newJoin(t), evs, 37, -1, func(out []join.Output) {
				c.emit(out)
				for _, o := range out {
					b, _ := json.Marshal(o)
					order = append(order, string(b))
				}
			})
			runs[i] = order
		})
	}
	if !slices.Equal(runs[0], runs[1]) {
		t.Error("memory and disk runs differ")
	}
}

func forEachModeOnce(t *testing.T, memory bool, fn func(*Store)) {
	var opts []Option
	if memory {
		opts = append(opts, WithInMemory())
	}
	s, err := Open(t.TempDir(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fn(s)
}
