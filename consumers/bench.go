package consumers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sstaudit/sstaudit/processors/join"
	"github.com/sstaudit/sstaudit/schemas"
	"github.com/sstaudit/sstaudit/schemas/synth"
	"github.com/sstaudit/sstaudit/state"
)

// BenchConfig configures Bench, the end-to-end benchmark of SPEC §12: the
// pipeline against a raw passthrough over the same broker, scenario and
// kafka-go client settings.
type BenchConfig struct {
	Brokers []string
	// Events is the approximate number of input messages of the throughput
	// scenario (synth's default mix, unbatched, co-partitioned by key).
	Events     int64
	Partitions int
	Seed       uint64
	// Runs repeats the raw and pipeline measurements; the report gives
	// every run and the medians.
	Runs int
	// WorkDir holds the state directories of the runs and the scenario
	// cache (the truth of the scenario topics, so a second invocation with
	// the same seed, events and partitions reuses them).
	WorkDir string
	// Prefix starts every topic and group name the benchmark creates.
	Prefix string
	// LatencyDuration is how long pairs are produced at a controlled rate
	// for the latency figure; 0 skips it.
	LatencyDuration time.Duration
	// LatencyRate is the input messages/s of the latency phase; 0 means half
	// the median pipeline throughput measured just before.
	LatencyRate float64
	// KeepTopics keeps the scenario topics for the next invocation (the
	// outputs of each run are always deleted).
	KeepTopics bool
	Checks     join.Checks
	Decode     schemas.DecodeOptions
	Logger     *slog.Logger
	// Progress, when set, receives one line per step.
	Progress func(string)
}

// PhaseResult is one measured phase.
type PhaseResult struct {
	Messages int64         // input messages consumed
	Elapsed  time.Duration // first input consumed → last input consumed
	PeakRSS  int64         // VmHWM during the phase, bytes (0 if unknown)
	// CPU is the process's user+system CPU time over the phase: on a shared
	// machine CPU per message is steadier than wall-clock rates.
	CPU time.Duration
}

// CPUPerMessage is the process CPU time per input message.
func (r PhaseResult) CPUPerMessage() time.Duration {
	if r.Messages == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Messages)
}

// cpuTime returns the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Rate is input messages per second.
func (r PhaseResult) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Messages) / r.Elapsed.Seconds()
}

// BenchRun is one raw + pipeline pair of measurements.
type BenchRun struct {
	Raw, Pipeline PhaseResult
	// StateBytes is the size of the pipeline's state directories after the
	// run (stores closed, memtables flushed).
	StateBytes int64
}

// LatencyResult is the latency phase's figure: matched record append time −
// the later input's append time (both broker LogAppendTime).
type LatencyResult struct {
	Rate          float64 // input messages/s asked for
	Achieved      float64 // input messages/s produced
	Messages      int64
	Matched       int
	P50, P99, Max time.Duration
}

// BenchReport is Bench's result.
type BenchReport struct {
	Messages    int64 // input messages of the scenario
	Events      int64 // decodable events in them
	Conversions int64
	OpenGroups  int64 // join groups open at the end of a run (all: the scenario spans less than the match window)
	Partitions  int
	Reused      bool // the scenario topics were reused from an earlier invocation
	Runs        []BenchRun
	Latency     *LatencyResult
	LoadStart   string // /proc/loadavg at the start and the end
	LoadEnd     string
}

// Median returns the median of f over the runs.
func (r *BenchReport) Median(f func(BenchRun) float64) float64 {
	vs := make([]float64, len(r.Runs))
	for i, run := range r.Runs {
		vs[i] = f(run)
	}
	return median(vs)
}

func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	vs = slices.Clone(vs)
	slices.Sort(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2]
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
}

// EventsPerMessage is the scenario's decodable events per input message.
func (r *BenchReport) EventsPerMessage() float64 {
	if r.Messages == 0 {
		return 0
	}
	return float64(r.Events) / float64(r.Messages)
}

func (c *BenchConfig) progress(format string, args ...any) {
	if c.Progress != nil {
		c.Progress(fmt.Sprintf(format, args...))
	}
}

// Bench produces the scenario (or reuses it), then runs the raw passthrough
// and the pipeline cfg.Runs times each, and finally the latency phase.
func Bench(ctx context.Context, cfg BenchConfig) (*BenchReport, error) {
	if cfg.Events <= 0 || cfg.Partitions < 1 || cfg.Runs < 1 {
		return nil, errors.New("consumers: bench needs events, partitions and runs")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.WorkDir, 0o755); err != nil {
		return nil, err
	}
	rep := &BenchReport{Partitions: cfg.Partitions, LoadStart: loadAvg()}
	base := fmt.Sprintf("%s.s%d.e%d.p%d", cfg.Prefix, cfg.Seed, cfg.Events, cfg.Partitions)
	clientTopic, serverTopic := base+".client", base+".server"
	truth, reused, err := benchScenario(ctx, &cfg, clientTopic, serverTopic, filepath.Join(cfg.WorkDir, base+".truth.json"))
	if err != nil {
		return nil, err
	}
	rep.Reused = reused
	rep.Conversions = truth.Conversions
	rep.Events = truth.Events["client"] + truth.Events["server"]
	rep.OpenGroups = truth.Conversions - truth.Faults["missing_ids"]
	if !cfg.KeepTopics {
		defer deleteTopics(context.WithoutCancel(ctx), cfg.Brokers, clientTopic, serverTopic)
	}
	ends, err := topicEnds(ctx, cfg.Brokers, cfg.Partitions, clientTopic, serverTopic)
	if err != nil {
		return nil, err
	}
	for _, e := range ends {
		rep.Messages += e[0] + e[1]
	}
	cfg.progress("scenario: %d input messages, %d events, %d conversions (reused: %v)", rep.Messages, rep.Events, rep.Conversions, reused)

	stamp := strconv.FormatInt(time.Now().UnixNano(), 36)
	for run := range cfg.Runs {
		id := fmt.Sprintf("%s.%s.r%d", cfg.Prefix, stamp, run)
		raw, err := benchRaw(ctx, &cfg, clientTopic, serverTopic, ends, id+".raw")
		if err != nil {
			return nil, err
		}
		cfg.progress("run %d raw passthrough: %d messages in %s = %.0f msg/s, CPU %s/msg, peak RSS %d MiB", run+1, raw.Messages, raw.Elapsed.Round(time.Millisecond), raw.Rate(), raw.CPUPerMessage(), raw.PeakRSS>>20)
		pl, stateBytes, err := benchPipeline(ctx, &cfg, clientTopic, serverTopic, rep.Messages, id)
		if err != nil {
			return nil, err
		}
		cfg.progress("run %d pipeline: %d messages in %s = %.0f msg/s, CPU %s/msg, peak RSS %d MiB, state %d MiB", run+1, pl.Messages, pl.Elapsed.Round(time.Millisecond), pl.Rate(), pl.CPUPerMessage(), pl.PeakRSS>>20, stateBytes>>20)
		rep.Runs = append(rep.Runs, BenchRun{Raw: raw, Pipeline: pl, StateBytes: stateBytes})
	}
	if cfg.LatencyDuration > 0 {
		rate := cfg.LatencyRate
		if rate <= 0 {
			rate = rep.Median(func(r BenchRun) float64 { return r.Pipeline.Rate() }) / 2
		}
		lat, err := benchLatency(ctx, &cfg, rate, fmt.Sprintf("%s.%s.lat", cfg.Prefix, stamp))
		if err != nil {
			return nil, err
		}
		rep.Latency = lat
		cfg.progress("latency at %.0f msg/s (achieved %.0f): %d matched, p50 %s, p99 %s, max %s", lat.Rate, lat.Achieved, lat.Matched, lat.P50, lat.P99, lat.Max)
	}
	rep.LoadEnd = loadAvg()
	return rep, nil
}

// benchScenario writes the throughput scenario to fresh topics with broker
// append times, or reuses topics a previous invocation wrote with the same
// name (its truth file says they are complete).
func benchScenario(ctx context.Context, cfg *BenchConfig, clientTopic, serverTopic, truthFile string) (*synth.Truth, bool, error) {
	if b, err := os.ReadFile(truthFile); err == nil {
		var t synth.Truth
		if json.Unmarshal(b, &t) == nil {
			ends, err := topicEnds(ctx, cfg.Brokers, cfg.Partitions, clientTopic, serverTopic)
			var n int64
			for _, e := range ends {
				n += e[0] + e[1]
			}
			if err == nil && n == t.Messages["client"]+t.Messages["server"] {
				return &t, true, nil
			}
		}
	}
	deleteTopics(ctx, cfg.Brokers, clientTopic, serverTopic)
	if err := createLogAppendTopics(ctx, cfg.Brokers, cfg.Partitions, clientTopic, serverTopic); err != nil {
		return nil, false, err
	}
	cfg.progress("producing the scenario: about %d messages to %s, %s", cfg.Events, clientTopic, serverTopic)
	start := time.Now()
	g, err := synth.New(synth.Config{Seed: cfg.Seed, Mix: synth.DefaultMix})
	if err != nil {
		return nil, false, err
	}
	w := newWriter(cfg.Brokers)
	w.Transport = &kafka.Transport{}
	w.BatchTimeout = 10 * time.Millisecond
	defer w.Close()
	// Encoding (synth) and writing overlap: a producer goroutine encodes
	// chunks while the writer waits for acknowledgements.
	chunks := make(chan []kafka.Message, 4)
	errc := make(chan error, 1)
	go func() {
		defer close(chunks)
		var sent int64
		for sent < cfg.Events && ctx.Err() == nil {
			buf := make([]kafka.Message, 0, 2100)
			for len(buf) < 2000 {
				for _, r := range g.Next() {
					buf = append(buf, benchMessage(r, clientTopic, serverTopic))
				}
			}
			sent += int64(len(buf))
			chunks <- buf
		}
		var buf []kafka.Message
		for _, r := range g.Flush() {
			buf = append(buf, benchMessage(r, clientTopic, serverTopic))
		}
		if len(buf) > 0 {
			chunks <- buf
		}
	}()
	go func() {
		var err error
		for c := range chunks {
			if err == nil {
				err = w.WriteMessages(ctx, c...)
			}
		}
		errc <- err
	}()
	if err := <-errc; err != nil {
		return nil, false, fmt.Errorf("consumers: bench scenario: %w", err)
	}
	t := g.Truth()
	cfg.progress("scenario produced in %s", time.Since(start).Round(time.Millisecond))
	if b, err := json.Marshal(t); err == nil {
		_ = os.WriteFile(truthFile, b, 0o644)
	}
	return t, false, nil
}

func benchMessage(r synth.Record, clientTopic, serverTopic string) kafka.Message {
	topic := clientTopic
	if r.Side == schemas.SideServer {
		topic = serverTopic
	}
	m := kafka.Message{Topic: topic, Key: r.Key, Value: r.Value, Time: r.Time}
	if r.Header {
		m.Headers = []kafka.Header{{Key: HeaderFormat, Value: []byte(r.Format)}}
	}
	return m
}

// createLogAppendTopics creates topics whose record timestamps are the
// broker's append time, so latencies compare times of one clock.
func createLogAppendTopics(ctx context.Context, brokers []string, partitions int, topics ...string) error {
	req := &kafka.CreateTopicsRequest{}
	for _, t := range topics {
		req.Topics = append(req.Topics, kafka.TopicConfig{Topic: t, NumPartitions: partitions, ReplicationFactor: -1,
			ConfigEntries: []kafka.ConfigEntry{{ConfigName: "message.timestamp.type", ConfigValue: "LogAppendTime"}}})
	}
	resp, err := newClient(brokers, 30*time.Second).CreateTopics(ctx, req)
	if err != nil {
		return fmt.Errorf("consumers: bench: create topics: %w", err)
	}
	for name, terr := range resp.Errors {
		if terr != nil {
			return fmt.Errorf("consumers: bench: create topic %s: %w", name, terr)
		}
	}
	// Wait until every partition is visible.
	adm := newAdmin(brokers, 10*time.Second)
	for deadline := time.Now().Add(30 * time.Second); ; {
		counts, err := adm.partitions(ctx, topics...)
		ok := err == nil
		for _, t := range topics {
			ok = ok && counts[t] == partitions
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("consumers: bench: topics %v not ready", topics)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func deleteTopics(ctx context.Context, brokers []string, topics ...string) {
	_, _ = newClient(brokers, 30*time.Second).DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: topics})
}

// topicEnds returns, per partition, the message count of each topic
// (end − start offset).
func topicEnds(ctx context.Context, brokers []string, partitions int, topics ...string) ([][2]int64, error) {
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, t := range topics {
		for p := range partitions {
			req.Topics[t] = append(req.Topics[t], kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p))
		}
	}
	resp, err := newClient(brokers, 10*time.Second).ListOffsets(ctx, req)
	if err != nil {
		return nil, err
	}
	out := make([][2]int64, partitions)
	for i, t := range topics[:min(len(topics), 2)] {
		ps := resp.Topics[t]
		if len(ps) != partitions {
			return nil, fmt.Errorf("consumers: bench: %s has %d partitions, want %d", t, len(ps), partitions)
		}
		for _, po := range ps {
			if po.Error != nil {
				return nil, po.Error
			}
			out[po.Partition][i] = po.LastOffset - po.FirstOffset
		}
	}
	return out, nil
}

// prepareMemory collects garbage, returns it to the OS and resets the peak
// RSS, so the next VmHWM reading is the next phase's own.
func prepareMemory() {
	runtime.GC()
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// PeakRSS returns the process's VmHWM in bytes, 0 when unknown.
func PeakRSS() int64 { return state.ProcessStatus("VmHWM:") }

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// benchRaw is the passthrough baseline: per partition, the pipeline's feeds
// (same kafka-go readers) on both inputs, batches collected as the task
// collects them (up to BatchSize, BatchLinger), and one output record per
// input written by the pipeline's writer (murmur2, acks all) before the next
// batch; nothing else.
func benchRaw(ctx context.Context, cfg *BenchConfig, clientTopic, serverTopic string, ends [][2]int64, outTopic string) (PhaseResult, error) {
	dc := NewDefaultConfig()
	adm := newAdmin(cfg.Brokers, 10*time.Second)
	if err := adm.ensureTopics(ctx, []TopicSpec{{Name: outTopic, Partitions: cfg.Partitions}}); err != nil {
		return PhaseResult{}, err
	}
	defer deleteTopics(context.WithoutCancel(ctx), cfg.Brokers, outTopic)
	prepareMemory()
	w := newWriter(cfg.Brokers)
	// Its own transport: the shared default caches metadata from before the
	// output topic existed.
	w.Transport = &kafka.Transport{}
	defer w.Close()
	var (
		first    atomic.Int64
		last     atomic.Int64
		consumed atomic.Int64
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
	)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cpu0 := cpuTime()
	fc := feedConfig{brokers: cfg.Brokers, depth: dc.QueueDepth, maxBytes: max(cfg.Decode.MaxBytes, schemas.DefaultMaxBytes) + 1<<20,
		maxWait: 250 * time.Millisecond, logger: cfg.Logger}
	for p := range cfg.Partitions {
		want := ends[p][0] + ends[p][1]
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := rawPartition(rctx, fc, w, dc, [2]string{clientTopic, serverTopic}, p, want, outTopic, &first, &last, &consumed)
			if err != nil {
				errMu.Lock()
				firstErr = errors.Join(firstErr, err)
				errMu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return PhaseResult{}, firstErr
	}
	return PhaseResult{Messages: consumed.Load(), Elapsed: time.Duration(last.Load() - first.Load()), PeakRSS: PeakRSS(), CPU: cpuTime() - cpu0}, nil
}

func rawPartition(ctx context.Context, fc feedConfig, w *kafka.Writer, dc Config, topics [2]string, part int, want int64, outTopic string,
	first, last, consumed *atomic.Int64) error {
	var feeds [2]*feed
	fctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		for _, f := range feeds {
			if f != nil {
				_ = f.close()
			}
		}
	}()
	for i, t := range topics {
		f, err := startFeed(fctx, fc, t, part, kafka.FirstOffset)
		if err != nil {
			return err
		}
		feeds[i] = f
	}
	out := make([]kafka.Message, 0, dc.BatchSize)
	var n int64
	for n < want {
		out = out[:0]
		var m kafka.Message
		select {
		case m = <-feeds[0].ch:
		case m = <-feeds[1].ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		first.CompareAndSwap(0, time.Now().UnixNano())
		out = append(out, kafka.Message{Topic: outTopic, Key: m.Key, Value: m.Value})
		timer := time.NewTimer(dc.BatchLinger)
	collect:
		for len(out) < cap(out) && n+int64(len(out)) < want {
			select {
			case m = <-feeds[0].ch:
			case m = <-feeds[1].ch:
			case <-timer.C:
				break collect
			}
			out = append(out, kafka.Message{Topic: outTopic, Key: m.Key, Value: m.Value})
		}
		timer.Stop()
		if err := w.WriteMessages(ctx, out...); err != nil {
			return fmt.Errorf("consumers: bench raw: %w", err)
		}
		n += int64(len(out))
		consumed.Add(int64(len(out)))
		now := time.Now().UnixNano()
		for {
			l := last.Load()
			if now <= l || last.CompareAndSwap(l, now) {
				break
			}
		}
	}
	return nil
}

// benchPipeline runs the real pipeline in-process over the scenario with a
// fresh group, state and output topics, and times it from the first input
// applied to the last.
func benchPipeline(ctx context.Context, cfg *BenchConfig, clientTopic, serverTopic string, total int64, id string) (PhaseResult, int64, error) {
	pc := NewDefaultConfig()
	pc.Brokers = cfg.Brokers
	pc.Group = id
	pc.ClientTopic, pc.ServerTopic = clientTopic, serverTopic
	pc.FindingsTopic, pc.MetricsTopic, pc.DLQTopic = id+".findings", id+".metrics", id+".dlq"
	pc.StateDir = filepath.Join(cfg.WorkDir, id)
	pc.Decode = cfg.Decode
	pc.Logger = cfg.Logger
	defer os.RemoveAll(pc.StateDir)
	// The outputs, and the state changelog the pipeline may keep per group.
	defer deleteTopics(context.WithoutCancel(ctx), cfg.Brokers, pc.FindingsTopic, pc.MetricsTopic, pc.DLQTopic, pc.Group+".state-changelog")
	p, err := New(pc, cfg.Checks)
	if err != nil {
		return PhaseResult{}, 0, err
	}
	prepareMemory()
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	cpu0 := cpuTime()
	go func() { done <- p.Run(rctx) }()
	var first, last time.Time
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for last.IsZero() {
		select {
		case err := <-done:
			return PhaseResult{}, 0, fmt.Errorf("consumers: bench pipeline stopped early: %v", err)
		case <-ctx.Done():
			return PhaseResult{}, 0, ctx.Err()
		case now := <-tick.C:
			c := p.Stats().Consumed.Load()
			if c > 0 && first.IsZero() {
				first = now
			}
			if c >= total {
				last = now
			}
		}
	}
	res := PhaseResult{Messages: p.Stats().Consumed.Load(), Elapsed: last.Sub(first), PeakRSS: PeakRSS(), CPU: cpuTime() - cpu0}
	cancel()
	if err := <-done; err != nil {
		return res, 0, err
	}
	size, _ := dirBytes(pc.StateDir)
	return res, size, nil
}

func dirBytes(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if info, err := d.Info(); err == nil {
			n += info.Size()
		}
		return nil
	})
	return n, err
}

// benchLatency runs the pipeline on fresh LogAppendTime topics while pairs
// are produced at rate input messages/s for cfg.LatencyDuration, then reads
// back every matched audit record and compares its append time with the
// later input's.
func benchLatency(ctx context.Context, cfg *BenchConfig, rate float64, id string) (*LatencyResult, error) {
	pc := NewDefaultConfig()
	pc.Brokers = cfg.Brokers
	pc.Group = id
	pc.ClientTopic, pc.ServerTopic = id+".client", id+".server"
	pc.FindingsTopic, pc.MetricsTopic, pc.DLQTopic = id+".findings", id+".metrics", id+".dlq"
	pc.StateDir = filepath.Join(cfg.WorkDir, id)
	pc.Decode = cfg.Decode
	pc.Logger = cfg.Logger
	all := []string{pc.ClientTopic, pc.ServerTopic, pc.FindingsTopic, pc.MetricsTopic, pc.DLQTopic}
	defer os.RemoveAll(pc.StateDir)
	defer deleteTopics(context.WithoutCancel(ctx), cfg.Brokers, append(all, pc.Group+".state-changelog")...)
	if err := createLogAppendTopics(ctx, cfg.Brokers, cfg.Partitions, all[:3]...); err != nil {
		return nil, err
	}
	p, err := New(pc, cfg.Checks)
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(rctx) }()
	// Wait for every task to be running.
	for p.Stats().OpenTasks.Load() < int64(cfg.Partitions) {
		select {
		case err := <-done:
			return nil, fmt.Errorf("consumers: bench latency: pipeline stopped: %v", err)
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	time.Sleep(time.Second)
	cfg.progress("latency: producing at %.0f msg/s for %s", rate, cfg.LatencyDuration)

	g, err := synth.New(synth.Config{Seed: cfg.Seed + 1, Mix: synth.DefaultMix})
	if err != nil {
		return nil, err
	}
	w := newWriter(cfg.Brokers)
	w.Transport = &kafka.Transport{}
	w.BatchTimeout = time.Millisecond
	defer w.Close()
	start := time.Now()
	var sent int64
	buf := make([]kafka.Message, 0, 1024)
	for time.Since(start) < cfg.LatencyDuration && ctx.Err() == nil {
		due := int64(rate * time.Since(start).Seconds())
		buf = buf[:0]
		for sent+int64(len(buf)) < due {
			for _, r := range g.Next() {
				buf = append(buf, benchMessage(r, pc.ClientTopic, pc.ServerTopic))
			}
		}
		if len(buf) > 0 {
			if err := w.WriteMessages(ctx, buf...); err != nil {
				return nil, fmt.Errorf("consumers: bench latency: %w", err)
			}
			sent += int64(len(buf))
		}
		time.Sleep(2 * time.Millisecond)
	}
	produced := time.Since(start)
	res := &LatencyResult{Rate: rate, Messages: sent, Achieved: float64(sent) / produced.Seconds()}
	for deadline := time.Now().Add(2 * time.Minute); p.Stats().Consumed.Load() < sent; {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("consumers: bench latency: the pipeline applied %d of %d messages in 2m", p.Stats().Consumed.Load(), sent)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // the last batch's flush
	cancel()
	if err := <-done; err != nil {
		return nil, err
	}

	// The earliest append of each side per key; the group becomes matched
	// when the later of the two arrives.
	type sides struct{ t [2]int64 }
	inputs := map[string]*sides{}
	for i, topic := range []string{pc.ClientTopic, pc.ServerTopic} {
		err := readTopic(ctx, cfg.Brokers, topic, cfg.Partitions, func(m *kafka.Message) {
			s := inputs[string(m.Key)]
			if s == nil {
				s = &sides{}
				inputs[string(m.Key)] = s
			}
			if t := m.Time.UnixMicro(); s.t[i] == 0 || t < s.t[i] {
				s.t[i] = t
			}
		})
		if err != nil {
			return nil, err
		}
	}
	codecs, err := schemas.NewCodecs(schemas.OutputJSON)
	if err != nil {
		return nil, err
	}
	var lats []time.Duration
	seen := map[string]bool{}
	err = readTopic(ctx, cfg.Brokers, pc.FindingsTopic, cfg.Partitions, func(m *kafka.Message) {
		rec, err := codecs.AuditRecord.Decode(m.Value)
		if err != nil || rec.Outcome != string(schemas.OutcomeMatched) || seen[rec.AuditID] {
			return
		}
		seen[rec.AuditID] = true
		_, key, _ := strings.Cut(string(m.Key), "/")
		s := inputs[key]
		if s == nil || s.t[0] == 0 || s.t[1] == 0 {
			return
		}
		lats = append(lats, time.Duration(m.Time.UnixMicro()-max(s.t[0], s.t[1]))*time.Microsecond)
	})
	if err != nil {
		return nil, err
	}
	if len(lats) == 0 {
		return nil, errors.New("consumers: bench latency: no matched record")
	}
	slices.Sort(lats)
	res.Matched = len(lats)
	res.P50 = lats[len(lats)/2]
	res.P99 = lats[min(len(lats)-1, len(lats)*99/100)]
	res.Max = lats[len(lats)-1]
	return res, nil
}

// readTopic reads every partition of topic from its first to its end offset.
func readTopic(ctx context.Context, brokers []string, topic string, partitions int, fn func(*kafka.Message)) error {
	ends, err := topicEnds(ctx, brokers, partitions, topic)
	if err != nil {
		return err
	}
	for p := range partitions {
		if ends[p][0] == 0 {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: p, MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 250 * time.Millisecond})
		if err := r.SetOffset(kafka.FirstOffset); err != nil {
			_ = r.Close()
			return err
		}
		for n := int64(0); n < ends[p][0]; n++ {
			rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			m, err := r.FetchMessage(rctx)
			cancel()
			if err != nil {
				_ = r.Close()
				return fmt.Errorf("consumers: bench: read %s/%d: %w", topic, p, err)
			}
			fn(&m)
		}
		_ = r.Close()
	}
	return nil
}
