package consumers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sstaudit/sstaudit/state"
)

// openStore opens partition part's store and makes it current with the state
// changelog before the task reads any input:
//   - its recorded changelog offset equals the changelog's end: used as is;
//   - it is behind (another instance has worked on the partition since, or a
//     crash fell between the changelog write and the Badger commit): the
//     records from there to the end are applied;
//   - it has no recorded offset, or one below the changelog's first offset,
//     while the changelog holds records: it is emptied and rebuilt from the
//     first record;
//   - its offset is beyond the end (the changelog topic was deleted and
//     recreated): the local state is kept, with a warning, and the changelog
//     continues from its end.
func (p *Pipeline) openStore(ctx context.Context, part int) (*state.Store, error) {
	if err := p.checkDisk(); err != nil {
		return nil, fmt.Errorf("consumers: partition %d: %w", part, err)
	}
	dir := p.storeDir(part)
	topic := p.cfg.changelogTopic()
	first, end, err := p.offsetRange(ctx, topic, part)
	if err != nil {
		return nil, fmt.Errorf("consumers: state changelog %s/%d offsets: %w", topic, part, err)
	}
	store, err := state.Open(dir, state.WithLogger(p.log))
	if err != nil {
		return nil, fmt.Errorf("consumers: partition %d: %w", part, err)
	}
	var pos int64
	var ok bool
	err = store.Update(func(tx *state.Tx) error {
		pos, ok, err = tx.ChangelogOffset()
		return err
	})
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	from := pos
	switch {
	case ok && pos == end:
		return store, nil
	case ok && pos > end:
		p.log.Warn("state is ahead of its changelog (was the changelog topic recreated?); keeping the local state",
			"partition", part, "store_offset", pos, "changelog_end", end)
		from = end
	case ok && pos >= first:
		// Catch up from pos.
	case !ok && end == first:
		// Nothing to restore: a new partition (or a store from before the
		// changelog). Record the position so later starts know it is current.
		from = end
	default:
		// No usable position: rebuild from scratch.
		if err := store.Close(); err != nil {
			return nil, err
		}
		if err := os.RemoveAll(dir); err != nil {
			return nil, fmt.Errorf("consumers: partition %d: clear state for restore: %w", part, err)
		}
		if store, err = state.Open(dir, state.WithLogger(p.log)); err != nil {
			return nil, fmt.Errorf("consumers: partition %d: %w", part, err)
		}
		from = first
	}
	if err := p.restore(ctx, store, part, from, end); err != nil {
		_ = store.Close()
		return nil, err
	}
	return store, nil
}

// restore applies changelog records [from, end) of partition part to store,
// in batches, then records end as the store's changelog position.
func (p *Pipeline) restore(ctx context.Context, store *state.Store, part int, from, end int64) error {
	start := time.Now()
	topic := p.cfg.changelogTopic()
	rs := store.Restore()
	if from < end {
		p.setReady(fmt.Sprintf("restore-%d", part), false, "restoring state from the changelog")
		defer p.setReady(fmt.Sprintf("restore-%d", part), true, "")
		p.log.Info("restoring state", "partition", part, "from", from, "to", end)
		r := kafka.NewReader(kafka.ReaderConfig{
			Brokers: p.cfg.Brokers, Topic: topic, Partition: part,
			MinBytes: 1, MaxBytes: changelogMaxMessageBytes + 1<<20, MaxWait: 250 * time.Millisecond,
			QueueCapacity: 1000, ReadBackoffMin: 50 * time.Millisecond, ReadBackoffMax: time.Second,
			MaxAttempts: 1 << 30,
		})
		defer r.Close()
		if err := r.SetOffset(from); err != nil {
			rs.Cancel()
			return err
		}
		var n int64
		for {
			// A stall this long means the broker is gone: fail, and the task
			// retries the restore from its start.
			rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			m, err := r.FetchMessage(rctx)
			cancel()
			if err != nil {
				rs.Cancel()
				return fmt.Errorf("consumers: restore %s/%d at %d of %d: %w", topic, part, from+n, end, err)
			}
			if m.Offset >= end {
				break
			}
			if err := rs.Apply(changelogWrite(&m)); err != nil {
				rs.Cancel()
				return err
			}
			n++
			if m.Offset+1 >= end {
				break
			}
		}
	}
	if err := rs.Finish(end); err != nil {
		return err
	}
	if n := rs.Applied(); n > 0 || from < end {
		p.stats.Restored.Add(n)
		p.tel.instruments().StateRestored(ctx, n)
		p.log.Info("state restored", "partition", part, "records", n, "from", from, "to", end,
			"duration", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// ErrLowDisk is returned when the state directory's file system has less
// free space than Config.MinFreeDisk.
var ErrLowDisk = errors.New("consumers: state disk nearly full")

// checkDisk fails with ErrLowDisk when the state directory's file system is
// below Config.MinFreeDisk. Badger writes its write-ahead log through
// memory-mapped sparse files: on a full disk such a write is a SIGBUS that
// kills the process, not an error. Checking before every commit turns a
// filling disk into a task that stops and retries, not ready, instead.
func (p *Pipeline) checkDisk() error {
	if p.cfg.MinFreeDisk == 0 {
		return nil
	}
	free, err := state.FreeSpace(p.cfg.StateDir)
	if err != nil {
		return err
	}
	if free < p.cfg.MinFreeDisk {
		return fmt.Errorf("%w: %d MiB free in %s, need %d MiB", ErrLowDisk, free>>20, p.cfg.StateDir, p.cfg.MinFreeDisk>>20)
	}
	return nil
}
