package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/sstaudit/sstaudit/consumers"
	"github.com/sstaudit/sstaudit/processors/join"
	"github.com/sstaudit/sstaudit/processors/report"
	"github.com/sstaudit/sstaudit/processors/report/dashboard"
	"github.com/sstaudit/sstaudit/schemas"
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

	tally := newDemoTally()
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
		tally.add(o)
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
	dash, err := newDashboard(live, p, pc.Join.Alignment, &finished)
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
	for tally.events() < want || p.Stats().DLQ.Load() < truth.Poison {
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
			return fmt.Errorf("demo: pipeline did not account for every event within its deadline (%d of %d)", tally.events(), want)
		}
	}
	stop()
	if err := <-runErr; err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("demo: %w", err)
	}
	finished.Store(true)
	printDemoSummary(out, truth, tally, p.Stats().DLQ.Load())
	fmt.Fprintln(out)
	if err := report.Render(out, report.Build(live.Summary(), nil, report.Options{Now: time.Now()})); err != nil {
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

// demoTally sums the pipeline's outputs as they become durable.
type demoTally struct {
	mu       sync.Mutex
	windows  map[string]bool
	totals   synth.Counts
	outcomes map[string]int64
	audits   map[string]bool
	codes    map[string]int64
	sev      map[schemas.Severity]int64
}

func newDemoTally() *demoTally {
	return &demoTally{windows: map[string]bool{}, outcomes: map[string]int64{}, audits: map[string]bool{},
		codes: map[string]int64{}, sev: map[schemas.Severity]int64{}}
}

func (d *demoTally) add(o join.Output) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case o.Metrics != nil:
		m := o.Metrics
		k := fmt.Sprintf("%s/%s/%d/%d", m.Destination, m.EventName, m.WindowStart, m.Partition)
		if d.windows[k] {
			return
		}
		d.windows[k] = true
		d.totals.Add(synth.Counts{ClientEvents: m.ClientEvents, ServerEvents: m.ServerEvents, Matched: m.Matched,
			ClientOnly: m.ClientOnly, ServerOnly: m.ServerOnly, Duplicates: m.Duplicates, Unjoinable: m.Unjoinable, Aligned: m.Aligned})
	case o.Audit != nil:
		a := o.Audit
		if d.audits[a.AuditID] {
			return
		}
		d.audits[a.AuditID] = true
		d.outcomes[a.Outcome]++
		for _, f := range a.Findings {
			d.codes[f.Code]++
			d.sev[schemas.Severity(f.Severity)]++
		}
	}
}

func (d *demoTally) events() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.totals.ClientEvents + d.totals.ServerEvents
}

func printDemoSummary(w io.Writer, truth *synth.Truth, d *demoTally, dlq int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
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
	row("browser events", d.totals.ClientEvents, want.ClientEvents)
	row("server events", d.totals.ServerEvents, want.ServerEvents)
	row("matched", d.totals.Matched, want.Matched)
	row("aligned", d.totals.Aligned, want.Aligned)
	row("client only", d.totals.ClientOnly, want.ClientOnly)
	row("server only", d.totals.ServerOnly, want.ServerOnly)
	row("duplicates", d.totals.Duplicates, want.Duplicates)
	row("unjoinable", d.totals.Unjoinable, want.Unjoinable)
	row("dead-lettered", dlq, truth.Poison)
	_ = tw.Flush()

	var total int64
	for _, n := range d.codes {
		total += n
	}
	fmt.Fprintf(w, "\nfindings %d (critical %d, fail %d, warn %d, info %d)\n", total,
		d.sev[schemas.SeverityCritical], d.sev[schemas.SeverityFail], d.sev[schemas.SeverityWarn], d.sev[schemas.SeverityInfo])
	codes := slices.Sorted(maps.Keys(d.codes))
	slices.SortStableFunc(codes, func(a, b string) int { return int(d.codes[b] - d.codes[a]) })
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range codes {
		fmt.Fprintf(tw, "  %s\t%d\n", c, d.codes[c])
	}
	_ = tw.Flush()
	faults := slices.Sorted(maps.Keys(truth.Faults))
	fmt.Fprint(w, "planted faults:")
	for _, f := range faults {
		fmt.Fprintf(w, " %s %d", f, truth.Faults[f])
	}
	fmt.Fprintln(w)
}
