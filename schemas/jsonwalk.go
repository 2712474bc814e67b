package schemas

import (
	"errors"
	"math/bits"
	"strconv"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// The JSON walker is the shared front end of the JSON decoders. It scans the
// input once and records every leaf (scalar, empty object or empty array) with
// its path, key, value and kind, without building a tree:
//
//   - the input is converted to a string once; a string value without
//     escapes or invalid UTF-8 is a substring of it, numbers are kept as text;
//   - all paths, unescaped keys and unescaped values go into one byte arena
//     that is converted to a string once, so Paths, Keys and escaped Values
//     are substrings of that one string;
//   - the scratch (leaf records, arena, path stack) is pooled.
//
// Leaf records keep the first jsonSegs path segments so decoders can route
// leaves (data[3].user_data.em[0] → event 3, user_data, em) without
// re-parsing paths. Invalid UTF-8 inside strings is replaced by U+FFFD and
// counted; nesting beyond the depth limit and trailing garbage are errors.

// jsonSegs is how many leading path segments a leaf record keeps.
const jsonSegs = 5

// jsonMaxRecursion caps nesting whatever MaxDepth says, so a huge MaxDepth
// cannot turn a megabyte of '[' into a megabyte of stack frames.
const jsonMaxRecursion = 4096

// jsonEmptyKey stands for an empty object key in paths, so no path segment
// is empty (data[0].(empty)); the Field's Key stays "".
const jsonEmptyKey = "(empty)"

// jsonMaxLeaves bounds the leaves of one message. A full CAPI batch (1,000
// events of some 40 leaves) stays well below it; a megabyte of [0,0,0,…]
// does not, and would otherwise cost some 100 bytes of records per 2 bytes
// of input.
const jsonMaxLeaves = 1 << 17

// Walker failures; decoders turn them into a *DecodeError. Their messages
// hold offsets only, never payload bytes.
var (
	errJSONTooDeep  = errors.New("nesting too deep")
	errJSONTooLarge = errors.New("too many leaves or expanded paths too large")
)

// jsonSyntaxError is a JSON syntax error at a byte offset.
type jsonSyntaxError struct {
	Off int
	Msg string
}

func (e *jsonSyntaxError) Error() string {
	return "json: " + e.Msg + " at offset " + strconv.Itoa(e.Off)
}

// jwSeg is one path segment of a leaf: a key or an array index.
type jwSeg struct {
	start, end int32 // key: offsets within the leaf's path; index: start = -1, end = the index
}

// jwTopKey is a key of the top-level object (or of an object in the
// top-level array): its text in topKeyBuf and the first byte of its value.
type jwTopKey struct {
	start, end int32
	first      byte
}

// jwLeaf is the record of one leaf. Offsets point into the arena (path,
// key, escaped values) or the input (plain values).
type jwLeaf struct {
	path, key  [2]int32
	val        [2]int32
	valInArena bool
	kind       ValueKind
	depth      uint16 // number of path segments
	seg        [jsonSegs]jwSeg

	// Scratch for decoders: where the leaf goes, and how many URL query
	// fields it yields.
	ev   int32
	cls  uint8
	nurl uint16
}

// jsonWalk is the walker and, after walk returns, its result.
type jsonWalk struct {
	src      string
	pos      int
	maxDepth int
	maxArena int

	arena  []byte
	cur    []byte
	segs   []jwSeg // the current path's segments (offsets within cur)
	leaves []jwLeaf
	counts [][3]int32 // per-event field counts (assemble)

	topArray  bool       // the top-level value is an array
	topKeys   []jwTopKey // keys of the top-level object(s), for detection
	topKeyBuf []byte     // their text

	uarena  []byte       // URL query fields (assemble)
	ufields []jwURLField // their offsets in uarena

	as      string // the arena as a string, set when walk succeeds
	badUTF8 int    // invalid UTF-8 sequences replaced by U+FFFD
}

var jsonWalkPool = sync.Pool{New: func() any { return new(jsonWalk) }}

// Pooled scratch above these sizes is dropped, so one huge message does not
// pin its buffers for the life of the process.
const (
	jsonPoolMaxLeaves = 4096
	jsonPoolMaxArena  = 256 << 10
)

// getJSONWalk returns a walker from the pool. Call release when done with
// the leaf records; strings taken from it stay valid.
func getJSONWalk() *jsonWalk {
	return jsonWalkPool.Get().(*jsonWalk)
}

func (w *jsonWalk) release() {
	if cap(w.leaves) > jsonPoolMaxLeaves || cap(w.arena) > jsonPoolMaxArena || cap(w.cur) > jsonPoolMaxArena ||
		cap(w.uarena) > jsonPoolMaxArena || cap(w.ufields) > jsonPoolMaxLeaves ||
		cap(w.topKeys) > jsonPoolMaxLeaves || cap(w.topKeyBuf) > jsonPoolMaxArena {
		return
	}
	w.src, w.as = "", ""
	w.leaves = w.leaves[:0]
	jsonWalkPool.Put(w)
}

// walk scans src, a complete JSON text, recording every leaf. maxDepth limits
// nesting (objects and arrays; the top level is depth 1). It reads src in
// place and, when it succeeds, copies src and the arena into one new block
// (one allocation, not one per string), so the strings taken from w never
// alias the caller's bytes. src must not change during the call.
func (w *jsonWalk) walk(src []byte, maxDepth int) error {
	w.src = unsafe.String(unsafe.SliceData(src), len(src))
	w.pos = 0
	w.maxDepth = min(maxDepth, jsonMaxRecursion)
	// Paths repeat their prefixes, so they may outgrow the input; bound the
	// amplification.
	w.maxArena = 8*len(src) + 64<<10
	w.arena = w.arena[:0]
	w.cur = w.cur[:0]
	w.segs = w.segs[:0]
	w.topKeys = w.topKeys[:0]
	w.topKeyBuf = w.topKeyBuf[:0]
	w.topArray = false
	w.leaves = w.leaves[:0]
	w.as = ""
	w.badUTF8 = 0
	if need := len(src)/24 + 8; cap(w.leaves) < need {
		w.leaves = make([]jwLeaf, 0, need)
	}
	if need := len(src) + 256; cap(w.arena) < need {
		w.arena = make([]byte, 0, need)
	}

	w.skipWS()
	w.topArray = w.pos < len(w.src) && w.src[w.pos] == '['
	if err := w.parseValue(0); err != nil {
		return err
	}
	w.skipWS()
	if w.pos != len(w.src) {
		return w.syntax("trailing data after the top-level value")
	}
	block := make([]byte, len(src)+len(w.arena))
	copy(block, src)
	copy(block[len(src):], w.arena)
	// block is written only here and never after, so strings of it are
	// immutable (the invariant strings.Builder relies on).
	all := unsafe.String(unsafe.SliceData(block), len(block))
	w.src, w.as = all[:len(src)], all[len(src):]
	return nil
}

func (w *jsonWalk) syntax(msg string) error {
	return &jsonSyntaxError{Off: w.pos, Msg: msg}
}

func (w *jsonWalk) skipWS() {
	for w.pos < len(w.src) {
		switch w.src[w.pos] {
		case ' ', '\t', '\n', '\r':
			w.pos++
		default:
			return
		}
	}
}

// parseValue parses one value at w.pos (whitespace skipped); depth is the nesting
// of the enclosing container.
func (w *jsonWalk) parseValue(depth int) error {
	if w.pos >= len(w.src) {
		return w.syntax("unexpected end of input")
	}
	switch c := w.src[w.pos]; c {
	case '{':
		return w.object(depth + 1)
	case '[':
		return w.array(depth + 1)
	case '"':
		return w.stringLeaf()
	case 't':
		return w.literal("true", KindBool)
	case 'f':
		return w.literal("false", KindBool)
	case 'n':
		return w.literal("null", KindNull)
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return w.number()
		}
		return w.syntax("unexpected byte")
	}
}

func (w *jsonWalk) object(depth int) error {
	if depth > w.maxDepth {
		return errJSONTooDeep
	}
	w.pos++ // '{'
	w.skipWS()
	if w.pos < len(w.src) && w.src[w.pos] == '}' {
		w.pos++
		return w.emit(KindEmptyObject, 0, 0, false)
	}
	for {
		if w.pos >= len(w.src) || w.src[w.pos] != '"' {
			return w.syntax("expected a string key")
		}
		mark := len(w.cur)
		if mark > 0 {
			w.cur = append(w.cur, '.')
		}
		start := len(w.cur)
		var err error
		if w.cur, err = w.stringInto(w.cur); err != nil {
			return err
		}
		end := len(w.cur)
		if end == start {
			// An empty key: the path names it, the key stays "".
			w.cur = append(w.cur, jsonEmptyKey...)
		}
		w.segs = append(w.segs, jwSeg{start: int32(start), end: int32(end)})
		w.skipWS()
		if w.pos >= len(w.src) || w.src[w.pos] != ':' {
			return w.syntax("expected ':'")
		}
		w.pos++
		w.skipWS()
		if depth == 1 || depth == 2 && w.topArray {
			// The keys of the top-level object (or of the top-level
			// array's objects), for format detection.
			k := jwTopKey{start: int32(len(w.topKeyBuf)), end: int32(len(w.topKeyBuf) + end - start)}
			if w.pos < len(w.src) {
				k.first = w.src[w.pos]
			}
			w.topKeyBuf = append(w.topKeyBuf, w.cur[start:end]...)
			w.topKeys = append(w.topKeys, k)
		}
		if err := w.parseValue(depth); err != nil {
			return err
		}
		w.segs = w.segs[:len(w.segs)-1]
		w.cur = w.cur[:mark]
		w.skipWS()
		if w.pos >= len(w.src) {
			return w.syntax("unexpected end of input in object")
		}
		switch w.src[w.pos] {
		case ',':
			w.pos++
			w.skipWS()
		case '}':
			w.pos++
			return nil
		default:
			return w.syntax("expected ',' or '}'")
		}
	}
}

func (w *jsonWalk) array(depth int) error {
	if depth > w.maxDepth {
		return errJSONTooDeep
	}
	w.pos++ // '['
	w.skipWS()
	if w.pos < len(w.src) && w.src[w.pos] == ']' {
		w.pos++
		return w.emit(KindEmptyArray, 0, 0, false)
	}
	mark := len(w.cur)
	for i := 0; ; i++ {
		w.cur = w.cur[:mark]
		if i < 10 {
			w.cur = append(w.cur, '[', byte('0'+i), ']')
		} else {
			w.cur = append(w.cur, '[')
			w.cur = strconv.AppendInt(w.cur, int64(i), 10)
			w.cur = append(w.cur, ']')
		}
		w.segs = append(w.segs, jwSeg{start: -1, end: int32(i)})
		if err := w.parseValue(depth); err != nil {
			return err
		}
		w.segs = w.segs[:len(w.segs)-1]
		w.skipWS()
		if w.pos >= len(w.src) {
			return w.syntax("unexpected end of input in array")
		}
		switch w.src[w.pos] {
		case ',':
			w.pos++
			w.skipWS()
		case ']':
			w.pos++
			w.cur = w.cur[:mark]
			return nil
		default:
			return w.syntax("expected ',' or ']'")
		}
	}
}

func (w *jsonWalk) literal(lit string, k ValueKind) error {
	if len(w.src)-w.pos < len(lit) || w.src[w.pos:w.pos+len(lit)] != lit {
		return w.syntax("invalid literal")
	}
	start := w.pos
	w.pos += len(lit)
	if k == KindNull {
		return w.emit(k, 0, 0, false)
	}
	return w.emit(k, start, w.pos, false)
}

func (w *jsonWalk) number() error {
	s, i := w.src, w.pos
	start := i
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		w.pos = i
		return w.syntax("invalid number")
	}
	if i < len(s) && s[i] == '.' {
		i++
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			w.pos = i
			return w.syntax("invalid number")
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			w.pos = i
			return w.syntax("invalid number")
		}
	}
	w.pos = i
	return w.emit(KindNumber, start, i, false)
}

// stringLeaf parses a string value: a substring of the input when it holds
// no escapes and valid UTF-8, else unescaped into the arena.
func (w *jsonWalk) stringLeaf() error {
	s := w.src
	start := w.pos + 1
	for i := start; ; {
		i = plainRun(s, i)
		if i >= len(s) {
			break
		}
		c := s[i]
		if c == '"' {
			w.pos = i + 1
			return w.emit(KindString, start, i, false)
		}
		if c < utf8.RuneSelf {
			break // an escape or a control character
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		i += size
	}
	// Slow path: unescape into the arena.
	astart := len(w.arena)
	var err error
	if w.arena, err = w.stringInto(w.arena); err != nil {
		return err
	}
	if len(w.arena) > w.maxArena {
		return errJSONTooLarge
	}
	return w.emit(KindString, astart, len(w.arena), true)
}

// plainRun returns the index of the first byte at or after i that is a
// quote, a backslash, a control character or not ASCII (len(s) if none),
// testing eight bytes at a time.
func plainRun(s string, i int) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for ; i+8 <= len(s); i += 8 {
		b := s[i : i+8]
		x := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		// A byte's high bit ends up set when it is < 0x20, '"' or '\\' (the
		// subtraction borrows) or ≥ 0x80 (x itself). A borrow only spreads
		// upwards from a byte that is itself flagged, so the lowest flag
		// marks the first such byte.
		t := (x - 0x20*ones) | ((x ^ '"'*ones) - ones) | ((x ^ '\\'*ones) - ones) | x
		if m := t & highs; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			return i
		}
	}
	return i
}

// stringInto parses the string at w.pos (its opening quote) and appends its
// unescaped, UTF-8-valid content to dst.
func (w *jsonWalk) stringInto(dst []byte) ([]byte, error) {
	s := w.src
	i := w.pos + 1
	for {
		// Copy the run of plain bytes.
		j := plainRun(s, i)
		dst = append(dst, s[i:j]...)
		i = j
		if i >= len(s) {
			w.pos = i
			return dst, w.syntax("unterminated string")
		}
		c := s[i]
		switch {
		case c == '"':
			w.pos = i + 1
			return dst, nil
		case c < 0x20:
			w.pos = i
			return dst, w.syntax("control character in string")
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				w.badUTF8++
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
		default: // '\\'
			if i+1 >= len(s) {
				w.pos = i
				return dst, w.syntax("unterminated string")
			}
			e := s[i+1]
			i += 2
			switch e {
			case '"', '\\', '/':
				dst = append(dst, e)
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r, ok := hex4(s, i)
				if !ok {
					w.pos = i
					return dst, w.syntax("invalid \\u escape")
				}
				i += 4
				if r >= 0xD800 && r < 0xDC00 { // high surrogate: want a low one
					if lo, ok := hex4(s, i+2); ok && s[i] == '\\' && s[i+1] == 'u' && lo >= 0xDC00 && lo < 0xE000 {
						r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
						i += 6
					} else {
						r = utf8.RuneError
					}
				} else if r >= 0xDC00 && r < 0xE000 {
					r = utf8.RuneError
				}
				dst = utf8.AppendRune(dst, r)
			default:
				w.pos = i - 1
				return dst, w.syntax("invalid escape")
			}
		}
	}
}

// hex4 reads four hex digits at s[i:].
func hex4(s string, i int) (rune, bool) {
	if i < 0 || i+4 > len(s) {
		return 0, false
	}
	var r rune
	for k := i; k < i+4; k++ {
		c := s[k]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// emit records a leaf at the current path.
func (w *jsonWalk) emit(k ValueKind, vstart, vend int, inArena bool) error {
	if len(w.leaves) >= jsonMaxLeaves {
		return errJSONTooLarge
	}
	ps := int32(len(w.arena))
	w.arena = append(w.arena, w.cur...)
	if len(w.arena) > w.maxArena {
		return errJSONTooLarge
	}
	n := len(w.leaves)
	if n < cap(w.leaves) {
		w.leaves = w.leaves[:n+1]
	} else {
		w.leaves = append(w.leaves, jwLeaf{})
	}
	l := &w.leaves[n]
	l.path = [2]int32{ps, int32(len(w.arena))}
	l.val = [2]int32{int32(vstart), int32(vend)}
	l.valInArena = inArena
	l.kind = k
	l.depth = uint16(min(len(w.segs), 1<<16-1))
	// The leaf's key is the nearest key segment: an array element's key is
	// the array's own key.
	l.key = [2]int32{ps, ps}
	for i := len(w.segs) - 1; i >= 0; i-- {
		if sg := w.segs[i]; sg.start >= 0 {
			l.key = [2]int32{ps + sg.start, ps + sg.end}
			break
		}
	}
	for i := range l.seg {
		if i < len(w.segs) {
			l.seg[i] = w.segs[i]
		} else {
			l.seg[i] = jwSeg{}
		}
	}
	l.ev, l.cls, l.nurl = 0, 0, 0
	return nil
}

// Accessors; valid after walk succeeded.

func (w *jsonWalk) path(l *jwLeaf) string { return w.as[l.path[0]:l.path[1]] }
func (w *jsonWalk) key(l *jwLeaf) string  { return w.as[l.key[0]:l.key[1]] }

func (w *jsonWalk) value(l *jwLeaf) string {
	if l.valInArena {
		return w.as[l.val[0]:l.val[1]]
	}
	return w.src[l.val[0]:l.val[1]]
}

// segKey returns the key of path segment i, or "" when it is an index or
// beyond the leaf's depth (or the kept segments).
func (w *jsonWalk) segKey(l *jwLeaf, i int) string {
	if i >= int(l.depth) || i >= jsonSegs || l.seg[i].start < 0 {
		return ""
	}
	p := l.path[0]
	return w.as[p+l.seg[i].start : p+l.seg[i].end]
}

// segIndex returns the array index of path segment i, or -1.
func (w *jsonWalk) segIndex(l *jwLeaf, i int) int {
	if i >= int(l.depth) || i >= jsonSegs || l.seg[i].start >= 0 {
		return -1
	}
	return int(l.seg[i].end)
}

// setField sets *f, a zero Field, to the leaf. It writes the fields one by
// one: copying a whole Field into the heap costs a bulk write barrier while
// the GC marks.
func (w *jsonWalk) setField(f *Field, l *jwLeaf) {
	f.Path, f.Key, f.Value, f.Kind = w.path(l), w.key(l), w.value(l), l.kind
}

// field returns the leaf as a Field.
func (w *jsonWalk) field(l *jwLeaf) Field {
	return Field{Path: w.path(l), Key: w.key(l), Value: w.value(l), Kind: l.kind}
}
