package consumers

import (
	"bytes"
	"io"
	"testing"

	"github.com/segmentio/kafka-go"

	"github.com/sstaudit/sstaudit/state"
)

// A transaction's changelog records are the last write of each key, in the
// order of those last writes; read back, they are those writes.
func TestChangelogRecordsKeepLastWritePerKey(t *testing.T) {
	w := func(k, v string) state.Write { return state.Write{Key: []byte(k), Value: []byte(v)} }
	ws := []state.Write{
		w("g1", "open"), w("x1", ""), w("g1", "matched"), w("g2", "open"),
		{Key: []byte("g1"), Delete: true}, w("c", "clock1"), w("c", "clock2"),
	}
	want := []state.Write{w("x1", ""), w("g2", "open"), {Key: []byte("g1"), Delete: true}, w("c", "clock2")}
	recs := changelogRecords(ws)
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d", len(recs), len(want))
	}
	for i, r := range recs {
		m := kafka.Message{Key: readRecordBytes(t, r.Key), Headers: r.Headers}
		if r.Value != nil {
			m.Value = readRecordBytes(t, r.Value)
		}
		got := changelogWrite(&m)
		if !bytes.Equal(got.Key, want[i].Key) || !bytes.Equal(got.Value, want[i].Value) || got.Delete != want[i].Delete {
			t.Errorf("record %d: got %q=%q delete %v, want %q=%q delete %v", i, got.Key, got.Value, got.Delete,
				want[i].Key, want[i].Value, want[i].Delete)
		}
	}
}

func readRecordBytes(t *testing.T, b kafka.Bytes) []byte {
	t.Helper()
	out, err := io.ReadAll(b)
	if err != nil {
		t.Fatal(err)
	}
	if out == nil {
		out = []byte{}
	}
	return out
}
