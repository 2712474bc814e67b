package schemas

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

func TestSchemasCompile(t *testing.T) {
	t.Parallel()
	list, err := Schemas()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{SchemaAuditRecord, SchemaEvent, SchemaWindowMetrics}
	if len(list) != len(want) {
		t.Fatalf("%d schemas, want %d", len(list), len(want))
	}
	for i, s := range list {
		if s.Name != want[i] {
			t.Errorf("schema %d = %s, want %s", i, s.Name, want[i])
		}
		if s.Fingerprint == 0 || s.Fingerprint != s.codec.Rabin {
			t.Errorf("%s: fingerprint %x, goavro %x", s.Name, s.Fingerprint, s.codec.Rabin)
		}
		h := s.Header()
		if len(h) != 10 || h[0] != 0xC3 || h[1] != 0x01 || binary.LittleEndian.Uint64(h[2:]) != s.Fingerprint {
			t.Errorf("%s: header % x", s.Name, h)
		}
		// goavro's own single-object header must agree with ours.
		soe, err := s.codec.SingleFromNative(nil, nil)
		if err == nil || len(soe) >= 10 {
			if !bytes.HasPrefix(soe, h) {
				t.Errorf("%s: goavro header differs", s.Name)
			}
		}
		if !strings.HasPrefix(s.CanonicalForm(), `{"name":"`+s.Name+`"`) {
			t.Errorf("%s: canonical form %.60s", s.Name, s.CanonicalForm())
		}
	}
}

// The record schemas' version attribute is the version written into every
// record and its sstaudit-schema header.
func TestSchemaVersions(t *testing.T) {
	t.Parallel()
	for _, name := range []string{SchemaAuditRecord, SchemaWindowMetrics} {
		s, err := schemaNamed(name)
		if err != nil {
			t.Fatal(err)
		}
		if s.Version != RecordSchemaVersion {
			t.Errorf("%s version %q, RecordSchemaVersion %q", name, s.Version, RecordSchemaVersion)
		}
		if got, want := s.HeaderValue(), name+"/"+RecordSchemaVersion; got != want {
			t.Errorf("HeaderValue = %q, want %q", got, want)
		}
	}
}

func TestOutputFormat(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in, ct string
		ok     bool
	}{{"json", "application/json", true}, {"avro", "application/avro", true}, {"JSON", "", false}, {"", "", false}} {
		f, err := ParseOutputFormat(c.in)
		if (err == nil) != c.ok {
			t.Errorf("ParseOutputFormat(%q) error %v", c.in, err)
			continue
		}
		if c.ok && f.ContentType() != c.ct {
			t.Errorf("%s: content type %q, want %q", c.in, f.ContentType(), c.ct)
		}
	}
	if _, err := NewCodecs("xml"); err == nil {
		t.Error("NewCodecs accepted an unknown format")
	}
	cs, err := NewCodecs(OutputAvro)
	if err != nil {
		t.Fatal(err)
	}
	if cs.AuditRecord.ContentType() != "application/avro" || cs.AuditRecord.SchemaHeader() != "io.sstaudit.AuditRecord/1" ||
		cs.WindowMetrics.SchemaHeader() != "io.sstaudit.WindowMetrics/1" || cs.Event.SchemaHeader() != "io.sstaudit.TrackingEvent/1" {
		t.Errorf("headers: %s %s %s %s", cs.AuditRecord.ContentType(), cs.AuditRecord.SchemaHeader(),
			cs.WindowMetrics.SchemaHeader(), cs.Event.SchemaHeader())
	}
}
