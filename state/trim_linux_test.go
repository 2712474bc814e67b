package state

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// tableRSS sums the resident bytes of the process's mappings of s's tables
// (/proc/self/smaps).
func tableRSS(t *testing.T, s *Store) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	var ours bool
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			// A mapping's header: "start-end perms offset dev inode [path]".
			ours = len(f) == 6 && strings.HasPrefix(f[5], s.realDir+"/") && strings.HasSuffix(f[5], ".sst")
			continue
		}
		if v, ok := strings.CutPrefix(line, "Rss:"); ok && ours {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			sum += kb << 10
		}
	}
	return sum
}

func trimKey(i int) []byte { return fmt.Appendf(nil, "group-%08d", i*7919%1_000_003) }

func trimValue(i int) []byte {
	return bytes.Repeat(fmt.Appendf(nil, "%d;", i), 20)
}

// writeGroups writes groups [from, to) in transactions that commit when full.
func writeGroups(t testing.TB, s *Store, from, to int) {
	t.Helper()
	tx := s.Begin()
	for i := from; i < to; i++ {
		if err := tx.OpenGroup(trimKey(i), int64(i), trimValue(i)); err != nil {
			t.Fatal(err)
		}
		if tx.Full() {
			mustCommit(t, tx)
			tx = s.Begin()
		}
	}
	mustCommit(t, tx)
}

// checkGroups reads groups [0, n) back and compares them.
func checkGroups(t testing.TB, s *Store, n int) {
	t.Helper()
	tx := s.Begin()
	defer tx.Discard()
	var buf []byte
	for i := range n {
		v, ok, err := tx.Group(trimKey(i), buf[:0])
		if err != nil || !ok || !bytes.Equal(v, trimValue(i)) {
			t.Fatalf("group %d: %q %v %v", i, v, ok, err)
		}
		buf = v
	}
}

func TestTrimResidentKeepsData(t *testing.T) {
	const n = 30_000
	dir := t.TempDir()
	open := func() *Store {
		s, err := Open(dir, WithMemTableSize(8<<20), WithFileRSSBudget(-1))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	writeGroups(t, s, 0, n)
	// Reopen: the memtables are flushed to tables, mapped on open.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open()
	checkGroups(t, s, n) // touches the tables' pages
	before := tableRSS(t, s)
	if before == 0 {
		t.Fatal("no resident table pages after reading every group")
	}
	if err := s.TrimResident(); err != nil {
		t.Fatal(err)
	}
	after := tableRSS(t, s)
	t.Logf("resident table bytes: %d before the trim, %d after", before, after)
	if after >= before/2 {
		t.Errorf("resident table bytes %d after the trim, %d before", after, before)
	}
	if st := s.TrimStats(); st.Trims != 1 || st.Mappings == 0 || st.Bytes == 0 {
		t.Errorf("stats %+v", st)
	}
	checkGroups(t, s, n)
	// Writes after a trim, then a reopen: everything is there.
	writeGroups(t, s, n, n+10_000)
	if err := s.TrimResident(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.TrimResident(); err != ErrClosed {
		t.Errorf("trim after close: %v", err)
	}
	s = open()
	defer s.Close()
	checkGroups(t, s, n+10_000)
}

// TestTrimWhileWriting trims continuously while groups are written and the
// tables compacted (run it with -race): no error, no lost or changed data.
func TestTrimWhileWriting(t *testing.T) {
	const n = 20_000
	dir := t.TempDir()
	s, err := Open(dir, WithMemTableSize(8<<20), WithFileRSSBudget(0)) // the background trimmer runs too
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := s.TrimResident(); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := 0; i < n; i += 4_000 {
		writeGroups(t, s, i, i+4_000)
		checkGroups(t, s, i+4_000)
	}
	close(stop)
	wg.Wait()
	if s.TrimStats().Trims == 0 {
		t.Error("no trim ran")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkGroups(t, s, n)
}

// BenchmarkDiskGet reads random groups of a store on disk (300k groups,
// flushed to tables), untrimmed and with every table page dropped every
// 1000 reads (far more often than the trimmer does: at most once a second),
// and times one trim.
func BenchmarkDiskGet(b *testing.B) {
	const n = 300_000
	dir := b.TempDir()
	s, err := Open(dir, WithFileRSSBudget(-1))
	if err != nil {
		b.Fatal(err)
	}
	writeGroups(b, s, 0, n)
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	if s, err = Open(dir, WithFileRSSBudget(-1)); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	checkGroups(b, s, n)
	for _, every := range []int{0, 1000} {
		name := "untrimmed"
		if every > 0 {
			name = fmt.Sprintf("trim-every-%d", every)
		}
		b.Run(name, func(b *testing.B) {
			benchGets(b, s, func(i int) []byte { return trimKey(i * 7919 % n) }, func(i int) {
				if every > 0 && i%every == 0 {
					if err := s.TrimResident(); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
	b.Run("trim", func(b *testing.B) {
		for b.Loop() {
			if err := s.TrimResident(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
