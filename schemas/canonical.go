package schemas

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// The sstaudit.event format: the canonical Event as described by
// avsc/tracking_event.avsc, either as plain JSON (one object, or an array of
// objects as a batch) or as Avro single-object encoding (C3 01, the
// schema's CRC-64-AVRO fingerprint, the binary record).
//
// Decoding is strict: the JSON must hold only the schema's fields with the
// schema's types, and Avro must carry exactly this schema's fingerprint. A
// newer writer schema therefore goes to the DLQ (reason schema) rather than
// being audited half-understood.
//
// Which wins when the event and the Kafka message both say something:
//   - side: the event's; the message's (its topic's side) when the event has none;
//   - destination: the event's; the sstaudit-destination header when the event has none;
//   - source: always the message's coordinates, with the event's position in
//     the batch, since redelivery detection must see the input that was
//     actually consumed (an event's own source is only kept by Codec.Decode,
//     which decodes one event outside any message);
//   - traceparent: the message's header when it has one, else the event's;
//   - format: the event's (the format it was first decoded from), else sstaudit.event.

// decodeCanonical decodes an sstaudit.event message. Errors are *DecodeError
// with Tried "sstaudit.event". o may be nil; zero limits take the defaults.
func decodeCanonical(m *Message, o *DecodeOptions) ([]Event, error) {
	var opts DecodeOptions
	if o != nil {
		opts = *o
	}
	opts = opts.withDefaults()
	v := m.Value
	if len(v) > opts.MaxBytes {
		return nil, decodeErr(FormatCanonical, ReasonTooLarge, "%d bytes, limit %d", len(v), opts.MaxBytes)
	}
	var evs []Event
	if len(v) > 0 && v[0] == 0xC3 {
		ev, err := decodeCanonicalAvro(v)
		if err != nil {
			return nil, err
		}
		evs = []Event{ev}
	} else {
		var err error
		if evs, err = decodeCanonicalJSON(v, &opts); err != nil {
			return nil, err
		}
	}
	n := int32(len(evs))
	for i := range evs {
		e := &evs[i]
		if e.Side != SideClient && e.Side != SideServer {
			e.Side = m.Side
		}
		if e.Destination == "" {
			if d, ok := destinationOf(m.Destination); ok {
				e.Destination = d
			}
		}
		e.Source = m.Source
		e.Source.BatchIndex = int32(i)
		e.Source.BatchSize = n
		if m.TraceParent != "" {
			e.TraceParent = m.TraceParent
		}
	}
	return evs, nil
}

func decodeCanonicalAvro(v []byte) (Event, error) {
	s, err := schemaNamed(SchemaEvent)
	if err != nil {
		return Event{}, &DecodeError{Reason: ReasonSchema, Tried: string(FormatCanonical), Err: err}
	}
	if len(v) < soeHeaderLen || v[1] != 0x01 {
		return Event{}, decodeErr(FormatCanonical, ReasonSyntax, "not Avro single-object encoding")
	}
	if fp := binary.LittleEndian.Uint64(v[2:]); fp != s.Fingerprint {
		// The writer's fingerprint is input bytes: not quoted.
		return Event{}, decodeErr(FormatCanonical, ReasonSchema, "writer schema is not %s/%s", s.Name, s.Version)
	}
	r := newAvroReader(v[soeHeaderLen:])
	ev := readEvent(r)
	if err := r.finish(); err != nil {
		switch {
		case errors.Is(err, errEventFormat):
			return Event{}, &DecodeError{Reason: ReasonSchema, Tried: string(FormatCanonical), Err: err}
		case errors.Is(err, errEventFields):
			return Event{}, &DecodeError{Reason: ReasonTooLarge, Tried: string(FormatCanonical), Err: err}
		}
		return Event{}, &DecodeError{Reason: ReasonSyntax, Tried: string(FormatCanonical), Err: err}
	}
	return ev, nil
}

func decodeCanonicalJSON(v []byte, o *DecodeOptions) ([]Event, error) {
	t := bytes.TrimLeft(v, " \t\r\n")
	if len(bytes.TrimRight(t, " \t\r\n")) == 0 {
		return nil, decodeErr(FormatCanonical, ReasonEmpty, "")
	}
	if !json.Valid(t) {
		return nil, decodeErr(FormatCanonical, ReasonSyntax, "not JSON or Avro single-object encoding")
	}
	depth, elems, fields := canonicalJSONShape(t)
	if depth > o.MaxDepth {
		return nil, decodeErr(FormatCanonical, ReasonTooDeep, "nesting %d, limit %d", depth, o.MaxDepth)
	}
	if fields > maxCanonicalFields {
		return nil, decodeErr(FormatCanonical, ReasonTooLarge, "more than %d fields", maxCanonicalFields)
	}
	switch t[0] {
	case '{':
		var ej eventJSON
		if err := unmarshalStrict(t, &ej); err != nil {
			return nil, err
		}
		ev, err := ej.event()
		if err != nil {
			return nil, err
		}
		return []Event{ev}, nil
	case '[':
		if elems == 0 {
			return nil, decodeErr(FormatCanonical, ReasonNoEvents, "empty batch")
		}
		if elems > o.MaxBatch {
			return nil, decodeErr(FormatCanonical, ReasonTooManyEvents, "%d events, limit %d", elems, o.MaxBatch)
		}
		ejs := make([]*eventJSON, 0, elems)
		if err := unmarshalStrict(t, &ejs); err != nil {
			return nil, err
		}
		evs := make([]Event, len(ejs))
		for i, ej := range ejs {
			if ej == nil {
				return nil, decodeErr(FormatCanonical, ReasonSchema, "batch element %d is null", i)
			}
			var err error
			if evs[i], err = ej.event(); err != nil {
				return nil, err
			}
		}
		return evs, nil
	}
	return nil, decodeErr(FormatCanonical, ReasonSchema, "want an event object or an array of them")
}

func unmarshalStrict(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			// Neither te.Value (it may quote a number) nor te.Field (an
			// input key, even if a schema name) is quoted.
			return decodeErr(FormatCanonical, ReasonSchema, "a field has the wrong type, want %s", te.Type)
		case errors.As(err, &se):
			return decodeErr(FormatCanonical, ReasonSyntax, "offset %d", se.Offset)
		}
		// Unknown fields: the key is payload, so it is not quoted.
		return decodeErr(FormatCanonical, ReasonSchema, "unknown field or malformed event")
	}
	return nil
}

// maxCanonicalFields bounds the Fields (user_data, params and other leaves)
// of one sstaudit.event message, so that a 1 MiB message of tiny fields
// cannot cost hundreds of MiB to decode. Real events carry tens to hundreds;
// beyond the bound a message is ReasonTooLarge.
const maxCanonicalFields = 50_000

// canonicalJSONShape returns the nesting depth of a valid JSON document,
// when it is an array its number of elements, and an upper bound on the
// Field objects it holds (objects inside arrays inside the events).
func canonicalJSONShape(b []byte) (depth, elems, fields int) {
	d := 0
	inStr := false
	topArray := len(b) > 0 && b[0] == '['
	fieldDepth := 2 // {"user_data":[{...}]}: a Field opens inside depth 2
	if topArray {
		fieldDepth = 3
	}
	sawElem := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inStr {
			switch c {
			case '\\':
				i++
			case '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
			if d == 1 && topArray && !sawElem {
				sawElem = true
			}
		case '{', '[':
			if d == 1 && topArray && !sawElem {
				sawElem = true
			}
			if c == '{' && d == fieldDepth {
				fields++
			}
			d++
			if d > depth {
				depth = d
			}
		case '}', ']':
			d--
		case ',':
			if d == 1 && topArray {
				elems++
			}
		case ' ', '\t', '\r', '\n':
		default:
			if d == 1 && topArray && !sawElem {
				sawElem = true
			}
		}
	}
	if sawElem {
		elems++
	}
	return depth, elems, fields
}

// EncodeCanonical writes ev as an sstaudit.event message in format f: plain
// JSON or Avro single-object encoding. Decoding the result yields ev again,
// except for Source, which decoding takes from the Kafka message.
func EncodeCanonical(ev Event, f OutputFormat) ([]byte, error) {
	switch f {
	case OutputJSON:
		b, err := appendEventJSON(make([]byte, 0, 1024), &ev)
		if err != nil {
			return nil, fmt.Errorf("schemas: encode %s: %w", SchemaEvent, err)
		}
		return b, nil
	case OutputAvro:
		s, err := schemaNamed(SchemaEvent)
		if err != nil {
			return nil, err
		}
		b, err := appendEventAvro(append(make([]byte, 0, 512), s.header[:]...), &ev)
		if err != nil {
			return nil, fmt.Errorf("schemas: encode %s: %w", SchemaEvent, err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("schemas: unknown output format %q", string(f))
}

// ---- Avro ----

var (
	errEventSide   = errors.New("side is neither client nor server")
	errEventKind   = errors.New("unknown value kind")
	errEventFormat = errors.New("unknown format")
	errEventFields = fmt.Errorf("more than %d fields", maxCanonicalFields)
)

// valueKindNames are the ValueKind enum symbols, in ValueKind order.
var valueKindNames = [...]string{"string", "number", "bool", "null", "empty_object", "empty_array"}

func appendEventAvro(b []byte, e *Event) ([]byte, error) {
	switch e.Side {
	case "":
		b = append(b, 0)
	case SideClient:
		b = append(b, 2, 0)
	case SideServer:
		b = append(b, 2, 2)
	default:
		return b, errEventSide
	}
	b = appendOptNonEmpty(b, string(e.Format))
	b = appendOptNonEmpty(b, string(e.Destination))
	for _, s := range [...]string{
		e.EventID, e.EventIDPath, e.JoinKey, e.JoinKeySource, e.EventName, e.EventNamePath,
	} {
		b = appendString(b, s)
	}
	if e.EventTime == 0 {
		b = append(b, 0)
	} else {
		b = appendLong(append(b, 2), e.EventTime)
	}
	c, k := &e.ClickIDs, &e.Consent
	for _, s := range [...]string{
		e.EventTimeRaw, e.EventTimePath, e.EventTimeUnit, e.ActionSource, e.ActionSourcePath,
		e.URL, e.URLPath, e.Referrer, e.ReferrerPath,
		e.ClientID, e.UserID, e.ExternalID, e.ClientIP, e.UserAgent,
		c.FBCLID, c.FBC, c.FBP, c.GCLID, c.GBRAID, c.WBRAID,
		k.GCS, k.GCD, k.NPA, k.DMA, k.AdUserData, k.AdPersonalization, k.GDPR, k.TCString, k.DataProcessing,
		e.SchemaVersion, e.TransactionID,
	} {
		b = appendString(b, s)
	}
	b = appendBool(b, e.HasTransactionID)
	b = appendString(b, e.TestEventCode)
	b = appendString(b, e.PartnerAgent)
	b = appendString(b, e.PixelID)
	var err error
	for _, fs := range [...][]Field{e.UserData, e.Params, e.Other} {
		if b, err = appendFieldsAvro(b, fs); err != nil {
			return b, err
		}
	}
	if e.Source == (Source{}) {
		b = append(b, 0)
	} else {
		s := &e.Source
		b = append(b, 2)
		b = appendString(b, s.Topic)
		b = appendLong(b, int64(s.Partition))
		b = appendLong(b, s.Offset)
		b = appendLong(b, s.RecordTime)
		b = appendLong(b, int64(s.BatchIndex))
		b = appendLong(b, int64(s.BatchSize))
	}
	return appendString(b, e.TraceParent), nil
}

func appendOptNonEmpty(b []byte, s string) []byte {
	if s == "" {
		return append(b, 0)
	}
	return appendString(append(b, 2), s)
}

func appendFieldsAvro(b []byte, fs []Field) ([]byte, error) {
	if len(fs) > 0 {
		b = appendLong(b, int64(len(fs)))
		for i := range fs {
			f := &fs[i]
			if int(f.Kind) >= len(valueKindNames) {
				return b, errEventKind
			}
			b = appendString(b, f.Path)
			b = appendString(b, f.Key)
			b = appendString(b, f.Value)
			b = append(b, byte(f.Kind)<<1) // zig-zag of a small non-negative int
		}
	}
	return append(b, 0), nil
}

func readEvent(r *avroReader) Event {
	var e Event
	if r.branch(2) == 1 {
		if r.enum(2) == 0 {
			e.Side = SideClient
		} else {
			e.Side = SideServer
		}
	}
	if r.branch(2) == 1 {
		e.Format = Format(r.str())
	}
	if r.branch(2) == 1 {
		e.Destination = Destination(r.str())
	}
	e.EventID = r.str()
	e.EventIDPath = r.str()
	e.JoinKey = r.str()
	e.JoinKeySource = r.str()
	e.EventName = r.str()
	e.EventNamePath = r.str()
	if r.branch(2) == 1 {
		e.EventTime = r.long()
	}
	c, k := &e.ClickIDs, &e.Consent
	for _, p := range [...]*string{
		&e.EventTimeRaw, &e.EventTimePath, &e.EventTimeUnit, &e.ActionSource, &e.ActionSourcePath,
		&e.URL, &e.URLPath, &e.Referrer, &e.ReferrerPath,
		&e.ClientID, &e.UserID, &e.ExternalID, &e.ClientIP, &e.UserAgent,
		&c.FBCLID, &c.FBC, &c.FBP, &c.GCLID, &c.GBRAID, &c.WBRAID,
		&k.GCS, &k.GCD, &k.NPA, &k.DMA, &k.AdUserData, &k.AdPersonalization, &k.GDPR, &k.TCString, &k.DataProcessing,
		&e.SchemaVersion, &e.TransactionID,
	} {
		*p = r.str()
	}
	e.HasTransactionID = r.boolean()
	e.TestEventCode = r.str()
	e.PartnerAgent = r.str()
	e.PixelID = r.str()
	budget := maxCanonicalFields
	e.UserData = readFields(r, &budget)
	e.Params = readFields(r, &budget)
	e.Other = readFields(r, &budget)
	if r.branch(2) == 1 {
		s := &e.Source
		s.Topic = r.str()
		s.Partition = r.int()
		s.Offset = r.long()
		s.RecordTime = r.long()
		s.BatchIndex = r.int()
		s.BatchSize = r.int()
	}
	e.TraceParent = r.str()
	if r.err == nil {
		if err := checkEventFormat(&e); err != nil {
			r.fail(err)
		}
	}
	if r.err != nil {
		return Event{}
	}
	return e
}

func readFields(r *avroReader, budget *int) []Field {
	var fs []Field
	// A field is at least 4 bytes: three empty strings and the kind.
	r.array(4, func() {
		if *budget--; *budget < 0 {
			r.fail(errEventFields)
			return
		}
		fs = append(fs, Field{
			Path:  r.str(),
			Key:   r.str(),
			Value: r.str(),
			Kind:  ValueKind(r.enum(int64(len(valueKindNames)))),
		})
	})
	return fs
}

// checkEventFormat defaults an absent format to sstaudit.event and rejects
// formats this build does not know.
func checkEventFormat(e *Event) error {
	if e.Format == "" {
		e.Format = FormatCanonical
		return nil
	}
	for _, f := range Formats {
		if e.Format == f {
			return nil
		}
	}
	return errEventFormat
}

// ---- JSON ----

type fieldJSON struct {
	Path  string  `json:"path"`
	Key   string  `json:"key"`
	Value string  `json:"value"`
	Kind  *string `json:"kind"`
}

type clickIDsJSON struct {
	FBCLID string `json:"fbclid"`
	FBC    string `json:"fbc"`
	FBP    string `json:"fbp"`
	GCLID  string `json:"gclid"`
	GBRAID string `json:"gbraid"`
	WBRAID string `json:"wbraid"`
}

type consentJSON struct {
	GCS               string `json:"gcs"`
	GCD               string `json:"gcd"`
	NPA               string `json:"npa"`
	DMA               string `json:"dma"`
	AdUserData        string `json:"ad_user_data"`
	AdPersonalization string `json:"ad_personalization"`
	GDPR              string `json:"gdpr"`
	TCString          string `json:"tc_string"`
	DataProcessing    string `json:"data_processing"`
}

type sourceJSON struct {
	Topic      string `json:"topic"`
	Partition  int32  `json:"partition"`
	Offset     int64  `json:"offset"`
	RecordTime int64  `json:"record_time"`
	BatchIndex int32  `json:"batch_index"`
	BatchSize  int32  `json:"batch_size"`
}

// eventJSON is tracking_event.avsc as encoding/json sees it.
type eventJSON struct {
	Side             *string      `json:"side"`
	Format           *string      `json:"format"`
	Destination      *string      `json:"destination"`
	EventID          string       `json:"event_id"`
	EventIDPath      string       `json:"event_id_path"`
	JoinKey          string       `json:"join_key"`
	JoinKeySource    string       `json:"join_key_source"`
	EventName        string       `json:"event_name"`
	EventNamePath    string       `json:"event_name_path"`
	EventTime        *int64       `json:"event_time"`
	EventTimeRaw     string       `json:"event_time_raw"`
	EventTimePath    string       `json:"event_time_path"`
	EventTimeUnit    string       `json:"event_time_unit"`
	ActionSource     string       `json:"action_source"`
	ActionSourcePath string       `json:"action_source_path"`
	URL              string       `json:"url"`
	URLPath          string       `json:"url_path"`
	Referrer         string       `json:"referrer"`
	ReferrerPath     string       `json:"referrer_path"`
	ClientID         string       `json:"client_id"`
	UserID           string       `json:"user_id"`
	ExternalID       string       `json:"external_id"`
	ClientIP         string       `json:"client_ip"`
	UserAgent        string       `json:"user_agent"`
	ClickIDs         clickIDsJSON `json:"click_ids"`
	Consent          consentJSON  `json:"consent"`
	SchemaVersion    string       `json:"schema_version"`
	TransactionID    string       `json:"transaction_id"`
	HasTransactionID bool         `json:"has_transaction_id"`
	TestEventCode    string       `json:"test_event_code"`
	PartnerAgent     string       `json:"partner_agent"`
	PixelID          string       `json:"pixel_id"`
	UserData         []fieldJSON  `json:"user_data"`
	Params           []fieldJSON  `json:"params"`
	Other            []fieldJSON  `json:"other"`
	Source           *sourceJSON  `json:"source"`
	TraceParent      string       `json:"traceparent"`
}

func (j *eventJSON) event() (Event, error) {
	e := Event{
		EventID: j.EventID, EventIDPath: j.EventIDPath,
		JoinKey: j.JoinKey, JoinKeySource: j.JoinKeySource,
		EventName: j.EventName, EventNamePath: j.EventNamePath,
		EventTimeRaw: j.EventTimeRaw, EventTimePath: j.EventTimePath, EventTimeUnit: j.EventTimeUnit,
		ActionSource: j.ActionSource, ActionSourcePath: j.ActionSourcePath,
		URL: j.URL, URLPath: j.URLPath, Referrer: j.Referrer, ReferrerPath: j.ReferrerPath,
		ClientID: j.ClientID, UserID: j.UserID, ExternalID: j.ExternalID,
		ClientIP: j.ClientIP, UserAgent: j.UserAgent,
		ClickIDs:      ClickIDs(j.ClickIDs),
		Consent:       Consent(j.Consent),
		SchemaVersion: j.SchemaVersion, TransactionID: j.TransactionID, HasTransactionID: j.HasTransactionID,
		TestEventCode: j.TestEventCode, PartnerAgent: j.PartnerAgent, PixelID: j.PixelID,
		TraceParent: j.TraceParent,
	}
	if j.Side != nil {
		switch Side(*j.Side) {
		case SideClient, SideServer:
			e.Side = Side(*j.Side)
		default:
			return Event{}, &DecodeError{Reason: ReasonSchema, Tried: string(FormatCanonical), Err: errEventSide}
		}
	}
	if j.Format != nil {
		e.Format = Format(*j.Format)
	}
	if err := checkEventFormat(&e); err != nil {
		return Event{}, &DecodeError{Reason: ReasonSchema, Tried: string(FormatCanonical), Err: err}
	}
	if j.Destination != nil {
		e.Destination = Destination(*j.Destination)
	}
	if j.EventTime != nil {
		e.EventTime = *j.EventTime
	}
	if j.Source != nil {
		e.Source = Source(*j.Source)
	}
	var err error
	if e.UserData, err = fieldsFromJSON(j.UserData); err != nil {
		return Event{}, err
	}
	if e.Params, err = fieldsFromJSON(j.Params); err != nil {
		return Event{}, err
	}
	if e.Other, err = fieldsFromJSON(j.Other); err != nil {
		return Event{}, err
	}
	return e, nil
}

func fieldsFromJSON(js []fieldJSON) ([]Field, error) {
	if len(js) == 0 {
		return nil, nil
	}
	fs := make([]Field, len(js))
	for i, j := range js {
		fs[i] = Field{Path: j.Path, Key: j.Key, Value: j.Value}
		if j.Kind == nil {
			continue // the schema's default: string
		}
		k := -1
		for n, name := range valueKindNames {
			if *j.Kind == name {
				k = n
				break
			}
		}
		if k < 0 {
			return nil, &DecodeError{Reason: ReasonSchema, Tried: string(FormatCanonical), Err: errEventKind}
		}
		fs[i].Kind = ValueKind(k)
	}
	return fs, nil
}

// decodeEventJSONValue decodes one canonical event object, keeping its own
// source (Codec[Event].Decode).
func decodeEventJSONValue(b []byte) (Event, error) {
	t := bytes.TrimSpace(b)
	if len(t) == 0 || t[0] != '{' {
		return Event{}, decodeErr(FormatCanonical, ReasonSchema, "want an event object")
	}
	if !json.Valid(t) {
		return Event{}, decodeErr(FormatCanonical, ReasonSyntax, "not JSON")
	}
	if d, _, n := canonicalJSONShape(t); d > DefaultMaxDepth {
		return Event{}, decodeErr(FormatCanonical, ReasonTooDeep, "nesting %d, limit %d", d, DefaultMaxDepth)
	} else if n > maxCanonicalFields {
		return Event{}, decodeErr(FormatCanonical, ReasonTooLarge, "more than %d fields", maxCanonicalFields)
	}
	var ej eventJSON
	if err := unmarshalStrict(t, &ej); err != nil {
		return Event{}, err
	}
	return ej.event()
}

func appendEventJSON(b []byte, e *Event) ([]byte, error) {
	b = append(b, `{"side":`...)
	switch e.Side {
	case "":
		b = append(b, "null"...)
	case SideClient, SideServer:
		b = appendJSONString(b, string(e.Side))
	default:
		return b, errEventSide
	}
	b = append(b, `,"format":`...)
	b = appendJSONOptNonEmpty(b, string(e.Format))
	b = append(b, `,"destination":`...)
	b = appendJSONOptNonEmpty(b, string(e.Destination))
	b = appendJSONMembers(b, `,"event_id":`, e.EventID, `,"event_id_path":`, e.EventIDPath,
		`,"join_key":`, e.JoinKey, `,"join_key_source":`, e.JoinKeySource,
		`,"event_name":`, e.EventName, `,"event_name_path":`, e.EventNamePath)
	b = append(b, `,"event_time":`...)
	if e.EventTime == 0 {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, e.EventTime, 10)
	}
	b = appendJSONMembers(b, `,"event_time_raw":`, e.EventTimeRaw, `,"event_time_path":`, e.EventTimePath,
		`,"event_time_unit":`, e.EventTimeUnit, `,"action_source":`, e.ActionSource,
		`,"action_source_path":`, e.ActionSourcePath, `,"url":`, e.URL, `,"url_path":`, e.URLPath,
		`,"referrer":`, e.Referrer, `,"referrer_path":`, e.ReferrerPath, `,"client_id":`, e.ClientID,
		`,"user_id":`, e.UserID, `,"external_id":`, e.ExternalID, `,"client_ip":`, e.ClientIP,
		`,"user_agent":`, e.UserAgent)
	c, k := &e.ClickIDs, &e.Consent
	b = appendJSONMembers(b, `,"click_ids":{"fbclid":`, c.FBCLID, `,"fbc":`, c.FBC, `,"fbp":`, c.FBP,
		`,"gclid":`, c.GCLID, `,"gbraid":`, c.GBRAID, `,"wbraid":`, c.WBRAID)
	b = appendJSONMembers(b, `},"consent":{"gcs":`, k.GCS, `,"gcd":`, k.GCD, `,"npa":`, k.NPA,
		`,"dma":`, k.DMA, `,"ad_user_data":`, k.AdUserData, `,"ad_personalization":`, k.AdPersonalization,
		`,"gdpr":`, k.GDPR, `,"tc_string":`, k.TCString, `,"data_processing":`, k.DataProcessing)
	b = appendJSONMembers(b, `},"schema_version":`, e.SchemaVersion, `,"transaction_id":`, e.TransactionID)
	b = append(b, `,"has_transaction_id":`...)
	b = appendJSONBool(b, e.HasTransactionID)
	b = appendJSONMembers(b, `,"test_event_code":`, e.TestEventCode, `,"partner_agent":`, e.PartnerAgent,
		`,"pixel_id":`, e.PixelID)
	var err error
	for i, fs := range [...][]Field{e.UserData, e.Params, e.Other} {
		b = append(b, [...]string{`,"user_data":`, `,"params":`, `,"other":`}[i]...)
		if b, err = appendFieldsJSON(b, fs); err != nil {
			return b, err
		}
	}
	b = append(b, `,"source":`...)
	if e.Source == (Source{}) {
		b = append(b, "null"...)
	} else {
		s := &e.Source
		b = append(b, `{"topic":`...)
		b = appendJSONString(b, s.Topic)
		b = append(b, `,"partition":`...)
		b = strconv.AppendInt(b, int64(s.Partition), 10)
		b = append(b, `,"offset":`...)
		b = strconv.AppendInt(b, s.Offset, 10)
		b = append(b, `,"record_time":`...)
		b = strconv.AppendInt(b, s.RecordTime, 10)
		b = append(b, `,"batch_index":`...)
		b = strconv.AppendInt(b, int64(s.BatchIndex), 10)
		b = append(b, `,"batch_size":`...)
		b = strconv.AppendInt(b, int64(s.BatchSize), 10)
		b = append(b, '}')
	}
	b = append(b, `,"traceparent":`...)
	b = appendJSONString(b, e.TraceParent)
	return append(b, '}'), nil
}

// appendJSONMembers appends name/value pairs: kv alternates a literal
// prefix (separator and quoted name) and a string value.
func appendJSONMembers(b []byte, kv ...string) []byte {
	for i := 0; i+1 < len(kv); i += 2 {
		b = append(b, kv[i]...)
		b = appendJSONString(b, kv[i+1])
	}
	return b
}

func appendJSONOptNonEmpty(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendJSONString(b, s)
}

func appendFieldsJSON(b []byte, fs []Field) ([]byte, error) {
	b = append(b, '[')
	for i := range fs {
		f := &fs[i]
		if int(f.Kind) >= len(valueKindNames) {
			return b, errEventKind
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"path":`...)
		b = appendJSONString(b, f.Path)
		b = append(b, `,"key":`...)
		b = appendJSONString(b, f.Key)
		b = append(b, `,"value":`...)
		b = appendJSONString(b, f.Value)
		b = append(b, `,"kind":"`...)
		b = append(b, valueKindNames[f.Kind]...)
		b = append(b, `"}`...)
	}
	return append(b, ']'), nil
}
