package consumers

import (
	"github.com/segmentio/kafka-go"
)

// DLQReason is the value of the sstaudit-error header and the reason label of
// sstaudit.dlq.records. Decode failures use the decoder's Reason
// (schemas.Reason); these are the reasons the pipeline adds itself.
const (
	ReasonDecodePanic = "decoder_panic" // a decoder bug turned into a DLQ record instead of a crash
)

// dlqMessage builds the dead-letter record for an input that could not be
// decoded: the original key and value untouched, the original headers kept,
// and headers that say why (SPEC §2): sstaudit-error, sstaudit-source and
// sstaudit-format (what was tried).
func dlqMessage(topic string, in *kafka.Message, reason, tried string) kafka.Message {
	hs := make([]kafka.Header, 0, len(in.Headers)+3)
	hs = append(hs, in.Headers...)
	hs = setHeader(hs, HeaderError, reason)
	hs = setHeader(hs, HeaderSource, sourceOf(in))
	hs = setHeader(hs, HeaderFormat, tried)
	return kafka.Message{
		Topic:   topic,
		Key:     in.Key,
		Value:   in.Value,
		Headers: hs,
	}
}
