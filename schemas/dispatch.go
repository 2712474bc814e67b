package schemas

import (
	"bytes"
	"errors"
	"strings"
	"unicode/utf8"
)

// TriedDetect is DecodeError.Tried when the format was detected from the
// message's shape rather than named by the sstaudit-format header.
const TriedDetect = "detect"

// defaultFallbackKeys is the FallbackKeys default, shared so Decode does not
// build the map on every call. Nothing may modify it.
var defaultFallbackKeys = DecodeOptions{}.withDefaults().FallbackKeys

// Decode decodes one Kafka message into its canonical events (SPEC §3).
//
// The format is the sstaudit-format header (m.Format) when present, else it
// is detected from the shape of the value. A message that is not decodable
// at all returns a *DecodeError whose Reason classifies it and whose Tried is
// the header's format or "detect"; such a message belongs in the DLQ. A
// decodable message returns at least one event, in batch order, with Side,
// Destination, Source (BatchIndex/BatchSize), TraceParent, SchemaVersion,
// TransactionID and JoinKey filled in by the finish step. Events with
// missing or wrong fields are returned as they are, for the checks to audit.
//
// Decode never panics on input and bounds its work by o (size, nesting,
// batch length). The events share memory with one copy of m.Value, not with
// m.Value itself. Field values may hold personal data; errors never do.
func Decode(m Message, o DecodeOptions) ([]Event, error) {
	if o.FallbackKeys == nil {
		o.FallbackKeys = defaultFallbackKeys
	}
	o = o.withDefaults()

	tried := TriedDetect
	var f Format
	if m.Format != "" {
		var ok bool
		if f, ok = parseFormat(m.Format); !ok {
			return nil, &DecodeError{Reason: ReasonUnknownFormat, Tried: headerTried(m.Format),
				Err: errors.New("the sstaudit-format header names no known format")}
		}
		tried = string(f)
	}
	if len(m.Value) > o.MaxBytes {
		return nil, &DecodeError{Reason: ReasonTooLarge, Tried: tried,
			Err: errors.New("message exceeds the size limit")}
	}
	if !isAvroSOE(m.Value) { // binary Avro may well end in a whitespace byte
		m.Value = trimValue(m.Value)
	}
	if len(m.Value) == 0 {
		return nil, &DecodeError{Reason: ReasonEmpty, Tried: tried}
	}

	var evs []Event
	var err error
	if f != "" {
		evs, err = decodeFormat(f, &m, &o)
	} else {
		evs, err = detectAndDecode(&m, &o)
		if err != nil {
			err = retry(err, TriedDetect)
		}
	}
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 {
		return nil, &DecodeError{Reason: ReasonNoEvents, Tried: tried}
	}
	finishEvents(evs, &m, &o)
	return evs, nil
}

// decodeFormat runs the decoder of a known format.
func decodeFormat(f Format, m *Message, o *DecodeOptions) ([]Event, error) {
	switch f {
	case FormatMetaPixel:
		return decodeMetaPixel(m, o)
	case FormatGA4Gtag:
		return decodeGtag(m, o)
	case FormatMetaCAPI:
		return decodeCAPI(m, o)
	case FormatGA4MP:
		return decodeMP(m, o)
	case FormatSGTM:
		return decodeSGTM(m, o)
	case FormatCanonical:
		return decodeCanonical(m, o)
	}
	return nil, decodeErr(f, ReasonUnknownFormat, "")
}

// parseFormat reads the sstaudit-format header (case and surrounding space
// ignored).
func parseFormat(h string) (Format, bool) {
	h = strings.TrimSpace(h)
	for _, f := range Formats {
		if strings.EqualFold(h, string(f)) {
			return f, true
		}
	}
	return "", false
}

// headerTried makes an unknown header value safe to echo as Tried: printable
// ASCII, at most 64 bytes.
func headerTried(h string) string {
	var b strings.Builder
	for i := 0; i < len(h) && b.Len() < 64; i++ {
		if c := h[i]; c > ' ' && c < 0x7f {
			b.WriteByte(c)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

// retry rewrites the Tried of a DecodeError.
func retry(err error, tried string) error {
	var de *DecodeError
	if errors.As(err, &de) && de.Tried != tried {
		c := *de
		c.Tried = tried
		return &c
	}
	if de == nil {
		return &DecodeError{Reason: ReasonSyntax, Tried: tried, Err: err}
	}
	return err
}

// isAvroSOE reports whether v starts with the Avro single-object encoding
// marker C3 01.
func isAvroSOE(v []byte) bool { return len(v) >= 2 && v[0] == 0xC3 && v[1] == 0x01 }

// trimValue strips a UTF-8 byte order mark and surrounding whitespace.
func trimValue(v []byte) []byte {
	if len(v) >= 3 && v[0] == 0xEF && v[1] == 0xBB && v[2] == 0xBF {
		v = v[3:]
	}
	for len(v) > 0 && isJSONSpace(v[0]) {
		v = v[1:]
	}
	for len(v) > 0 && isJSONSpace(v[len(v)-1]) {
		v = v[:len(v)-1]
	}
	return v
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// detectAndDecode detects the format from the shape of m.Value (trimmed,
// non-empty) and decodes it (SPEC §3).
func detectAndDecode(m *Message, o *DecodeOptions) ([]Event, error) {
	v := m.Value
	if isAvroSOE(v) {
		return decodeCanonical(m, o)
	}
	if v[0] == '{' || v[0] == '[' {
		w := getJSONWalk()
		defer w.release()
		if err := w.walk(v, o.MaxDepth); err != nil {
			return nil, walkErr(TriedDetect, err)
		}
		switch detectJSON(w) {
		case FormatCanonical:
			return decodeCanonical(m, o)
		case FormatMetaCAPI:
			return decodeCAPIWalked(w, o, TriedDetect)
		case FormatGA4MP:
			return decodeMPWalked(w, o, TriedDetect)
		case FormatSGTM:
			return decodeSGTMWalked(w, TriedDetect)
		case FormatMetaPixel:
			return decodeMetaPixel(m, o)
		}
		return nil, decodeErr(TriedDetect, ReasonUnknownShape, "json matches no known format")
	}
	// Text: detected on the bytes, so the chosen decoder's own copy is the
	// only one.
	if f := detectText(v); f != "" {
		return decodeFormat(f, m, o)
	}
	if looksLikeQueryText(v) {
		return nil, decodeErr(TriedDetect, ReasonUnknownShape, "query string matches no known format")
	}
	return nil, decodeErr(TriedDetect, ReasonSyntax, "not json, a query string or avro")
}

// jsonShape gathers the top-level keys detection looks at.
type jsonShape struct {
	side, format, canonicalKey      bool
	dataArray                       bool
	eventName, eventTime            bool
	userData, actionSource          bool
	clientID, appInstanceID, events bool
	xga, pageLocation               bool
	ev, pixelOther                  bool
}

// detectJSON picks the format of a walked JSON value, or "". It looks at
// the keys of the top-level object only (for a top-level array: of its
// objects, which only canonical events may be).
func detectJSON(w *jsonWalk) Format {
	var s jsonShape
	for _, tk := range w.topKeys {
		k := w.topKeyBuf[tk.start:tk.end]
		switch string(k) {
		case "side":
			s.side = true
		case "format":
			s.format = true
		case "event_name_path", "event_id_path", "event_time_path", "event_time_raw", "event_time_unit",
			"join_key", "join_key_source", "action_source_path", "url_path", "referrer_path",
			"has_transaction_id", "click_ids":
			// Field names only the canonical event (tracking_event.avsc) has.
			s.canonicalKey = true
		case "data":
			s.dataArray = s.dataArray || tk.first == '['
		case "event_name":
			s.eventName = true
		case "event_time":
			s.eventTime = true
		case "user_data":
			s.userData = true
		case "action_source":
			s.actionSource = true
		case "client_id":
			s.clientID = true
		case "app_instance_id":
			s.appInstanceID = true
		case "events":
			s.events = true
		case "page_location":
			s.pageLocation = true
		case "ev":
			s.ev = true
		case "id", "eid", "ud", "cd", "dl", "ts", "fbp", "fbc":
			s.pixelOther = true
		default:
			switch {
			case bytes.HasPrefix(k, []byte("x-ga-")):
				s.xga = true
			case bytes.HasPrefix(k, []byte("ud[")) || bytes.HasPrefix(k, []byte("cd[")):
				s.pixelOther = true
			}
		}
	}
	switch {
	case s.side && s.format || s.canonicalKey:
		return FormatCanonical
	case w.topArray:
		return ""
	case s.dataArray:
		return FormatMetaCAPI
	case s.eventName && s.eventTime && (s.userData || s.actionSource):
		return FormatMetaCAPI
	case (s.clientID || s.appInstanceID) && s.events:
		return FormatGA4MP
	case s.eventName && (s.xga || s.clientID || s.pageLocation):
		return FormatSGTM
	case s.ev && s.pixelOther:
		return FormatMetaPixel
	}
	return ""
}

// detectText picks the format of a text message (URL, query string, or
// newline-separated hits), or "".
func detectText(s []byte) Format {
	first, multi := s, false
	if i := bytes.IndexByte(s, '\n'); i >= 0 {
		first = bytes.TrimRight(s[:i], "\r \t")
		multi = len(bytes.TrimSpace(s[i+1:])) > 0
	}
	if multi {
		// A POST body of several hits: gtag batches hits one per line.
		if textFormat(first) == FormatGA4Gtag {
			return FormatGA4Gtag
		}
		return ""
	}
	return textFormat(first)
}

// textFormat classifies one URL or query string.
func textFormat(s []byte) Format {
	path, query := s, s
	if q := bytes.IndexByte(s, '?'); q >= 0 {
		path, query = s[:q], s[q+1:]
	} else if bytes.Contains(s, []byte("://")) || bytes.HasPrefix(s, []byte("/")) {
		query = nil
	} else {
		path = nil
	}
	switch {
	case bytes.Contains(path, []byte("/g/collect")):
		return FormatGA4Gtag
	case bytes.HasSuffix(path, []byte("/tr")) || bytes.HasSuffix(path, []byte("/tr/")):
		return FormatMetaPixel
	}
	var hasEv, hasEn, hasV2, hasTid bool
	for len(query) > 0 {
		var kv []byte
		kv, query, _ = bytes.Cut(query, []byte("&"))
		k, v, _ := bytes.Cut(kv, []byte("="))
		switch string(k) {
		case "ev":
			hasEv = true
		case "en":
			hasEn = true
		case "v":
			hasV2 = string(v) == "2"
		case "tid":
			hasTid = true
		}
	}
	switch {
	case hasEv:
		return FormatMetaPixel
	case hasEn || (hasV2 && hasTid):
		return FormatGA4Gtag
	}
	return ""
}

// looksLikeQueryText reports whether s is text shaped like a query string
// (valid UTF-8, no control characters, at least one name=value), as opposed
// to binary or free text.
func looksLikeQueryText(s []byte) bool {
	if !utf8.Valid(s) || bytes.IndexByte(s, '=') < 0 {
		return false
	}
	for _, c := range s {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
