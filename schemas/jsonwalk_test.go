package schemas

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// walkFields walks src and returns its leaves as Fields.
func walkFields(src string, maxDepth int) ([]Field, error) {
	w := getJSONWalk()
	defer w.release()
	if err := w.walk([]byte(src), maxDepth); err != nil {
		return nil, err
	}
	out := make([]Field, len(w.leaves))
	for i := range w.leaves {
		out[i] = w.field(&w.leaves[i])
	}
	return out, nil
}

func TestJSONWalkLeaves(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []Field
	}{
		{"capi", `{"data":[{"event_name":"Purchase","user_data":{"em":["a","b"],"ph":"c"},"custom_data":{}}],"x":[]}`, []Field{
			{"data[0].event_name", "event_name", "Purchase", KindString},
			{"data[0].user_data.em[0]", "em", "a", KindString},
			{"data[0].user_data.em[1]", "em", "b", KindString},
			{"data[0].user_data.ph", "ph", "c", KindString},
			{"data[0].custom_data", "custom_data", "", KindEmptyObject},
			{"x", "x", "", KindEmptyArray},
		}},
		{"kinds", ` { "n" : -1.5e+3 , "t":true,"f":false,"z":null,"s":"84.5" } `, []Field{
			{"n", "n", "-1.5e+3", KindNumber},
			{"t", "t", "true", KindBool},
			{"f", "f", "false", KindBool},
			{"z", "z", "", KindNull},
			{"s", "s", "84.5", KindString},
		}},
		{"escapes", `{"k\u0065y":"a\"b\\c\/d\n\u00e9\ud83d\ude00","plain":"valéry"}`, []Field{
			{"key", "key", "a\"b\\c/d\né😀", KindString},
			{"plain", "plain", "valéry", KindString},
		}},
		{"lone surrogate", `{"s":"x\ud800y\udc00"}`, []Field{
			{"s", "s", "x\uFFFDy\uFFFD", KindString},
		}},
		{"nested arrays", `[[1,[2]],{"a":[{"b":3}]}]`, []Field{
			{"[0][0]", "", "1", KindNumber},
			{"[0][1][0]", "", "2", KindNumber},
			{"[1].a[0].b", "b", "3", KindNumber},
		}},
		{"scalar", `"x"`, []Field{{"", "", "x", KindString}}},
		{"empty keys", `{"":{"":1,"a":[{"":2}]}}`, []Field{
			{"(empty).(empty)", "", "1", KindNumber},
			{"(empty).a[0].(empty)", "", "2", KindNumber},
		}},
		{"events", `{"events":[{"name":"purchase","params":{"value":84.5}},{"name":"x"}]}`, []Field{
			{"events[0].name", "name", "purchase", KindString},
			{"events[0].params.value", "value", "84.5", KindNumber},
			{"events[1].name", "name", "x", KindString},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := walkFields(tt.in, 32)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestJSONWalkInvalidUTF8(t *testing.T) {
	t.Parallel()
	w := getJSONWalk()
	defer w.release()
	if err := w.walk([]byte("{\"a\xff\":\"b\xc3\x28c\"}"), 32); err != nil {
		t.Fatal(err)
	}
	if len(w.leaves) != 1 {
		t.Fatalf("%d leaves", len(w.leaves))
	}
	l := &w.leaves[0]
	if k, v := w.key(l), w.value(l); k != "a\uFFFD" || v != "b\uFFFD(c" {
		t.Errorf("key %q value %q", k, v)
	}
	if w.badUTF8 != 2 {
		t.Errorf("badUTF8 = %d, want 2", w.badUTF8)
	}
}

// TestJSONWalkCopiesInput: walk reads its input in place, but the strings it
// hands out live in its own block, so a caller reusing the message bytes
// cannot change decoded events.
func TestJSONWalkCopiesInput(t *testing.T) {
	t.Parallel()
	src := []byte(`{"plain":"abc","esc":"a\u0062c"}`)
	w := getJSONWalk()
	defer w.release()
	if err := w.walk(src, 32); err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := range w.leaves {
		got = append(got, w.path(&w.leaves[i])+"="+w.value(&w.leaves[i]))
	}
	for i := range src {
		src[i] = 'x'
	}
	for i := range w.leaves {
		if s := w.path(&w.leaves[i]) + "=" + w.value(&w.leaves[i]); s != got[i] || (s != "plain=abc" && s != "esc=abc") {
			t.Errorf("leaf %d reads %q after the input changed, want %q", i, s, got[i])
		}
	}
}

func TestJSONWalkSegments(t *testing.T) {
	t.Parallel()
	w := getJSONWalk()
	defer w.release()
	if err := w.walk([]byte(`{"data":[{"x":1},{"user_data":{"em":["h"]}}]}`), 32); err != nil {
		t.Fatal(err)
	}
	l := &w.leaves[1]
	if w.segKey(l, 0) != "data" || w.segIndex(l, 1) != 1 || w.segKey(l, 2) != "user_data" || w.segKey(l, 3) != "em" ||
		w.segIndex(l, 0) != -1 || w.segKey(l, 1) != "" || w.segIndex(l, 4) != 0 || w.segIndex(l, 5) != -1 || l.depth != 5 {
		t.Errorf("segments of %s wrong: depth %d", w.path(l), l.depth)
	}
}

func TestJSONWalkErrors(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("[", 33) + strings.Repeat("]", 33)
	okDeep := strings.Repeat(`{"a":`, 32) + "1" + strings.Repeat("}", 32)
	for _, tt := range []struct {
		in   string
		want error // nil = syntax error
	}{
		{"", nil}, {"{", nil}, {`{"a"}`, nil}, {`{"a":1,}`, nil}, {`[1,]`, nil}, {`{"a":1} x`, nil},
		{`{"a":01}`, nil}, {`{"a":-}`, nil}, {`{"a":1.}`, nil}, {`{"a":1e}`, nil}, {`{"a":tru}`, nil},
		{`{"a":"x`, nil}, {"{\"a\":\"x\ty\"}", nil}, {`{"a":"\x"}`, nil}, {`{"a":"\u12"}`, nil}, {`{a:1}`, nil},
		{`{"a":1}{"b":2}`, nil}, {`[1 2]`, nil}, {`{"a" 1}`, nil}, {`"\`, nil},
		{deep, errJSONTooDeep},
		{okDeep[:0] + strings.Repeat(`{"a":`, 33) + "1" + strings.Repeat("}", 33), errJSONTooDeep},
	} {
		_, err := walkFields(tt.in, 32)
		var se *jsonSyntaxError
		switch {
		case err == nil:
			t.Errorf("%q: no error", tt.in)
		case tt.want == nil && !errors.As(err, &se):
			t.Errorf("%q: %v, want a syntax error", tt.in, err)
		case tt.want != nil && !errors.Is(err, tt.want):
			t.Errorf("%q: %v, want %v", tt.in, err, tt.want)
		}
	}
	if _, err := walkFields(okDeep, 32); err != nil {
		t.Errorf("depth 32: %v", err)
	}
}

func TestJSONWalkArenaBound(t *testing.T) {
	t.Parallel()
	// A long key over many array elements multiplies into paths.
	in := `{"` + strings.Repeat("k", 4000) + `":[` + strings.Repeat("0,", 20000) + `0]}`
	if _, err := walkFields(in, 32); !errors.Is(err, errJSONTooLarge) {
		t.Errorf("got %v, want errJSONTooLarge", err)
	}
}

// TestJSONWalkMatchesStdlib compares values and kinds against encoding/json.
func TestJSONWalkMatchesStdlib(t *testing.T) {
	t.Parallel()
	in := `{"a":"\u00fc\n","b":[1,2.5,"x"],"c":{"d":null,"e":true},"f":"\ud834\udd1e"}`
	var v any
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	got, err := walkFields(in, 32)
	if err != nil {
		t.Fatal(err)
	}
	m := v.(map[string]any)
	want := map[string]string{"a": m["a"].(string), "b[2]": "x", "f": m["f"].(string), "b[1]": "2.5", "c.e": "true"}
	for _, f := range got {
		if w, ok := want[f.Path]; ok && w != f.Value {
			t.Errorf("%s: %q, want %q", f.Path, f.Value, w)
		}
		if !utf8.ValidString(f.Value) {
			t.Errorf("%s: invalid UTF-8", f.Path)
		}
	}
}

func BenchmarkJSONWalk(b *testing.B) {
	src := benchCAPIEvent
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		w := getJSONWalk()
		if err := w.walk(src, 32); err != nil {
			b.Fatal(err)
		}
		w.release()
	}
}

func TestJSONWalkPlainRun(t *testing.T) {
	t.Parallel()
	special := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 || c >= 0x80 }
	base := []byte("abcdefghijklmnopqrstuvwxyz0123456789")
	for pos := range len(base) {
		for _, c := range []byte{'"', '\\', 0, 0x1f, 0x7f, 0x80, 0xff, ' ', '!', '#', '[', ']', '~'} {
			b := append([]byte(nil), base...)
			b[pos] = c
			want := len(b)
			if special(c) {
				want = pos
			}
			for from := 0; from <= pos; from += 3 {
				if got := plainRun(string(b), from); got != want {
					t.Fatalf("byte %#x at %d from %d: got %d, want %d", c, pos, from, got, want)
				}
			}
		}
	}
}
