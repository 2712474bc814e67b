package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"

	"github.com/sstaudit/sstaudit/processors/join"
)

// Key layout: one prefix byte per table. Times are big-endian with the sign
// bit flipped, so that byte order is time order.
const (
	pGroup  = 'g' // 'g' group key → encoded group
	pExpiry = 'x' // 'x' close time, group key → empty (close index)
	pWindow = 'w' // 'w' window start, window key → encoded aggregate
	pOffset = 'o' // 'o' topic 0x00 partition → next offset
	pMeta   = 'm' // 'm' name → value
)

var (
	keyClock = []byte{pMeta, 'c', 'l', 'k'}
	// keyChangelog holds the next changelog offset this store has applied
	// (SetChangelogOffset). It is local bookkeeping, never in the write log.
	keyChangelog = []byte{pMeta, 'c', 'h', 'l'}
)

// Write is one state change of a transaction: Value stored under Key, or
// Key deleted. An empty Value is a put of an empty value, not a delete.
type Write struct {
	Key    []byte
	Value  []byte
	Delete bool
}

var _ join.State = (*Tx)(nil)

// Tx is a read-write state transaction. Reads see its own writes; nothing is
// visible outside until Commit. A Tx belongs to one goroutine.
type Tx struct {
	s     *Store
	txn   *badger.Txn
	view  *badger.Txn // read-only, same snapshot: scans of the committed part
	ovl   overlay     // this Tx's writes to the timed tables, sorted
	done  bool
	count int64 // writes so far, as Badger counts them
	size  int64 // bytes so far, as Badger estimates them
	arena []byte
	kbuf  []byte
	log   []Write // every state write, in order (Writes)

	lastKey, lastVal []byte // the held copies of put's last write
}

// Begin starts a read-write transaction. Call Commit or Discard.
//
// A store has one Tx at a time (the task's): scans read the committed state
// through a read-only snapshot taken with the Tx, which equals the Tx's own
// snapshot only while no other Tx commits.
func (s *Store) Begin() *Tx {
	txn := s.db.NewTransaction(true)
	return &Tx{s: s, txn: txn, view: s.db.NewTransaction(false)}
}

// Update runs fn in a transaction and commits it when fn returns nil; it
// discards it otherwise.
func (s *Store) Update(fn func(*Tx) error) error {
	tx := s.Begin()
	defer tx.Discard()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// Commit makes the transaction's writes durable (per WithSyncWrites) and
// visible, atomically. The Tx is done afterwards, whatever the result.
func (t *Tx) Commit() error {
	if t.done {
		return ErrTxnDone
	}
	t.done = true
	t.view.Discard()
	if err := t.txn.Commit(); err != nil {
		return fmt.Errorf("state: commit: %w", err)
	}
	return nil
}

// Discard drops the transaction's writes. Safe after Commit, and twice.
func (t *Tx) Discard() {
	t.done = true
	t.view.Discard()
	t.txn.Discard()
}

// Full reports whether the transaction has used half of Badger's limit (in
// entries or bytes). Check it after each unit of work (one input record):
// when true, write out the outputs, Commit, and continue in a new Tx. Half
// leaves ample room for one unit, whose size the join bounds.
func (t *Tx) Full() bool {
	return t.count*2 >= t.s.maxCount || t.size*2 >= t.s.maxSize
}

// Len returns the writes and estimated bytes held so far.
func (t *Tx) Len() (writes, bytes int64) { return t.count, t.size }

// hold copies b into the transaction's arena: Badger keeps references to
// keys and values until commit, and callers reuse their buffers.
func (t *Tx) hold(b []byte) []byte {
	if len(b) > cap(t.arena)-len(t.arena) {
		t.arena = make([]byte, 0, max(64<<10, len(b)))
	}
	n := len(t.arena)
	t.arena = append(t.arena, b...)
	return t.arena[n:len(t.arena):len(t.arena)]
}

func (t *Tx) set(k, v []byte) error {
	if err := t.put(k, v); err != nil {
		return err
	}
	t.log = append(t.log, Write{Key: t.lastKey, Value: t.lastVal})
	return nil
}

// put writes k → v without recording it in the write log.
func (t *Tx) put(k, v []byte) error {
	if t.done {
		return ErrTxnDone
	}
	k = t.hold(k)
	if len(v) > 0 {
		v = t.hold(v)
	} else {
		v = []byte{}
	}
	if err := t.txn.Set(k, v); err != nil {
		return t.writeErr(err)
	}
	if timedTable(k[0]) {
		t.ovl.put(k, false)
	}
	t.count++
	t.size += int64(len(k)+len(v)) + 12
	t.lastKey, t.lastVal = k, v
	return nil
}

func (t *Tx) del(k []byte) error {
	if t.done {
		return ErrTxnDone
	}
	k = t.hold(k)
	if err := t.txn.Delete(k); err != nil {
		return t.writeErr(err)
	}
	if timedTable(k[0]) {
		t.ovl.put(k, true)
	}
	t.count++
	t.size += int64(len(k)) + 12
	t.log = append(t.log, Write{Key: k, Delete: true})
	return nil
}

// Writes returns the transaction's state writes in the order they were
// made: group, close-index and window puts and deletes, input offsets and the
// clock — everything a copy of the store needs to become equal to this one
// once the Tx commits (the task writes them to the state changelog). Local
// bookkeeping (SetChangelogOffset) is not included. The slices stay valid
// after Commit; do not modify them.
func (t *Tx) Writes() []Write { return t.log }

func (t *Tx) writeErr(err error) error {
	if errors.Is(err, badger.ErrTxnTooBig) {
		return fmt.Errorf("%w (%d writes, %d bytes): %w", ErrTxnFull, t.count, t.size, err)
	}
	return fmt.Errorf("state: write: %w", err)
}

func (t *Tx) get(k, dst []byte) ([]byte, bool, error) {
	if t.done {
		return nil, false, ErrTxnDone
	}
	item, err := t.txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return dst, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("state: read: %w", err)
	}
	err = item.Value(func(v []byte) error {
		dst = append(dst, v...)
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("state: read: %w", err)
	}
	return dst, true, nil
}

func timeBytes(b []byte, t int64) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(t)^(1<<63))
}

func readTime(b []byte) int64 { return int64(binary.BigEndian.Uint64(b) ^ (1 << 63)) }

func (t *Tx) key(prefix byte, parts ...[]byte) []byte {
	k := append(t.kbuf[:0], prefix)
	for _, p := range parts {
		k = append(k, p...)
	}
	t.kbuf = k
	return k
}

func (t *Tx) timedKey(prefix byte, at int64, rest []byte) []byte {
	k := append(t.kbuf[:0], prefix)
	k = timeBytes(k, at)
	k = append(k, rest...)
	t.kbuf = k
	return k
}

// Group implements join.State.
func (t *Tx) Group(key, dst []byte) ([]byte, bool, error) {
	return t.get(t.key(pGroup, key), dst)
}

// OpenGroup implements join.State.
func (t *Tx) OpenGroup(key []byte, closeAt int64, val []byte) error {
	if err := t.set(t.key(pGroup, key), val); err != nil {
		return err
	}
	return t.set(t.timedKey(pExpiry, closeAt, key), nil)
}

// PutGroup implements join.State.
func (t *Tx) PutGroup(key, val []byte) error { return t.set(t.key(pGroup, key), val) }

// DeleteGroup implements join.State.
func (t *Tx) DeleteGroup(key []byte, closeAt int64) error {
	if err := t.del(t.key(pGroup, key)); err != nil {
		return err
	}
	return t.del(t.timedKey(pExpiry, closeAt, key))
}

// DueGroups implements join.State.
func (t *Tx) DueGroups(upTo int64, max int, dst []join.Due) ([]join.Due, error) {
	return t.scan(pExpiry, upTo, max, dst)
}

// Window implements join.State.
func (t *Tx) Window(start int64, key, dst []byte) ([]byte, bool, error) {
	return t.get(t.timedKey(pWindow, start, key), dst)
}

// PutWindow implements join.State.
func (t *Tx) PutWindow(start int64, key, val []byte) error {
	return t.set(t.timedKey(pWindow, start, key), val)
}

// DeleteWindow implements join.State.
func (t *Tx) DeleteWindow(start int64, key []byte) error {
	return t.del(t.timedKey(pWindow, start, key))
}

// DueWindows implements join.State.
func (t *Tx) DueWindows(upTo int64, max int, dst []join.Due) ([]join.Due, error) {
	return t.scan(pWindow, upTo, max, dst)
}

// scan lists up to max keys of a timed table with time ≤ upTo, in order.
// Keys only: values are not read. It merges the committed snapshot (a
// read-only iterator) with the Tx's own writes to the table (the overlay):
// an iterator of the read-write Badger txn would copy and sort every pending
// write of the transaction on each call.
func (t *Tx) scan(prefix byte, upTo int64, max int, dst []join.Due) ([]join.Due, error) {
	if t.done {
		return nil, ErrTxnDone
	}
	var end [9]byte
	end[0] = prefix
	bound := timeBytes(end[:1], upTo) // keys with time ≤ upTo sort ≤ bound+anything
	it := t.view.NewIterator(badger.IteratorOptions{Prefix: []byte{prefix}})
	defer it.Close()
	it.Seek([]byte{prefix})
	o := t.ovl.seek([]byte{prefix})
	for len(dst) < max {
		var k []byte
		var fromOvl bool
		ck, ok := []byte(nil), it.Valid()
		if ok {
			ck = it.Item().Key()
		}
		switch {
		case ok && o < len(t.ovl.keys) && t.ovl.keys[o].key[0] == prefix:
			c := bytes.Compare(ck, t.ovl.keys[o].key)
			if c < 0 {
				k = ck
			} else {
				k, fromOvl = t.ovl.keys[o].key, true
				if c == 0 {
					it.Next() // the overlay's version wins (k is the overlay's copy)
				}
			}
		case ok:
			k = ck
		case o < len(t.ovl.keys) && t.ovl.keys[o].key[0] == prefix:
			k, fromOvl = t.ovl.keys[o].key, true
		default:
			return dst, nil
		}
		if len(k) < 9 {
			return nil, fmt.Errorf("state: bad key in table %c", prefix)
		}
		if bytes.Compare(k[:9], bound) > 0 {
			return dst, nil
		}
		if fromOvl {
			del := t.ovl.keys[o].del
			o++
			if del {
				continue
			}
		}
		// Copy before it.Next: Badger reuses the key's memory.
		dst = append(dst, join.Due{At: readTime(k[1:9]), Key: append([]byte(nil), k[9:]...)})
		if !fromOvl {
			it.Next()
		}
	}
	return dst, nil
}

func timedTable(prefix byte) bool { return prefix == pExpiry || prefix == pWindow }

// overlay holds a Tx's writes to the timed tables in key order: a set or a
// delete per key, the last one winning. Close times grow, so inserts land
// near the end and stay cheap.
type overlay struct {
	keys []ovlEntry
}

type ovlEntry struct {
	key []byte // held in the Tx arena
	del bool
}

func (o *overlay) seek(k []byte) int {
	i, _ := slices.BinarySearchFunc(o.keys, k, func(e ovlEntry, k []byte) int { return bytes.Compare(e.key, k) })
	return i
}

func (o *overlay) put(k []byte, del bool) {
	n := len(o.keys)
	if n == 0 || bytes.Compare(o.keys[n-1].key, k) < 0 {
		o.keys = append(o.keys, ovlEntry{k, del})
		return
	}
	i, found := slices.BinarySearchFunc(o.keys, k, func(e ovlEntry, k []byte) int { return bytes.Compare(e.key, k) })
	if found {
		o.keys[i].del = del
		return
	}
	o.keys = slices.Insert(o.keys, i, ovlEntry{k, del})
}

// Clock implements join.State.
func (t *Tx) Clock() (stream, watermark int64, ok bool, err error) {
	var b [16]byte
	v, ok, err := t.get(keyClock, b[:0])
	if err != nil || !ok {
		return 0, 0, false, err
	}
	if len(v) != 16 {
		return 0, 0, false, errors.New("state: corrupt clock")
	}
	return readTime(v), readTime(v[8:]), true, nil
}

// SetClock implements join.State.
func (t *Tx) SetClock(stream, watermark int64) error {
	var b [16]byte
	return t.set(keyClock, timeBytes(timeBytes(b[:0], stream), watermark))
}

func (t *Tx) offsetKey(topic string, partition int32) []byte {
	k := append(t.kbuf[:0], pOffset)
	k = append(k, topic...)
	k = append(k, 0)
	k = binary.BigEndian.AppendUint32(k, uint32(partition))
	t.kbuf = k
	return k
}

// Offset returns the next offset to read from (topic, partition) as stored
// by SetOffset; ok is false when none was stored.
func (t *Tx) Offset(topic string, partition int32) (next int64, ok bool, err error) {
	var b [8]byte
	v, ok, err := t.get(t.offsetKey(topic, partition), b[:0])
	if err != nil || !ok {
		return 0, false, err
	}
	if len(v) != 8 {
		return 0, false, fmt.Errorf("state: corrupt offset of %s/%d", topic, partition)
	}
	return int64(binary.BigEndian.Uint64(v)), true, nil
}

// SetOffset records next as the offset to resume (topic, partition) from,
// in this transaction: it commits with the state it produced, or not at all.
func (t *Tx) SetOffset(topic string, partition int32, next int64) error {
	var b [8]byte
	return t.set(t.offsetKey(topic, partition), binary.BigEndian.AppendUint64(b[:0], uint64(next)))
}

// ChangelogOffset returns the next changelog offset whose writes this store
// has not applied (SetChangelogOffset, Restorer.Finish); ok is false when
// none was recorded.
func (t *Tx) ChangelogOffset() (next int64, ok bool, err error) {
	var b [8]byte
	v, ok, err := t.get(keyChangelog, b[:0])
	if err != nil || !ok {
		return 0, false, err
	}
	if len(v) != 8 {
		return 0, false, errors.New("state: corrupt changelog offset")
	}
	return int64(binary.BigEndian.Uint64(v)), true, nil
}

// SetChangelogOffset records, in this transaction, that the store's state
// includes every changelog record before next: the transaction's own writes
// were written to the changelog ending there. It is not itself a state write
// (not in Writes), since the position is the local copy's, not the state's.
func (t *Tx) SetChangelogOffset(next int64) error {
	var b [8]byte
	return t.put(keyChangelog, binary.BigEndian.AppendUint64(b[:0], uint64(next)))
}
