package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// Errors returned by the store.
var (
	// ErrLocked is returned by Open when another process (or another Store
	// in this process) holds the state directory.
	ErrLocked = errors.New("state: directory is locked by another process")
	// ErrTxnFull is returned by a Tx write that would exceed Badger's
	// transaction limit. The transaction is unusable: discard it and replay
	// the work from the stored offset (see the package doc). Checking Full
	// after each unit of work avoids it.
	ErrTxnFull = errors.New("state: transaction too big")
	// ErrClosed is returned when the store is used after Close.
	ErrClosed = errors.New("state: store closed")
	// ErrTxnDone is returned when a Tx is used after Commit or Discard.
	ErrTxnDone = errors.New("state: transaction already committed or discarded")
)

// Store is one task's state: Badger under a directory (or in memory). A
// task owns its store; a Store is safe for concurrent use as Badger is, but
// the join expects one writer.
type Store struct {
	db       *badger.DB
	dir      string
	inMemory bool
	maxCount int64
	maxSize  int64
	log      *slog.Logger

	// realDir is dir made absolute with symlinks resolved, as
	// /proc/self/maps names the mapped files.
	realDir            string
	trimMu             sync.Mutex // one trim at a time, none during Close
	trimStop, trimDone chan struct{}
	trimmed            trimCounters

	closeOnce sync.Once
	closeErr  error
}

// Option configures Open.
type Option func(*config)

type config struct {
	inMemory   bool
	logger     *slog.Logger
	syncWrites bool
	memTable   int64
	// fileRSSBudget: see WithFileRSSBudget.
	fileRSSBudget int64
}

// WithInMemory keeps the state in memory only (tests), overriding the
// default of a store on disk under dir; dir is then ignored.
func WithInMemory() Option { return func(c *config) { c.inMemory = true } }

// WithLogger routes Badger's logs to l, overriding the default of
// discarding them. Badger's info and debug lines go to l at debug level, its
// warnings and errors at warn and error.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithSyncWrites fsyncs every commit, overriding the default of not
// syncing. Without it a commit survives a process crash (kill -9) but the
// last commits may be lost with the machine; the state stays consistent and
// the lost input is replayed from the stored offsets (package doc).
func WithSyncWrites() Option { return func(c *config) { c.syncWrites = true } }

// WithMemTableSize sets Badger's memtable size in bytes, overriding the
// default of 16 MiB. A transaction may hold about 15% of it.
func WithMemTableSize(n int64) Option { return func(c *config) { c.memTable = n } }

const defaultMemTable = 16 << 20

// Open opens (creating if needed) the store under dir. A directory held by
// another process gives ErrLocked; an unreadable or corrupt one an error
// naming the directory.
func Open(dir string, opts ...Option) (*Store, error) {
	c := config{memTable: defaultMemTable, fileRSSBudget: defaultFileRSSBudget}
	for _, o := range opts {
		o(&c)
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	bo := badgerOptions(dir, &c)
	if !c.inMemory {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("state: open %s: %w", dir, err)
		}
	}
	db, err := badger.Open(bo)
	if err != nil {
		if strings.Contains(err.Error(), "Cannot acquire directory lock") {
			return nil, fmt.Errorf("%w: %s", ErrLocked, dir)
		}
		return nil, fmt.Errorf("state: open %s (corrupt or unreadable state directory?): %w", dir, err)
	}
	s := &Store{
		db:       db,
		dir:      dir,
		inMemory: c.inMemory,
		maxCount: db.MaxBatchCount(),
		maxSize:  db.MaxBatchSize(),
		log:      c.logger,
	}
	if !c.inMemory {
		if s.realDir, err = filepath.Abs(dir); err == nil {
			s.realDir, err = filepath.EvalSymlinks(s.realDir)
		}
		if err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("state: open %s: %w", dir, err)
		}
	}
	s.startTrimmer(c.fileRSSBudget)
	return s, nil
}

// badgerOptions are tuned for many small values (≈100–300 bytes) on a
// 2-core machine with bounded memory; the package doc explains each choice.
func badgerOptions(dir string, c *config) badger.Options {
	var bo badger.Options
	if c.inMemory {
		bo = badger.DefaultOptions("").WithInMemory(true)
	} else {
		bo = badger.DefaultOptions(dir)
	}
	// Every level's tables are BaseTableSize (the default doubles it per
	// level): a table builder's buffers are about twice its table, and
	// Badger pools up to 8 of them.
	bo.TableSizeMultiplier = 1
	return bo.
		WithLogger(slogLogger{c.logger}).
		WithSyncWrites(c.syncWrites).
		WithMemTableSize(c.memTable).
		WithNumMemtables(2).
		WithNumLevelZeroTables(4).
		WithNumLevelZeroTablesStall(8).
		WithBaseTableSize(4 << 20).
		WithNumCompactors(2).
		WithCompression(options.Snappy).
		WithBlockCacheSize(16 << 20).
		WithIndexCacheSize(0).
		WithValueLogFileSize(64 << 20).
		WithDetectConflicts(false).
		WithMetricsEnabled(false).
		WithNumGoroutines(2)
}

// Close flushes and closes the store. It is idempotent and safe to call
// concurrently; later calls return the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.stopTrimmer()
		s.trimMu.Lock()
		defer s.trimMu.Unlock()
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("state: close %s: %w", s.dir, err)
		}
	})
	return s.closeErr
}

// GC reclaims value-log space: it runs Badger's value-log GC until there is
// nothing left to rewrite. Call it periodically (minutes), not per commit.
// A no-op in memory.
func (s *Store) GC() error {
	if s.inMemory {
		return nil
	}
	if s.db.IsClosed() {
		return ErrClosed
	}
	for {
		err := s.db.RunValueLogGC(0.5)
		switch {
		case err == nil:
			continue
		case errors.Is(err, badger.ErrNoRewrite), errors.Is(err, badger.ErrRejected):
			return nil
		default:
			return fmt.Errorf("state: value log gc: %w", err)
		}
	}
}

// Sync flushes written data to disk.
func (s *Store) Sync() error {
	if err := s.db.Sync(); err != nil {
		return fmt.Errorf("state: sync: %w", err)
	}
	return nil
}

// Size returns Badger's estimate of the bytes the LSM tree and the value log
// occupy (refreshed by Badger about once a minute).
func (s *Store) Size() (lsm, vlog int64) { return s.db.Size() }

// DiskUsage returns the bytes of every file under the store's directory
// (0 in memory): SSTs, value log, memtable WAL, manifest.
func (s *Store) DiskUsage() (int64, error) {
	if s.inMemory {
		return 0, nil
	}
	return dirSize(s.dir)
}

func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	return n, err
}

// slogLogger adapts Badger's four-method Logger to slog. Badger's info is
// chatty (compactions, flushes), so it goes to debug with Badger's debug.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) log(level slog.Level, f string, a []any) {
	if !s.l.Enabled(context.Background(), level) {
		return
	}
	s.l.Log(context.Background(), level, strings.TrimSpace(fmt.Sprintf(f, a...)), "component", "badger")
}

func (s slogLogger) Errorf(f string, a ...any)   { s.log(slog.LevelError, f, a) }
func (s slogLogger) Warningf(f string, a ...any) { s.log(slog.LevelWarn, f, a) }
func (s slogLogger) Infof(f string, a ...any)    { s.log(slog.LevelDebug, f, a) }
func (s slogLogger) Debugf(f string, a ...any)   { s.log(slog.LevelDebug, f, a) }

// Each calls fn with every state key and value in key order: groups, the
// close index, windows, offsets and the clock (not the local changelog
// position). The slices are valid only during the call. For tests and
// debugging: it reads the whole store.
func (s *Store) Each(fn func(key, value []byte) error) error {
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			if bytes.Equal(item.Key(), keyChangelog) {
				continue
			}
			v, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			if err := fn(item.Key(), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// Dir returns the store's directory ("" in memory).
func (s *Store) Dir() string {
	if s.inMemory {
		return ""
	}
	return s.dir
}
