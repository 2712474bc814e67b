package state

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Restorer rebuilds a store from a state changelog (the Writes of committed
// transactions, in order). It writes through Badger's WriteBatch: fast, and
// not atomic as a whole, which is fine because the store is not used until
// Finish records the changelog position. A restore that stops half-way leaves
// the old position (or none), so the next attempt starts over from it;
// applying a prefix of the changelog again is harmless (last write wins).
//
// Use it on a store nobody else writes to, and commit no Tx meanwhile.
type Restorer struct {
	s  *Store
	wb *badger.WriteBatch
	n  int64
}

// Restore starts a restore into s.
func (s *Store) Restore() *Restorer {
	return &Restorer{s: s, wb: s.db.NewWriteBatch()}
}

// Apply applies one changelog write. The restorer keeps w's slices until
// Finish or Cancel: do not reuse them.
func (r *Restorer) Apply(w Write) error {
	if len(w.Key) == 0 {
		return errors.New("state: restore: empty key")
	}
	if w.Key[0] == keyChangelog[0] && string(w.Key) == string(keyChangelog) {
		return nil // local bookkeeping; never in a changelog, ignored if it is
	}
	var err error
	if w.Delete {
		err = r.wb.Delete(w.Key)
	} else {
		v := w.Value
		if v == nil {
			v = []byte{}
		}
		err = r.wb.Set(w.Key, v)
	}
	if err != nil {
		return fmt.Errorf("state: restore: %w", err)
	}
	r.n++
	return nil
}

// Applied returns the writes applied so far.
func (r *Restorer) Applied() int64 { return r.n }

// Finish writes out what is pending and then records next as the store's
// changelog position (ChangelogOffset), in that order.
func (r *Restorer) Finish(next int64) error {
	if err := r.wb.Flush(); err != nil {
		return fmt.Errorf("state: restore: %w", err)
	}
	var b [8]byte
	err := r.s.db.Update(func(txn *badger.Txn) error {
		return txn.Set(keyChangelog, binary.BigEndian.AppendUint64(b[:0], uint64(next)))
	})
	if err != nil {
		return fmt.Errorf("state: restore: record position: %w", err)
	}
	return nil
}

// Cancel drops what was not yet written. What was written stays; the store's
// changelog position does not move.
func (r *Restorer) Cancel() { r.wb.Cancel() }
