package schemas

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// update rewrites golden files: go test ./schemas -run Golden -update.
// Every test file of the package shares this one flag.
var update = flag.Bool("update", false, "rewrite testdata golden files")

// checkGolden compares got with testdata file name, or rewrites the file
// under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./schemas -run Golden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s", path, got)
	}
}

// forEachDecodeInput runs decode on every testdata/decode/<dir>/*.input,
// each in a subtest named after the file, and compares what it returns with
// the input's .golden twin (checkGolden; -update rewrites it).
func forEachDecodeInput(t *testing.T, dir string, decode func(t *testing.T, name string, raw []byte) []byte) {
	t.Helper()
	inputs, err := filepath.Glob(filepath.Join("testdata", "decode", dir, "*.input"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no inputs for %s: %v", dir, err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".input")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got := decode(t, name, raw)
			checkGolden(t, filepath.Join("decode", dir, name+".golden"), got)
		})
	}
}

// TestRecordsGolden pins the wire form of a fixed AuditRecord and
// WindowMetrics in both output formats, and checks the golden bytes decode
// back to the same values.
func TestRecordsGolden(t *testing.T) {
	for _, f := range []OutputFormat{OutputJSON, OutputAvro} {
		cs, err := NewCodecs(f)
		if err != nil {
			t.Fatal(err)
		}
		ext := ".json"
		if f == OutputAvro {
			ext = ".avro"
		}
		t.Run("AuditRecord/"+string(f), func(t *testing.T) {
			b, err := cs.AuditRecord.Encode(sampleAuditRecord())
			if err != nil {
				t.Fatal(err)
			}
			if f == OutputJSON {
				b = append(b, '\n')
			}
			checkGolden(t, filepath.Join("avro", "audit_record"+ext), b)
			got, err := cs.AuditRecord.Decode(bytes.TrimSuffix(b, []byte("\n")))
			if err != nil {
				t.Fatal(err)
			}
			assertEqual(t, got, sampleAuditRecord())
		})
		t.Run("WindowMetrics/"+string(f), func(t *testing.T) {
			b, err := cs.WindowMetrics.Encode(sampleWindowMetrics())
			if err != nil {
				t.Fatal(err)
			}
			if f == OutputJSON {
				b = append(b, '\n')
			}
			checkGolden(t, filepath.Join("avro", "window_metrics"+ext), b)
			got, err := cs.WindowMetrics.Decode(bytes.TrimSuffix(b, []byte("\n")))
			if err != nil {
				t.Fatal(err)
			}
			assertEqual(t, got, sampleWindowMetrics())
		})
	}
}

// TestDescribeGolden pins what sstaudit schemas prints.
func TestDescribeGolden(t *testing.T) {
	var b bytes.Buffer
	if err := Describe(&b); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, filepath.Join("avro", "describe.golden"), b.Bytes())
}
