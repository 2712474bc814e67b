package schemas

import (
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Query-string parsing for the client-side formats (meta.pixel, ga4.gtag).
//
// A query input is one of:
//
//   - a full URL or a path with a query: https://www.facebook.com/tr/?id=…,
//     https://region1.google-analytics.com/g/collect?v=2&…, a first-party sGTM
//     domain, /tr?id=…. The query is the text after the first '?', up to a '#'.
//     Input is taken as a URL when the text before its first '?' holds neither
//     '=' nor '&', so a bare query whose values carry raw, unencoded URLs
//     (dl=https://shop/?a=b) is not mistaken for one;
//   - a bare query string, with or without a leading '?', or a form body.
//
// Parameters keep their order and their duplicates. Names and values are
// percent-decoded with '+' as space; brackets may be raw or encoded
// (cd%5Bvalue%5D is cd[value]). A name or value with a malformed escape (%zz,
// a trailing %) is kept as sent, undecoded, so the checks still see it; it
// never fails the message. Decoded bytes are not required to be UTF-8 (%FF
// stays one byte), as with net/url.
//
// What is not a query string at all (ReasonSyntax): text holding control
// characters (other than the line breaks a gtag batch is made of) or invalid
// UTF-8, and text with no '=' anywhere. A query string that parses but holds
// none of a format's identifying parameters is ReasonUnknownShape; each
// decoder says which parameters those are.
//
// Allocation: the parser returns substrings of its input when a name or value
// needs no decoding, and writes decoded text into a queryArena, so a whole
// message costs a handful of allocations however many parameters it holds.

// queryParam is one name=value pair of a query string, both decoded.
type queryParam struct {
	name, value string
}

// qEmptyName names a parameter sent with an empty name (=value), so that
// its value still has a non-empty path for the checks.
const qEmptyName = "(empty)"

// queryArena hands out strings decoded into shared byte chunks, so decoding
// many values costs one allocation per chunk rather than one per value.
//
// Invariant that makes the unsafe.String conversion sound (it is the one
// strings.Builder relies on): bytes are only ever appended after a chunk's
// length, and a string is made only from bytes already written, so no byte
// seen through a returned string is ever written again. A full chunk is
// gtReplaced, never grown in place; the strings keep the old one alive.
type queryArena struct {
	buf  []byte
	hint int // size of the first chunk
}

// reserve makes room for n more bytes in the current chunk.
func (a *queryArena) reserve(n int) {
	if cap(a.buf)-len(a.buf) >= n {
		return
	}
	size := max(n, a.hint, 2*cap(a.buf), 256)
	a.buf = make([]byte, 0, size)
}

// finish returns the bytes written since start as a string.
func (a *queryArena) finish(start int) string {
	if len(a.buf) == start {
		return ""
	}
	return unsafe.String(&a.buf[start], len(a.buf)-start)
}

// concat returns a+b (used for paths such as dl?email).
func (a *queryArena) concat(x, y string) string {
	a.reserve(len(x) + len(y))
	start := len(a.buf)
	a.buf = append(a.buf, x...)
	a.buf = append(a.buf, y...)
	return a.finish(start)
}

// unescape percent-decodes s with '+' as space. When s needs no decoding it
// is returned as is; when one of its escapes is malformed, s is returned
// undecoded and ok is false.
func (a *queryArena) unescape(s string) (out string, ok bool) {
	pct := strings.IndexByte(s, '%')
	plus := strings.IndexByte(s, '+')
	if pct < 0 && plus < 0 {
		return s, true
	}
	first := plus
	if pct >= 0 {
		if plus < 0 || pct < plus {
			first = pct
		}
		for i := pct; i >= 0; {
			if i+2 >= len(s) || !qIsHex(s[i+1]) || !qIsHex(s[i+2]) {
				return s, false
			}
			next := strings.IndexByte(s[i+3:], '%')
			if next < 0 {
				break
			}
			i += 3 + next
		}
	}
	a.reserve(len(s))
	start := len(a.buf)
	dst := a.buf[start : start+len(s)]
	j := copy(dst, s[:first])
	for i := first; i < len(s); i++ {
		switch c := s[i]; c {
		case '%':
			dst[j] = qUnhex(s[i+1])<<4 | qUnhex(s[i+2])
			i += 2
		case '+':
			dst[j] = ' '
		default:
			dst[j] = c
		}
		j++
	}
	a.buf = a.buf[:start+j]
	return a.finish(start), true
}

func qIsHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func qUnhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// queryPart returns the query of s: for a URL (see the file comment) the text
// after its first '?' up to a '#', else s without a leading '?'. isURL says
// which reading applied.
func queryPart(s string) (q string, isURL bool) {
	qm := strings.IndexByte(s, '?')
	if qm < 0 {
		if qLooksLikeURL(s) {
			return "", true
		}
		return s, false
	}
	if strings.ContainsAny(s[:qm], "=&") {
		return s, false
	}
	q = s[qm+1:]
	if h := strings.IndexByte(q, '#'); h >= 0 {
		q = q[:h]
	}
	return q, true
}

// qLooksLikeURL reports whether s, holding no '?', is a URL or path without a
// query rather than a query string.
func qLooksLikeURL(s string) bool {
	if strings.ContainsAny(s, "=&") {
		return false
	}
	return strings.HasPrefix(s, "/") || qHasPrefixFold(s, "http://") || qHasPrefixFold(s, "https://")
}

func qHasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// qCountParams returns the number of non-empty '&'-separated segments of q,
// the exact number of parameters parseQuery appends for it.
func qCountParams(q string) int {
	n := 0
	for len(q) > 0 {
		i := strings.IndexByte(q, '&')
		if i < 0 {
			return n + 1
		}
		if i > 0 {
			n++
		}
		q = q[i+1:]
	}
	return n
}

// qSpecial marks the bytes parseQuery stops at.
var qSpecial = [256]bool{'&': true, '=': true, '%': true, '+': true}

// parseQuery appends the parameters of the query q (no leading '?', no URL)
// to dst. Empty segments (a&&b) are skipped; a segment without '=' is a
// parameter with an empty value; an empty name becomes qEmptyName. It scans
// q once, and decodes only the names and values that hold '%' or '+'.
func parseQuery(q string, a *queryArena, dst []queryParam) []queryParam {
	for i := 0; i < len(q); i++ {
		start, eq := i, -1
		escName, escValue := false, false
		for ; i < len(q); i++ {
			c := q[i]
			if !qSpecial[c] {
				continue
			}
			if c == '&' {
				break
			}
			switch {
			case c == '=' && eq < 0:
				eq = i
			case eq < 0:
				escName = true
			default:
				escValue = c != '=' || escValue
			}
		}
		if i == start {
			continue
		}
		name, value := q[start:i], ""
		if eq >= 0 {
			name, value = q[start:eq], q[eq+1:i]
		}
		if escName {
			name, _ = a.unescape(name)
		}
		if name == "" {
			name = qEmptyName
		}
		if escValue {
			value, _ = a.unescape(value)
		}
		dst = append(dst, queryParam{name: name, value: value})
	}
	return dst
}

// checkQueryText classifies text that cannot be a query string at all:
// control characters (line breaks allowed only when lines is set), invalid
// UTF-8, or no '=' anywhere. The error names the offset, never the content.
func checkQueryText(f Format, s string, lines bool) error {
	if i := qFindControl(s, lines); i >= 0 {
		if s[i] == '\n' || s[i] == '\r' {
			return decodeErr(f, ReasonSyntax, "line break at byte %d in a single hit", i)
		}
		return decodeErr(f, ReasonSyntax, "control character at byte %d", i)
	}
	if !utf8.ValidString(s) {
		return decodeErr(f, ReasonSyntax, "invalid UTF-8")
	}
	if strings.IndexByte(s, '=') < 0 {
		return decodeErr(f, ReasonSyntax, "not a query string: no parameter has a value")
	}
	return nil
}

// qFindControl returns the offset of the first ASCII control character of s
// (0x00–0x1f, 0x7f), line breaks excepted when lines is set, or -1. It tests
// eight bytes at a time: realistic hits hold none, so the word test is all
// that runs.
func qFindControl(s string, lines bool) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		// A byte < 0x20, or a byte equal to 0x7f, sets its high bit here
		// (the classic "has less than" and "has zero" word tricks; false
		// positives are resolved by the byte loop below).
		below := (x - 0x20*ones) &^ x & highs
		del := x ^ 0x7f*ones
		is7f := (del - ones) &^ del & highs
		if below|is7f != 0 {
			if j := qFindControlBytes(s[i:i+8], lines); j >= 0 {
				return i + j
			}
		}
	}
	if j := qFindControlBytes(s[i:], lines); j >= 0 {
		return i + j
	}
	return -1
}

func qFindControlBytes(s string, lines bool) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			if lines && (c == '\n' || c == '\r') {
				continue
			}
			return i
		}
	}
	return -1
}

// qCheckSize applies the empty and size limits every decoder shares
// and returns the value trimmed of surrounding white space.
func qCheckSize(f Format, v []byte, o *DecodeOptions) ([]byte, error) {
	maxBytes := DefaultMaxBytes
	if o != nil && o.MaxBytes > 0 {
		maxBytes = o.MaxBytes
	}
	if len(v) > maxBytes {
		return nil, decodeErr(f, ReasonTooLarge, "%d bytes, limit %d", len(v), maxBytes)
	}
	v = qTrimSpace(v)
	if len(v) == 0 {
		return nil, decodeErr(f, ReasonEmpty, "")
	}
	return v, nil
}

func qTrimSpace(v []byte) []byte {
	for len(v) > 0 && qIsSpace(v[0]) {
		v = v[1:]
	}
	for len(v) > 0 && qIsSpace(v[len(v)-1]) {
		v = v[:len(v)-1]
	}
	return v
}

func qIsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// qURLFields appends to dst one field per parameter of the query of the
// page URL u (a dl, rl or dr value), each with Path param+"?"+name, so the
// checks can name dl?email. It returns the first fbclid, gclid, gbraid and
// wbraid found there.
func qURLFields(param, u string, a *queryArena, scratch []queryParam, dst []Field) ([]Field, []queryParam, qClickIDs) {
	var ids qClickIDs
	qm := strings.IndexByte(u, '?')
	if qm < 0 {
		return dst, scratch, ids
	}
	q := u[qm+1:]
	if h := strings.IndexByte(q, '#'); h >= 0 {
		q = q[:h]
	}
	scratch = parseQuery(q, a, scratch[:0])
	prefix := param + "?"
	for _, p := range scratch {
		dst = append(dst, Field{Path: a.concat(prefix, p.name), Key: p.name, Value: p.value, Kind: KindString})
		ids.set(p.name, p.value)
	}
	return dst, scratch, ids
}

// qClickIDs are the click ids found in a page URL's query (first of each).
type qClickIDs struct {
	fbclid, gclid, gbraid, wbraid string
}

func (c *qClickIDs) set(name, value string) {
	switch name {
	case "fbclid":
		qSetFirst(&c.fbclid, value)
	case "gclid":
		qSetFirst(&c.gclid, value)
	case "gbraid":
		qSetFirst(&c.gbraid, value)
	case "wbraid":
		qSetFirst(&c.wbraid, value)
	}
}

// qSetFirst sets *dst to v unless it already holds a value.
func qSetFirst(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// qURLCount returns how many parameters the query of URL u holds.
func qURLCount(u string) int {
	qm := strings.IndexByte(u, '?')
	if qm < 0 {
		return 0
	}
	q := u[qm+1:]
	if h := strings.IndexByte(q, '#'); h >= 0 {
		q = q[:h]
	}
	return qCountParams(q)
}
