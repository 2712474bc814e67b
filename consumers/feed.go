package consumers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"
)

// feed fetches one input partition from a given offset into a bounded
// channel. When the channel is full, fetching pauses: a slow task slows its
// consumption instead of buffering without bound.
type feed struct {
	topic     string
	partition int
	reader    *kafka.Reader
	ch        chan kafka.Message
	done      chan struct{}
}

// feedConfig tunes the partition readers.
type feedConfig struct {
	brokers  []string
	depth    int           // channel capacity (messages)
	maxBytes int           // largest fetch response; must exceed the largest message
	maxWait  time.Duration // longest a fetch waits for new data
	logger   *slog.Logger
}

// startFeed starts fetching topic/partition from offset (an absolute offset,
// or kafka.FirstOffset). The feed stops when ctx is cancelled; call close to
// wait for it and release the reader.
func startFeed(ctx context.Context, cfg feedConfig, topic string, partition int, offset int64) (*feed, error) {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:        cfg.brokers,
		Topic:          topic,
		Partition:      partition,
		MinBytes:       1,
		MaxBytes:       cfg.maxBytes,
		MaxWait:        cfg.maxWait,
		QueueCapacity:  cfg.depth,
		ReadBackoffMin: 50 * time.Millisecond,
		ReadBackoffMax: time.Second,
		MaxAttempts:    1 << 30, // keep retrying through broker restarts
	})
	if err := r.SetOffset(offset); err != nil {
		_ = r.Close()
		return nil, err
	}
	f := &feed{topic: topic, partition: partition, reader: r, ch: make(chan kafka.Message, cfg.depth), done: make(chan struct{})}
	go f.run(ctx, cfg.logger)
	return f, nil
}

func (f *feed) run(ctx context.Context, logger *slog.Logger) {
	defer close(f.done)
	backoff := newBackoff(100*time.Millisecond, 5*time.Second)
	for {
		m, err := f.reader.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, io.EOF) {
				return
			}
			d := backoff.next()
			logger.Warn("fetch failed; retrying", "topic", f.topic, "partition", f.partition, "retry_in", d, "error", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
			continue
		}
		backoff.reset()
		select {
		case f.ch <- m:
		case <-ctx.Done():
			return
		}
	}
}

// close waits for the fetch loop (whose context the caller has cancelled)
// and closes the reader.
func (f *feed) close() error {
	<-f.done
	return f.reader.Close()
}
