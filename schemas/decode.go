package schemas

import (
	"errors"
	"fmt"
)

// Reason classifies why a message could not be decoded. Reasons form a short
// fixed list so they can label metrics and DLQ headers without unbounded
// cardinality.
type Reason string

// Decode failure reasons.
const (
	ReasonTooLarge      Reason = "too_large"       // over MaxBytes
	ReasonEmpty         Reason = "empty"           // no bytes, or only whitespace
	ReasonSyntax        Reason = "syntax"          // not JSON, not a query string, not Avro
	ReasonUnknownShape  Reason = "unknown_shape"   // well-formed, but no known format
	ReasonSchema        Reason = "schema"          // a known format with the wrong structure (e.g. "data" not an array)
	ReasonTooDeep       Reason = "too_deep"        // nesting beyond MaxDepth
	ReasonTooManyEvents Reason = "too_many_events" // a batch beyond MaxBatch
	ReasonUnknownFormat Reason = "unknown_format"  // the sstaudit-format header names no known format
	ReasonNoEvents      Reason = "no_events"       // a batch that holds no event at all
)

// DecodeError reports a message that is not decodable at all. It goes to the
// DLQ with Reason as sstaudit-error and Tried as sstaudit-format.
type DecodeError struct {
	Reason Reason
	Tried  string // the format(s) tried, e.g. "meta.capi" or "detect"
	Err    error  // detail; never contains payload values
}

func (e *DecodeError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("schemas: decode %s: %s: %v", e.Tried, e.Reason, e.Err)
	}
	return fmt.Sprintf("schemas: decode %s: %s", e.Tried, e.Reason)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// ReasonOf returns the Reason of a *DecodeError in err's chain, or "".
func ReasonOf(err error) Reason {
	var de *DecodeError
	if errors.As(err, &de) {
		return de.Reason
	}
	return ""
}

func decodeErr(f Format, r Reason, format string, args ...any) error {
	var err error
	if format != "" {
		err = fmt.Errorf(format, args...)
	}
	return &DecodeError{Reason: r, Tried: string(f), Err: err}
}

// Defaults for DecodeOptions.
const (
	DefaultMaxBytes           = 1 << 20 // SPEC §3 --max-message-bytes
	DefaultMaxDepth           = 32
	DefaultMaxBatch           = 1000 // CAPI's own request limit
	DefaultSchemaVersionParam = "cx_schema_version"
)

// DecodeOptions tune decoding. The zero value is usable: zero fields take the
// defaults above.
type DecodeOptions struct {
	MaxBytes int // messages larger than this are ReasonTooLarge
	MaxDepth int // JSON nesting deeper than this is ReasonTooDeep
	MaxBatch int // batches with more events are ReasonTooManyEvents
	// SchemaVersionParam is the custom param that carries the house schema version.
	SchemaVersionParam string
	// FallbackKeys lists, per destination, the params used as join key when
	// event_id is absent, and the event names they apply to (lower-cased
	// comparison). Nil means the default: ga4 purchase → transaction_id.
	FallbackKeys map[Destination][]FallbackKey
}

// FallbackKey is a param used as join key when event_id is absent.
type FallbackKey struct {
	Param  string   // e.g. transaction_id
	Events []string // event names it applies to; empty = every event
}

func (o DecodeOptions) withDefaults() DecodeOptions {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	if o.SchemaVersionParam == "" {
		o.SchemaVersionParam = DefaultSchemaVersionParam
	}
	if o.FallbackKeys == nil {
		o.FallbackKeys = map[Destination][]FallbackKey{
			DestinationGA4: {{Param: "transaction_id", Events: []string{"purchase"}}},
		}
	}
	return o
}

// Message is one Kafka message to decode: its value as sent, the relevant
// headers, and where it came from.
type Message struct {
	Value []byte
	// Format is the sstaudit-format header ("" when absent): it wins over detection.
	Format string
	// Destination is the sstaudit-destination header ("" when absent); it
	// overrides the default destination of sgtm.event (and fills in for
	// sstaudit.event when the event does not say).
	Destination string
	// Side is the side the message's topic carries (client or server topic).
	Side        Side
	Source      Source // Kafka coordinates; BatchIndex/BatchSize are set per event
	TraceParent string
}
