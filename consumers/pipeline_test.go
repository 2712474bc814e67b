package consumers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sstaudit/sstaudit/consumers/kafkatest"
	"github.com/sstaudit/sstaudit/processors/join"
	"github.com/sstaudit/sstaudit/schemas"
	"github.com/sstaudit/sstaudit/schemas/synth"
)

// scenario is one generate → run → read-back experiment.
type scenario struct {
	brokers     []string
	partitions  int
	conversions int64
	seed        uint64
	mix         synth.Mix
	repartition bool
	format      schemas.OutputFormat
	// createTopics: the fake broker is seeded; the real one needs topics made.
	createTopics bool
}

type scenarioResult struct {
	truth    *synth.Truth
	totals   map[string]*synth.Counts
	outcomes map[string]int64 // audit records by outcome, deduplicated by audit_id
	dlq      int64
	stats    *Stats
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("SSTAUDIT_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// fastConfig returns a pipeline config with short windows, so a test's
// groups and windows all close a few seconds after the input stops.
func fastConfig(t testing.TB, brokers []string, names map[string]string) Config {
	cfg := NewDefaultConfig()
	cfg.Brokers = brokers
	cfg.Group = names["group"]
	cfg.ClientTopic, cfg.ServerTopic = names["client"], names["server"]
	cfg.FindingsTopic, cfg.MetricsTopic, cfg.DLQTopic = names["findings"], names["metrics"], names["dlq"]
	cfg.StateDir = t.TempDir()
	cfg.Join.MatchWindow = 3 * time.Second
	cfg.Join.Grace = 500 * time.Millisecond
	cfg.Join.MetricsWindow = time.Second
	cfg.IdleAdvance = time.Second
	cfg.MaxTaskIdle = 200 * time.Millisecond
	cfg.SessionTimeout = 6 * time.Second
	cfg.CommitInterval = 200 * time.Millisecond
	cfg.Logger = testLogger(t)
	return cfg
}

func scenarioNames(t testing.TB) map[string]string {
	names := map[string]string{}
	for _, k := range []string{"client", "server", "findings", "metrics", "dlq", "group"} {
		names[k] = kafkatest.UniqueName(t, k)
	}
	return names
}

func runScenario(t *testing.T, sc scenario) scenarioResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	names := scenarioNames(t)
	if sc.createTopics {
		kafkatest.CreateTopics(t, sc.brokers, sc.partitions, names["client"], names["server"])
	}
	truth, err := Generate(ctx, GenerateConfig{
		Brokers: sc.brokers, ClientTopic: names["client"], ServerTopic: names["server"], Partitions: sc.partitions,
		Conversions: sc.conversions, Synth: synth.Config{Seed: sc.seed, Mix: sc.mix, Batched: sc.repartition},
	})
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	cfg := fastConfig(t, sc.brokers, names)
	cfg.Repartition = sc.repartition
	if sc.repartition {
		// The repartition stage consumes the inputs concurrently with the
		// join, so one side can reach the internal topics ahead of the other
		// by up to the whole (fast-generated) input: grace covers that
		// reordering, as it does late data in production.
		cfg.Join.Grace = 30 * time.Second
	}
	if sc.format != "" {
		cfg.OutputFormat = sc.format
	}
	p, err := New(cfg, join.Checks{})
	if err != nil {
		t.Fatal(err)
	}
	runPipeline(t, p)

	res := scenarioResult{truth: truth, stats: p.Stats()}
	want := truth.Sum()
	codecs, err := schemas.NewCodecs(cfg.OutputFormat)
	if err != nil {
		t.Fatal(err)
	}
	// Read the outputs until the metrics add up to the truth's event counts
	// (every event then sits in an emitted window), or time runs out.
	deadline := time.Now().Add(90*time.Second + cfg.Join.Grace)
	for {
		res.totals, res.outcomes, res.dlq = readOutputs(t, ctx, sc.brokers, names, codecs)
		var got synth.Counts
		for _, c := range res.totals {
			got.Add(*c)
		}
		if got.ClientEvents == want.ClientEvents && got.ServerEvents == want.ServerEvents && res.dlq >= truth.Poison {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outputs incomplete: metrics %+v, want %+v; dlq %d want %d; stats consumed %d events %d",
				got, want, res.dlq, truth.Poison, p.Stats().Consumed.Load(), p.Stats().Events.Load())
		}
		time.Sleep(500 * time.Millisecond)
	}
	return res
}

// readOutputs reads every record of the metrics, findings and DLQ topics.
func readOutputs(t *testing.T, ctx context.Context, brokers []string, names map[string]string, codecs *schemas.Codecs) (map[string]*synth.Counts, map[string]int64, int64) {
	t.Helper()
	totals := map[string]*synth.Counts{}
	seenWindows := map[string]bool{}
	for _, m := range readAll(t, ctx, brokers, names["metrics"]) {
		wm, err := codecs.WindowMetrics.Decode(m.Value)
		if err != nil {
			t.Fatalf("decode metrics record: %v", err)
		}
		// A replayed window carries the same values: count each once.
		id := fmt.Sprintf("%s/%s/%d/%d", wm.Destination, wm.EventName, wm.WindowStart, wm.Partition)
		if seenWindows[id] {
			continue
		}
		seenWindows[id] = true
		k := wm.Destination + "/" + wm.EventName
		c := totals[k]
		if c == nil {
			c = &synth.Counts{}
			totals[k] = c
		}
		c.Add(synth.Counts{ClientEvents: wm.ClientEvents, ServerEvents: wm.ServerEvents, Matched: wm.Matched,
			ClientOnly: wm.ClientOnly, ServerOnly: wm.ServerOnly, Duplicates: wm.Duplicates, Unjoinable: wm.Unjoinable, Aligned: wm.Aligned})
	}
	outcomes := map[string]int64{}
	seenAudit := map[string]bool{}
	for _, m := range readAll(t, ctx, brokers, names["findings"]) {
		ar, err := codecs.AuditRecord.Decode(m.Value)
		if err != nil {
			t.Fatalf("decode audit record: %v", err)
		}
		if !seenAudit[ar.AuditID] {
			seenAudit[ar.AuditID] = true
			outcomes[ar.Outcome]++
		}
	}
	dlq := int64(len(readAll(t, ctx, brokers, names["dlq"])))
	return totals, outcomes, dlq
}

// readAll reads a topic's partitions from the start to their current end,
// retrying through the transient errors of a topic that was just created.
func readAll(t *testing.T, ctx context.Context, brokers []string, topic string) []kafka.Message {
	t.Helper()
	var lastErr error
	for range 20 {
		out, err := tryReadAll(ctx, brokers, topic)
		if err == nil {
			return out
		}
		lastErr = err
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("read %s: %v", topic, lastErr)
	return nil
}

func tryReadAll(ctx context.Context, brokers []string, topic string) ([]kafka.Message, error) {
	adm := newAdmin(brokers, 10*time.Second)
	defer adm.close()
	counts, err := adm.partitions(ctx, topic)
	if err != nil {
		return nil, err
	}
	var out []kafka.Message
	for p := range counts[topic] {
		conn, err := kafka.DialLeader(ctx, "tcp", brokers[0], topic, p)
		if err != nil {
			return nil, fmt.Errorf("dial %s/%d: %w", topic, p, err)
		}
		last, err := conn.ReadLastOffset()
		_ = conn.Close()
		if err != nil {
			return nil, fmt.Errorf("last offset %s/%d: %w", topic, p, err)
		}
		if last == 0 {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: p, MaxBytes: 10 << 20, MaxWait: 100 * time.Millisecond})
		for {
			rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			m, err := r.ReadMessage(rctx)
			cancel()
			if err != nil {
				_ = r.Close()
				return nil, fmt.Errorf("read %s/%d: %w", topic, p, err)
			}
			out = append(out, m)
			if m.Offset+1 >= last {
				break
			}
		}
		_ = r.Close()
	}
	return out, nil
}

// checkTruth compares a scenario's outputs with its planted truth, exactly.
func checkTruth(t *testing.T, res scenarioResult) {
	t.Helper()
	for _, k := range res.truth.Keys() {
		want, got := *res.truth.Totals[k], synth.Counts{}
		if c := res.totals[k]; c != nil {
			got = *c
		}
		if got != want {
			t.Errorf("%s: metrics %+v\n\twant %+v", k, got, want)
		}
	}
	for k := range res.totals {
		if res.truth.Totals[k] == nil {
			t.Errorf("%s: metrics for a key the generator never planted: %+v", k, *res.totals[k])
		}
	}
	if res.dlq != res.truth.Poison {
		t.Errorf("DLQ records %d, planted poison %d", res.dlq, res.truth.Poison)
	}
	sum := res.truth.Sum()
	wantOutcomes := map[string]int64{
		"matched": sum.Matched, "client_only": sum.ClientOnly, "server_only": sum.ServerOnly,
		"duplicate": sum.Duplicates, "unjoinable": sum.Unjoinable,
	}
	for o, n := range wantOutcomes {
		if res.outcomes[o] != n {
			t.Errorf("audit records %s = %d, want %d", o, res.outcomes[o], n)
		}
	}
	// Every input message is accounted for: applied to state (decoded
	// events) or sent to the DLQ.
	msgs := res.truth.Messages["client"] + res.truth.Messages["server"]
	if got := res.stats.Consumed.Load(); got < msgs {
		t.Errorf("consumed %d input messages, generated %d", got, msgs)
	}
}

func TestPipelineOnFakeBroker(t *testing.T) {
	t.Parallel()
	const partitions = 3
	brokers := kafkatest.NewFake(t, partitions)
	res := runScenario(t, scenario{brokers: brokers, partitions: partitions, conversions: 1500, seed: 11,
		mix: synth.Mix{LostServer: 0.1, LostClient: 0.05, Skewed: 0.05, Renamed: 0.05, Duplicates: 0.05, MissingIDs: 0.05, Poison: 0.02}})
	checkTruth(t, res)
}

func TestIntegrationPipelineTruth(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	heavy := synth.Mix{LostServer: 0.15, LostClient: 0.1, Skewed: 0.1, Renamed: 0.1, PlaintextPII: 0.05, DoubleHashed: 0.05,
		Duplicates: 0.1, MissingIDs: 0.1, PIIInURL: 0.05, Poison: 0.03}
	for _, tc := range []struct {
		name        string
		seed        uint64
		mix         synth.Mix
		repartition bool
		format      schemas.OutputFormat
	}{
		{"default mix", 1, synth.DefaultMix, false, schemas.OutputJSON},
		{"heavy faults avro", 2, heavy, false, schemas.OutputAvro},
		{"clean", 3, synth.Mix{}, false, schemas.OutputJSON},
		{"repartition batched random keys", 4, heavy, true, schemas.OutputJSON},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runScenario(t, scenario{brokers: brokers, partitions: 4, conversions: 3000, seed: tc.seed, mix: tc.mix,
				repartition: tc.repartition, format: tc.format, createTopics: true})
			checkTruth(t, res)
		})
	}
}

func TestIntegrationUnequalPartitionsFailFast(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	names := scenarioNames(t)
	kafkatest.CreateTopics(t, brokers, 2, names["client"])
	kafkatest.CreateTopics(t, brokers, 3, names["server"])
	p, err := New(fastConfig(t, brokers, names), join.Checks{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = p.Run(ctx)
	var pce *PartitionCountError
	if !errors.As(err, &pce) || !errors.Is(err, ErrNotCoPartitioned) {
		t.Fatalf("Run = %v, want a PartitionCountError", err)
	}
	if pce.Client != 2 || pce.Server != 3 {
		t.Fatalf("counts in error: %+v", pce)
	}
	if ctx.Err() != nil {
		t.Fatal("did not fail fast")
	}
}

// TestIdlePartitionClosesGroups: every server copy is lost, so no later
// record ever raises stream time past a group's close: only idle advance
// (stream time following the wall clock on an idle partition) can emit the
// orphans and their windows.
func TestIdlePartitionClosesGroups(t *testing.T) {
	t.Parallel()
	const partitions = 2
	brokers := kafkatest.NewFake(t, partitions)
	res := runScenario(t, scenario{brokers: brokers, partitions: partitions, conversions: 60, seed: 5,
		mix: synth.Mix{LostServer: 1}})
	sum := res.truth.Sum()
	if sum.ClientOnly == 0 || sum.Matched != 0 {
		t.Fatalf("scenario should be all orphans: %+v", sum)
	}
	checkTruth(t, res)
}
