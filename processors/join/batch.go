package join

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Batched mode (Config.Batched). Most events add to one of a few dozen
// window aggregates, and every event moves the clock. Unbatched, each event
// reads, decodes, re-encodes and writes its window's aggregate and writes
// the clock. Batched, the Processor keeps the clock and the aggregates of
// the windows it touched in memory. It writes each changed one to the
// transaction once, in Flush, which the caller calls right before it
// commits. The committed state is the same as unbatched; only the order of
// the writes within a transaction differs.
//
// What is in memory is exactly the state of the transaction in hand:
//   - it is loaded from the transaction on first use, so a new Processor
//     (after a restart or restore) starts from committed state;
//   - a window becomes due only after it is written back: settle writes the
//     due ones before it scans the window table, so the scan sees them;
//   - the caller must call Reset when it discards a transaction (or a
//     commit fails); a Processor is never trusted past an uncommitted one.

// maxCachedWindows bounds the clean aggregates kept between transactions
// (many distinct event names); past it Flush forgets them all, and they are
// read back from state on their next use.
const maxCachedWindows = 4096

type cachedWindow struct {
	start int64
	key   []byte // name key (nameKey)
	agg   Agg
	dirty bool
}

type batchCache struct {
	windows  map[string]*cachedWindow // windowID → aggregate
	dirty    []*cachedWindow          // in the order first changed
	minDirty int64                    // earliest start in dirty
	id       []byte
	val      []byte

	clockLoaded bool // clock, clockSet hold the transaction's clock
	clockSet    bool // state has a clock
	clockDirty  bool
	clock       clock
}

func newBatchCache() *batchCache {
	return &batchCache{windows: map[string]*cachedWindow{}, minDirty: math.MaxInt64}
}

// windowID is the cache key of a window: its start, then its name key.
func windowID(dst []byte, start int64, key []byte) []byte {
	return append(binary.BigEndian.AppendUint64(dst, uint64(start)), key...)
}

// add folds d into the cached aggregate of window (start, key), loading it
// from tx first if it is not cached.
func (c *batchCache) add(tx State, start int64, key []byte, d *Agg) error {
	c.id = windowID(c.id[:0], start, key)
	w := c.windows[string(c.id)]
	if w == nil {
		id := string(c.id)
		w = &cachedWindow{start: start, key: []byte(id[8:])}
		v, ok, err := tx.Window(start, key, c.val[:0])
		if err != nil {
			return err
		}
		c.val = v
		if ok {
			if err := w.agg.UnmarshalBinary(v); err != nil {
				return fmt.Errorf("join: window %d: %w", start, err)
			}
		}
		c.windows[id] = w
	}
	w.agg.Add(d)
	if !w.dirty {
		w.dirty = true
		c.dirty = append(c.dirty, w)
		c.minDirty = min(c.minDirty, start)
	}
	return nil
}

// writeBack writes the changed aggregates of windows starting at or before
// upTo to tx.
func (c *batchCache) writeBack(tx State, upTo int64) error {
	if c.minDirty > upTo {
		return nil
	}
	kept := c.dirty[:0]
	c.minDirty = math.MaxInt64
	for _, w := range c.dirty {
		if !w.dirty {
			continue // forgotten
		}
		if w.start > upTo {
			kept = append(kept, w)
			c.minDirty = min(c.minDirty, w.start)
			continue
		}
		c.val = w.agg.AppendBinary(c.val[:0])
		if err := tx.PutWindow(w.start, w.key, c.val); err != nil {
			return err
		}
		w.dirty = false
	}
	clear(c.dirty[len(kept):])
	c.dirty = kept
	return nil
}

// forget drops window (start, key) once it is emitted and deleted.
func (c *batchCache) forget(start int64, key []byte) {
	c.id = windowID(c.id[:0], start, key)
	if w := c.windows[string(c.id)]; w != nil {
		w.dirty = false
		delete(c.windows, string(c.id))
	}
}

// Flush writes what the Processor holds in memory for the transaction (the
// clock and the changed window aggregates) to tx. In batched mode the caller
// must call it before committing tx; in the default mode it does nothing.
// After a Flush the Processor may go on with the same transaction or with
// the next one.
func (p *Processor) Flush(tx State) error {
	c := p.cache
	if c == nil {
		return nil
	}
	if err := c.writeBack(tx, math.MaxInt64); err != nil {
		return err
	}
	if c.clockDirty {
		if err := tx.SetClock(c.clock.stream, c.clock.wm); err != nil {
			return err
		}
		c.clockDirty = false
	}
	if len(c.windows) > maxCachedWindows {
		clear(c.windows)
	}
	return nil
}

// Reset forgets what the Processor holds in memory, so that its next call
// reads everything from state. In batched mode call it after discarding a
// transaction that was used since the last commit, or after a commit that
// failed.
func (p *Processor) Reset() {
	if p.cache != nil {
		p.cache = newBatchCache()
	}
}

// stateClock is tx.Clock, through the cache in batched mode.
func (p *Processor) stateClock(tx State) (stream, wm int64, ok bool, err error) {
	c := p.cache
	if c == nil {
		return tx.Clock()
	}
	if !c.clockLoaded {
		s, wm, ok, err := tx.Clock()
		if err != nil {
			return 0, 0, false, err
		}
		c.clock, c.clockSet, c.clockLoaded = clock{stream: s, wm: wm}, ok, true
	}
	return c.clock.stream, c.clock.wm, c.clockSet, nil
}

// setStateClock is tx.SetClock, through the cache in batched mode.
func (p *Processor) setStateClock(tx State, stream, wm int64) error {
	c := p.cache
	if c == nil {
		return tx.SetClock(stream, wm)
	}
	c.clock, c.clockSet, c.clockLoaded, c.clockDirty = clock{stream: stream, wm: wm}, true, true, true
	return nil
}
