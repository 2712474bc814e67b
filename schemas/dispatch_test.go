package schemas

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// serverMessage wraps an input the way the server topic would deliver it.
func serverMessage(value []byte, format string) Message {
	return Message{
		Value:  value,
		Format: format,
		Side:   SideServer,
		Source: Source{
			Topic:      "tracking.server",
			Partition:  3,
			Offset:     90211,
			RecordTime: 1772446500000,
		},
		TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	}
}

// testDecodeGoldenDir decodes every testdata/decode/<dir>/*.input through
// Decode (with the sstaudit-format header when header is set, else by
// detection) and compares the result with NAME.golden (-update rewrites).
// Inputs named err_* must fail to decode, all others must decode.
func testDecodeGoldenDir(t *testing.T, dir, header string) {
	t.Helper()
	tried := TriedDetect
	if header != "" {
		tried = header
	}
	forEachDecodeInput(t, dir, func(t *testing.T, name string, raw []byte) []byte {
		m := serverMessage(raw, header)
		evs, err := Decode(m, DecodeOptions{})
		if err != nil {
			if !strings.HasPrefix(name, "err_") {
				t.Fatalf("decode failed: %v", err)
			}
			checkServerDecodeError(t, tried, err, raw)
			return fmt.Appendf(nil, "{\"error\": %q, \"tried\": %q}\n", ReasonOf(err), tried)
		}
		if strings.HasPrefix(name, "err_") {
			t.Fatalf("decoded %d events, want an error", len(evs))
		}
		checkDecodedEvents(t, &m, evs)
		return goldenJSON(evs)
	})
}

func TestDecodeCAPIGolden(t *testing.T)   { testDecodeGoldenDir(t, "meta.capi", string(FormatMetaCAPI)) }
func TestDecodeMPGolden(t *testing.T)     { testDecodeGoldenDir(t, "ga4.mp", string(FormatGA4MP)) }
func TestDecodeSGTMGolden(t *testing.T)   { testDecodeGoldenDir(t, "sgtm.event", string(FormatSGTM)) }
func TestDecodeDetectGolden(t *testing.T) { testDecodeGoldenDir(t, "detect", "") }

// checkServerDecodeError checks that err is a classified DecodeError with
// the expected Tried and that its text carries no run of the input's bytes.
func checkServerDecodeError(t testing.TB, tried string, err error, in []byte) {
	t.Helper()
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("error %T is not a *DecodeError", err)
	}
	if de.Tried != tried {
		t.Errorf("Tried = %q, want %q", de.Tried, tried)
	}
	switch de.Reason {
	case ReasonTooLarge, ReasonEmpty, ReasonSyntax, ReasonUnknownShape, ReasonSchema,
		ReasonTooDeep, ReasonTooManyEvents, ReasonNoEvents, ReasonUnknownFormat:
	default:
		t.Errorf("unexpected reason %q", de.Reason)
	}
	msg := err.Error()
	const run = 12
	for i := 0; i+run <= len(in) && i < 1<<12; i++ {
		if strings.Contains(msg, string(in[i:i+run])) {
			t.Fatalf("error text carries input bytes at offset %d", i)
		}
	}
}

// checkDecodedEvents checks the invariants every event Decode returns must
// satisfy, whatever the format.
func checkDecodedEvents(t testing.TB, m *Message, evs []Event) {
	t.Helper()
	if len(evs) == 0 {
		t.Fatal("no events and no error")
	}
	canonical := canonicalInput(m) // a canonical event's fields and paths are its own, as recorded
	for i := range evs {
		e := &evs[i]
		if e.Side != SideClient && e.Side != SideServer && e.Format != FormatCanonical {
			t.Fatalf("event %d: side %q", i, e.Side)
		}
		if e.Destination != DestinationMeta && e.Destination != DestinationGA4 && e.Format != FormatCanonical {
			t.Fatalf("event %d: destination %q", i, e.Destination)
		}
		if e.Source.BatchIndex != int32(i) || e.Source.BatchSize != int32(len(evs)) || e.Source.BatchIndex >= e.Source.BatchSize {
			t.Fatalf("event %d: batch index %d size %d of %d", i, e.Source.BatchIndex, e.Source.BatchSize, len(evs))
		}
		if e.Source.Topic != m.Source.Topic || e.Source.Offset != m.Source.Offset || e.Source.Partition != m.Source.Partition {
			t.Fatalf("event %d: source %+v", i, e.Source)
		}
		if m.TraceParent != "" && e.TraceParent != m.TraceParent {
			t.Fatalf("event %d: traceparent not carried", i)
		}
		if !canonical && (e.EventID != "" && e.EventIDPath == "" || e.EventName != "" && e.EventNamePath == "" ||
			e.URL != "" && e.URLPath == "" || e.Referrer != "" && e.ReferrerPath == "" ||
			e.EventTimeRaw != "" && e.EventTimePath == "" || e.ActionSource != "" && e.ActionSourcePath == "") {
			t.Fatalf("event %d: a value without its path", i)
		}
		switch {
		case e.EventID != "":
			if e.JoinKey != e.EventID || e.JoinKeySource != "event_id" {
				t.Fatalf("event %d: join key %q from %q with an event_id", i, e.JoinKey, e.JoinKeySource)
			}
		case e.JoinKey != "":
			if e.JoinKeySource == "" || e.JoinKeySource == "event_id" {
				t.Fatalf("event %d: join key source %q without an event_id", i, e.JoinKeySource)
			}
		case e.JoinKeySource != "":
			t.Fatalf("event %d: join key source %q without a key", i, e.JoinKeySource)
		}
		if canonical {
			continue
		}
		for _, list := range [][]Field{e.Params, e.UserData, e.Other} {
			for j := range list {
				if list[j].Path == "" {
					t.Fatalf("event %d: field with an empty path", i)
				}
			}
		}
	}
}

// canonicalInput reports whether m is (or is detected as) an sstaudit.event
// message.
func canonicalInput(m *Message) bool {
	if f, ok := parseFormat(m.Format); ok {
		return f == FormatCanonical
	}
	v := trimValue(m.Value)
	if isAvroSOE(m.Value) {
		return true
	}
	if len(v) == 0 || v[0] != '{' && v[0] != '[' {
		return false
	}
	w := getJSONWalk()
	defer w.release()
	return w.walk(v, DefaultMaxDepth) == nil && detectJSON(w) == FormatCanonical
}

func TestDecodeReasons(t *testing.T) {
	t.Parallel()
	big := append([]byte(`{"data":[{"event_name":"Purchase","custom_data":{"x":"`), bytes.Repeat([]byte("a"), 2048)...)
	big = append(big, `"}}]}`...)
	for _, tt := range []struct {
		name   string
		value  string
		header string
		o      DecodeOptions
		reason Reason
		tried  string
	}{
		{"too large", string(big), "", DecodeOptions{MaxBytes: 1024}, ReasonTooLarge, "detect"},
		{"too large with header", string(big), "meta.capi", DecodeOptions{MaxBytes: 1024}, ReasonTooLarge, "meta.capi"},
		{"empty", "", "", DecodeOptions{}, ReasonEmpty, "detect"},
		{"whitespace", " \r\n\t", "ga4.mp", DecodeOptions{}, ReasonEmpty, "ga4.mp"},
		{"unknown header", `{"data":[]}`, "meta.capi.v2", DecodeOptions{}, ReasonUnknownFormat, "meta.capi.v2"},
		{"header value sanitised", `{}`, "x y\n", DecodeOptions{}, ReasonUnknownFormat, "x?y?"},
		{"header json wrong format", `id=1&ev=Purchase`, "meta.capi", DecodeOptions{}, ReasonSyntax, "meta.capi"},
		{"too deep by option", `{"event_name":"e","client_id":"c","a":{"b":{"c":1}}}`, "", DecodeOptions{MaxDepth: 2}, ReasonTooDeep, "detect"},
		{"batch limit by option", `{"data":[{},{},{}]}`, "", DecodeOptions{MaxBatch: 2}, ReasonTooManyEvents, "detect"},
		{"mp batch limit by option", `{"client_id":"1","events":[{},{},{}]}`, "ga4.mp", DecodeOptions{MaxBatch: 2}, ReasonTooManyEvents, "ga4.mp"},
		{"capi empty object", `{}`, "meta.capi", DecodeOptions{}, ReasonNoEvents, "meta.capi"},
		{"sgtm array", `[{"event_name":"x"}]`, "sgtm.event", DecodeOptions{}, ReasonSchema, "sgtm.event"},
		{"mp scalar", `42`, "ga4.mp", DecodeOptions{}, ReasonSchema, "ga4.mp"},
		{"scalar detect", `"purchase"`, "", DecodeOptions{}, ReasonSyntax, "detect"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			evs, err := Decode(serverMessage([]byte(tt.value), tt.header), tt.o)
			if err == nil {
				t.Fatalf("decoded %d events, want %s", len(evs), tt.reason)
			}
			var de *DecodeError
			if !errors.As(err, &de) || de.Reason != tt.reason || de.Tried != tt.tried {
				t.Fatalf("got %v, want reason %s tried %s", err, tt.reason, tt.tried)
			}
		})
	}
}

func TestDecodeHeaderFormat(t *testing.T) {
	t.Parallel()
	// An sGTM body that detection would also recognise, sent with a header
	// in another case and surrounding space.
	m := serverMessage([]byte(`{"event_name":"purchase","client_id":"1.2","event_id":"E1"}`), " SGTM.Event ")
	m.Destination = "meta"
	evs, err := Decode(m, DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if e := evs[0]; e.Format != FormatSGTM || e.Destination != DestinationMeta || e.Side != SideServer || e.JoinKey != "E1" {
		t.Errorf("format %s destination %s side %s join key %q", e.Format, e.Destination, e.Side, e.JoinKey)
	}
	m.Destination = ""
	if evs, err = Decode(m, DecodeOptions{}); err != nil || evs[0].Destination != DestinationGA4 {
		t.Errorf("default sgtm destination: %v %v", err, evs)
	}
}

func TestDecodeFallbackJoinKey(t *testing.T) {
	t.Parallel()
	body := []byte(`{"client_id":"1.2","events":[{"name":"Purchase","params":{"transaction_id":"T-1"}},{"name":"refund","params":{"transaction_id":"T-2"}}]}`)
	evs, err := Decode(serverMessage(body, ""), DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if evs[0].JoinKey != "T-1" || evs[0].JoinKeySource != "transaction_id" || evs[1].JoinKey != "" {
		t.Errorf("join keys %q/%q, %q", evs[0].JoinKey, evs[0].JoinKeySource, evs[1].JoinKey)
	}
	o := DecodeOptions{FallbackKeys: map[Destination][]FallbackKey{DestinationGA4: {{Param: "transaction_id"}}}}
	if evs, err = Decode(serverMessage(body, ""), o); err != nil || evs[1].JoinKey != "T-2" {
		t.Errorf("configured fallback for every event: %v", err)
	}
}

func TestDecodeSchemaVersionParam(t *testing.T) {
	t.Parallel()
	body := []byte(`{"data":[{"event_name":"Lead","event_time":1772446500,"custom_data":{"house_v":"7","cx_schema_version":"2"}}]}`)
	evs, err := Decode(serverMessage(body, ""), DecodeOptions{SchemaVersionParam: "house_v"})
	if err != nil {
		t.Fatal(err)
	}
	if evs[0].SchemaVersion != "7" {
		t.Errorf("schema version %q", evs[0].SchemaVersion)
	}
}

// TestDecodeDoesNotAliasInput checks that decoded strings survive the
// caller reusing the message buffer.
func TestDecodeDoesNotAliasInput(t *testing.T) {
	t.Parallel()
	buf := []byte(`{"data":[{"event_name":"Purchase","event_time":1772446500,"event_id":"ORD-1"}]}`)
	evs, err := Decode(serverMessage(buf, ""), DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range buf {
		buf[i] = 'x'
	}
	if evs[0].EventID != "ORD-1" || evs[0].EventName != "Purchase" {
		t.Errorf("event aliases the input buffer")
	}
}

func TestDetectText(t *testing.T) {
	for in, want := range map[string]Format{
		"https://www.facebook.com/tr?id=1&ev=Lead":                 FormatMetaPixel,
		"https://www.facebook.com/tr/?id=1":                        FormatMetaPixel,
		"id=1&ev=Lead":                                             FormatMetaPixel,
		"https://sgtm.example.net/g/collect?v=2&tid=G-1&cid=1":     FormatGA4Gtag,
		"v=2&tid=G-1&cid=1":                                        FormatGA4Gtag,
		"cid=1&en=page_view":                                       FormatGA4Gtag,
		"v=2&tid=G-1&en=a\r\nv=2&tid=G-1&en=b":                     FormatGA4Gtag,
		"id=1&ev=Lead\nid=2&ev=Lead":                               "",
		"dev=1&prev=2":                                             "",
		"https://store.example.net/track?x=1":                      "",
		"v=1&tid=UA-1":                                             "",
		"https://store.example.net/tr/../g/collect?en=x":           FormatGA4Gtag,
		"https://www.facebook.com/tr":                              FormatMetaPixel,
		"/g/collect":                                               FormatGA4Gtag,
		"https://store.example.net/order?step=tr&ev=Purchase&x=1":  FormatMetaPixel,
		"https://store.example.net/order?step=2&even=Purchase&x=1": "",
	} {
		if got := detectText([]byte(in)); got != want {
			t.Errorf("detectText(%q) = %q, want %q", in, got, want)
		}
	}
	hit := []byte("v=2&tid=G-EXAMPLE123&cid=1.2&en=page_view&dl=https%3A%2F%2Fstore.example.net%2F")
	if n := testing.AllocsPerRun(100, func() { detectText(hit) }); n != 0 {
		t.Errorf("detectText allocates %v times", n)
	}
}

// TestDecodeAvroNotTrimmed checks that binary Avro reaches the canonical
// decoder byte for byte: its last bytes may be whitespace values.
func TestDecodeAvroNotTrimmed(t *testing.T) {
	t.Parallel()
	in, err := os.ReadFile(filepath.Join("testdata", "decode", "sstaudit.event", "avro_capi_purchase.input"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tail := range []string{"", " ", "\n", "\t\r"} {
		v := append(append([]byte(nil), in...), tail...)
		o := DecodeOptions{}.withDefaults()
		m := serverMessage(v, "")
		want, wantErr := decodeCanonical(&m, &o)
		for _, header := range []string{"", string(FormatCanonical)} {
			got, err := Decode(serverMessage(v, header), DecodeOptions{})
			if ReasonOf(err) != ReasonOf(wantErr) || len(got) != len(want) {
				t.Errorf("tail %q header %q: %d events, %v; canonical decoder: %d events, %v",
					tail, header, len(got), err, len(want), wantErr)
			}
		}
	}
}
