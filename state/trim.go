package state

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Resident file pages.
//
// Badger memory-maps every table file (there is no option not to) and reads
// keys, block indexes and bloom filters straight from the mapping; the
// tables a compaction writes are written through a mapping too. With random
// keys, every lookup and every compaction touches pages all over the store,
// so the mapped tables end up resident: clean page cache, reclaimable by the
// kernel, but counted in the process's RSS (RssFile), which then grows with
// the state. The trimmer tells the kernel, with madvise(MADV_DONTNEED), to
// drop this process's mappings of the table pages: the pages stay in the
// page cache (a file's pages are shared with the cache, not copies), the
// next access is a minor fault, and the data is unchanged — for a shared file
// mapping DONTNEED only unmaps pages, it never discards file contents.

// Trimming defaults: see WithFileRSSBudget.
const (
	defaultFileRSSBudget = 128 << 20
	trimEvery            = time.Second
)

// WithFileRSSBudget sets the process's file-backed resident memory (RssFile
// in /proc/self/status: mapped files, the executable included) above which
// the store trims the resident pages of its mapped tables, checked every
// second; default 128 MiB. 0 trims every second whatever the figure; a
// negative budget never trims. Every store of the process checks the same
// process-wide figure and trims its own tables. Linux only: elsewhere
// trimming is a no-op.
func WithFileRSSBudget(n int64) Option { return func(c *config) { c.fileRSSBudget = n } }

// TrimStats counts what trimming did: calls that trimmed, mappings advised,
// and the bytes of those mappings (mapped, not necessarily resident).
type TrimStats struct {
	Trims, Mappings, Bytes int64
}

type trimCounters struct{ trims, mappings, bytes atomic.Int64 }

// TrimStats returns what trimming has done since Open.
func (s *Store) TrimStats() TrimStats {
	return TrimStats{Trims: s.trimmed.trims.Load(), Mappings: s.trimmed.mappings.Load(), Bytes: s.trimmed.bytes.Load()}
}

// startTrimmer runs the budget check every trimEvery until Close.
func (s *Store) startTrimmer(budget int64) {
	if budget < 0 || s.inMemory || !trimSupported {
		return
	}
	s.trimStop, s.trimDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.trimDone)
		t := time.NewTicker(trimEvery)
		defer t.Stop()
		for {
			select {
			case <-s.trimStop:
				return
			case <-t.C:
			}
			if budget > 0 && ProcessFileRSS() <= budget {
				continue
			}
			if err := s.TrimResident(); err != nil {
				s.log.Warn("state: trimming resident table pages", "dir", s.dir, "err", err)
			}
		}
	}()
}

// stopTrimmer stops the trimmer goroutine and waits for it.
func (s *Store) stopTrimmer() {
	if s.trimStop != nil {
		close(s.trimStop)
		<-s.trimDone
	}
}

// TrimResident drops this process's resident pages of the store's mapped
// table files now (see WithFileRSSBudget). The data is unaffected; the next
// read of a dropped page is a minor fault from the page cache. A no-op in
// memory and off Linux.
//
// Only tables that are pinned for the whole call are advised, so no mapping
// can be unmapped (and its address reused) between reading /proc/self/maps
// and madvise: an open Badger iterator holds a reference to every table that
// existed when it was created, and a table listed both before and after its
// creation existed then (table ids are never reused).
func (s *Store) TrimResident() error {
	if s.inMemory || !trimSupported {
		return nil
	}
	s.trimMu.Lock()
	defer s.trimMu.Unlock()
	if s.db.IsClosed() {
		return ErrClosed
	}
	before := tableIDs(s.db.Tables())
	txn := s.db.NewTransaction(false)
	defer txn.Discard()
	it := txn.NewIterator(badger.IteratorOptions{}) // pins every table until Close
	defer it.Close()
	pinned := map[string]bool{}
	for id := range tableIDs(s.db.Tables()) {
		if before[id] {
			pinned[filepath.Join(s.realDir, fmt.Sprintf("%06d.sst", id))] = true
		}
	}
	maps, err := fileMappings()
	if err != nil {
		return fmt.Errorf("state: trim %s: %w", s.dir, err)
	}
	var n, bytes int64
	for _, m := range maps {
		if !pinned[m.path] {
			continue
		}
		if err := dropResident(m.start, m.end-m.start); err != nil {
			return fmt.Errorf("state: trim %s: madvise %s: %w", s.dir, m.path, err)
		}
		n++
		bytes += int64(m.end - m.start)
	}
	s.trimmed.trims.Add(1)
	s.trimmed.mappings.Add(n)
	s.trimmed.bytes.Add(bytes)
	return nil
}

func tableIDs(ts []badger.TableInfo) map[uint64]bool {
	ids := make(map[uint64]bool, len(ts))
	for _, t := range ts {
		ids[t.ID] = true
	}
	return ids
}

// mapping is one line of /proc/self/maps naming a file.
type mapping struct {
	start, end uintptr
	path       string
}

// parseMaps reads /proc/<pid>/maps text: "start-end perms offset dev inode
// path". Lines without a path, and files deleted since they were mapped
// ("path (deleted)"), are skipped.
func parseMaps(text string) ([]mapping, error) {
	var out []mapping
	for line := range strings.Lines(text) {
		line = strings.TrimSuffix(line, "\n")
		rest := line
		var fields [5]string
		for i := range fields {
			rest = strings.TrimLeft(rest, " ")
			var ok bool
			if fields[i], rest, ok = strings.Cut(rest, " "); !ok {
				break
			}
		}
		path := strings.TrimLeft(rest, " ")
		if !strings.HasPrefix(path, "/") || strings.HasSuffix(path, " (deleted)") {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if !ok || err1 != nil || err2 != nil || end <= start {
			return nil, fmt.Errorf("unexpected maps line %q", line)
		}
		out = append(out, mapping{start: uintptr(start), end: uintptr(end), path: path})
	}
	return out, nil
}
