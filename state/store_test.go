package state

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sstaudit/sstaudit/processors/join"
)

// forEachMode runs fn against an in-memory store and a store on disk.
func forEachMode(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Helper()
	for _, mode := range []string{"memory", "disk"} {
		t.Run(mode, func(t *testing.T) {
			var opts []Option
			if mode == "memory" {
				opts = append(opts, WithInMemory())
			}
			s, err := Open(t.TempDir(), opts...)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Error(err)
				}
			})
			fn(t, s)
		})
	}
}

func mustCommit(t testing.TB, tx *Tx) {
	t.Helper()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestGroupsAndCloseIndex(t *testing.T) {
	forEachMode(t, func(t *testing.T, s *Store) {
		tx := s.Begin()
		// Close times out of key order, including a negative one.
		for i, at := range []int64{300, -5, 100, 200, 100} {
			key := fmt.Appendf(nil, "k%d", i)
			if err := tx.OpenGroup(key, at, fmt.Appendf(nil, "v%d", i)); err != nil {
				t.Fatal(err)
			}
		}
		// Reads see the transaction's own writes, before commit.
		v, ok, err := tx.Group([]byte("k2"), nil)
		if err != nil || !ok || string(v) != "v2" {
			t.Fatalf("own write: %q %v %v", v, ok, err)
		}
		mustCommit(t, tx)

		tx = s.Begin()
		defer tx.Discard()
		due, err := tx.DueGroups(200, 10, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range due {
			got = append(got, fmt.Sprintf("%d:%s", d.At, d.Key))
		}
		if fmt.Sprint(got) != "[-5:k1 100:k2 100:k4 200:k3]" {
			t.Errorf("due = %v", got)
		}
		if due, _ = tx.DueGroups(1000, 2, due[:0]); len(due) != 2 {
			t.Errorf("max ignored: %d", len(due))
		}
		if err := tx.PutGroup([]byte("k2"), []byte("v2b")); err != nil {
			t.Fatal(err)
		}
		if err := tx.DeleteGroup([]byte("k1"), -5); err != nil {
			t.Fatal(err)
		}
		// The scan sees the transaction's deletes.
		if due, _ = tx.DueGroups(100, 10, due[:0]); len(due) != 2 || string(due[0].Key) != "k2" {
			t.Errorf("after delete: %v", due)
		}
		if _, ok, _ := tx.Group([]byte("k1"), nil); ok {
			t.Error("deleted group still readable")
		}
		if v, _, _ := tx.Group([]byte("k2"), []byte("prefix:")); string(v) != "prefix:v2b" {
			t.Errorf("Group does not append to dst: %q", v)
		}
	})
}

func TestWindowsAndStreamTime(t *testing.T) {
	forEachMode(t, func(t *testing.T, s *Store) {
		err := s.Update(func(tx *Tx) error {
			if _, _, ok, err := tx.Clock(); ok || err != nil {
				return fmt.Errorf("stream time before any: %v %v", ok, err)
			}
			for _, w := range []struct {
				start int64
				key   string
			}{{120, "b"}, {60, "z"}, {60, "a"}, {-60, "n"}} {
				if err := tx.PutWindow(w.start, []byte(w.key), []byte(w.key+"!")); err != nil {
					return err
				}
			}
			return tx.SetClock(-42, -43)
		})
		if err != nil {
			t.Fatal(err)
		}
		tx := s.Begin()
		defer tx.Discard()
		if st, wm, ok, err := tx.Clock(); st != -42 || wm != -43 || !ok || err != nil {
			t.Errorf("clock %d %d %v %v", st, wm, ok, err)
		}
		due, err := tx.DueWindows(60, 10, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) != 3 || due[0].At != -60 || string(due[1].Key) != "a" || string(due[2].Key) != "z" {
			t.Errorf("due windows %v", due)
		}
		v, ok, err := tx.Window(60, []byte("z"), nil)
		if string(v) != "z!" || !ok || err != nil {
			t.Errorf("window %q %v %v", v, ok, err)
		}
		if err := tx.DeleteWindow(60, []byte("z")); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := tx.Window(60, []byte("z"), nil); ok {
			t.Error("deleted window readable")
		}
	})
}

// A discarded transaction leaves neither the state nor the offset; a
// committed one leaves both.
func TestOffsetAndStateAtomicity(t *testing.T) {
	forEachMode(t, func(t *testing.T, s *Store) {
		tx := s.Begin()
		if err := tx.OpenGroup([]byte("g"), 10, []byte("v")); err != nil {
			t.Fatal(err)
		}
		if err := tx.SetOffset("tracking.client", 3, 101); err != nil {
			t.Fatal(err)
		}
		if next, ok, _ := tx.Offset("tracking.client", 3); !ok || next != 101 {
			t.Fatalf("own offset %d %v", next, ok)
		}
		tx.Discard()
		tx.Discard() // twice is fine
		if err := tx.SetOffset("x", 0, 1); !errors.Is(err, ErrTxnDone) {
			t.Errorf("write after discard: %v", err)
		}

		check := s.Begin()
		_, gok, _ := check.Group([]byte("g"), nil)
		_, ook, _ := check.Offset("tracking.client", 3)
		due, _ := check.DueGroups(10, 10, nil)
		check.Discard()
		if gok || ook || len(due) != 0 {
			t.Fatalf("discarded tx visible: group %v offset %v index %d", gok, ook, len(due))
		}

		tx = s.Begin()
		_ = tx.OpenGroup([]byte("g"), 10, []byte("v"))
		_ = tx.SetOffset("tracking.client", 3, 101)
		_ = tx.SetOffset("tracking.server", 3, 7)
		_ = tx.SetOffset("tracking.client", 4, 9)
		mustCommit(t, tx)
		if err := tx.Commit(); !errors.Is(err, ErrTxnDone) {
			t.Errorf("second commit: %v", err)
		}
		check = s.Begin()
		defer check.Discard()
		_, gok, _ = check.Group([]byte("g"), nil)
		c, _, _ := check.Offset("tracking.client", 3)
		sv, _, _ := check.Offset("tracking.server", 3)
		c4, _, _ := check.Offset("tracking.client", 4)
		if !gok || c != 101 || sv != 7 || c4 != 9 {
			t.Errorf("committed: group %v offsets %d %d %d", gok, c, sv, c4)
		}
	})
}

func TestReopenRestores(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(func(tx *Tx) error {
		return errors.Join(tx.OpenGroup([]byte("g"), 5, []byte("val")), tx.PutWindow(0, []byte("w"), []byte("agg")),
			tx.SetClock(99, 98), tx.SetOffset("t", 1, 77))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tx := s.Begin()
	defer tx.Discard()
	g, gok, _ := tx.Group([]byte("g"), nil)
	due, _ := tx.DueGroups(5, 10, nil)
	w, wok, _ := tx.Window(0, []byte("w"), nil)
	st, _, _, _ := tx.Clock()
	off, _, _ := tx.Offset("t", 1)
	if !gok || string(g) != "val" || len(due) != 1 || !wok || string(w) != "agg" || st != 99 || off != 77 {
		t.Errorf("after reopen: %q %v %v %q %v %d %d", g, gok, due, w, wok, st, off)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := Open(dir); !errors.Is(err, ErrLocked) {
		t.Errorf("second open: %v, want ErrLocked", err)
	}

	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "MANIFEST"), []byte("not a manifest at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(bad)
	if err == nil || errors.Is(err, ErrLocked) || !bytes.Contains([]byte(err.Error()), []byte(bad)) {
		t.Errorf("corrupt dir: %v", err)
	}
}

// Full turns true well before Badger refuses the transaction; committing at
// Full and carrying on in a new Tx loses nothing. Writing past Full ends in
// ErrTxnFull, never in a silently dropped write.
func TestTxnFull(t *testing.T) {
	forEachMode(t, func(t *testing.T, s *Store) {
		val := bytes.Repeat([]byte{7}, 200)
		tx := s.Begin()
		commits, n := 0, 0
		for ; n < 60000; n++ {
			if err := tx.OpenGroup(fmt.Appendf(nil, "g%06d", n), int64(n), val); err != nil {
				t.Fatalf("write %d: %v", n, err)
			}
			if tx.Full() {
				mustCommit(t, tx)
				commits++
				tx = s.Begin()
			}
		}
		mustCommit(t, tx)
		if commits == 0 {
			t.Fatal("never full: the test does not reach the limit")
		}
		check := s.Begin()
		due, err := check.DueGroups(1<<62, n+1, nil)
		check.Discard()
		if err != nil || len(due) != n {
			t.Fatalf("%d groups indexed after %d commits, want %d (%v)", len(due), commits, n, err)
		}

		tx = s.Begin()
		defer tx.Discard()
		var err2 error
		for i := 0; err2 == nil && i < 1_000_000; i++ {
			err2 = tx.PutGroup(fmt.Appendf(nil, "h%07d", i), val)
		}
		if !errors.Is(err2, ErrTxnFull) {
			t.Fatalf("past the limit: %v", err2)
		}
	})
}

func TestGC(t *testing.T) {
	forEachMode(t, func(t *testing.T, s *Store) {
		for i := range 3 {
			err := s.Update(func(tx *Tx) error { return tx.PutGroup([]byte("k"), []byte{byte(i)}) })
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := s.GC(); err != nil {
			t.Fatal(err)
		}
	})
}

var _ join.State = (*Tx)(nil)

// The close-index scan merges the committed snapshot with the Tx's own
// writes; a random mix of opens, deletes and commits must scan exactly like
// a sorted map.
func TestScanMergesCommittedAndOwnWrites(t *testing.T) {
	forEachMode(t, func(t *testing.T, s *Store) {
		rng := rand.New(rand.NewPCG(1, 1))
		model := map[string]int64{} // key → close time
		tx := s.Begin()
		defer func() { tx.Discard() }()
		for step := range 3000 {
			key := fmt.Sprintf("k%03d", rng.IntN(300))
			if at, ok := model[key]; ok && rng.IntN(2) == 0 {
				if err := tx.DeleteGroup([]byte(key), at); err != nil {
					t.Fatal(err)
				}
				delete(model, key)
			} else if !ok {
				at := rng.Int64N(1000) - 200
				if err := tx.OpenGroup([]byte(key), at, []byte("v")); err != nil {
					t.Fatal(err)
				}
				model[key] = at
			}
			if rng.IntN(200) == 0 {
				mustCommit(t, tx)
				tx = s.Begin()
			}
			if step%50 == 0 {
				upTo := rng.Int64N(1200) - 300
				var want []string
				for k, at := range model {
					if at <= upTo {
						want = append(want, fmt.Sprintf("%020d%s", at+1<<40, k))
					}
				}
				slices.Sort(want)
				due, err := tx.DueGroups(upTo, 1<<30, nil)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, d := range due {
					got = append(got, fmt.Sprintf("%020d%s", d.At+1<<40, d.Key))
				}
				if !slices.Equal(got, want) {
					t.Fatalf("step %d: scan ≤ %d:\n got %v\nwant %v", step, upTo, got, want)
				}
			}
		}
	})
}

// Badger's logs reach the injected logger, its info at debug level.
func TestWithLogger(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := Open(t.TempDir(), WithLogger(l))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"level":"DEBUG"`)) || !bytes.Contains(buf.Bytes(), []byte(`"component":"badger"`)) {
		t.Errorf("no badger debug lines: %s", buf.Bytes())
	}
	if bytes.Contains(buf.Bytes(), []byte(`"level":"INFO"`)) {
		t.Errorf("badger info not demoted: %s", buf.Bytes())
	}
}
