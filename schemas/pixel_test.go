package schemas

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPixelDecodeGolden(t *testing.T) {
	testDecodeGolden(t, FormatMetaPixel, decodeMetaPixel)
}

func TestPixelDecodeMapping(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("testdata", "decode", "meta.pixel", "full_url_purchase.input"))
	if err != nil {
		t.Fatal(err)
	}
	o := DecodeOptions{}.withDefaults()
	evs, err := decodeMetaPixel(goldenMessage(raw), &o)
	if err != nil {
		t.Fatal(err)
	}
	e := evs[0]
	checks := []struct{ name, got, want string }{
		{"PixelID", e.PixelID, "100200300400500"},
		{"EventName", e.EventName, "Purchase"},
		{"EventID", e.EventID + "@" + e.EventIDPath, "ORD-77120@eid"},
		{"JoinKey", e.JoinKey, "ORD-77120"},
		{"EventTimeRaw", e.EventTimeRaw + "@" + e.EventTimePath + "@" + e.EventTimeUnit, "1772446481250@ts@ms"},
		{"URL", e.URL, "https://store.example.net/order/complete?fbclid=IwZXh0bgNhZW0CMTEAAR2x_Demo-Click"},
		{"FBCLID", e.ClickIDs.FBCLID, "IwZXh0bgNhZW0CMTEAAR2x_Demo-Click"},
		{"FBC", e.ClickIDs.FBC, "fb.1.1772446152044.IwZXh0bgNhZW0CMTEAAR2x_Demo-Click"},
		{"FBP", e.ClickIDs.FBP, "fb.1.1771574400000.1388405713"},
		{"ExternalID", e.ExternalID, "04f18369b9f09f7908b299d2535b6d99d3df2e17e8f953553f269e38ed7281d8"},
		{"SchemaVersion", e.SchemaVersion, "3"},
		{"Destination", string(e.Destination), "meta"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if e.EventTime != 1772446481250 {
		t.Errorf("EventTime = %d", e.EventTime)
	}
	if f := findField(e.Params, "cd[content_ids]"); f == nil || f.Value != `["TEE-RED-M"]` || f.Key != "content_ids" {
		t.Errorf("cd[content_ids] = %+v", f)
	}
	if f := findField(e.UserData, "ud[em]"); f == nil || f.Key != "em" || len(f.Value) != 64 {
		t.Errorf("ud[em] = %+v", f)
	}
	if len(e.UserData) != 8 || len(e.Params) != 6 {
		t.Errorf("%d user data, %d params; want 8, 6", len(e.UserData), len(e.Params))
	}
	for _, p := range []string{"eid", "ev", "ts", "dl", "rl"} {
		if findField(e.Other, p) != nil {
			t.Errorf("%s repeated in Other", p)
		}
	}
	for _, p := range []string{"id", "fbp", "fbc", "sw", "coo", "dl?fbclid"} {
		if findField(e.Other, p) == nil {
			t.Errorf("%s missing from Other", p)
		}
	}
}

func TestPixelDecodeJSONVariantsAgree(t *testing.T) {
	t.Parallel()
	// The same hit as a query, as flat JSON and as nested JSON map to the
	// same scalars and the same Keys.
	query := "id=1&ev=Purchase&eid=E-1&ts=1772446481250&cd[value]=84.5&ud[em]=aa&ud[external_id]=x1&fbp=fb.1.1.2"
	flat := `{"id":"1","ev":"Purchase","eid":"E-1","ts":1772446481250,"cd[value]":84.5,"ud[em]":"aa","ud[external_id]":"x1","fbp":"fb.1.1.2"}`
	nested := `{"id":"1","ev":"Purchase","eid":"E-1","ts":"1772446481250","cd":{"value":84.5},"ud":{"em":"aa","external_id":"x1"},"fbp":"fb.1.1.2"}`
	type summary struct {
		ID, Name, EventID, ExternalID, FBP string
		Time                               int64
		ParamKeys, UserKeys                []string
	}
	sum := func(in string) summary {
		o := DecodeOptions{}.withDefaults()
		evs, err := decodeMetaPixel(goldenMessage([]byte(in)), &o)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		e := evs[0]
		s := summary{ID: e.PixelID, Name: e.EventName, EventID: e.EventID, ExternalID: e.ExternalID, FBP: e.ClickIDs.FBP, Time: e.EventTime}
		for _, f := range e.Params {
			s.ParamKeys = append(s.ParamKeys, f.Key+"="+f.Value)
		}
		for _, f := range e.UserData {
			s.UserKeys = append(s.UserKeys, f.Key+"="+f.Value)
		}
		return s
	}
	q, fl, ne := sum(query), sum(flat), sum(nested)
	if !reflect.DeepEqual(q, fl) || !reflect.DeepEqual(q, ne) {
		t.Errorf("variants differ:\nquery  %+v\nflat   %+v\nnested %+v", q, fl, ne)
	}
}

func TestPixelDecodeLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		o    DecodeOptions
		want Reason
	}{
		{"too large", "id=1&ev=" + strings.Repeat("x", 100), DecodeOptions{MaxBytes: 64}, ReasonTooLarge},
		{"json too deep", `{"ev":"x","cd":{"a":{"b":{"c":1}}}}`, DecodeOptions{MaxDepth: 3}, ReasonTooDeep},
		{"json depth at limit", `{"ev":"x","cd":{"a":{"b":1}}}`, DecodeOptions{MaxDepth: 3}, ""},
		{"json not pixel", `{"data":[{"event_name":"Purchase"}]}`, DecodeOptions{}, ReasonUnknownShape},
		{"json garbage", `{"ev":`, DecodeOptions{}, ReasonSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := tt.o.withDefaults()
			_, err := decodeMetaPixel(goldenMessage([]byte(tt.in)), &o)
			if got := ReasonOf(err); got != tt.want {
				t.Errorf("reason %q, want %q (%v)", got, tt.want, err)
			}
		})
	}
}

// TestPixelDecodeLargeInputs decodes pathological 1 MiB inputs: each must
// finish quickly with memory proportional to the input.
func TestPixelDecodeLargeInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("large inputs")
	}
	const size = 1 << 20
	fill := func(prefix, unit string) []byte {
		return []byte(prefix + strings.Repeat(unit, (size-len(prefix))/len(unit)))
	}
	inputs := map[string][]byte{
		"many params":       fill("id=1&ev=x", "&a=b"),
		"many cd params":    fill("id=1&ev=x", "&cd[a]=1"),
		"many escapes":      fill("id=1&ev=x&cd[v]=", "%41"),
		"dl with many args": fill("id=1&ev=x&dl=https://s.example/?", "a=b&"),
		"empty segments":    fill("id=1&ev=x", "&"),
		"json wide":         []byte(`{"ev":"x","cd":{` + strings.Repeat(`"a":1,`, (size-40)/6) + `"z":1}}`),
		"json deep":         []byte(`{"ev":"x","cd":` + strings.Repeat("[", (size-40)/2) + strings.Repeat("]", (size-40)/2) + `}`),
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			o := DecodeOptions{}.withDefaults()
			var n int
			checkBounded(t, in, func() error {
				evs, err := decodeMetaPixel(goldenMessage(in), &o)
				if err == nil {
					checkEventInvariants(t, FormatMetaPixel, evs)
				}
				n = len(evs)
				return err
			})
			t.Logf("%d bytes: %d events", len(in), n)
		})
	}
}

// checkBounded runs fn once and fails when it takes longer than a few
// seconds or allocates more than 96 bytes per input byte.
func checkBounded(t *testing.T, in []byte, fn func() error) {
	t.Helper()
	start := time.Now()
	var err error
	allocated := allocatedBy(func() { err = fn() })
	if err != nil {
		t.Logf("decode error: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if limit := uint64(96 * len(in)); allocated > limit {
		t.Errorf("allocated %d bytes for %d input bytes (limit %d)", allocated, len(in), limit)
	}
}

func findField(fs []Field, path string) *Field {
	for i := range fs {
		if fs[i].Path == path {
			return &fs[i]
		}
	}
	return nil
}

func FuzzDecodePixel(f *testing.F) {
	for _, in := range seedInputs(f, FormatMetaPixel) {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		o := DecodeOptions{}.withDefaults()
		evs, err := decodeMetaPixel(goldenMessage(in), &o)
		if err != nil {
			checkDecodeError(t, FormatMetaPixel, err, in)
			return
		}
		if len(evs) != 1 {
			t.Fatalf("%d events from one hit", len(evs))
		}
		checkEventInvariants(t, FormatMetaPixel, evs)
		again, err := decodeMetaPixel(goldenMessage(in), &o)
		if err != nil || !reflect.DeepEqual(evs, again) {
			t.Fatalf("decoding is not deterministic")
		}
	})
}

func BenchmarkDecodePixel(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "decode", "meta.pixel", "full_url_purchase.input"))
	if err != nil {
		b.Fatal(err)
	}
	m := goldenMessage(raw)
	o := DecodeOptions{}.withDefaults()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeMetaPixel(m, &o); err != nil {
			b.Fatal(err)
		}
	}
}
