package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzSeeds adds every testdata/decode/<dir>/*.input of dirs to f's corpus.
func fuzzSeeds(f *testing.F, dirs ...string) {
	f.Helper()
	n := 0
	for _, d := range dirs {
		files, _ := filepath.Glob(filepath.Join("testdata", "decode", d, "*.input"))
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
			n++
		}
	}
	if n == 0 {
		f.Fatal("no seed inputs")
	}
}

// fuzzDecode decodes in through Decode (header "" = detect) and checks what
// must hold for any input: a classified error that carries no input bytes,
// or events that satisfy the invariants.
func fuzzDecode(t *testing.T, in []byte, header string) {
	m := serverMessage(in, header)
	evs, err := Decode(m, DecodeOptions{})
	if err != nil {
		var de *DecodeError
		if !errors.As(err, &de) || de.Reason == "" {
			t.Fatalf("unclassified error %v", err)
		}
		want := header
		if want == "" {
			want = TriedDetect
		}
		if de.Tried != want {
			t.Fatalf("Tried %q, want %q", de.Tried, want)
		}
		if evs != nil {
			t.Fatal("events with an error")
		}
		checkErrorCarriesNoInput(t, err, in)
		return
	}
	checkDecodedEvents(t, &m, evs)
	if header != "" && evs[0].Format != Format(header) {
		t.Fatalf("format %q decoded as %q", header, evs[0].Format)
	}
}

// checkErrorCarriesNoInput fails when err's text holds a run of 12 input
// bytes that is not also in the fixed error vocabulary (a value could be a
// PII leak through the DLQ headers and logs).
func checkErrorCarriesNoInput(t *testing.T, err error, in []byte) {
	msg := err.Error()
	const run = 12
	for i := 0; i+run <= len(in) && i < 1<<12; i++ {
		s := string(in[i : i+run])
		if strings.Contains(msg, s) && !strings.Contains(errorVocabulary, s) && !strings.Contains(string(eventSchemaText), s) {
			t.Fatalf("error text carries input bytes at offset %d", i)
		}
	}
}

// eventSchemaText is the canonical event schema: the sstaudit.event decoder
// names the schema's fields in its errors.
var eventSchemaText, _ = os.ReadFile(filepath.Join("avsc", "tracking_event.avsc"))

// errorVocabulary holds the texts decode errors are made of, so a fuzzer
// that feeds them back is not mistaken for a leak.
const errorVocabulary = "schemas: decode detect meta.capi ga4.mp sgtm.event meta.pixel ga4.gtag sstaudit.event " +
	"json: unexpected byte at offset trailing data after the top-level value expected a string key " +
	"body is not a json object event data is not a json object data is not an array events is not an array " +
	"data holds an element that is not an object events holds an element that is not an object " +
	"json matches no known format query string matches no known format not json, a query string or avro"

func FuzzJSONWalk(f *testing.F) {
	fuzzSeeds(f, "meta.capi", "ga4.mp", "sgtm.event", "detect")
	f.Add([]byte(`{"a":"\ud83d\ude00\u0000\"","b":[[],{}],"c":-0.5e-7}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		const maxDepth = 32
		w := getJSONWalk()
		defer w.release()
		err := w.walk(in, maxDepth)
		valid := json.Valid(in)
		if err != nil {
			var se *jsonSyntaxError
			switch {
			case errors.As(err, &se):
				if valid {
					t.Fatalf("valid JSON rejected: %v", err)
				}
			case errors.Is(err, errJSONTooDeep):
				if jsonDepth(in) <= maxDepth {
					t.Fatalf("depth %d rejected as too deep", jsonDepth(in))
				}
			case errors.Is(err, errJSONTooLarge):
			default:
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !valid {
			t.Fatal("invalid JSON accepted")
		}
		if len(w.leaves) == 0 {
			t.Fatal("no leaves")
		}
		for i := range w.leaves {
			l := &w.leaves[i]
			p, k, v := w.path(l), w.key(l), w.value(l)
			if !utf8.ValidString(p) || !utf8.ValidString(v) || !utf8.ValidString(k) {
				t.Fatalf("leaf %d: invalid UTF-8", i)
			}
			if l.depth == 0 && (p != "" || len(w.leaves) != 1) || l.depth > 0 && p == "" {
				t.Fatalf("leaf %d: path %q at depth %d", i, p, l.depth)
			}
			if !strings.HasSuffix(p, k) && !strings.HasSuffix(p, "]") {
				t.Fatalf("leaf %d: key %q is not the end of path %q", i, k, p)
			}
			if int(l.depth) > maxDepth {
				t.Fatalf("leaf %d deeper than the limit", i)
			}
		}
		// Values agree with encoding/json for a top-level scalar.
		if w.leaves[0].depth == 0 && w.leaves[0].kind == KindString {
			var s string
			if err := json.Unmarshal(in, &s); err != nil {
				t.Fatal(err)
			}
			if s != w.value(&w.leaves[0]) && utf8.ValidString(s) && !strings.Contains(s, "\uFFFD") {
				t.Fatalf("string value differs from encoding/json")
			}
		}
	})
}

// jsonDepth is the nesting depth of a JSON text (brackets outside strings).
func jsonDepth(in []byte) int {
	d, maxD, inStr, esc := 0, 0, false, false
	for _, c := range in {
		switch {
		case esc:
			esc = false
		case inStr:
			if c == '\\' {
				esc = true
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			d++
			maxD = max(maxD, d)
		case c == '}' || c == ']':
			d--
		}
	}
	return maxD
}

func FuzzDecodeCAPI(f *testing.F) {
	fuzzSeeds(f, "meta.capi")
	f.Fuzz(func(t *testing.T, in []byte) { fuzzDecode(t, in, string(FormatMetaCAPI)) })
}

func FuzzDecodeMP(f *testing.F) {
	fuzzSeeds(f, "ga4.mp")
	f.Fuzz(func(t *testing.T, in []byte) { fuzzDecode(t, in, string(FormatGA4MP)) })
}

func FuzzDecodeSGTM(f *testing.F) {
	fuzzSeeds(f, "sgtm.event")
	f.Fuzz(func(t *testing.T, in []byte) { fuzzDecode(t, in, string(FormatSGTM)) })
}

func FuzzDecode(f *testing.F) {
	fuzzSeeds(f, "detect", "meta.capi", "ga4.mp", "sgtm.event")
	f.Fuzz(func(t *testing.T, in []byte) { fuzzDecode(t, in, "") })
}

// TestDecodeLargeInputsBounded feeds 1 MiB inputs shaped to blow up a
// decoder (many leaves, long repeated paths, deep nesting, long escaped
// strings, a full batch) and bounds the memory and time they cost.
func TestDecodeLargeInputsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("large inputs")
	}
	const size = DefaultMaxBytes - 64
	pad := func(prefix, unit, suffix string) []byte {
		n := (size - len(prefix) - len(suffix)) / len(unit)
		return []byte(prefix + strings.Repeat(unit, n) + suffix)
	}
	cases := map[string][]byte{
		"many leaves":   pad(`{"data":[{"custom_data":{"x":[`, `0,`, `0]}}]}`),
		"long key path": pad(`{"data":[{"custom_data":{"`+strings.Repeat("k", 60000)+`":[`, `0,`, `0]}}]}`),
		"deep paths": pad(`{"data":[{"custom_data":`+strings.Repeat(`{"`+strings.Repeat("k", 1000)+`":`, 30)+`[`,
			`1,`, `1]`+strings.Repeat("}", 30)+`}]}`),
		"escaped string": pad(`{"event_name":"purchase","client_id":"1","x":"`, `\u00e9\n`, `"}`),
		"full batch":     pad(`{"data":[`, `{"event_name":"PageView","event_time":1772446500,"user_data":{"em":["a","b"]}},`, `{}]}`),
		"deep nesting":   pad(`{"client_id":"1","events":[`+strings.Repeat(`[`, 30), ` `, strings.Repeat(`]`, 30)+`]}`),
		"many objects":   pad(`{"client_id":"1","events":[{"name":"x","params":{"items":[`, `{},`, `{}]}}]}`),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			evs, err := Decode(serverMessage(in, ""), DecodeOptions{})
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d bytes: %d events, err %v, %d MB allocated, %v", len(in), len(evs), ReasonOf(err), alloc>>20, took)
			if alloc > 96<<20 {
				t.Errorf("allocated %d MB for a 1 MiB input", alloc>>20)
			}
			if limit := 5 * time.Second; took > limit && !raceEnabled || took > 12*limit {
				t.Errorf("took %v", took)
			}
			runtime.KeepAlive(evs)
		})
	}
}

// TestDecodeTruncations decodes every prefix of the seed inputs: none may
// panic, and each is an error or events with the invariants.
func TestDecodeTruncations(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"meta.capi", "ga4.mp", "sgtm.event"} {
		files, _ := filepath.Glob(filepath.Join("testdata", "decode", d, "*.input"))
		for _, p := range files {
			in, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if len(in) > 4096 {
				continue
			}
			in = bytes.TrimSpace(in)
			for n := range len(in) {
				fuzzDecode(t, in[:n], d)
				fuzzDecode(t, in[:n], "")
			}
		}
	}
}
