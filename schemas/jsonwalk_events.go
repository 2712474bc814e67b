package schemas

import (
	"errors"
	"math"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Shared machinery of the JSON decoders (meta.capi, ga4.mp, sgtm.event): each
// decoder walks the input, classifies every leaf (which event it belongs to
// and whether it is user data, a param, another leaf, or a value mapped to a
// singular Event field), then jwAssemble allocates the events and one Field
// block for all of them and distributes the leaves.

// Leaf classes.
const (
	clsOther  uint8 = iota // Event.Other
	clsUser                // Event.UserData
	clsParam               // Event.Params
	clsMapped              // consumed by a singular field by the apply func
	clsShared              // request-level user data every event carries (MP user_data)

	clsTap uint8 = 0x80 // flag: store the leaf and also pass it to the apply func
	clsURL uint8 = 0x40 // flag: a page URL; its query parameters also go to Other as PATH?name

	clsFlags = clsTap | clsURL
)

// jwMaxURLParams bounds the query parameters taken from one URL; the URL
// itself is still scanned whole.
const jwMaxURLParams = 256

// jwURLField locates one URL query parameter field in the walker's URL
// arena: its path (LEAFPATH?name), key (name) and value.
type jwURLField struct {
	path, key, val [2]int32
}

// jwEventAll marks a request-level leaf: mapped ones apply to every event,
// other ones go to the first event's Other (once, not once per event).
const jwEventAll = -1

// jwApply sets the singular Event field a mapped leaf carries.
type jwApply func(e *Event, w *jsonWalk, l *jwLeaf)

// jwAssemble builds n events of format f from the classified leaves. Each
// leaf's ev is an event index or jwEventAll. It makes two allocations: the
// events and one Field block.
func (w *jsonWalk) assemble(n int, f Format, apply jwApply) []Event {
	counts := w.counts[:0]
	for range n {
		counts = append(counts, [3]int32{})
	}
	w.counts = counts
	total, shared := 0, 0
	w.uarena, w.ufields = w.uarena[:0], w.ufields[:0]
	for i := range w.leaves {
		l := &w.leaves[i]
		ev := max(l.ev, 0) // request-level leaves go to the first event
		if l.cls&clsURL != 0 && l.kind == KindString {
			n := w.urlFields(l)
			counts[ev][clsOther] += int32(n)
			total += n
		}
		switch c := l.cls &^ clsFlags; c {
		case clsMapped:
		case clsShared:
			shared++
			total++
		default:
			counts[ev][c]++
			total++
		}
	}

	// Carve the block: shared user data first, then per event Other,
	// UserData, Params. counts turn into each list's write cursor; the
	// lists are set once they are full, capped so appending to one never
	// writes into its neighbour.
	evs := make([]Event, n)
	fields := make([]Field, total)
	off := int32(shared)
	for i := range counts {
		c := &counts[i]
		for k := range c {
			c[k], off = off, off+c[k]
		}
	}
	ustr := string(w.uarena) // "" without an allocation when no URL has a query
	uf := w.ufields
	sharedAt := 0
	for i := range w.leaves {
		l := &w.leaves[i]
		ev := max(l.ev, 0)
		if l.cls&clsURL != 0 && l.kind == KindString {
			c := &counts[ev][clsOther]
			for _, u := range uf[:l.nurl] {
				f := &fields[*c]
				f.Path, f.Key, f.Value = ustr[u.path[0]:u.path[1]], ustr[u.key[0]:u.key[1]], ustr[u.val[0]:u.val[1]]
				*c++
			}
			uf = uf[l.nurl:]
		}
		cls := l.cls &^ clsFlags
		if cls == clsMapped || l.cls&clsTap != 0 {
			if l.ev == jwEventAll {
				for k := range evs {
					apply(&evs[k], w, l)
				}
			} else {
				apply(&evs[l.ev], w, l)
			}
		}
		switch cls {
		case clsMapped:
		case clsShared:
			w.setField(&fields[sharedAt], l)
			sharedAt++
		default:
			c := &counts[ev][cls]
			w.setField(&fields[*c], l)
			*c++
		}
	}
	start := int32(shared)
	for i := range evs {
		e := &evs[i]
		e.Format = f
		ends := counts[i] // the cursors stopped at each list's end
		e.Other = fieldList(fields, start, ends[clsOther])
		e.UserData = fieldList(fields, ends[clsOther], ends[clsUser])
		e.Params = fieldList(fields, ends[clsUser], ends[clsParam])
		start = ends[clsParam]
		if shared > 0 && e.UserData == nil {
			e.UserData = fields[:shared:shared]
		}
	}
	return evs
}

// fieldList is fields[a:b] capped at b, or nil when empty.
func fieldList(fields []Field, a, b int32) []Field {
	if a == b {
		return nil
	}
	return fields[a:b:b]
}

// topKey reports whether the top-level object has the key name, and
// whether (the first occurrence of) its value is an array.
func (w *jsonWalk) topKey(name string) (present, array bool) {
	if w.topArray {
		return false, false
	}
	for _, tk := range w.topKeys {
		if string(w.topKeyBuf[tk.start:tk.end]) == name {
			return true, tk.first == '['
		}
	}
	return false, false
}

// batchElem checks a leaf under the batch array (data, events) and returns
// the index of its element, or -1 for the leaf of an empty array; why is
// set when the array is not an array of objects.
func (w *jsonWalk) batchElem(l *jwLeaf, name string) (idx int, why string) {
	idx = w.segIndex(l, 1)
	switch {
	case l.depth == 1 && l.kind == KindEmptyArray:
		return -1, ""
	case idx < 0:
		return -1, name + " is not an array"
	case l.depth == 2 && l.kind != KindEmptyObject:
		return -1, name + " holds an element that is not an object"
	}
	return idx, ""
}

// topIsObject reports whether the walked value is a JSON object (possibly
// empty).
func (w *jsonWalk) topIsObject() bool {
	if len(w.leaves) == 0 {
		return false
	}
	l := &w.leaves[0]
	if l.depth == 0 {
		return l.kind == KindEmptyObject
	}
	return l.seg[0].start >= 0 // the first segment is a key
}

// isScalar reports whether a leaf holds a string, number or bool.
func isScalar(l *jwLeaf) bool {
	return l.kind == KindString || l.kind == KindNumber || l.kind == KindBool
}

// walkErr turns a walker error into a DecodeError for format f (or "detect").
func walkErr(tried Format, err error) error {
	var se *jsonSyntaxError
	switch {
	case errors.Is(err, errJSONTooDeep):
		return decodeErr(tried, ReasonTooDeep, "json nesting beyond the depth limit")
	case errors.Is(err, errJSONTooLarge):
		return decodeErr(tried, ReasonTooLarge, "json leaves or paths beyond the size limits")
	case errors.As(err, &se):
		return &DecodeError{Reason: ReasonSyntax, Tried: string(tried), Err: se}
	}
	return decodeErr(tried, ReasonSyntax, "%w", err)
}

// jwTime parses a timestamp as sent (a JSON number or a numeric string) in
// unit ("s" or "us") into ms since the Unix epoch; 0 when it is unparseable
// or out of range. It does not guess units: a 13-digit value in a seconds
// field is read as seconds, and the checks flag it.
func jwTime(raw, unit string) int64 {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return 0
	}
	if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
		switch unit {
		case "s":
			if n > math.MaxInt64/1000 || n < math.MinInt64/1000 {
				return 0
			}
			return n * 1000
		case "us":
			return n / 1000
		}
		return n
	}
	fv, err := strconv.ParseFloat(raw, 64)
	if err != nil || math.IsNaN(fv) || math.IsInf(fv, 0) {
		return 0
	}
	switch unit {
	case "s":
		fv *= 1000
	case "us":
		fv /= 1000
	}
	if fv >= math.MaxInt64 || fv <= math.MinInt64 {
		return 0
	}
	return int64(fv)
}

// urlQueryValue returns the first value of query parameter name in URL u
// ("" when absent), percent-decoded only when it needs to be.
func urlQueryValue(u, name string) string {
	q := strings.IndexByte(u, '?')
	if q < 0 {
		return ""
	}
	rest := u[q+1:]
	if h := strings.IndexByte(rest, '#'); h >= 0 {
		rest = rest[:h]
	}
	for rest != "" {
		var kv string
		kv, rest, _ = strings.Cut(rest, "&")
		k, v, _ := strings.Cut(kv, "=")
		if k != name {
			continue
		}
		if strings.ContainsAny(v, "%+") {
			if d, err := url.QueryUnescape(v); err == nil {
				return d
			}
		}
		return v
	}
	return ""
}

// clickIDsFromURL fills the click ids an event lacks from its page URL.
func clickIDsFromURL(c *ClickIDs, u string) {
	if u == "" || strings.IndexByte(u, '?') < 0 {
		return
	}
	if c.FBCLID == "" {
		c.FBCLID = urlQueryValue(u, "fbclid")
	}
	if c.GCLID == "" {
		c.GCLID = urlQueryValue(u, "gclid")
	}
	if c.GBRAID == "" {
		c.GBRAID = urlQueryValue(u, "gbraid")
	}
	if c.WBRAID == "" {
		c.WBRAID = urlQueryValue(u, "wbraid")
	}
}

// setOnce sets *dst to v unless it already holds a value.
func setOnce(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// setOnce sets the click id named key (gclid, gbraid, wbraid or fbclid) the
// first time it is seen; other keys are ignored.
func (c *ClickIDs) setOnce(key, v string) {
	switch key {
	case "gclid":
		setOnce(&c.GCLID, v)
	case "gbraid":
		setOnce(&c.GBRAID, v)
	case "wbraid":
		setOnce(&c.WBRAID, v)
	case "fbclid":
		setOnce(&c.FBCLID, v)
	}
}

// setWithPath sets a field and the path it was read from, the first time:
// a repeated key keeps the first value (later ones stay in Other).
func setWithPath(dst, dstPath *string, v, path string) {
	if *dstPath == "" {
		*dst, *dstPath = v, path
	}
}

// setTimeOnce sets the event time from the raw text at path, in the
// format's unit, the first time.
func (e *Event) setTimeOnce(raw, path, unit string) {
	if e.EventTimePath == "" {
		e.EventTimeRaw, e.EventTimePath, e.EventTimeUnit = raw, path, unit
		e.EventTime = jwTime(raw, unit)
	}
}

// urlFields splits the query of the URL leaf l into fields in the URL arena
// (names and values percent-decoded, "+" as space) and returns how many.
func (w *jsonWalk) urlFields(l *jwLeaf) int {
	l.nurl = 0
	u := w.value(l)
	q := strings.IndexByte(u, '?')
	if q < 0 {
		return 0
	}
	query := u[q+1:]
	if h := strings.IndexByte(query, '#'); h >= 0 {
		query = query[:h]
	}
	path := w.path(l)
	n := 0
	for query != "" && n < jwMaxURLParams {
		var kv string
		kv, query, _ = strings.Cut(query, "&")
		if kv == "" {
			continue
		}
		name, val, _ := strings.Cut(kv, "=")
		var f jwURLField
		a := w.uarena
		f.path[0] = int32(len(a))
		a = append(a, path...)
		a = append(a, '?')
		f.key[0] = int32(len(a))
		a = appendUnescaped(a, name)
		f.key[1] = int32(len(a))
		if f.key[0] == f.key[1] {
			a = append(a, jsonEmptyKey...)
		}
		f.path[1] = int32(len(a))
		f.val[0] = int32(len(a))
		a = appendUnescaped(a, val)
		f.val[1] = int32(len(a))
		w.uarena = a
		w.ufields = append(w.ufields, f)
		n++
	}
	l.nurl = uint16(n)
	return n
}

// appendUnescaped appends s percent-decoded ("+" as space; a malformed
// escape is kept as sent), with invalid UTF-8 replaced by U+FFFD.
func appendUnescaped(dst []byte, s string) []byte {
	start := len(dst)
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		dst = append(dst, s...)
	} else {
		for i := 0; i < len(s); i++ {
			switch c := s[i]; {
			case c == '+':
				dst = append(dst, ' ')
			case c == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]):
				dst = append(dst, hexVal(s[i+1])<<4|hexVal(s[i+2]))
				i += 2
			default:
				dst = append(dst, c)
			}
		}
	}
	if utf8.Valid(dst[start:]) {
		return dst
	}
	bad := string(dst[start:]) // rare: only for invalid UTF-8
	dst = dst[:start]
	for _, r := range bad {
		dst = utf8.AppendRune(dst, r) // range yields U+FFFD for invalid bytes
	}
	return dst
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
