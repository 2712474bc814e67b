package schemas

import (
	"embed"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sync"

	"github.com/linkedin/goavro/v2"
)

// The Avro schemas of sstaudit's records, compiled into the binary.
//
//go:embed avsc/*.avsc
var avscFS embed.FS

// Full names of the embedded schemas.
const (
	SchemaAuditRecord   = "io.sstaudit.AuditRecord"
	SchemaWindowMetrics = "io.sstaudit.WindowMetrics"
	SchemaEvent         = "io.sstaudit.TrackingEvent"
)

// Schema is one embedded Avro schema, compiled.
type Schema struct {
	Name    string // full name, e.g. io.sstaudit.AuditRecord
	Version string // the schema's "version" attribute, e.g. "1"
	File    string // path inside the embedded tree, e.g. avsc/audit_record.avsc
	JSON    string // the schema as embedded
	// Fingerprint is the CRC-64-AVRO (Rabin) fingerprint of the schema's
	// Parsing Canonical Form; it identifies the writer schema of every
	// single-object encoded message.
	Fingerprint uint64

	header [soeHeaderLen]byte
	codec  *goavro.Codec // the reference implementation; tests check ours against it
}

// Avro single-object encoding: magic C3 01, then the 8-byte little-endian fingerprint.
const soeHeaderLen = 10

// Header returns the 10-byte single-object encoding header: C3 01 followed by
// the little-endian fingerprint.
func (s *Schema) Header() []byte { return slices.Clone(s.header[:]) }

// HeaderValue is the sstaudit-schema Kafka header value of records written
// with this schema: the full name and the version, e.g. io.sstaudit.AuditRecord/1.
func (s *Schema) HeaderValue() string { return s.Name + "/" + s.Version }

// CanonicalForm returns the schema's Parsing Canonical Form, the text the
// fingerprint is computed over.
func (s *Schema) CanonicalForm() string { return s.codec.CanonicalSchema() }

type registry struct {
	list   []*Schema // sorted by Name
	byName map[string]*Schema
}

// builtin compiles the embedded schemas once. They are constants of the
// binary: an error here is a build defect, which the tests and NewCodecs
// (called from main) surface at start-up.
var builtin = sync.OnceValues(compileEmbedded)

func compileEmbedded() (*registry, error) {
	files, err := fs.Glob(avscFS, "avsc/*.avsc")
	if err != nil {
		return nil, fmt.Errorf("schemas: list embedded schemas: %w", err)
	}
	r := &registry{byName: make(map[string]*Schema, len(files))}
	for _, f := range files {
		s, err := compileSchema(f)
		if err != nil {
			return nil, err
		}
		if _, dup := r.byName[s.Name]; dup {
			return nil, fmt.Errorf("schemas: %s: schema %s defined twice", f, s.Name)
		}
		r.byName[s.Name] = s
		r.list = append(r.list, s)
	}
	slices.SortFunc(r.list, func(a, b *Schema) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	for _, name := range []string{SchemaAuditRecord, SchemaWindowMetrics, SchemaEvent} {
		if r.byName[name] == nil {
			return nil, fmt.Errorf("schemas: embedded schema %s missing", name)
		}
	}
	return r, nil
}

func compileSchema(file string) (*Schema, error) {
	b, err := avscFS.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("schemas: read %s: %w", file, err)
	}
	var head struct {
		Type      string `json:"type"`
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
		Version   string `json:"version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("schemas: parse %s: %w", file, err)
	}
	if head.Type != "record" || head.Name == "" || head.Namespace == "" || head.Version == "" {
		return nil, fmt.Errorf("schemas: %s: want a named record with namespace and version", file)
	}
	c, err := goavro.NewCodec(string(b))
	if err != nil {
		return nil, fmt.Errorf("schemas: compile %s: %w", file, err)
	}
	s := &Schema{
		Name:        head.Namespace + "." + head.Name,
		Version:     head.Version,
		File:        path.Clean(file),
		JSON:        string(b),
		Fingerprint: c.Rabin,
		codec:       c,
	}
	s.header[0], s.header[1] = 0xC3, 0x01
	binary.LittleEndian.PutUint64(s.header[2:], c.Rabin)
	return s, nil
}

// Schemas compiles (once) and returns every embedded schema, sorted by name.
func Schemas() ([]*Schema, error) {
	r, err := builtin()
	if err != nil {
		return nil, err
	}
	return slices.Clone(r.list), nil
}

func schemaNamed(name string) (*Schema, error) {
	r, err := builtin()
	if err != nil {
		return nil, err
	}
	return r.byName[name], nil
}

// OutputFormat is the encoding of output records (--output-format, SPEC §2).
type OutputFormat string

// Output formats.
const (
	OutputJSON OutputFormat = "json" // plain JSON with the Avro field names; the default
	OutputAvro OutputFormat = "avro" // Avro single-object encoding
)

// ParseOutputFormat parses an --output-format value.
func ParseOutputFormat(s string) (OutputFormat, error) {
	switch f := OutputFormat(s); f {
	case OutputJSON, OutputAvro:
		return f, nil
	}
	return "", fmt.Errorf("schemas: unknown output format %q (want json or avro)", s)
}

// ContentType is the content-type header value of records in this format.
func (f OutputFormat) ContentType() string {
	if f == OutputAvro {
		return "application/avro"
	}
	return "application/json"
}

// Codec encodes values of one record type in one output format, and decodes
// either format. It is immutable and safe for concurrent use.
type Codec[T any] struct {
	schema   *Schema
	format   OutputFormat
	appendJS func([]byte, *T) ([]byte, error)
	appendAv func([]byte, *T) ([]byte, error) // binary body, no header
	decodeJS func([]byte) (T, error)
	decodeAv func(*avroReader) T
}

// Encode returns v in the codec's output format.
func (c *Codec[T]) Encode(v T) ([]byte, error) { return c.Append(nil, v) }

// Append appends v in the codec's output format to dst and returns the
// extended slice; on error it returns dst unchanged.
func (c *Codec[T]) Append(dst []byte, v T) ([]byte, error) {
	if c.format == OutputAvro {
		out, err := c.appendAv(append(dst, c.schema.header[:]...), &v)
		if err != nil {
			return dst, fmt.Errorf("schemas: encode %s: %w", c.schema.Name, err)
		}
		return out, nil
	}
	out, err := c.appendJS(dst, &v)
	if err != nil {
		return dst, fmt.Errorf("schemas: encode %s: %w", c.schema.Name, err)
	}
	return out, nil
}

// Decode decodes b, written in either output format: Avro single-object
// encoding when it starts with C3 01 (the fingerprint must be this codec's
// schema), else JSON. Empty lists and maps decode as nil. Errors never quote
// the input.
func (c *Codec[T]) Decode(b []byte) (T, error) {
	var zero T
	if isSingleObject(b) {
		if len(b) < soeHeaderLen {
			return zero, fmt.Errorf("schemas: decode %s: short single-object header", c.schema.Name)
		}
		if fp := binary.LittleEndian.Uint64(b[2:]); fp != c.schema.Fingerprint {
			return zero, fmt.Errorf("schemas: decode %s: writer schema is not %s", c.schema.Name, c.schema.HeaderValue())
		}
		r := newAvroReader(b[soeHeaderLen:])
		v := c.decodeAv(r)
		if err := r.finish(); err != nil {
			return zero, fmt.Errorf("schemas: decode %s: %w", c.schema.Name, err)
		}
		return v, nil
	}
	v, err := c.decodeJS(b)
	if err != nil {
		return zero, fmt.Errorf("schemas: decode %s: %w", c.schema.Name, err)
	}
	return v, nil
}

// Schema returns the codec's schema.
func (c *Codec[T]) Schema() *Schema { return c.schema }

// Format returns the codec's output format.
func (c *Codec[T]) Format() OutputFormat { return c.format }

// ContentType is the content-type header value of encoded records.
func (c *Codec[T]) ContentType() string { return c.format.ContentType() }

// SchemaHeader is the sstaudit-schema header value of encoded records, e.g.
// io.sstaudit.AuditRecord/1.
func (c *Codec[T]) SchemaHeader() string { return c.schema.HeaderValue() }

func isSingleObject(b []byte) bool { return len(b) >= 2 && b[0] == 0xC3 && b[1] == 0x01 }

// Codecs holds a codec per record type, all in one output format.
type Codecs struct {
	AuditRecord   *Codec[AuditRecord]
	WindowMetrics *Codec[WindowMetrics]
	Event         *Codec[Event] // canonical events (sstaudit.event)
}

// NewCodecs compiles the embedded schemas and returns codecs writing format f.
// Call it once, at start-up: an error means the binary's schemas are broken
// or f is unknown.
func NewCodecs(f OutputFormat) (*Codecs, error) {
	if _, err := ParseOutputFormat(string(f)); err != nil {
		return nil, err
	}
	r, err := builtin()
	if err != nil {
		return nil, err
	}
	return &Codecs{
		AuditRecord: &Codec[AuditRecord]{
			schema: r.byName[SchemaAuditRecord], format: f,
			appendJS: appendAuditRecordJSON, appendAv: appendAuditRecordAvro,
			decodeJS: decodeAuditRecordJSON, decodeAv: readAuditRecord,
		},
		WindowMetrics: &Codec[WindowMetrics]{
			schema: r.byName[SchemaWindowMetrics], format: f,
			appendJS: appendWindowMetricsJSON, appendAv: appendWindowMetricsAvro,
			decodeJS: decodeWindowMetricsJSON, decodeAv: readWindowMetrics,
		},
		Event: &Codec[Event]{
			schema: r.byName[SchemaEvent], format: f,
			appendJS: appendEventJSON, appendAv: appendEventAvro,
			decodeJS: decodeEventJSONValue, decodeAv: readEvent,
		},
	}, nil
}
