package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/sstaudit/sstaudit/consumers"
	"github.com/sstaudit/sstaudit/processors/join"
	"github.com/sstaudit/sstaudit/processors/report"
	"github.com/sstaudit/sstaudit/processors/report/dashboard"
	"github.com/sstaudit/sstaudit/schemas/synth"
)

// demoSpan is the stretch of record time the demo's traffic covers: its
// record times are spread evenly over the last demoSpan, so windows and
// stream time behave as on a live stream.
const demoSpan = time.Minute

// demoPartitions is the partition count of the demo's topics.
const demoPartitions = 3

// runDemo is the body of `sstaudit demo`: an embedded Kafka-protocol broker,
// a generated scenario with planted faults, the real pipeline over it, and a
// summary of what it found beside what was planted.
func runDemo(ctx context.Context, env *Env, cfg DemoConfig) error {
	started := time.Now()
	out := env.Stdout
	names := []string{defaultClientTopic, defaultServerTopic, defaultFindingsTopic, defaultMetricsTopic, defaultDLQTopic}
	broker, err := consumers.StartEmbeddedBroker(demoPartitions, names...)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer broker.Close()
	fmt.Fprintf(out, "embedded broker at %s; topics created: %v\n", broker.Brokers()[0], names)

	// Generate: record times spread over the last demoSpan.
	n := int64(cfg.Events)
	t0 := time.Now().Add(-demoSpan)
	var i int64
	clock := func() time.Time {
		i++
		return t0.Add(time.Duration(float64(demoSpan) * float64(i) / float64(n)))
	}
	truth, err := consumers.Generate(ctx, consumers.GenerateConfig{
		Brokers: broker.Brokers(), ClientTopic: defaultClientTopic, ServerTopic: defaultServerTopic,
		Partitions: demoPartitions, Conversions: n,
		Synth:  synth.Config{Seed: uint64(cfg.Seed), Mix: synth.DefaultMix, Clock: clock},
		Logger: env.Logger,
	})
	if err != nil {
		return fmt.Errorf("demo: generate: %w", err)
	}
	fmt.Fprintf(out, "generated %d conversions: %d browser and %d server messages, %d planted faults, %d poison messages\n",
		truth.Conversions, truth.Messages["client"], truth.Messages["server"], sumFaults(truth), truth.Poison)

	aud, err := buildAuditor(env, "demo")
	if err != nil {
		return err
	}
	stateDir, err := os.MkdirTemp("", "sstaudit-demo-")
	if err != nil {
		return fmt.Errorf("demo: state dir: %w", err)
	}
	defer os.RemoveAll(stateDir)

	pc := consumers.NewDefaultConfig()
	pc.Brokers = broker.Brokers()
	pc.Group = "sstaudit-demo"
	pc.StateDir = stateDir
	pc.Join.MatchWindow, pc.Join.Grace, pc.Join.Alignment = cfg.Join.MatchWindow, cfg.Join.Grace, cfg.Join.Alignment
	pc.Join.MetricsWindow = cfg.Stream.MetricsWindow
	pc.Join.InstanceID, pc.Join.Version = "demo", env.Version
	pc.IdleAdvance = cfg.Stream.IdleAdvance
	pc.MaxTaskIdle = 200 * time.Millisecond
	pc.SessionTimeout = 6 * time.Second
	pc.Decode = aud.DecodeOptions(0)
	tel, shutdownTel, err := setupTelemetry(ctx, env, "demo", 0, cfg.Log)
	if err != nil {
		return err
	}
	defer shutdownTel()
	pc.Logger, pc.Telemetry = tel.Logger, tel
	live := dashboard.NewLive()
	pc.OnOutput = func(o join.Output) {
		live.Add(o.Audit)
		live.AddMetrics(o.Metrics)
	}
	p, err := consumers.New(pc, aud.Checks())
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	// Once the demo's traffic is processed the pipeline stops on purpose;
	// the dashboard (--serve) says so rather than "not ready".
	var finished atomic.Bool
	dash, err := newDashboard(live, p, pc.Join.Alignment, nil, &finished)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	srv, err := startHTTP(cfg.HTTP, p, tel, dash)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer shutdownHTTP(srv)

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	runErr := make(chan error, 1)
	go func() { runErr <- p.Run(runCtx) }()

	// Wait until every generated event sits in an emitted window and every
	// poison message is in the DLQ.
	want := truth.Events["client"] + truth.Events["server"]
	deadline := time.Now().Add(2*time.Minute + cfg.Join.MatchWindow + cfg.Join.Grace)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	events := func() int64 { t := live.Summary().Total; return t.ClientEvents + t.ServerEvents }
	for events() < want || p.Stats().DLQ.Load() < truth.Poison {
		select {
		case <-ctx.Done():
			stop()
			<-runErr
			return nil
		case err := <-runErr:
			return fmt.Errorf("demo: pipeline stopped: %w", err)
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("demo: pipeline did not account for every event within its deadline (%d of %d)", events(), want)
		}
	}
	stop()
	if err := <-runErr; err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("demo: %w", err)
	}
	finished.Store(true)
	sum := live.Summary()
	printDemoSummary(out, truth, &sum.Total, p.Stats().DLQ.Load())
	fmt.Fprintln(out)
	if err := report.Render(out, report.Build(sum, nil, report.Options{Now: time.Now()})); err != nil {
		return fmt.Errorf("demo: report: %w", err)
	}
	fmt.Fprintf(out, "\ndemo finished in %s\n", time.Since(started).Round(100*time.Millisecond))

	if cfg.Serve {
		fmt.Fprintf(out, "dashboard at http://%s/ (figures /api/summary, metrics /metrics, health /healthz, readiness /readyz); Ctrl-C to stop\n", srv.Addr())
		<-ctx.Done()
	}
	return nil
}

func sumFaults(t *synth.Truth) int64 {
	var n int64
	for _, v := range t.Faults {
		n += v
	}
	return n
}

// printDemoSummary prints what the pipeline measured (the windows' totals,
// deduplicated by window key) beside what the generator planted.
func printDemoSummary(w io.Writer, truth *synth.Truth, got *report.Counts, dlq int64) {
	want := truth.Sum()
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tmeasured\tplanted\t")
	row := func(name string, got, want int64) {
		mark := ""
		if got != want {
			mark = "  ≠"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", name, got, want, mark)
	}
	row("browser events", got.ClientEvents, want.ClientEvents)
	row("server events", got.ServerEvents, want.ServerEvents)
	row("matched", got.Matched, want.Matched)
	row("aligned", got.Aligned, want.Aligned)
	row("client only", got.ClientOnly, want.ClientOnly)
	row("server only", got.ServerOnly, want.ServerOnly)
	row("duplicates", got.Duplicates, want.Duplicates)
	row("unjoinable", got.Unjoinable, want.Unjoinable)
	row("dead-lettered", dlq, truth.Poison)
	_ = tw.Flush()

	sev := got.FindingsBySeverity
	fmt.Fprintf(w, "\nfindings %d (critical %d, fail %d, warn %d, info %d)\n",
		sev.Critical+sev.Fail+sev.Warn+sev.Info, sev.Critical, sev.Fail, sev.Warn, sev.Info)
	byCode := got.FindingsByCode
	codes := slices.Sorted(maps.Keys(byCode))
	slices.SortStableFunc(codes, func(a, b string) int { return int(byCode[b] - byCode[a]) })
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range codes {
		fmt.Fprintf(tw, "  %s\t%d\n", c, byCode[c])
	}
	_ = tw.Flush()
	faults := slices.Sorted(maps.Keys(truth.Faults))
	fmt.Fprint(w, "planted faults:")
	for _, f := range faults {
		fmt.Fprintf(w, " %s %d", f, truth.Faults[f])
	}
	fmt.Fprintln(w)
}
