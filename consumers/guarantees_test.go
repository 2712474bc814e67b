package consumers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sstaudit/sstaudit/consumers/kafkatest"
	"github.com/sstaudit/sstaudit/processors/join"
	"github.com/sstaudit/sstaudit/schemas/synth"
)

// runPipelineBG runs a pipeline in the background; stop cancels it and
// waits, failing the test if Run returned an error.
func runPipelineBG(t *testing.T, cfg Config) (*Pipeline, func()) {
	t.Helper()
	p, err := New(cfg, join.Checks{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(60 * time.Second):
				t.Error("Run did not return within 60s of cancel")
			}
		})
	}
	t.Cleanup(stop)
	return p, stop
}

// generateAsync writes synthetic traffic with a synthetic clock in the
// background; wait returns the truth.
func generateAsync(t *testing.T, ctx context.Context, brokers []string, names map[string]string, partitions int, conversions int64, rate float64, seed uint64, mix synth.Mix) (wait func() *synth.Truth) {
	t.Helper()
	type res struct {
		truth *synth.Truth
		err   error
	}
	c := make(chan res, 1)
	go func() {
		truth, err := Generate(ctx, GenerateConfig{
			Brokers: brokers, ClientTopic: names["client"], ServerTopic: names["server"], Partitions: partitions,
			Conversions: conversions, Rate: rate, Synth: synth.Config{Seed: seed, Mix: mix, Clock: syntheticClock(5 * time.Millisecond)},
		})
		c <- res{truth, err}
	}()
	return func() *synth.Truth {
		t.Helper()
		r := <-c
		if r.err != nil {
			t.Fatalf("generate: %v", r.err)
		}
		return r.truth
	}
}

// TestIntegrationPoisonToDLQ interleaves every kind of undecodable input
// with generated traffic: each poison message must reach the DLQ untouched
// (key, value, original headers) with its reason, while the good traffic's
// totals stay exact and the pipeline keeps running.
func TestIntegrationPoisonToDLQ(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	const partitions = 3
	names := scenarioNames(t)
	kafkatest.CreateTopics(t, brokers, partitions, names["client"], names["server"])
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	const maxBytes = 64 << 10
	kinds := []struct {
		name, reason string
		value        []byte
		headers      []kafka.Header
	}{
		{"garbage", "syntax", []byte("\x00\x01\x02\xff\xfe garbage \x80\x81\x00"), nil},
		{"invalid-utf8", "syntax", []byte("\xff\xfe\xfd\xfc\xc3\x28\xa0\xa1"), nil},
		{"huge", "too_large", []byte(`{"data":[{"event_name":"` + strings.Repeat("A", maxBytes+1000) + `"}]}`), nil},
		{"deep-array", "too_deep", []byte(strings.Repeat("[", 5000) + strings.Repeat("]", 5000)), nil},
		{"deep-object", "too_deep", []byte(strings.Repeat(`{"a":`, 3000) + "1" + strings.Repeat("}", 3000)), nil},
		{"wrong-shape", "unknown_shape", []byte(`{"data":"not an array"}`), nil},
		{"json-array", "unknown_shape", []byte(`[1,2,3]`), nil},
		{"bare-number", "syntax", []byte(`12345`), nil},
		{"no-events", "no_events", []byte(`{"data":[]}`), nil},
		{"empty", "empty", []byte{}, nil},
		{"whitespace", "empty", []byte(" \n\t "), nil},
		{"nil", "empty", nil, nil},
		{"unknown-format", "unknown_format", []byte(`{"event_name":"Purchase"}`), []kafka.Header{{Key: HeaderFormat, Value: []byte("bogus.format")}}},
	}

	wait := generateAsync(t, ctx, brokers, names, partitions, 2000, 500, 21, synth.DefaultMix)
	// Interleave: a round of every kind on both inputs every 300ms while the
	// generator writes.
	w := newWriter(brokers)
	defer w.Close()
	type planted struct {
		reason  string
		value   []byte
		headers []kafka.Header
	}
	poison := map[string]planted{}
	for round := range 4 {
		var msgs []kafka.Message
		for _, k := range kinds {
			for _, topic := range []string{names["client"], names["server"]} {
				key := fmt.Sprintf("junk-%s-%d-%s", k.name, round, topic[:6])
				msgs = append(msgs, kafka.Message{Topic: topic, Key: []byte(key), Value: k.value, Headers: k.headers})
				poison[key] = planted{k.reason, k.value, k.headers}
			}
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			t.Fatalf("write poison: %v", err)
		}
		time.Sleep(300 * time.Millisecond)
	}

	cfg := fastConfig(t, brokers, names)
	cfg.Decode.MaxBytes = maxBytes
	p, stop := runPipelineBG(t, cfg)
	truth := wait()
	want := *truth
	want.Poison += int64(len(poison))
	got := waitComplete(t, ctx, brokers, names, &want, 2*time.Minute)
	if ok, why := p.Ready(); !ok {
		t.Errorf("not ready after poison: %s", why)
	}
	stop()

	checkAgainstTruth(t, got, &want)
	found := 0
	for src, d := range got.dlq {
		pl, ok := poison[string(d.key)]
		if !ok {
			continue // the generator's own poison
		}
		found++
		if d.reason != pl.reason {
			t.Errorf("%s (%s): sstaudit-error %q, want %q", d.key, src, d.reason, pl.reason)
		}
		if !bytes.Equal(d.value, pl.value) {
			t.Errorf("%s: DLQ value changed (%d bytes, sent %d)", d.key, len(d.value), len(pl.value))
		}
		if d.tried == "" {
			t.Errorf("%s: no sstaudit-format header", d.key)
		}
	}
	if found != len(poison) {
		t.Errorf("%d of %d poison messages in the DLQ", found, len(poison))
	}
	t.Logf("%d poison messages of %d kinds and %d generated poison in the DLQ; %d conversions' totals exact; %d DLQ records read",
		found, len(kinds), truth.Poison, truth.Conversions, got.records[2])
}

// TestIntegrationCommitFailureRecovers fails every state commit of one
// partition for a while, as a full disk would: the task must stop, the
// pipeline report not ready, then resume when commits succeed again —
// catching up from the changelog, which is ahead of the failed store — with
// exact totals.
func TestIntegrationCommitFailureRecovers(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	const partitions = 3
	names := scenarioNames(t)
	kafkatest.CreateTopics(t, brokers, partitions, names["client"], names["server"])
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	wait := generateAsync(t, ctx, brokers, names, partitions, 3000, 300, 31, synth.DefaultMix)

	cfg := fastConfig(t, brokers, names)
	p, err := New(cfg, join.Checks{})
	if err != nil {
		t.Fatal(err)
	}
	var failing atomic.Bool
	var failed atomic.Int64
	p.commitHook = func(part int) error {
		if part == 1 && failing.Load() {
			failed.Add(1)
			return errors.New("write /state/000042.vlog: no space left on device")
		}
		return nil
	}
	runPipeline(t, p)

	waitFor(t, 60*time.Second, "the task to commit", func() bool { return p.Stats().Commits.Load() > 3 })
	failing.Store(true)
	waitFor(t, 30*time.Second, "not ready while commits fail", func() bool {
		ok, why := p.Ready()
		return !ok && strings.Contains(why, "task-1")
	})
	time.Sleep(3 * time.Second)
	failing.Store(false)
	waitFor(t, 60*time.Second, "ready again", func() bool { ok, _ := p.Ready(); return ok })
	truth := wait()
	got := waitComplete(t, ctx, brokers, names, truth, 2*time.Minute)
	checkAgainstTruth(t, got, truth)
	if p.Stats().Restored.Load() == 0 {
		t.Error("the failed store did not catch up from the changelog")
	}
	t.Logf("%d failed commits; %d changelog records re-applied on recovery; totals exact over %d conversions",
		failed.Load(), p.Stats().Restored.Load(), truth.Conversions)
}

// TestIntegrationUnwritableStateDir starts with a state directory that
// cannot be created (a file in its place): no task can open its store, the
// pipeline is not ready and retries; once the path is usable it runs, with
// exact totals.
func TestIntegrationUnwritableStateDir(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	const partitions = 2
	names := scenarioNames(t)
	kafkatest.CreateTopics(t, brokers, partitions, names["client"], names["server"])
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	truth := generateAsync(t, ctx, brokers, names, partitions, 1500, 0, 41, synth.DefaultMix)()

	cfg := fastConfig(t, brokers, names)
	blocker := filepath.Join(cfg.StateDir, cfg.Group)
	if err := os.WriteFile(blocker, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, stop := runPipelineBG(t, cfg)
	waitFor(t, 60*time.Second, "not ready: state dir unusable", func() bool {
		ok, why := p.Ready()
		return !ok && strings.Contains(why, "task-")
	})
	time.Sleep(2 * time.Second)
	if n := p.Stats().Consumed.Load(); n != 0 {
		t.Fatalf("consumed %d messages without a store", n)
	}
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	got := waitComplete(t, ctx, brokers, names, truth, 2*time.Minute)
	waitFor(t, 30*time.Second, "ready once the state dir is usable", func() bool { ok, _ := p.Ready(); return ok })
	stop()
	checkAgainstTruth(t, got, truth)
}

// TestIntegrationBackpressure throttles the output side: consumption must
// follow the throttled rate, with what is fetched but not applied bounded by
// the feed queues, and memory flat.
func TestIntegrationBackpressure(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	const partitions = 2
	names := scenarioNames(t)
	kafkatest.CreateTopics(t, brokers, partitions, names["client"], names["server"])
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	truth := generateAsync(t, ctx, brokers, names, partitions, 4000, 0, 51, synth.Mix{})()

	cfg := fastConfig(t, brokers, names)
	cfg.BatchSize = 50
	cfg.QueueDepth = 64
	p, err := New(cfg, join.Checks{})
	if err != nil {
		t.Fatal(err)
	}
	var throttle atomic.Bool
	throttle.Store(true)
	var calls atomic.Int64
	p.produceHook = func(ctx context.Context, _ int) {
		calls.Add(1)
		if throttle.Load() {
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	runPipeline(t, p)
	waitFor(t, 60*time.Second, "consumption to start", func() bool { return p.Stats().Consumed.Load() > 0 })
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	heap0 := ms.HeapAlloc
	start, c0 := time.Now(), p.Stats().Consumed.Load()
	time.Sleep(6 * time.Second)
	elapsed, consumed := time.Since(start), p.Stats().Consumed.Load()-c0
	runtime.GC()
	runtime.ReadMemStats(&ms)
	// Each flush makes at least one throttled write (the changelog; the
	// outputs too when there are any): per partition at most one batch per
	// 100ms gets through.
	limit := int64(partitions) * int64(cfg.BatchSize) * (int64(elapsed/(100*time.Millisecond)) + 2)
	if consumed > limit {
		t.Errorf("consumed %d messages in %s under a throttled output; at most %d can have been applied", consumed, elapsed, limit)
	}
	if consumed == 0 {
		t.Error("no progress while throttled")
	}
	total := truth.Messages["client"] + truth.Messages["server"]
	if p.Stats().Consumed.Load() >= total {
		t.Fatalf("the whole input (%d) was consumed while throttled: the test shows nothing", total)
	}
	if grow := int64(ms.HeapAlloc) - int64(heap0); grow > 64<<20 {
		t.Errorf("heap grew by %d MiB while throttled", grow>>20)
	}
	throttle.Store(false)
	got := waitComplete(t, ctx, brokers, names, truth, 3*time.Minute)
	checkAgainstTruth(t, got, truth)
	t.Logf("throttled: %d of %d messages applied in %s (limit %d), heap %d→%d MiB; unthrottled it finished exact",
		consumed, total, elapsed.Round(time.Millisecond), limit, heap0>>20, ms.HeapAlloc>>20)
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
