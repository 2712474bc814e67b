package state

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// dump returns every state entry of s as "key=value" lines.
func dump(t testing.TB, s *Store) []string {
	t.Helper()
	var out []string
	err := s.Each(func(k, v []byte) error {
		out = append(out, fmt.Sprintf("%x=%x", k, v))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// randomWork runs n random transactions on s (some discarded) and returns
// the writes of the committed ones, in commit order.
func randomWork(t testing.TB, s *Store, seed uint64, n int) [][]Write {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	type grp struct{ closeAt int64 }
	open := map[string]grp{}
	var log [][]Write
	for i := range n {
		tx := s.Begin()
		for range 1 + rng.IntN(20) {
			var err error
			switch k := fmt.Sprintf("g%03d", rng.IntN(60)); rng.IntN(7) {
			case 0, 1:
				at := int64(rng.IntN(1000) - 100)
				if g, ok := open[k]; ok {
					err = tx.DeleteGroup([]byte(k), g.closeAt)
				}
				if err == nil {
					err = tx.OpenGroup([]byte(k), at, fmt.Appendf(nil, "v%d", rng.IntN(1e6)))
					open[k] = grp{at}
				}
			case 2:
				if g, ok := open[k]; ok {
					err = tx.DeleteGroup([]byte(k), g.closeAt)
					delete(open, k)
				}
			case 3:
				err = tx.PutWindow(int64(rng.IntN(10)*1000), []byte("meta/Purchase"), fmt.Appendf(nil, "agg%d", rng.IntN(100)))
			case 4:
				err = tx.DeleteWindow(int64(rng.IntN(10)*1000), []byte("meta/Purchase"))
			case 5:
				err = tx.SetClock(int64(i*10), int64(i*10-5))
			case 6:
				err = tx.SetOffset("tracking.client", 2, int64(i))
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.SetChangelogOffset(int64(i)); err != nil {
			t.Fatal(err)
		}
		if rng.IntN(10) == 0 {
			tx.Discard() // never committed: not in the log (the open map drifts; harmless)
			continue
		}
		ws := tx.Writes()
		mustCommit(t, tx)
		log = append(log, ws)
	}
	return log
}

func TestWritesRebuildTheStore(t *testing.T) {
	forEachMode(t, func(t *testing.T, s *Store) {
		log := randomWork(t, s, 7, 300)
		want := dump(t, s)
		if len(want) < 20 {
			t.Fatalf("workload too small: %d entries", len(want))
		}
		for _, ws := range log {
			for _, w := range ws {
				if bytes.Equal(w.Key, keyChangelog) {
					t.Fatal("the changelog position is in Writes")
				}
			}
		}
		var opts []Option
		if s.inMemory {
			opts = append(opts, WithInMemory())
		}
		r, err := Open(t.TempDir(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		// A restore that stops half-way, then a full one from the start:
		// applying a prefix twice changes nothing.
		rs := r.Restore()
		for _, ws := range log[:len(log)/2] {
			for _, w := range ws {
				if err := rs.Apply(w); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := rs.Finish(-1); err != nil { // a position is recorded only by Finish
			t.Fatal(err)
		}
		rs = r.Restore()
		var n int64
		for _, ws := range log {
			for _, w := range ws {
				if err := rs.Apply(w); err != nil {
					t.Fatal(err)
				}
				n++
			}
		}
		if err := rs.Finish(12345); err != nil {
			t.Fatal(err)
		}
		if rs.Applied() != n {
			t.Errorf("applied %d, want %d", rs.Applied(), n)
		}
		got := dump(t, r)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("restored store differs:\n got %d entries\nwant %d entries", len(got), len(want))
		}
		tx := r.Begin()
		defer tx.Discard()
		if pos, ok, err := tx.ChangelogOffset(); err != nil || !ok || pos != 12345 {
			t.Errorf("changelog offset %d %v %v", pos, ok, err)
		}
		// The close index (empty values) came back: scans work on the copy.
		due, err := tx.DueGroups(1<<40, 1000, nil)
		if err != nil || len(due) == 0 {
			t.Errorf("close index after restore: %d entries, %v", len(due), err)
		}
	})
}

func TestWritesOrderAndKinds(t *testing.T) {
	forEachMode(t, func(t *testing.T, s *Store) {
		tx := s.Begin()
		defer tx.Discard()
		_ = tx.OpenGroup([]byte("a"), 5, []byte("v1"))
		_ = tx.PutGroup([]byte("a"), []byte("v2"))
		_ = tx.DeleteGroup([]byte("a"), 5)
		_ = tx.SetOffset("t", 0, 9)
		_ = tx.SetChangelogOffset(3)
		var got []string
		for _, w := range tx.Writes() {
			got = append(got, fmt.Sprintf("%c:%q:%v", w.Key[0], w.Value, w.Delete))
		}
		want := `[g:"v1":false x:"":false g:"v2":false g:"":true x:"":true o:"\x00\x00\x00\x00\x00\x00\x00\t":false]`
		if fmt.Sprint(got) != want {
			t.Errorf("writes %v\nwant %s", got, want)
		}
		if w := tx.Writes()[1]; w.Value == nil || w.Delete {
			t.Errorf("a put of an empty value must not look like a delete: %+v", w)
		}
	})
}

func TestRestoreCancelKeepsPosition(t *testing.T) {
	forEachMode(t, func(t *testing.T, s *Store) {
		if err := s.Update(func(tx *Tx) error { return tx.SetChangelogOffset(40) }); err != nil {
			t.Fatal(err)
		}
		rs := s.Restore()
		if err := rs.Apply(Write{Key: []byte("gk"), Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
		rs.Cancel()
		tx := s.Begin()
		defer tx.Discard()
		if pos, ok, _ := tx.ChangelogOffset(); !ok || pos != 40 {
			t.Errorf("position after cancel %d %v", pos, ok)
		}
	})
}
