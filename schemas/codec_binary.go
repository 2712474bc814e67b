package schemas

import (
	"encoding/binary"
	"errors"
	"math"
	"unicode/utf8"
)

// Avro binary encoding (Avro 1.11 specification, "Binary Encoding"), written
// by hand for the three record schemas: encoding appends to a byte slice with
// no reflection and no intermediate map, and decoding bounds every length by
// the bytes that remain, so hostile input cannot make it allocate more than a
// small multiple of its own size. Tests check both directions against goavro.

// appendLong appends v zig-zag and varint encoded (Avro int and long).
func appendLong(b []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	for u >= 0x80 {
		b = append(b, byte(u)|0x80)
		u >>= 7
	}
	return append(b, byte(u))
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendDouble(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

// appendString appends s as an Avro string. Avro strings are UTF-8: invalid
// bytes are replaced by U+FFFD, one per byte, as encoding/json does.
func appendString(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = validUTF8(s)
	}
	b = appendLong(b, int64(len(s)))
	return append(b, s...)
}

// appendOptString appends a ["null","string"] union.
func appendOptString(b []byte, s *string) []byte {
	if s == nil {
		return append(b, 0)
	}
	return appendString(append(b, 2), *s)
}

// appendOptLong appends a ["null","long"] union.
func appendOptLong(b []byte, v *int64) []byte {
	if v == nil {
		return append(b, 0)
	}
	return appendLong(append(b, 2), *v)
}

func appendStrings(b []byte, ss []string) []byte {
	if len(ss) > 0 {
		b = appendLong(b, int64(len(ss)))
		for _, s := range ss {
			b = appendString(b, s)
		}
	}
	return append(b, 0)
}

// validUTF8 replaces each invalid byte of s by U+FFFD.
func validUTF8(s string) string {
	out := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, s[i:i+n]...)
		}
		i += n
	}
	return string(out)
}

// Decoding errors. They describe the structure, never the bytes.
var (
	errAvroShort    = errors.New("avro: unexpected end of data")
	errAvroVarint   = errors.New("avro: malformed varint")
	errAvroLength   = errors.New("avro: length out of range")
	errAvroUTF8     = errors.New("avro: string is not valid UTF-8")
	errAvroUnion    = errors.New("avro: union branch out of range")
	errAvroEnum     = errors.New("avro: enum symbol out of range")
	errAvroInt      = errors.New("avro: int out of range")
	errAvroBool     = errors.New("avro: boolean not 0 or 1")
	errAvroTrailing = errors.New("avro: trailing bytes after the record")
)

// avroReader reads Avro binary data. Errors are sticky: after the first one,
// every read returns a zero value and err keeps the first error, so record
// readers can read straight through and check once. Strings are substrings of
// one copy of the input, so a record costs one allocation for all of them.
type avroReader struct {
	s   string
	pos int
	err error
}

func newAvroReader(b []byte) *avroReader { return &avroReader{s: string(b)} }

func (r *avroReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.pos = len(r.s)
}

// finish reports the first error, or trailing bytes.
func (r *avroReader) finish() error {
	if r.err == nil && r.pos != len(r.s) {
		r.err = errAvroTrailing
	}
	return r.err
}

func (r *avroReader) long() int64 {
	var u uint64
	for shift := uint(0); ; shift += 7 {
		if r.pos >= len(r.s) {
			r.fail(errAvroShort)
			return 0
		}
		c := r.s[r.pos]
		r.pos++
		if shift == 63 && c > 1 {
			r.fail(errAvroVarint)
			return 0
		}
		u |= uint64(c&0x7f) << shift
		if c < 0x80 {
			break
		}
	}
	return int64(u>>1) ^ -int64(u&1)
}

func (r *avroReader) int() int32 {
	v := r.long()
	if v < math.MinInt32 || v > math.MaxInt32 {
		r.fail(errAvroInt)
		return 0
	}
	return int32(v)
}

func (r *avroReader) boolean() bool {
	if r.pos >= len(r.s) {
		r.fail(errAvroShort)
		return false
	}
	c := r.s[r.pos]
	r.pos++
	if c > 1 {
		r.fail(errAvroBool)
		return false
	}
	return c == 1
}

func (r *avroReader) double() float64 {
	if len(r.s)-r.pos < 8 {
		r.fail(errAvroShort)
		return 0
	}
	var u uint64
	for i := 7; i >= 0; i-- {
		u = u<<8 | uint64(r.s[r.pos+i])
	}
	r.pos += 8
	return math.Float64frombits(u)
}

func (r *avroReader) str() string {
	n := r.long()
	if r.err != nil {
		return ""
	}
	if n < 0 || n > int64(len(r.s)-r.pos) {
		r.fail(errAvroLength)
		return ""
	}
	s := r.s[r.pos : r.pos+int(n)]
	r.pos += int(n)
	if !utf8.ValidString(s) {
		r.fail(errAvroUTF8)
		return ""
	}
	return s
}

// branch reads a union index and checks it is below n.
func (r *avroReader) branch(n int64) int64 {
	i := r.long()
	if i < 0 || i >= n {
		r.fail(errAvroUnion)
		return 0
	}
	return i
}

func (r *avroReader) enum(n int64) int64 {
	i := r.long()
	if i < 0 || i >= n {
		r.fail(errAvroEnum)
		return 0
	}
	return i
}

func (r *avroReader) optString() *string {
	if r.branch(2) == 0 {
		return nil
	}
	s := r.str()
	return &s
}

func (r *avroReader) optLong() *int64 {
	if r.branch(2) == 0 {
		return nil
	}
	v := r.long()
	return &v
}

// block reads the item count of an array or map block. A negative count is
// followed by the block's size in bytes, which is skipped. Each item takes at
// least minItem bytes, which bounds the count by the remaining input.
func (r *avroReader) block(minItem int) int {
	n := r.long()
	if n < 0 {
		if n == math.MinInt64 {
			r.fail(errAvroLength)
			return 0
		}
		n = -n
		r.long() // block size in bytes
	}
	if r.err != nil {
		return 0
	}
	if n > int64(len(r.s)-r.pos)/int64(minItem) {
		r.fail(errAvroLength)
		return 0
	}
	return int(n)
}

// array reads an Avro array, calling item for each element.
func (r *avroReader) array(minItem int, item func()) {
	for {
		n := r.block(minItem)
		if n == 0 || r.err != nil {
			return
		}
		for range n {
			item()
			if r.err != nil {
				return
			}
		}
	}
}

func (r *avroReader) strings() []string {
	var out []string
	r.array(1, func() { out = append(out, r.str()) })
	if r.err != nil {
		return nil
	}
	return out
}

// longMap reads a map<long>; empty maps read as nil.
func (r *avroReader) longMap() map[string]int64 {
	var out map[string]int64
	r.array(2, func() {
		k := r.str()
		v := r.long()
		if out == nil {
			out = make(map[string]int64)
		}
		out[k] = v
	})
	if r.err != nil {
		return nil
	}
	return out
}
