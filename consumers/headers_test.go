package consumers

import (
	"bytes"
	"testing"

	"github.com/segmentio/kafka-go"
)

func TestHeaderCarrierSetReplaces(t *testing.T) {
	t.Parallel()
	hs := []kafka.Header{{Key: "traceparent", Value: []byte("old")}, {Key: "x", Value: []byte("1")}}
	c := HeaderCarrier{Headers: &hs}
	c.Set("traceparent", "new")
	if got := c.Get("traceparent"); got != "new" {
		t.Fatalf("Get = %q, want new", got)
	}
	n := 0
	for _, h := range hs {
		if h.Key == "traceparent" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d traceparent headers after Set, want 1", n)
	}
	if got := c.Get("missing"); got != "" {
		t.Fatalf("Get(missing) = %q", got)
	}
	if keys := c.Keys(); len(keys) != 2 {
		t.Fatalf("Keys = %v", keys)
	}
}

func TestDLQMessageKeepsInputUntouched(t *testing.T) {
	t.Parallel()
	in := kafka.Message{
		Topic: "tracking.server", Partition: 3, Offset: 42,
		Key: []byte("k1"), Value: []byte("\x00not json\xff"),
		Headers: []kafka.Header{{Key: "traceparent", Value: []byte("00-abc-def-01")}, {Key: HeaderFormat, Value: []byte("meta.capi")}},
	}
	orig := append([]byte(nil), in.Value...)
	out := dlqMessage("audit.dlq", &in, "syntax", "meta.capi")
	if out.Topic != "audit.dlq" || !bytes.Equal(out.Key, in.Key) || !bytes.Equal(out.Value, orig) {
		t.Fatalf("DLQ record changed key or value: %+v", out)
	}
	for key, want := range map[string]string{
		HeaderError: "syntax", HeaderSource: "tracking.server/3/42", HeaderFormat: "meta.capi", "traceparent": "00-abc-def-01",
	} {
		if got := headerValue(out.Headers, key); got != want {
			t.Errorf("header %s = %q, want %q", key, got, want)
		}
	}
	if len(in.Headers) != 2 {
		t.Fatalf("input headers modified: %v", in.Headers)
	}
}
