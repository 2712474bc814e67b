package schemas

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

const canonicalDir = "decode/sstaudit.event"

// canonicalMessage wraps an input the way the server topic would deliver it.
func canonicalMessage(value []byte) *Message {
	return &Message{
		Value:       value,
		Format:      string(FormatCanonical),
		Side:        SideServer,
		Source:      Source{Topic: "tracking.server", Partition: 3, Offset: 90211, RecordTime: 1772446500000},
		TraceParent: "",
	}
}

// TestCanonicalAvroInputsGolden writes (with -update) and checks the Avro
// inputs of the golden decode tests: they are EncodeCanonical's output, so
// they also pin the Avro encoding of Event.
func TestCanonicalAvroInputsGolden(t *testing.T) {
	good, err := EncodeCanonical(sampleEvent(), OutputAvro)
	if err != nil {
		t.Fatal(err)
	}
	wrongFP := bytes.Clone(good)
	binary.LittleEndian.PutUint64(wrongFP[2:], 0x0123456789abcdef)
	badSide := bytes.Clone(good)
	badSide[soeHeaderLen+1] = 4 // Side enum index 2
	for name, b := range map[string][]byte{
		"avro_capi_purchase.input":         good,
		"err_avro_wrong_fingerprint.input": wrongFP,
		"err_avro_trailing_bytes.input":    append(bytes.Clone(good), 0),
		"err_avro_truncated.input":         good[:len(good)/2],
		"err_avro_bad_enum.input":          badSide,
	} {
		checkGolden(t, filepath.Join(canonicalDir, name), b)
	}
}

// TestCanonicalDecodeGolden decodes every testdata/decode/sstaudit.event
// input as the pipeline does (decodeCanonical, then the shared finish step)
// and compares with its .golden file. Inputs named err_* must fail.
func TestCanonicalDecodeGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", canonicalDir, "*.input"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no inputs: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".input")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			o := DecodeOptions{}.withDefaults()
			m := canonicalMessage(raw)
			evs, err := decodeCanonical(m, &o)
			var got []byte
			if err != nil {
				if !strings.HasPrefix(name, "err_") {
					t.Fatalf("decode failed: %v", err)
				}
				checkDecodeError(t, FormatCanonical, err, raw)
				got = fmt.Appendf(nil, "{\"error\": %q}\n", ReasonOf(err))
			} else {
				if strings.HasPrefix(name, "err_") {
					t.Fatalf("decoded %d events, want an error", len(evs))
				}
				finishEvents(evs, m, &o)
				got = goldenJSON(evs)
			}
			checkGolden(t, filepath.Join(canonicalDir, name+".golden"), got)
		})
	}
}

func TestDecodeCanonicalRules(t *testing.T) {
	t.Parallel()
	avro, err := EncodeCanonical(Event{EventName: "x", TraceParent: "own", Source: Source{Topic: "old", Offset: 7}}, OutputAvro)
	if err != nil {
		t.Fatal(err)
	}
	m := &Message{
		Value: avro, Side: SideClient, Destination: "GA4", TraceParent: "header",
		Source: Source{Topic: "tracking.client", Partition: 1, Offset: 99, RecordTime: 5},
	}
	evs, err := decodeCanonical(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Event{
		Side: SideClient, Format: FormatCanonical, Destination: DestinationGA4, EventName: "x", TraceParent: "header",
		Source: Source{Topic: "tracking.client", Partition: 1, Offset: 99, RecordTime: 5, BatchIndex: 0, BatchSize: 1},
	}
	assertEqual(t, evs, []Event{want})

	// The event's own side and destination win; its traceparent when the
	// message has none.
	m.Value = []byte(`{"side":"server","destination":"meta","traceparent":"own"}`)
	m.TraceParent = ""
	evs, err = decodeCanonical(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e := evs[0]; e.Side != SideServer || e.Destination != DestinationMeta || e.TraceParent != "own" {
		t.Errorf("side %q destination %q traceparent %q", e.Side, e.Destination, e.TraceParent)
	}
}

func TestDecodeCanonicalLimits(t *testing.T) {
	t.Parallel()
	batch3 := []byte(`[{"event_name":"a"},{"event_name":"b"},{"event_name":"c"}]`)
	deep := []byte(`{"user_data":[{"path":"a"}]}`) // depth 3
	cases := []struct {
		name string
		in   []byte
		o    DecodeOptions
		want Reason
	}{
		{"too large", batch3, DecodeOptions{MaxBytes: len(batch3) - 1}, ReasonTooLarge},
		{"at the size limit", batch3, DecodeOptions{MaxBytes: len(batch3)}, ""},
		{"too many events", batch3, DecodeOptions{MaxBatch: 2}, ReasonTooManyEvents},
		{"batch at the limit", batch3, DecodeOptions{MaxBatch: 3}, ""},
		{"too deep", deep, DecodeOptions{MaxDepth: 2}, ReasonTooDeep},
		{"depth at the limit", deep, DecodeOptions{MaxDepth: 3}, ""},
		{"whitespace", []byte(" \n\t "), DecodeOptions{}, ReasonEmpty},
		{"deep garbage", []byte(strings.Repeat("[", 100) + strings.Repeat("]", 100)), DecodeOptions{}, ReasonTooDeep},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := canonicalMessage(c.in)
			_, err := decodeCanonical(m, &c.o)
			if got := ReasonOf(err); got != c.want {
				t.Fatalf("reason %q, want %q (%v)", got, c.want, err)
			}
			if err != nil {
				checkDecodeError(t, FormatCanonical, err, c.in)
			}
		})
	}
}

// Hostile inputs of the maximum size decode (or fail) in bounded memory.
func TestDecodeCanonicalMemory(t *testing.T) {
	const size = DefaultMaxBytes
	fieldsJSON := `{"user_data":[` + strings.Repeat(`{},`, size/3-10) + `{}]}`
	avroHead, err := EncodeCanonical(Event{}, OutputAvro)
	if err != nil {
		t.Fatal(err)
	}
	// An Avro event whose user_data claims 2^40 fields.
	bigCount := append(bytes.Clone(avroHead[:len(avroHead)-5]), appendLong(nil, 1<<40)...)
	bigCount = append(bigCount, make([]byte, size-len(bigCount))...)
	// An Avro event with as many 4-byte empty fields as fit.
	manyFields := append(bytes.Clone(avroHead[:len(avroHead)-5]), appendLong(nil, int64(size-len(avroHead))/4)...)
	manyFields = append(manyFields, make([]byte, size-len(manyFields))...)
	inputs := map[string][]byte{
		"fields at the limit": []byte(`{"user_data":[` + strings.Repeat(`{},`, maxCanonicalFields-1) + `{}]}`),
		"avro many fields":    manyFields,
		"many empty fields":   []byte(fieldsJSON),
		"many batch items":    []byte(`[` + strings.Repeat(`{},`, size/3-10) + `{}]`),
		"open brackets":       bytes.Repeat([]byte("["), size),
		"long string":         []byte(`{"event_name":"` + strings.Repeat("x", size-20) + `"}`),
		"avro huge count":     bigCount,
	}
	for name, in := range inputs {
		if len(in) > size {
			t.Fatalf("%s: %d bytes", name, len(in))
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := decodeCanonical(canonicalMessage(in), nil)
		runtime.ReadMemStats(&after)
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s: %d KiB allocated, reason %q", name, alloc>>10, ReasonOf(err))
		if alloc > 64<<20 {
			t.Errorf("%s: %d MiB allocated for a 1 MiB input", name, alloc>>20)
		}
	}
}

// FuzzDecodeCanonical: no panic, errors are classified *DecodeErrors that do
// not quote the input, and whatever decodes survives encode → decode in
// both formats unchanged.
func FuzzDecodeCanonical(f *testing.F) {
	inputs, _ := filepath.Glob(filepath.Join("testdata", canonicalDir, "*.input"))
	for _, in := range inputs {
		b, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		o := DecodeOptions{}.withDefaults()
		m := canonicalMessage(in)
		evs, err := decodeCanonical(m, &o)
		if err != nil {
			checkDecodeError(t, FormatCanonical, err, in)
			return
		}
		if len(evs) == 0 || len(evs) > o.MaxBatch {
			t.Fatalf("%d events", len(evs))
		}
		for i, ev := range evs {
			if ev.Source.BatchIndex != int32(i) || ev.Source.BatchSize != int32(len(evs)) {
				t.Fatalf("event %d: batch %d/%d", i, ev.Source.BatchIndex, ev.Source.BatchSize)
			}
			for _, f := range []OutputFormat{OutputJSON, OutputAvro} {
				b, err := EncodeCanonical(ev, f)
				if err != nil {
					t.Fatalf("event %d: encode %s: %v", i, f, err)
				}
				again, err := decodeCanonical(canonicalMessage(b), &o)
				if err != nil {
					t.Fatalf("event %d: decode own %s: %v", i, f, err)
				}
				want := ev
				want.Source.BatchIndex, want.Source.BatchSize = 0, 1
				if len(again) != 1 || !reflect.DeepEqual(again[0], want) {
					t.Fatalf("event %d: %s round trip changed the event\n got: %+v\nwant: %+v", i, f, again, want)
				}
			}
		}
	})
}

func BenchmarkDecodeCanonical(b *testing.B) {
	ev := sampleEvent()
	for _, f := range []OutputFormat{OutputAvro, OutputJSON} {
		in, err := EncodeCanonical(ev, f)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(string(f), func(b *testing.B) {
			o := DecodeOptions{}.withDefaults()
			m := canonicalMessage(in)
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, err := decodeCanonical(m, &o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
