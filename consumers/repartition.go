package consumers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sstaudit/sstaudit/schemas"
)

// The repartition stage (--repartition) lets producers key their input
// however they like: it decodes every input message, and writes each event
// as a canonical event (Avro single-object encoding) to
// <group>.repartition.client or .server, keyed by destination/join key with
// the murmur2 partitioner, so both copies of a conversion meet in the same
// partition. Undecodable input goes to the DLQ here. Each event keeps the
// Kafka coordinates and record time of the message it came from, so the
// join's redelivery detection and stream time see the original input.
//
// The stage is at-least-once: input offsets are committed after the events
// are acknowledged. A re-sent event carries the same original coordinates,
// so the join treats it as a redelivery while its group is open.

// repartitionKey is the Kafka key of a repartitioned event.
func repartitionKey(ev *schemas.Event) []byte {
	if ev.JoinKey != "" {
		return []byte(string(ev.Destination) + "/" + ev.JoinKey)
	}
	// Unjoinable: any partition will do; keep it stable for a given input.
	return []byte(ev.Source.Topic + "/" + strconv.Itoa(int(ev.Source.Partition)) + "/" +
		strconv.FormatInt(ev.Source.Offset, 10) + "/" + strconv.Itoa(int(ev.Source.BatchIndex)))
}

func (p *Pipeline) runRepartition(ctx context.Context) error {
	avro, err := schemas.NewCodecs(schemas.OutputAvro)
	if err != nil {
		return err
	}
	clientOut, serverOut := p.cfg.joinTopics()
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:           p.cfg.Brokers,
		GroupID:           p.cfg.Group + ".repartitioner",
		GroupTopics:       []string{p.cfg.ClientTopic, p.cfg.ServerTopic},
		MinBytes:          1,
		MaxBytes:          max(p.cfg.Decode.MaxBytes, schemas.DefaultMaxBytes) + 1<<20,
		MaxWait:           250 * time.Millisecond,
		QueueCapacity:     p.cfg.QueueDepth,
		SessionTimeout:    p.cfg.SessionTimeout,
		HeartbeatInterval: max(p.cfg.SessionTimeout/10, 100*time.Millisecond),
		StartOffset:       kafka.FirstOffset,
		CommitInterval:    0, // commits are explicit, after the writes are acknowledged
		Logger:            kafkaLogger(p.log, -8),
		ErrorLogger:       kafkaLogger(p.log, -8),
	})
	defer r.Close()

	var (
		batch []kafka.Message
		out   []kafka.Message
	)
	for {
		batch, out = batch[:0], out[:0]
		m, err := r.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("consumers: repartition fetch: %w", err)
		}
		batch = append(batch, m)
		// Take what is already buffered, up to a batch, without waiting long.
		fctx, cancel := context.WithTimeout(ctx, p.cfg.BatchLinger)
		for len(batch) < p.cfg.BatchSize {
			m, err := r.FetchMessage(fctx)
			if err != nil {
				break
			}
			batch = append(batch, m)
		}
		cancel()
		for i := range batch {
			m := &batch[i]
			p.tel.consumedTopic(m.Topic)
			side := 0
			if m.Topic == p.cfg.ServerTopic {
				side = 1
			}
			evs, err := p.decodeInput(m, side)
			if err != nil {
				out = append(out, p.dlqFor(m, err))
				p.stats.DLQ.Add(1)
				p.tel.decodeError(err)
				continue
			}
			for j := range evs {
				ev := &evs[j]
				v, err := avro.Event.Encode(*ev)
				if err != nil {
					return fmt.Errorf("consumers: repartition encode: %w", err)
				}
				topic := clientOut
				if ev.Side == schemas.SideServer {
					topic = serverOut
				}
				hs := []kafka.Header{
					{Key: HeaderFormat, Value: []byte(schemas.FormatCanonical)},
					{Key: HeaderContentType, Value: []byte(schemas.OutputAvro.ContentType())},
				}
				if ev.TraceParent != "" {
					hs = append(hs, kafka.Header{Key: HeaderTraceParent, Value: []byte(ev.TraceParent)})
				}
				out = append(out, kafka.Message{Topic: topic, Key: repartitionKey(ev), Value: v, Headers: hs, Time: m.Time})
			}
		}
		if err := p.produce(ctx, out); err != nil {
			return err
		}
		if err := r.CommitMessages(context.WithoutCancel(ctx), batch...); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("consumers: repartition commit: %w", err)
		}
	}
}

// dlqFor builds the DLQ record for an input whose decoding failed.
func (p *Pipeline) dlqFor(m *kafka.Message, err error) kafka.Message {
	reason, tried := string(schemas.ReasonOf(err)), "detect"
	var de *schemas.DecodeError
	if errors.As(err, &de) {
		tried = de.Tried
	}
	if reason == "" {
		reason = ReasonDecodePanic
	}
	return dlqMessage(p.cfg.DLQTopic, m, reason, tried)
}
