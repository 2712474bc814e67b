package join

import (
	"bytes"
	"encoding/binary"
	"maps"
	"slices"
)

// memState is a map-backed State for tests: a real fake, not a mock. Its
// snapshot/restore stand in for commit and discard.
type memState struct {
	groups  map[string][]byte
	expiry  []string          // sorted timed keys
	windows map[string][]byte // timed key → value
	wkeys   []string          // sorted timed keys of windows
	stream  int64
	wm      int64
	hasTime bool
}

func newMemState() *memState {
	return &memState{groups: map[string][]byte{}, windows: map[string][]byte{}}
}

func (m *memState) clone() *memState {
	c := &memState{groups: maps.Clone(m.groups), expiry: slices.Clone(m.expiry), windows: maps.Clone(m.windows),
		wkeys: slices.Clone(m.wkeys), stream: m.stream, wm: m.wm, hasTime: m.hasTime}
	return c
}

func timed(at int64, key []byte) string {
	b := binary.BigEndian.AppendUint64(nil, uint64(at)^(1<<63))
	return string(append(b, key...))
}

func (m *memState) Group(key, dst []byte) ([]byte, bool, error) {
	v, ok := m.groups[string(key)]
	return append(dst, v...), ok, nil
}

func (m *memState) OpenGroup(key []byte, closeAt int64, val []byte) error {
	m.groups[string(key)] = bytes.Clone(val)
	m.expiry = insertSorted(m.expiry, timed(closeAt, key))
	return nil
}

func (m *memState) PutGroup(key, val []byte) error {
	m.groups[string(key)] = bytes.Clone(val)
	return nil
}

func (m *memState) DeleteGroup(key []byte, closeAt int64) error {
	delete(m.groups, string(key))
	m.expiry = deleteSorted(m.expiry, timed(closeAt, key))
	return nil
}

func insertSorted(s []string, k string) []string {
	i, ok := slices.BinarySearch(s, k)
	if ok {
		return s
	}
	return slices.Insert(s, i, k)
}

func deleteSorted(s []string, k string) []string {
	i, ok := slices.BinarySearch(s, k)
	if !ok {
		return s
	}
	return slices.Delete(s, i, i+1)
}

func scanTimed(keys []string, upTo int64, max int, dst []Due) []Due {
	for _, k := range keys {
		if len(dst) >= max {
			break
		}
		at := int64(binary.BigEndian.Uint64([]byte(k[:8])) ^ (1 << 63))
		if at > upTo {
			break
		}
		dst = append(dst, Due{At: at, Key: []byte(k[8:])})
	}
	return dst
}

func (m *memState) DueGroups(upTo int64, max int, dst []Due) ([]Due, error) {
	return scanTimed(m.expiry, upTo, max, dst), nil
}

func (m *memState) Window(start int64, key, dst []byte) ([]byte, bool, error) {
	v, ok := m.windows[timed(start, key)]
	return append(dst, v...), ok, nil
}

func (m *memState) PutWindow(start int64, key, val []byte) error {
	k := timed(start, key)
	m.windows[k] = bytes.Clone(val)
	m.wkeys = insertSorted(m.wkeys, k)
	return nil
}

func (m *memState) DeleteWindow(start int64, key []byte) error {
	k := timed(start, key)
	delete(m.windows, k)
	m.wkeys = deleteSorted(m.wkeys, k)
	return nil
}

func (m *memState) DueWindows(upTo int64, max int, dst []Due) ([]Due, error) {
	return scanTimed(m.wkeys, upTo, max, dst), nil
}

func (m *memState) Clock() (int64, int64, bool, error) { return m.stream, m.wm, m.hasTime, nil }

func (m *memState) SetClock(s, wm int64) error {
	m.stream, m.wm, m.hasTime = s, wm, true
	return nil
}
