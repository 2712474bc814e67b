package join

// State is what the join needs from its store: the consumer-side view of one
// task's state transaction. state.Tx implements it over Badger; tests use a
// map. Keys and values are opaque bytes built by this package.
//
// A State is transactional: reads see the transaction's own writes, nothing
// is visible to others until the caller commits, and a discarded transaction
// leaves no trace. Byte slices passed in may be reused by the caller after the
// call returns; slices returned are valid until the next call.
type State interface {
	// Group appends the value of group key to dst; ok is false when there is
	// no such group.
	Group(key, dst []byte) (val []byte, ok bool, err error)
	// OpenGroup stores a new group and indexes it for closing at closeAt.
	OpenGroup(key []byte, closeAt int64, val []byte) error
	// PutGroup replaces the value of an open group (its close time is fixed).
	PutGroup(key, val []byte) error
	// DeleteGroup removes a group and its index entry.
	DeleteGroup(key []byte, closeAt int64) error
	// DueGroups appends to dst up to max groups whose close time is ≤ upTo,
	// in (close time, key) order. Keys are copies the caller may keep.
	DueGroups(upTo int64, max int, dst []Due) ([]Due, error)

	// Window appends the aggregate stored under (start, key) to dst.
	Window(start int64, key, dst []byte) (val []byte, ok bool, err error)
	// PutWindow stores the aggregate of (start, key).
	PutWindow(start int64, key, val []byte) error
	// DeleteWindow removes the aggregate of (start, key).
	DeleteWindow(start int64, key []byte) error
	// DueWindows appends to dst up to max windows whose start is ≤ upTo, in
	// (start, key) order.
	DueWindows(upTo int64, max int, dst []Due) ([]Due, error)

	// Clock returns the stream time and the watermark stored by SetClock; ok
	// is false before the first.
	Clock() (stream, watermark int64, ok bool, err error)
	// SetClock stores the stream time and the watermark.
	SetClock(stream, watermark int64) error
}

// Due is an entry of the close index (a group and its close time) or of the
// window table (a window key and its start).
type Due struct {
	At  int64
	Key []byte
}
