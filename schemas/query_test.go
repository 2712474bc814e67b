package schemas

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestQueryParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     []queryParam
	}{
		{"plain", "a=1&b=2", []queryParam{{"a", "1"}, {"b", "2"}}},
		{"order and duplicates", "b=2&a=1&b=3", []queryParam{{"b", "2"}, {"a", "1"}, {"b", "3"}}},
		{"plus is space", "dt=Thank+you%21", []queryParam{{"dt", "Thank you!"}}},
		{"encoded plus", "ph=%2B49", []queryParam{{"ph", "+49"}}},
		{"encoded brackets", "cd%5Bvalue%5D=1&ud%5bem%5d=x", []queryParam{{"cd[value]", "1"}, {"ud[em]", "x"}}},
		{"raw brackets", "cd[value]=1", []queryParam{{"cd[value]", "1"}}},
		{"empty segments", "&&a=1&&b=2&", []queryParam{{"a", "1"}, {"b", "2"}}},
		{"no equals", "flag&a=1", []queryParam{{"flag", ""}, {"a", "1"}}},
		{"empty name", "=v", []queryParam{{qEmptyName, "v"}}},
		{"equals in value", "dl=https://x/?a=b", []queryParam{{"dl", "https://x/?a=b"}}},
		{"malformed escape kept raw", "a=50%25+off%zz", []queryParam{{"a", "50%25+off%zz"}}},
		{"trailing percent kept raw", "a=100%", []queryParam{{"a", "100%"}}},
		{"short escape kept raw", "a=%4", []queryParam{{"a", "%4"}}},
		{"malformed name kept raw", "cd%ZZx%5D=1", []queryParam{{"cd%ZZx%5D", "1"}}},
		{"double encoding decoded once", "dl=https%253A%252F%252Fx", []queryParam{{"dl", "https%3A%2F%2Fx"}}},
		{"unicode", "dt=D%C3%BCsseldorf&raw=Köln", []queryParam{{"dt", "Düsseldorf"}, {"raw", "Köln"}}},
		{"invalid utf8 escape kept as bytes", "a=%FF", []queryParam{{"a", "\xff"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var a queryArena
			got := parseQuery(tt.in, &a, nil)
			if !slices.Equal(got, tt.want) {
				t.Errorf("parseQuery(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if n := qCountParams(tt.in); n != len(got) {
				t.Errorf("qCountParams(%q) = %d, parsed %d", tt.in, n, len(got))
			}
		})
	}
}

func TestQueryPart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, q string
		isURL bool
	}{
		{"https://www.facebook.com/tr/?id=1&ev=x", "id=1&ev=x", true},
		{"HTTPS://www.facebook.com/tr?id=1", "id=1", true},
		{"https://region1.google-analytics.com/g/collect?v=2&tid=G-1#frag", "v=2&tid=G-1", true},
		{"https://sgtm.shop.example/g/collect?v=2", "v=2", true},
		{"/tr?id=1", "id=1", true},
		{"?id=1&ev=x", "id=1&ev=x", true},
		{"id=1&dl=https://x.example/?a=b", "id=1&dl=https://x.example/?a=b", false},
		{"id=1&dl=https://x.example/#a", "id=1&dl=https://x.example/#a", false},
		{"https://www.facebook.com/tr/", "", true},
		{"id=1", "id=1", false},
	}
	for _, tt := range tests {
		q, isURL := queryPart(tt.in)
		if q != tt.q || isURL != tt.isURL {
			t.Errorf("queryPart(%q) = %q, %v; want %q, %v", tt.in, q, isURL, tt.q, tt.isURL)
		}
	}
}

func TestQueryCheckText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		lines bool
		want  Reason
	}{
		{"a=1", false, ""},
		{"a=1\nb=2", true, ""},
		{"a=1\r\nb=2", true, ""},
		{"a=1\nb=2", false, ReasonSyntax},
		{"a=1\x00", true, ReasonSyntax},
		{"a=\x7f", true, ReasonSyntax},
		{"a=\tb", true, ReasonSyntax},
		{"a=\xff\xfe", true, ReasonSyntax},
		{"no parameters here", true, ReasonSyntax},
		{"a=Köln", false, ""},
	}
	for _, tt := range tests {
		err := checkQueryText(FormatGA4Gtag, tt.in, tt.lines)
		if got := ReasonOf(err); got != tt.want {
			t.Errorf("checkQueryText(%q, %v) = %q, want %q", tt.in, tt.lines, got, tt.want)
		}
	}
}

func TestQueryURLFields(t *testing.T) {
	t.Parallel()
	var a queryArena
	u := "https://store.example.net/welcome?email=jane.doe%40example.com&fbclid=IwAR0_x&gclid=Cj0&fbclid=second#top?x=1"
	if n := qURLCount(u); n != 4 {
		t.Fatalf("qURLCount = %d, want 4", n)
	}
	fields, _, ids := qURLFields("dl", u, &a, nil, nil)
	want := []Field{
		{Path: "dl?email", Key: "email", Value: "jane.doe@example.com"},
		{Path: "dl?fbclid", Key: "fbclid", Value: "IwAR0_x"},
		{Path: "dl?gclid", Key: "gclid", Value: "Cj0"},
		{Path: "dl?fbclid", Key: "fbclid", Value: "second"},
	}
	if !slices.Equal(fields, want) {
		t.Errorf("fields = %+v, want %+v", fields, want)
	}
	if ids.fbclid != "IwAR0_x" || ids.gclid != "Cj0" {
		t.Errorf("click ids = %+v", ids)
	}
	if f, _, _ := qURLFields("dl", "https://store.example.net/", &a, nil, nil); len(f) != 0 {
		t.Errorf("URL without query gave %d fields", len(f))
	}
}

// TestQueryArenaStrings checks that strings handed out by the arena stay
// intact while later values are decoded, across chunk replacements.
func TestQueryArenaStrings(t *testing.T) {
	t.Parallel()
	a := queryArena{hint: 8}
	var got []string
	var want []string
	for i := range 200 {
		v := fmt.Sprintf("v%%20%d+x", i)
		s, ok := a.unescape(v)
		if !ok {
			t.Fatalf("unescape(%q) not ok", v)
		}
		got = append(got, s)
		want = append(want, fmt.Sprintf("v %d x", i))
	}
	if !slices.Equal(got, want) {
		t.Errorf("arena strings changed: %q", got)
	}
}

// FuzzParseQuery checks the parser against net/url where both accept the
// input, and by round trip: re-encoding the parameters and parsing them again
// gives the same parameters.
func FuzzParseQuery(f *testing.F) {
	for _, in := range seedInputs(f, FormatMetaPixel, FormatGA4Gtag) {
		f.Add(string(in))
	}
	f.Add("a=1&b=%zz&c=%&=x&&d")
	f.Fuzz(func(t *testing.T, s string) {
		q, _ := queryPart(s)
		var a queryArena
		ps := parseQuery(q, &a, nil)
		if len(ps) != qCountParams(q) {
			t.Fatalf("parsed %d params, counted %d", len(ps), qCountParams(q))
		}
		var enc strings.Builder
		for i, p := range ps {
			if p.name == "" {
				t.Fatalf("param %d has an empty name", i)
			}
			if i > 0 {
				enc.WriteByte('&')
			}
			enc.WriteString(url.QueryEscape(p.name))
			enc.WriteByte('=')
			enc.WriteString(url.QueryEscape(p.value))
		}
		var b queryArena
		again := parseQuery(enc.String(), &b, nil)
		if !slices.Equal(ps, again) {
			t.Fatalf("round trip changed the parameters")
		}
		// Differential: where net/url accepts the query and no segment is
		// nameless (we name those), the values per name agree.
		if strings.Contains(q, ";") || strings.Contains(q, "&=") || strings.HasPrefix(q, "=") {
			return
		}
		std, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		mine := url.Values{}
		for _, p := range ps {
			mine[p.name] = append(mine[p.name], p.value)
		}
		if !reflect.DeepEqual(mine, std) {
			t.Fatalf("differs from net/url")
		}
	})
}

// Golden decode tests, shared by the client-side formats.

type decodeFunc func(*Message, *DecodeOptions) ([]Event, error)

// goldenMessage wraps an input the way the client topic would deliver it.
func goldenMessage(value []byte) *Message {
	return &Message{
		Value: value,
		Side:  SideClient,
		Source: Source{
			Topic:      "tracking.client",
			Partition:  3,
			Offset:     41872,
			RecordTime: 1772446500000,
		},
	}
}

// testDecodeGolden decodes every testdata/decode/<format>/*.input and
// compares the result with NAME.golden (rewritten with -update). Inputs
// named err_* must fail to decode, all others must decode.
func testDecodeGolden(t *testing.T, format Format, decode decodeFunc) {
	t.Helper()
	forEachDecodeInput(t, string(format), func(t *testing.T, name string, raw []byte) []byte {
		o := DecodeOptions{}.withDefaults()
		evs, err := decode(goldenMessage(raw), &o)
		if err != nil {
			if !strings.HasPrefix(name, "err_") {
				t.Fatalf("decode failed: %v", err)
			}
			checkDecodeError(t, format, err, raw)
			return fmt.Appendf(nil, "{\"error\": %q}\n", ReasonOf(err))
		}
		if strings.HasPrefix(name, "err_") {
			t.Fatalf("decoded %d events, want an error", len(evs))
		}
		checkEventInvariants(t, format, evs)
		return goldenJSON(evs)
	})
}

// checkDecodeError checks that err is a classified DecodeError for format
// and that its text carries no run of the input's bytes long enough to be a
// value (the offsets and limits it may name are short numbers).
func checkDecodeError(t testing.TB, format Format, err error, in []byte) {
	t.Helper()
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("error %T is not a *DecodeError", err)
	}
	if de.Tried != string(format) {
		t.Errorf("Tried = %q, want %q", de.Tried, format)
	}
	switch de.Reason {
	case ReasonTooLarge, ReasonEmpty, ReasonSyntax, ReasonUnknownShape, ReasonSchema,
		ReasonTooDeep, ReasonTooManyEvents, ReasonNoEvents:
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

// checkEventInvariants checks what every decoded client event must satisfy.
func checkEventInvariants(t testing.TB, format Format, evs []Event) {
	t.Helper()
	if len(evs) == 0 {
		t.Fatal("no events and no error")
	}
	for i := range evs {
		e := &evs[i]
		if e.Format != format || e.Side != SideClient {
			t.Fatalf("event %d: format %q side %q", i, e.Format, e.Side)
		}
		if e.Source.BatchIndex != int32(i) || e.Source.BatchSize != int32(len(evs)) || e.Source.BatchIndex >= e.Source.BatchSize {
			t.Fatalf("event %d: batch index %d size %d of %d", i, e.Source.BatchIndex, e.Source.BatchSize, len(evs))
		}
		if e.EventID != "" && e.EventIDPath == "" || e.EventName != "" && e.EventNamePath == "" ||
			e.URL != "" && e.URLPath == "" || e.Referrer != "" && e.ReferrerPath == "" ||
			e.EventTimeRaw != "" && e.EventTimePath == "" {
			t.Fatalf("event %d: a value without its path", i)
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

// goldenJSON renders events as indented JSON, fields in declaration order,
// leaving out zero values so the golden files show what was decoded.
func goldenJSON(evs []Event) []byte {
	var b bytes.Buffer
	b.WriteString("[\n")
	for i := range evs {
		b.WriteString("  ")
		writeGoldenValue(&b, reflect.ValueOf(evs[i]), "  ")
		if i < len(evs)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]\n")
	return b.Bytes()
}

func writeGoldenValue(b *bytes.Buffer, v reflect.Value, indent string) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[Field]() {
			f := v.Interface().(Field)
			fmt.Fprintf(b, "{%s: %s, %s: %s, %s: %s", strconv.Quote("Path"), strconv.Quote(f.Path),
				strconv.Quote("Key"), strconv.Quote(f.Key), strconv.Quote("Value"), strconv.Quote(f.Value))
			if f.Kind != KindString {
				fmt.Fprintf(b, ", %s: %d", strconv.Quote("Kind"), f.Kind)
			}
			b.WriteByte('}')
			return
		}
		b.WriteString("{")
		first := true
		for i := range v.NumField() {
			fv := v.Field(i)
			if fv.IsZero() {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			fmt.Fprintf(b, "\n%s  %s: ", indent, strconv.Quote(v.Type().Field(i).Name))
			writeGoldenValue(b, fv, indent+"  ")
		}
		if !first {
			b.WriteString("\n" + indent)
		}
		b.WriteString("}")
	case reflect.Slice:
		b.WriteString("[")
		for i := range v.Len() {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n" + indent + "  ")
			writeGoldenValue(b, v.Index(i), indent+"  ")
		}
		b.WriteString("\n" + indent + "]")
	case reflect.String:
		b.WriteString(strconv.Quote(v.String()))
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	default:
		fmt.Fprintf(b, "%q", fmt.Sprint(v.Interface()))
	}
}

// seedInputs returns the testdata inputs of the formats, for fuzz corpora.
func seedInputs(tb testing.TB, formats ...Format) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, f := range formats {
		files, _ := filepath.Glob(filepath.Join("testdata", "decode", string(f), "*.input"))
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		tb.Fatal("no seed inputs")
	}
	return out
}

// allocatedBy returns the bytes fn allocated on the heap.
func allocatedBy(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestQueryFindControl checks the word-at-a-time scan against the byte
// loop for every byte value at every position around the word boundaries.
func TestQueryFindControl(t *testing.T) {
	t.Parallel()
	base := []byte(strings.Repeat("a=é", 6)) // multi-byte runes set high bits
	for c := range 256 {
		for pos := range len(base) {
			in := slices.Clone(base)
			in[pos] = byte(c)
			for _, lines := range []bool{false, true} {
				want := qFindControlBytes(string(in), lines)
				if got := qFindControl(string(in), lines); got != want {
					t.Fatalf("byte %#x at %d (lines %v): got %d, want %d", c, pos, lines, got, want)
				}
			}
		}
	}
}
