package consumers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sstaudit/sstaudit/schemas/synth"
)

// GenerateConfig configures Generate.
type GenerateConfig struct {
	Brokers     []string
	ClientTopic string
	ServerTopic string
	// Partitions is used to create the input topics when they are missing.
	Partitions int
	// Rate is conversions per second; 0 writes as fast as the broker takes them.
	Rate float64
	// Stop after Conversions conversions, or after Duration, whichever is set
	// (at least one must be).
	Conversions int64
	Duration    time.Duration
	Synth       synth.Config
	Logger      *slog.Logger
}

// isTransient reports whether a write error may clear on retry.
func isTransient(err error) bool {
	var ke kafka.Error
	if errors.As(err, &ke) {
		return ke.Temporary()
	}
	var we kafka.WriteErrors
	if errors.As(err, &we) {
		for _, e := range we {
			if e != nil && !isTransient(e) {
				return false
			}
		}
		return true
	}
	return !errors.Is(err, context.Canceled)
}

// Generate writes synthetic traffic (package synth) to the input topics and
// returns the ground truth it planted. Records keep the generator's record
// times; keys go through the Java-compatible murmur2 partitioner, so in the
// default (unbatched) mode both copies of a conversion land in the same
// partition, as the join requires.
func Generate(ctx context.Context, cfg GenerateConfig) (*synth.Truth, error) {
	if cfg.Conversions <= 0 && cfg.Duration <= 0 {
		return nil, errors.New("consumers: generate needs a number of events or a duration")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	g, err := synth.New(cfg.Synth)
	if err != nil {
		return nil, err
	}
	adm := newAdmin(cfg.Brokers, 10*time.Second)
	defer adm.close()
	if err := adm.ensureTopics(ctx, []TopicSpec{
		{Name: cfg.ClientTopic, Partitions: max(cfg.Partitions, 1)},
		{Name: cfg.ServerTopic, Partitions: max(cfg.Partitions, 1)},
	}); err != nil {
		return nil, err
	}
	w := newWriter(cfg.Brokers)
	w.BatchTimeout = 10 * time.Millisecond
	defer closeWriter(w)

	const chunk = 500
	buf := make([]kafka.Message, 0, chunk+8)
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		// Retry transient broker errors (a leader moving, metadata not yet
		// showing a new topic) with backoff, for a bounded time.
		bo := newBackoff(100*time.Millisecond, 2*time.Second)
		deadline := time.Now().Add(time.Minute)
		for {
			err := w.WriteMessages(ctx, buf...)
			if err == nil {
				break
			}
			if ctx.Err() != nil || time.Now().After(deadline) || !isTransient(err) {
				return fmt.Errorf("consumers: generate: %w", err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(bo.next()):
			}
		}
		buf = buf[:0]
		return nil
	}
	add := func(recs []synth.Record) {
		for _, r := range recs {
			topic := cfg.ClientTopic
			if r.Side == "server" {
				topic = cfg.ServerTopic
			}
			m := kafka.Message{Topic: topic, Key: r.Key, Value: r.Value, Time: r.Time}
			if r.Header {
				m.Headers = []kafka.Header{{Key: HeaderFormat, Value: []byte(r.Format)}}
			}
			buf = append(buf, m)
		}
	}

	start := time.Now()
	var deadline time.Time
	if cfg.Duration > 0 {
		deadline = start.Add(cfg.Duration)
	}
	for n := int64(0); cfg.Conversions <= 0 || n < cfg.Conversions; n++ {
		if !deadline.IsZero() && time.Now().After(deadline) {
			break
		}
		if cfg.Rate > 0 {
			due := start.Add(time.Duration(float64(n) / cfg.Rate * float64(time.Second)))
			if wait := time.Until(due); wait > 0 {
				if err := flush(); err != nil {
					return g.Truth(), err
				}
				select {
				case <-ctx.Done():
					return g.Truth(), ctx.Err()
				case <-time.After(wait):
				}
			}
		}
		add(g.Next())
		if len(buf) >= chunk {
			if err := flush(); err != nil {
				return g.Truth(), err
			}
		}
		if ctx.Err() != nil {
			return g.Truth(), ctx.Err()
		}
	}
	add(g.Flush())
	if err := flush(); err != nil {
		return g.Truth(), err
	}
	t := g.Truth()
	cfg.Logger.Info("generated", "conversions", t.Conversions, "client_messages", t.Messages["client"],
		"server_messages", t.Messages["server"], "poison", t.Poison, "elapsed", time.Since(start).Round(time.Millisecond))
	return t, nil
}
