package schemas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/linkedin/goavro/v2"
)

func ptr[T any](v T) *T { return &v }

func sampleAuditRecord() AuditRecord {
	return AuditRecord{
		AuditID:         "a1b2c3d4e5f60718",
		Outcome:         string(OutcomeMatched),
		Destination:     "meta",
		EventID:         ptr("ORD-77120"),
		EventName:       "Purchase",
		ClientEventName: ptr("Purchase"),
		ServerEventName: ptr("purchase"),
		Client: &SideInfo{
			Format: "meta.pixel", Topic: "tracking.client", Partition: 3, Offset: 41872, BatchIndex: 0,
			RecordTime: 1772446500000, EventTime: ptr(int64(1772446481250)), EventName: "Purchase",
			ActionSource: nil, MatchKeys: []string{"fbp", "fbc", "em"}, ConsentState: "granted",
		},
		Server: &SideInfo{
			Format: "meta.capi", Topic: "tracking.server", Partition: 3, Offset: 90211, BatchIndex: 2,
			RecordTime: 1772446502000, EventTime: ptr(int64(1772446782000)), EventName: "purchase",
			ActionSource: ptr("website"), MatchKeys: []string{"em", "ph", "client_ip_address", "client_user_agent", "fbp"},
			ConsentState: "unknown",
		},
		SkewMs:  ptr(int64(300750)),
		Aligned: ptr(false),
		MatchKeys: &MatchKeys{
			Present: []string{"em", "ph", "client_ip_address", "client_user_agent", "fbp"},
			Count:   5, Band: "warn", EMQEstimate: 6.35,
		},
		Findings: []FindingRecord{
			{Code: "DEDUP_NAME_MISMATCH", Severity: "fail", Side: "pair", Path: "event_name", Detector: "dedup",
				Message: "client and server event names differ: \"Purchase\" vs \"purchase\""},
			{Code: "PII_LEAK", Severity: "critical", Side: "client", Path: "dl?email", Entity: ptr("email"),
				Detector: "pii/email", Message: "email address in page URL\n(query)", Fingerprint: ptr("9f86d081884c7d65")},
			{Code: "TIME_MISALIGNED", Severity: "warn", Side: "pair", Path: "event_time", Detector: "time",
				Message: "skew 5m0.75s > 5m — ünïcödé ✓"},
		},
		TraceParent:   ptr("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
		Pipeline:      Pipeline{InstanceID: "sstaudit-0", Version: "v0.1.0", ProcessedAt: 1772446502017},
		SchemaVersion: RecordSchemaVersion,
	}
}

func sampleWindowMetrics() WindowMetrics {
	return WindowMetrics{
		Destination: "ga4", EventName: "purchase", Partition: 7,
		WindowStart: 1772446440000, WindowEnd: 1772446500000,
		ClientEvents: 120, ServerEvents: 131, Matched: 109, ClientOnly: 11, ServerOnly: 19,
		Duplicates: 3, Unjoinable: 2, Aligned: 101,
		SkewMsP50: ptr(int64(850)), SkewMsP95: ptr(int64(41000)), SkewMsMax: ptr(int64(-612000)),
		EventIDMissingClient: 1, EventIDMissingServer: 1,
		FindingsBySeverity: SeverityCounts{Info: 19, Warn: 40, Fail: 12, Critical: 2},
		FindingsByCode:     map[string]int64{"DEDUP_SERVER_ONLY": 19, "TIME_MISALIGNED": 8, "PII_LEAK": 2, "HASH_FORMAT": 4},
		PIILeaks:           2, HashFindings: 4,
		MatchKeysHistogram: map[string]int64{"3": 10, "4": 51, "5": 60, "6": 10},
		EMQEstimateAvg:     ptr(7.25),
		Pipeline:           Pipeline{InstanceID: "sstaudit-1", Version: "v0.1.0", ProcessedAt: 1772446620001},
		SchemaVersion:      RecordSchemaVersion,
	}
}

func sampleEvent() Event {
	return Event{
		Side: SideServer, Format: FormatMetaCAPI, Destination: DestinationMeta,
		EventID: "ORD-77120", EventIDPath: "data[0].event_id",
		JoinKey: "ORD-77120", JoinKeySource: "event_id",
		EventName: "Purchase", EventNamePath: "data[0].event_name",
		EventTime: 1772446782000, EventTimeRaw: "1772446782", EventTimePath: "data[0].event_time", EventTimeUnit: "s",
		ActionSource: "website", ActionSourcePath: "data[0].action_source",
		URL: "https://store.example.net/order/complete?fbclid=IwZXh0bg", URLPath: "data[0].event_source_url",
		ClientIP: "203.0.113.7", UserAgent: "Mozilla/5.0 (X11; Linux x86_64)", ExternalID: "c0ffee",
		ClickIDs:      ClickIDs{FBCLID: "IwZXh0bg", FBC: "fb.1.1772446152044.IwZXh0bg", FBP: "fb.1.1771574400000.1388405713"},
		Consent:       Consent{DataProcessing: "LDU", GDPR: "1", TCString: "CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA"},
		SchemaVersion: "3", TransactionID: "", HasTransactionID: true,
		TestEventCode: "TEST123", PartnerAgent: "stape", PixelID: "100200300400500",
		UserData: []Field{
			{Path: "data[0].user_data.em[0]", Key: "em", Value: "309a0a5c3e211326ae75ca18196d301a9bdbd1a882a4d2569511033da23f0abd"},
			{Path: "data[0].user_data.ph", Key: "ph", Value: "", Kind: KindEmptyArray},
			{Path: "data[0].user_data.zp", Key: "zp", Value: "null", Kind: KindNull},
		},
		Params: []Field{
			{Path: "data[0].custom_data.value", Key: "value", Value: "42.50", Kind: KindNumber},
			{Path: "data[0].custom_data.currency", Key: "currency", Value: "EUR"},
			{Path: "data[0].custom_data.cx_flag", Key: "cx_flag", Value: "true", Kind: KindBool},
			{Path: "data[0].custom_data.contents", Key: "contents", Kind: KindEmptyObject},
			{Path: "data[0].custom_data.note", Key: "note", Value: "tab\there \"quoted\" \\ \u0001 ✓"},
		},
		Other:       []Field{{Path: "data[0].opt_out", Key: "opt_out", Value: "false", Kind: KindBool}},
		Source:      Source{Topic: "tracking.server", Partition: 3, Offset: 90211, RecordTime: 1772446502000, BatchIndex: 2, BatchSize: 5},
		TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	}
}

func assertEqual[T any](t testing.TB, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("values differ\n got: %+v\nwant: %+v", got, want)
	}
}

func mustCodecs(t testing.TB, f OutputFormat) *Codecs {
	t.Helper()
	cs, err := NewCodecs(f)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// roundTrip encodes v with c, decodes it again, and checks the result is
// want. In Avro it also checks the bytes against goavro (which must read
// them, and whose own encoding of what it read must decode to want); in JSON
// it checks the document is valid for the schema.
func roundTrip[T any](t *testing.T, c *Codec[T], v, want T) {
	t.Helper()
	b, err := c.Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, got, want)
	switch c.Format() {
	case OutputAvro:
		if !bytes.HasPrefix(b, c.Schema().Header()) {
			t.Fatal("no single-object header")
		}
		native, rest, err := c.Schema().codec.NativeFromSingle(b)
		if err != nil || len(rest) != 0 {
			t.Fatalf("goavro cannot read our encoding: %v (%d bytes left)", err, len(rest))
		}
		again, err := c.Schema().codec.SingleFromNative(nil, native)
		if err != nil {
			t.Fatalf("goavro re-encoding: %v", err)
		}
		got2, err := c.Decode(again)
		if err != nil {
			t.Fatalf("decoding goavro's encoding: %v", err)
		}
		assertEqual(t, got2, want)
	case OutputJSON:
		got2 := validateJSONWithGoavro(t, c, b)
		assertEqual(t, got2, want)
	}
}

// validateJSONWithGoavro proves a plain-JSON document follows the Avro
// schema: it converts the document to goavro's native form, guided by the
// schema (unions wrapped, every field known, every missing field with a
// default), encodes it with goavro, and decodes that Avro with c.
func validateJSONWithGoavro[T any](t testing.TB, c *Codec[T], doc []byte) T {
	t.Helper()
	var schema any
	if err := json.Unmarshal([]byte(c.Schema().JSON), &schema); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var d any
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	native, err := jsonToNative(schema, d)
	if err != nil {
		t.Fatalf("JSON document does not follow %s: %v", c.Schema().Name, err)
	}
	bin, err := c.Schema().codec.SingleFromNative(nil, native)
	if err != nil {
		t.Fatalf("goavro rejects the document: %v", err)
	}
	got, err := c.Decode(bin)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func jsonToNative(schema, doc any) (any, error) {
	v := &jsonValidator{named: map[string]any{}}
	v.collect(schema, "")
	return v.native(schema, "", doc)
}

type jsonValidator struct{ named map[string]any }

// The validator must reject what the schema does not allow, or the JSON
// tests prove nothing.
func TestJSONValidatorRejects(t *testing.T) {
	t.Parallel()
	c := mustCodecs(t, OutputJSON).AuditRecord
	good, err := c.Encode(sampleAuditRecord())
	if err != nil {
		t.Fatal(err)
	}
	var schema any
	if err := json.Unmarshal([]byte(c.Schema().JSON), &schema); err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{
		"union wrapper":  strings.Replace(string(good), `"event_id":"ORD-77120"`, `"event_id":{"string":"ORD-77120"}`, 1),
		"unknown field":  strings.Replace(string(good), `"outcome":`, `"extra":1,"outcome":`, 1),
		"missing field":  strings.Replace(string(good), `"audit_id":"a1b2c3d4e5f60718",`, ``, 1),
		"null list":      strings.Replace(string(good), `"match_keys_present":["fbp","fbc","em"]`, `"match_keys_present":null`, 1),
		"string as long": strings.Replace(string(good), `"offset":41872`, `"offset":"41872"`, 1),
		"int overflow":   strings.Replace(string(good), `"partition":3`, `"partition":3000000000`, 1),
	}
	for name, doc := range bad {
		if doc == string(good) {
			t.Fatalf("%s: replacement did not apply", name)
		}
		dec := json.NewDecoder(strings.NewReader(doc))
		dec.UseNumber()
		var d any
		if err := dec.Decode(&d); err != nil {
			t.Fatal(err)
		}
		if _, err := jsonToNative(schema, d); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func fullName(name, ns string) string {
	if strings.Contains(name, ".") || ns == "" {
		return name
	}
	return ns + "." + name
}

// collect registers every named type of schema s.
func (v *jsonValidator) collect(s any, ns string) {
	switch s := s.(type) {
	case []any:
		for _, b := range s {
			v.collect(b, ns)
		}
	case map[string]any:
		if n, ok := s["namespace"].(string); ok {
			ns = n
		}
		switch s["type"] {
		case "record", "enum":
			v.named[fullName(s["name"].(string), ns)] = s
		}
		if fs, ok := s["fields"].([]any); ok {
			for _, f := range fs {
				v.collect(f.(map[string]any)["type"], ns)
			}
		}
		if it, ok := s["items"]; ok {
			v.collect(it, ns)
		}
		if it, ok := s["values"]; ok {
			v.collect(it, ns)
		}
	}
}

// branchName is goavro's name for a union branch.
func (v *jsonValidator) branchName(s any, ns string) string {
	switch s := s.(type) {
	case string:
		if _, ok := v.named[fullName(s, ns)]; ok {
			return fullName(s, ns)
		}
		return s
	case map[string]any:
		if n, ok := s["name"].(string); ok {
			if nsi, ok := s["namespace"].(string); ok {
				ns = nsi
			}
			return fullName(n, ns)
		}
		if lt, ok := s["logicalType"].(string); ok {
			return s["type"].(string) + "." + lt
		}
		return s["type"].(string)
	}
	return ""
}

func (v *jsonValidator) native(s any, ns string, d any) (any, error) {
	switch s := s.(type) {
	case string:
		switch s {
		case "null":
			if d != nil {
				return nil, fmt.Errorf("want null")
			}
			return nil, nil
		case "boolean":
			b, ok := d.(bool)
			if !ok {
				return nil, fmt.Errorf("want boolean")
			}
			return b, nil
		case "int", "long":
			n, ok := d.(json.Number)
			if !ok {
				return nil, fmt.Errorf("want %s", s)
			}
			i, err := n.Int64()
			if err != nil || s == "int" && (i < math.MinInt32 || i > math.MaxInt32) {
				return nil, fmt.Errorf("want %s", s)
			}
			if s == "int" {
				return int32(i), nil
			}
			return i, nil
		case "float", "double":
			n, ok := d.(json.Number)
			if !ok {
				return nil, fmt.Errorf("want %s", s)
			}
			return n.Float64()
		case "string":
			str, ok := d.(string)
			if !ok {
				return nil, fmt.Errorf("want string")
			}
			return str, nil
		}
		def, ok := v.named[fullName(s, ns)]
		if !ok {
			return nil, fmt.Errorf("unknown type %s", s)
		}
		return v.native(def, ns, d)
	case []any: // union: plain JSON, null or the value of one branch
		for _, b := range s {
			if b == "null" {
				if d == nil {
					return nil, nil
				}
				continue
			}
			if x, err := v.native(b, ns, d); err == nil {
				return goavro.Union(v.branchName(b, ns), x), nil
			}
		}
		return nil, fmt.Errorf("matches no union branch")
	case map[string]any:
		if n, ok := s["namespace"].(string); ok {
			ns = n
		}
		switch s["type"] {
		case "record":
			obj, ok := d.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: want an object", s["name"])
			}
			out := map[string]any{}
			known := map[string]bool{}
			for _, f := range s["fields"].([]any) {
				f := f.(map[string]any)
				name := f["name"].(string)
				known[name] = true
				val, present := obj[name]
				if !present {
					if _, hasDef := f["default"]; !hasDef {
						return nil, fmt.Errorf("%s.%s: missing, no default", s["name"], name)
					}
					continue
				}
				x, err := v.native(f["type"], ns, val)
				if err != nil {
					return nil, fmt.Errorf("%s.%s: %w", s["name"], name, err)
				}
				out[name] = x
			}
			for k := range obj {
				if !known[k] {
					return nil, fmt.Errorf("%s: unknown field", s["name"])
				}
			}
			return out, nil
		case "enum":
			str, ok := d.(string)
			if !ok {
				return nil, fmt.Errorf("want enum symbol")
			}
			for _, sym := range s["symbols"].([]any) {
				if sym == str {
					return str, nil
				}
			}
			return nil, fmt.Errorf("%s: unknown symbol", s["name"])
		case "array":
			arr, ok := d.([]any)
			if !ok {
				return nil, fmt.Errorf("want array")
			}
			out := make([]any, len(arr))
			for i, e := range arr {
				x, err := v.native(s["items"], ns, e)
				if err != nil {
					return nil, fmt.Errorf("[%d]: %w", i, err)
				}
				out[i] = x
			}
			return out, nil
		case "map":
			obj, ok := d.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("want map")
			}
			out := map[string]any{}
			for k, e := range obj {
				x, err := v.native(s["values"], ns, e)
				if err != nil {
					return nil, err
				}
				out[k] = x
			}
			return out, nil
		default: // a primitive with attributes, e.g. a logical type
			return v.native(s["type"], ns, d)
		}
	}
	return nil, fmt.Errorf("unsupported schema node %T", s)
}

func TestAuditRecordRoundTrip(t *testing.T) {
	t.Parallel()
	full := sampleAuditRecord()
	empty := AuditRecord{
		Findings: []FindingRecord{}, MatchKeys: &MatchKeys{Present: []string{}},
		Client: &SideInfo{MatchKeys: []string{}},
	}
	emptyWant := AuditRecord{MatchKeys: &MatchKeys{}, Client: &SideInfo{}}
	odd := sampleAuditRecord()
	odd.AuditID = "bad\xffutf8\x00"
	odd.EventID = ptr("")
	odd.SkewMs = ptr(int64(math.MinInt64))
	odd.MatchKeys.EMQEstimate = 1e-9
	oddWant := odd
	oddWant.AuditID = "bad\ufffdutf8\x00"
	cases := []struct {
		name    string
		in, out AuditRecord
	}{
		{"full", full, full},
		{"zero", AuditRecord{}, AuditRecord{}},
		{"empty lists decode as nil", empty, emptyWant},
		{"edge values", odd, oddWant},
	}
	for _, f := range []OutputFormat{OutputJSON, OutputAvro} {
		c := mustCodecs(t, f).AuditRecord
		for _, tc := range cases {
			t.Run(string(f)+"/"+tc.name, func(t *testing.T) { roundTrip(t, c, tc.in, tc.out) })
		}
	}
}

func TestWindowMetricsRoundTrip(t *testing.T) {
	t.Parallel()
	full := sampleWindowMetrics()
	empty := WindowMetrics{FindingsByCode: map[string]int64{}, MatchKeysHistogram: map[string]int64{}}
	neg := sampleWindowMetrics()
	neg.Partition = math.MinInt32
	neg.WindowStart = -1
	neg.EMQEstimateAvg = ptr(0.0)
	neg.FindingsByCode = map[string]int64{"": -5}
	cases := []struct {
		name    string
		in, out WindowMetrics
	}{
		{"full", full, full},
		{"zero", WindowMetrics{}, WindowMetrics{}},
		{"empty maps decode as nil", empty, WindowMetrics{}},
		{"edge values", neg, neg},
	}
	for _, f := range []OutputFormat{OutputJSON, OutputAvro} {
		c := mustCodecs(t, f).WindowMetrics
		for _, tc := range cases {
			t.Run(string(f)+"/"+tc.name, func(t *testing.T) { roundTrip(t, c, tc.in, tc.out) })
		}
	}
}

func TestEventCodecRoundTrip(t *testing.T) {
	t.Parallel()
	full := sampleEvent()
	minimal := Event{Format: FormatCanonical}
	empties := Event{Format: FormatGA4Gtag, Side: SideClient, UserData: []Field{}, Params: []Field{}}
	for _, f := range []OutputFormat{OutputJSON, OutputAvro} {
		c := mustCodecs(t, f).Event
		t.Run(string(f)+"/full", func(t *testing.T) { roundTrip(t, c, full, full) })
		t.Run(string(f)+"/minimal", func(t *testing.T) { roundTrip(t, c, minimal, minimal) })
		t.Run(string(f)+"/empty lists decode as nil", func(t *testing.T) {
			roundTrip(t, c, empties, Event{Format: FormatGA4Gtag, Side: SideClient})
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	t.Parallel()
	for _, f := range []OutputFormat{OutputJSON, OutputAvro} {
		cs := mustCodecs(t, f)
		if _, err := cs.Event.Encode(Event{Side: "browser"}); err == nil {
			t.Errorf("%s: encoded an unknown side", f)
		}
		if _, err := cs.Event.Encode(Event{Params: []Field{{Kind: 99}}}); err == nil {
			t.Errorf("%s: encoded an unknown kind", f)
		}
	}
	nan := sampleWindowMetrics()
	nan.EMQEstimateAvg = ptr(math.NaN())
	if _, err := mustCodecs(t, OutputJSON).WindowMetrics.Encode(nan); err == nil {
		t.Error("JSON encoded NaN")
	}
	if _, err := EncodeCanonical(sampleEvent(), "xml"); err == nil {
		t.Error("EncodeCanonical accepted an unknown format")
	}
}

func TestCodecDecodeErrors(t *testing.T) {
	t.Parallel()
	cs := mustCodecs(t, OutputAvro)
	good, err := cs.AuditRecord.Encode(sampleAuditRecord())
	if err != nil {
		t.Fatal(err)
	}
	wm, err := cs.WindowMetrics.Encode(sampleWindowMetrics())
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"wrong schema":    wm,
		"short header":    good[:6],
		"truncated":       good[:len(good)-1],
		"trailing bytes":  append(bytes.Clone(good), 0),
		"not json":        []byte(`{"audit_id":`),
		"json wrong type": []byte(`{"audit_id": 5}`),
	}
	for name, in := range cases {
		if _, err := cs.AuditRecord.Decode(in); err == nil {
			t.Errorf("%s: decoded", name)
		} else if strings.Contains(err.Error(), "a1b2c3d4") {
			t.Errorf("%s: error quotes the input: %v", name, err)
		}
	}
	// Every truncation of a valid record fails cleanly.
	for i := soeHeaderLen; i < len(good); i++ {
		if _, err := cs.AuditRecord.Decode(good[:i]); err == nil {
			t.Fatalf("truncated to %d bytes: decoded", i)
		}
	}
}

func BenchmarkAuditRecordEncode(b *testing.B) {
	rec := sampleAuditRecord()
	for _, f := range []OutputFormat{OutputAvro, OutputJSON} {
		c := mustCodecs(b, f).AuditRecord
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Encode(rec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// The same record through goavro's native maps, for comparison.
	c := mustCodecs(b, OutputAvro).AuditRecord
	enc, _ := c.Encode(rec)
	native, _, err := c.Schema().codec.NativeFromSingle(enc)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("goavro-native-only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Schema().codec.SingleFromNative(nil, native); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkAuditRecordDecode(b *testing.B) {
	rec := sampleAuditRecord()
	for _, f := range []OutputFormat{OutputAvro, OutputJSON} {
		c := mustCodecs(b, f).AuditRecord
		enc, err := c.Encode(rec)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(enc)))
			for b.Loop() {
				if _, err := c.Decode(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkWindowMetricsEncode(b *testing.B) {
	m := sampleWindowMetrics()
	for _, f := range []OutputFormat{OutputAvro, OutputJSON} {
		c := mustCodecs(b, f).WindowMetrics
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Encode(m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncodeCanonical(b *testing.B) {
	ev := sampleEvent()
	for _, f := range []OutputFormat{OutputAvro, OutputJSON} {
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := EncodeCanonical(ev, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
