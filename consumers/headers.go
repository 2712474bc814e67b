package consumers

import (
	"strconv"

	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel/propagation"
)

// Header names sstaudit reads and writes.
const (
	HeaderFormat      = "sstaudit-format"      // input: the message's format; DLQ: what was tried
	HeaderDestination = "sstaudit-destination" // input: the destination of an sgtm.event
	HeaderError       = "sstaudit-error"       // DLQ: short reason
	HeaderSource      = "sstaudit-source"      // DLQ: topic/partition/offset of the input
	HeaderContentType = "content-type"         // outputs: application/json or application/avro
	HeaderSchema      = "sstaudit-schema"      // outputs: schema name and version
	HeaderTraceParent = "traceparent"          // W3C trace context
)

// headerValue returns the value of the last header named key, or "".
func headerValue(hs []kafka.Header, key string) string {
	for i := len(hs) - 1; i >= 0; i-- {
		if hs[i].Key == key {
			return string(hs[i].Value)
		}
	}
	return ""
}

// setHeader replaces every header named key with one holding value.
func setHeader(hs []kafka.Header, key, value string) []kafka.Header {
	out := hs[:0:0]
	for _, h := range hs {
		if h.Key != key {
			out = append(out, h)
		}
	}
	return append(out, kafka.Header{Key: key, Value: []byte(value)})
}

// HeaderCarrier adapts Kafka record headers to OpenTelemetry's
// propagation.TextMapCarrier, so trace context rides in the record. Set
// replaces an existing header of the same key rather than appending a second
// one, which would leave the reader to guess which is current.
type HeaderCarrier struct {
	Headers *[]kafka.Header
}

var _ propagation.TextMapCarrier = HeaderCarrier{}

// Get returns the value of the header key, or "".
func (c HeaderCarrier) Get(key string) string { return headerValue(*c.Headers, key) }

// Set replaces the header key with value.
func (c HeaderCarrier) Set(key, value string) { *c.Headers = setHeader(*c.Headers, key, value) }

// Keys lists the header keys.
func (c HeaderCarrier) Keys() []string {
	keys := make([]string, 0, len(*c.Headers))
	for _, h := range *c.Headers {
		keys = append(keys, h.Key)
	}
	return keys
}

// sourceOf formats a message's coordinates as topic/partition/offset.
func sourceOf(m *kafka.Message) string {
	return m.Topic + "/" + strconv.Itoa(m.Partition) + "/" + strconv.FormatInt(m.Offset, 10)
}
