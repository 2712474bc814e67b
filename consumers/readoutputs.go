package consumers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sstaudit/sstaudit/schemas"
)

// ReadOption configures ReadOutputs.
type ReadOption func(*readConfig)

type readConfig struct {
	onSkip      func(topic string, partition int, offset int64, err error)
	idleTimeout time.Duration
	timeout     time.Duration
}

// WithSkipped calls fn for every record ReadOutputs cannot decode (it skips
// them; by default silently, so pass fn to count or log them). err never
// quotes the record.
func WithSkipped(fn func(topic string, partition int, offset int64, err error)) ReadOption {
	return func(c *readConfig) { c.onSkip = fn }
}

// WithIdleTimeout bounds how long ReadOutputs waits for the next record of a
// partition that has not reached its end offset, overriding the default of
// 15s. The offsets left when it expires hold no readable record (transaction
// markers, compacted gaps), and the partition is done.
func WithIdleTimeout(d time.Duration) ReadOption {
	return func(c *readConfig) {
		if d > 0 {
			c.idleTimeout = d
		}
	}
}

// ReadOutputs reads the findings and metrics topics once, as they are when
// it starts: every partition from its first offset — or, with a non-zero
// since, from the first offset whose record time is at or after since — up
// to the end offset observed at the start. It calls fn for each audit record
// and fm for each window metrics whose record time is in [since, until) (a
// zero bound is open), decoding JSON or Avro single-object encoding alike.
// Partitions are read one after the other and every record is handed over
// as soon as it is decoded, so memory stays bounded by the reader's buffer.
// fn and fm are called from the calling goroutine only. Records that do not
// decode are skipped (see WithSkipped). Outputs are at-least-once: callers
// deduplicate (report.Aggregator does).
func ReadOutputs(ctx context.Context, brokers []string, findingsTopic, metricsTopic string, since, until time.Time,
	fn func(*schemas.AuditRecord), fm func(*schemas.WindowMetrics), opts ...ReadOption) error {
	cfg := readConfig{idleTimeout: 15 * time.Second, timeout: 10 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	codecs, err := schemas.NewCodecs(schemas.OutputJSON)
	if err != nil {
		return err
	}
	decode := map[string]func([]byte) error{
		findingsTopic: func(b []byte) error {
			r, err := codecs.AuditRecord.Decode(b)
			if err == nil && fn != nil {
				fn(&r)
			}
			return err
		},
		metricsTopic: func(b []byte) error {
			m, err := codecs.WindowMetrics.Decode(b)
			if err == nil && fm != nil {
				fm(&m)
			}
			return err
		},
	}
	for _, topic := range []string{findingsTopic, metricsTopic} {
		ranges, err := partitionRanges(ctx, brokers, topic, since, cfg.timeout)
		if err != nil {
			return err
		}
		for _, pr := range ranges {
			if err := readRange(ctx, brokers, topic, pr, since, until, cfg, decode[topic]); err != nil {
				return err
			}
		}
	}
	return nil
}

// offsetRange is the half-open offset range [start, end) of one partition.
type offsetRange struct {
	partition  int
	start, end int64
}

// partitionRanges lists, per partition of topic, where to start (its first
// offset, or the offset of since) and its current end. A missing topic is an
// error.
func partitionRanges(ctx context.Context, brokers []string, topic string, since time.Time, timeout time.Duration) ([]offsetRange, error) {
	adm := newAdmin(brokers, timeout)
	defer adm.close()
	counts, err := adm.partitions(ctx, topic)
	if err != nil {
		return nil, err
	}
	n := counts[topic]
	if n == 0 {
		return nil, fmt.Errorf("consumers: topic %s does not exist", topic)
	}
	// One request per kind: a request naming a partition twice is invalid.
	list := func(req func(p int) kafka.OffsetRequest) (map[int]kafka.PartitionOffsets, error) {
		reqs := make([]kafka.OffsetRequest, n)
		for p := range n {
			reqs[p] = req(p)
		}
		resp, err := adm.client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
		if err != nil {
			return nil, fmt.Errorf("consumers: list offsets of %s: %w", topic, err)
		}
		out := map[int]kafka.PartitionOffsets{}
		for _, po := range resp.Topics[topic] {
			if po.Error != nil {
				return nil, fmt.Errorf("consumers: list offsets of %s/%d: %w", topic, po.Partition, po.Error)
			}
			out[po.Partition] = po
		}
		if len(out) != n {
			return nil, fmt.Errorf("consumers: list offsets of %s: %d of %d partitions answered", topic, len(out), n)
		}
		return out, nil
	}
	first, err := list(kafka.FirstOffsetOf)
	if err != nil {
		return nil, err
	}
	last, err := list(kafka.LastOffsetOf)
	if err != nil {
		return nil, err
	}
	var at map[int]kafka.PartitionOffsets
	if !since.IsZero() {
		if at, err = list(func(p int) kafka.OffsetRequest { return kafka.TimeOffsetOf(p, since) }); err != nil {
			return nil, err
		}
	}
	out := make([]offsetRange, 0, n)
	for p := range n {
		r := offsetRange{partition: p, start: first[p].FirstOffset, end: last[p].LastOffset}
		if at != nil {
			// The broker answers the first offset whose timestamp is at or
			// after since; no such record means nothing to read.
			r.start = r.end
			for off := range at[p].Offsets {
				if off >= 0 {
					r.start = max(off, first[p].FirstOffset)
				}
			}
		}
		if r.start < r.end {
			out = append(out, r)
		}
	}
	return out, nil
}

func readRange(ctx context.Context, brokers []string, topic string, pr offsetRange, since, until time.Time,
	cfg readConfig, decode func([]byte) error) error {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: brokers, Topic: topic, Partition: pr.partition,
		MinBytes: 1, MaxBytes: 4 << 20, MaxWait: 250 * time.Millisecond, QueueCapacity: 64,
	})
	defer r.Close()
	if err := r.SetOffset(pr.start); err != nil {
		return fmt.Errorf("consumers: seek %s/%d to %d: %w", topic, pr.partition, pr.start, err)
	}
	for {
		rctx, cancel := context.WithTimeout(ctx, cfg.idleTimeout)
		m, err := r.ReadMessage(rctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, context.DeadlineExceeded) {
				// Idle below the end offset: the rest is unreadable (markers,
				// gaps) — unless the reader met errors, then the broker is the
				// problem and the data would be partial.
				if st := r.Stats(); st.Errors > 0 {
					return fmt.Errorf("consumers: read %s/%d: stalled at offset %d of %d after %d fetch errors",
						topic, pr.partition, r.Offset(), pr.end, st.Errors)
				}
				return nil
			}
			return fmt.Errorf("consumers: read %s/%d: %w", topic, pr.partition, err)
		}
		if m.Offset >= pr.end {
			return nil
		}
		if (since.IsZero() || !m.Time.Before(since)) && (until.IsZero() || m.Time.Before(until)) {
			if err := decode(m.Value); err != nil && cfg.onSkip != nil {
				cfg.onSkip(topic, pr.partition, m.Offset, err)
			}
		}
		if m.Offset+1 >= pr.end {
			return nil
		}
	}
}
