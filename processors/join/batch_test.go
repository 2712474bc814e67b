package join

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/sstaudit/sstaudit/schemas"
)

func batched(c *Config) { c.Batched = true }

// sameState fails unless two states hold the same groups, close index,
// windows and clock.
func sameState(t *testing.T, at string, a, b *memState) {
	t.Helper()
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("%s: state differs: %d/%d groups, %d/%d windows, clock %d,%d vs %d,%d", at,
			len(a.groups), len(b.groups), len(a.windows), len(b.windows), a.stream, a.wm, b.stream, b.wm)
	}
}

func sameOutputs(t *testing.T, at string, a, b []Output) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d vs %d outputs", at, len(a), len(b))
	}
	for i := range a {
		if deref(a[i]) != deref(b[i]) {
			t.Fatalf("%s: output %d differs:\n%s\n%s", at, i, deref(a[i]), deref(b[i]))
		}
	}
}

// applyChecked applies evs as the pipeline does: each event's checks run
// first (Check), then ApplyChecked.
func applyChecked(t *testing.T, p *Processor, st State, evs []*schemas.Event) []Output {
	t.Helper()
	var out []Output
	var c Checked
	for _, e := range evs {
		p.Check(e, &c)
		o, err := p.ApplyChecked(st, e, &c)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o...)
	}
	return out
}

// Batched mode with the checks run ahead (as the pipeline runs it) emits
// the same outputs in the same order as the default mode, and after each
// Flush its state equals the default mode's, whatever the transaction
// boundaries.
func TestBatchedEqualsUnbatched(t *testing.T) {
	for _, seed := range []uint64{1, 7, 42} {
		for _, maxCloses := range []int{1000, 2} {
			t.Run(fmt.Sprintf("seed%d/closes%d", seed, maxCloses), func(t *testing.T) {
				t.Parallel()
				closes := func(c *Config) { c.MaxClosesPerCall = maxCloses }
				evs, want := genStream(seed, 3000)
				ref, bp := newTestProc(t, testChecks(), closes), newTestProc(t, testChecks(), closes, batched)
				rs, bs := newMemState(), newMemState()
				rng := rand.New(rand.NewPCG(seed, 9))
				var all []Output
				for i := 0; i < len(evs); {
					n := min(1+rng.IntN(300), len(evs)-i)
					at := fmt.Sprintf("events %d+%d", i, n)
					ro, bo := applyAll(t, ref, rs, evs[i:i+n]), applyChecked(t, bp, bs, evs[i:i+n])
					if rng.IntN(4) == 0 { // an idle advance of a few minutes
						adv := evs[i+n-1].Source.RecordTime + int64(rng.IntN(10))*minute
						ro = append(ro, run(t, ref, rs, step{advance: adv})...)
						bo = append(bo, run(t, bp, bs, step{advance: adv})...)
					}
					sameOutputs(t, at, ro, bo)
					if err := bp.Flush(bs); err != nil {
						t.Fatal(err)
					}
					sameState(t, at, rs, bs)
					all = append(all, bo...)
					i += n
				}
				ro, bo := drain(t, ref, rs, t0+1000*closeAfter), drain(t, bp, bs, t0+1000*closeAfter)
				sameOutputs(t, "drain", ro, bo)
				if err := bp.Flush(bs); err != nil {
					t.Fatal(err)
				}
				sameState(t, "drain", rs, bs)
				all = append(all, bo...)
				got := sumMetrics(all)
				for name, w := range want {
					if g := got[name]; g == nil || *g != *w {
						t.Errorf("%s: got %+v, want %+v", name, g, w)
					}
				}
			})
		}
	}
}

// A batched Processor that loses its transaction (discard, failed commit)
// and is Reset carries on from the committed state exactly as a new
// Processor would: the outputs deduplicated by key are those of an
// uninterrupted run.
func TestBatchedResetAfterDiscard(t *testing.T) {
	evs, want := genStream(13, 2000)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 5 {
		p := newTestProc(t, testChecks(), batched)
		st := newMemState()
		committed := st.clone()
		seen := map[string]string{}
		var kept []Output
		emit := func(out []Output) {
			for _, o := range out {
				id := o.Key
				if o.Audit != nil {
					id = o.Audit.AuditID
				}
				if prev, ok := seen[id]; ok {
					if prev != deref(o) {
						t.Fatalf("replayed output %s differs", id)
					}
					continue
				}
				seen[id] = deref(o)
				kept = append(kept, o)
			}
		}
		next := 0 // first event not committed
		for i := 0; i < len(evs); {
			n := min(1+rng.IntN(200), len(evs)-i)
			emit(applyAll(t, p, st, evs[i:i+n]))
			i += n
			if rng.IntN(3) == 0 { // lost: maybe half flushed, never committed
				if rng.IntN(2) == 0 {
					if err := p.Flush(st); err != nil {
						t.Fatal(err)
					}
				}
				st = committed.clone()
				p.Reset()
				i = next
				continue
			}
			if err := p.Flush(st); err != nil {
				t.Fatal(err)
			}
			committed, next = st.clone(), i
		}
		emit(drain(t, p, st, t0+1000*closeAfter))
		if err := p.Flush(st); err != nil {
			t.Fatal(err)
		}
		got := sumMetrics(kept)
		for name, w := range want {
			if g := got[name]; g == nil || *g != *w {
				t.Errorf("%s: got %+v, want %+v", name, g, w)
			}
		}
		if len(st.groups)+len(st.expiry)+len(st.windows) != 0 {
			t.Errorf("state left behind")
		}
	}
}
