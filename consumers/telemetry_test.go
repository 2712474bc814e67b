package consumers

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/sstaudit/sstaudit/consumers/kafkatest"
	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/processors/join"
	"github.com/sstaudit/sstaudit/schemas"
	"github.com/sstaudit/sstaudit/schemas/synth"
	"github.com/sstaudit/sstaudit/telemetry"
)

// startPipeline runs a pipeline with cfg until the test ends.
func startPipeline(t *testing.T, cfg Config, checks join.Checks) *Pipeline {
	t.Helper()
	p, err := New(cfg, checks)
	if err != nil {
		t.Fatal(err)
	}
	runPipeline(t, p)
	return p
}

// runPipeline runs p until the test ends, then stops it and checks that Run
// returned nil (a clean stop).
func runPipeline(t *testing.T, p *Pipeline) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var runErr error
	wg.Add(1)
	go func() { defer wg.Done(); runErr = p.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		wg.Wait()
		if runErr != nil {
			t.Errorf("Run: %v", runErr)
		}
	})
}

// promSamples parses Prometheus text exposition into sample → value, the
// sample written as on the wire: name{label="value",...} with labels in the
// exporter's (sorted) order.
func promSamples(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: status %d", resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("scrape: bad line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

// sumOf adds the samples of metric name (all label sets).
func sumOf(samples map[string]float64, name string) (sum float64, series int) {
	for k, v := range samples {
		if k == name || strings.HasPrefix(k, name+"{") {
			sum += v
			series++
		}
	}
	return sum, series
}

// TestMetricsMatchWhatHappened runs a faulty scenario on the in-process
// broker with telemetry on, serves /metrics through the HTTP server, and
// checks that the scraped values equal what the topics show happened.
func TestMetricsMatchWhatHappened(t *testing.T) {
	t.Parallel()
	const partitions = 3
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	brokers := kafkatest.NewFake(t, partitions)
	names := scenarioNames(t)
	truth, err := Generate(ctx, GenerateConfig{Brokers: brokers, ClientTopic: names["client"], ServerTopic: names["server"],
		Partitions: partitions, Conversions: 600, Synth: synth.Config{Seed: 21,
			Mix: synth.Mix{LostServer: 0.1, LostClient: 0.05, Skewed: 0.1, Renamed: 0.05, Duplicates: 0.05, MissingIDs: 0.05, Poison: 0.03}}})
	if err != nil {
		t.Fatal(err)
	}
	reader, handler, err := telemetry.NewPrometheusReader()
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	cfg := fastConfig(t, brokers, names)
	cfg.Telemetry = telemetry.Settings{MeterProvider: mp}
	p := startPipeline(t, cfg, join.Checks{})
	srv := NewHTTPServer(HTTPConfig{Addr: "127.0.0.1:0", Ready: p.Ready, Metrics: handler})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())

	codecs, err := schemas.NewCodecs(cfg.OutputFormat)
	if err != nil {
		t.Fatal(err)
	}
	want := truth.Sum()
	deadline := time.Now().Add(90 * time.Second)
	for {
		totals, _, dlq := readOutputs(t, ctx, brokers, names, codecs)
		var got synth.Counts
		for _, c := range totals {
			got.Add(*c)
		}
		if got.ClientEvents == want.ClientEvents && got.ServerEvents == want.ServerEvents && dlq >= truth.Poison {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outputs incomplete: %+v, want %+v", got, want)
		}
		time.Sleep(500 * time.Millisecond)
	}

	// What the topics show: every record, as the counters count emissions.
	expect := map[string]float64{
		fmt.Sprintf(`sstaudit_records_consumed_total{topic=%q}`, names["client"]): float64(truth.Messages["client"]),
		fmt.Sprintf(`sstaudit_records_consumed_total{topic=%q}`, names["server"]): float64(truth.Messages["server"]),
	}
	for _, topic := range []string{names["findings"], names["metrics"], names["dlq"]} {
		expect[fmt.Sprintf(`sstaudit_records_produced_total{topic=%q}`, topic)] = float64(len(readAll(t, ctx, brokers, topic)))
	}
	findings := 0
	for _, m := range readAll(t, ctx, brokers, names["findings"]) {
		ar, err := codecs.AuditRecord.Decode(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		expect[fmt.Sprintf(`sstaudit_outcomes_total{outcome=%q}`, ar.Outcome)]++
		for _, f := range ar.Findings {
			expect[fmt.Sprintf(`sstaudit_findings_total{code=%q,severity=%q}`, f.Code, f.Severity)]++
			findings++
		}
	}
	if findings == 0 || truth.Poison == 0 {
		t.Fatalf("scenario planted no findings (%d) or no poison (%d): the test would prove nothing", findings, truth.Poison)
	}

	var samples map[string]float64
	var problems []string
	for try := 0; ; try++ {
		samples = promSamples(t, "http://"+srv.Addr()+"/metrics")
		problems = problems[:0]
		for k, v := range expect {
			if samples[k] != v {
				problems = append(problems, fmt.Sprintf("%s = %v, want %v", k, samples[k], v))
			}
		}
		for name, want := range map[string]float64{
			"sstaudit_dlq_records_total":   float64(truth.Poison),
			"sstaudit_decode_errors_total": float64(truth.Poison),
			"sstaudit_groups_open":         0, // every group closed
			"sstaudit_consumer_lag":        0, // every input consumed
		} {
			if got, _ := sumOf(samples, name); got != want {
				problems = append(problems, fmt.Sprintf("sum of %s = %v, want %v", name, got, want))
			}
		}
		for _, name := range []string{"sstaudit_outcomes_total", "sstaudit_findings_total"} {
			if _, n := sumOf(samples, name); n != countPrefix(expect, name) {
				problems = append(problems, fmt.Sprintf("%s has %d series, the topic shows %d", name, n, countPrefix(expect, name)))
			}
		}
		if _, n := sumOf(samples, "sstaudit_consumer_lag"); n != 2*partitions {
			problems = append(problems, fmt.Sprintf("sstaudit_consumer_lag has %d series, want %d", n, 2*partitions))
		}
		if lag, ok := p.ConsumerLag(); !ok || lag != 0 { // the dashboard's figure: the gauges' sum
			problems = append(problems, fmt.Sprintf("Pipeline.ConsumerLag() = %d, %v; want 0, true", lag, ok))
		}
		if len(problems) == 0 || try == 20 {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
	if v, _ := sumOf(samples, "sstaudit_rebalances_total"); v < 1 {
		t.Errorf("rebalances_total = %v, want ≥ 1", v)
	}
	if v, _ := sumOf(samples, "sstaudit_process_duration_seconds_count"); v < 1 {
		t.Errorf("process_duration_seconds_count = %v", v)
	}
	if v := samples[`sstaudit_commit_duration_seconds_count{target="state"}`]; v < 1 {
		t.Errorf("state commits observed: %v", v)
	}
	if _, n := sumOf(samples, "sstaudit_stream_time_lag_seconds"); n != partitions {
		t.Errorf("stream_time_lag series: %d, want %d", n, partitions)
	}
}

func countPrefix(m map[string]float64, name string) int {
	n := 0
	for k := range m {
		if strings.HasPrefix(k, name+"{") {
			n++
		}
	}
	return n
}

func traceparent(tid, sid string, sampled bool) string {
	if sampled {
		return "00-" + tid + "-" + sid + "-01"
	}
	return "00-" + tid + "-" + sid + "-00"
}

// TestTracesOnFakeBroker writes records with traceparent headers and checks
// the process spans (attributes, parents, links) and the traceparent of the
// outputs they caused. Sampling ratio 0: only records whose traceparent is
// sampled are recorded.
func TestTracesOnFakeBroker(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	brokers := kafkatest.NewFake(t, 1)
	names := scenarioNames(t)
	adm := newAdmin(brokers, 10*time.Second)
	defer adm.close()
	if err := adm.ensureTopics(ctx, []TopicSpec{{Name: names["client"], Partitions: 1}, {Name: names["server"], Partitions: 1}}); err != nil {
		t.Fatal(err)
	}
	gen, err := synth.New(synth.Config{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	first := func(recs []synth.Record, side schemas.Side) synth.Record {
		for _, r := range recs {
			if r.Side == side {
				return r
			}
		}
		t.Fatalf("no %s record in %v", side, recs)
		return synth.Record{}
	}
	convA, convB, convQ := gen.Next(), gen.Next(), gen.Next()
	t0 := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	type in struct {
		name  string
		rec   synth.Record
		at    time.Duration
		tp    string
		topic string
	}
	const (
		traceA, spanA   = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1", "a0000000000000a1"
		traceBc, spanBc = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbc1", "b00000000000c001"
		traceBs, spanBs = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbd1", "b00000000000d001"
		traceP, spanP   = "ccccccccccccccccccccccccccccccc1", "c0000000000000c1"
	)
	inputs := []in{
		// A: a client event whose server copy never comes; B's arrival
		// 20 s later (stream time) closes it as client_only.
		{"A", first(convA, schemas.SideClient), 0, traceparent(traceA, spanA, true), names["client"]},
		{"Bc", first(convB, schemas.SideClient), 20 * time.Second, traceparent(traceBc, spanBc, true), names["client"]},
		{"Bs", first(convB, schemas.SideServer), 20*time.Second + 500*time.Millisecond, traceparent(traceBs, spanBs, true), names["server"]},
		{"P", synth.Record{Side: schemas.SideClient, Value: []byte("\xff\xfe\x00 not a tracking payload")}, 21 * time.Second, traceparent(traceP, spanP, true), names["client"]},
		// Q has no traceparent: a root, sampled at ratio 0, so not recorded.
		{"Q", first(convQ, schemas.SideClient), 21*time.Second + 500*time.Millisecond, "", names["client"]},
	}
	w := newWriter(brokers)
	for _, x := range inputs {
		m := kafka.Message{Topic: x.topic, Key: x.rec.Key, Value: x.rec.Value, Time: t0.Add(x.at)}
		if x.rec.Header {
			m.Headers = append(m.Headers, kafka.Header{Key: HeaderFormat, Value: []byte(x.rec.Format)})
		}
		if x.tp != "" {
			m.Headers = append(m.Headers, kafka.Header{Key: HeaderTraceParent, Value: []byte(x.tp)})
		}
		if err := w.WriteMessages(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	_ = closeWriter(w)

	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0))))
	defer tp.Shutdown(context.Background())
	cfg := fastConfig(t, brokers, names)
	cfg.Telemetry = telemetry.Settings{TracerProvider: tp, Propagator: telemetry.DefaultPropagator()}
	// The production snapshot keeps each side's trace context in state
	// (join.DefaultSnapshot does not), so an orphan's record carries it.
	dg := processors.NewDigester(nil)
	startPipeline(t, cfg, join.Checks{Snapshot: func(ev *schemas.Event) processors.Snapshot { return processors.BuildSnapshot(ev, dg) }})

	var findings, dlq []kafka.Message
	deadline := time.Now().Add(60 * time.Second)
	for {
		findings, dlq = readAll(t, ctx, brokers, names["findings"]), readAll(t, ctx, brokers, names["dlq"])
		if len(findings) >= 2 && len(dlq) >= 1 && len(rec.Ended()) >= 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("findings %d, dlq %d, spans %d", len(findings), len(dlq), len(rec.Ended()))
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Spans by the trace they continue.
	spans := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		tid := s.SpanContext().TraceID().String()
		if _, dup := spans[tid]; dup {
			t.Errorf("two spans in trace %s", tid)
		}
		spans[tid] = s
	}
	if len(spans) != 4 {
		t.Errorf("recorded %d spans, want 4 (A, Bc, Bs, P; Q unsampled)", len(spans))
	}
	for i, x := range inputs[:4] {
		tid := strings.Split(x.tp, "-")[1]
		s := spans[tid]
		if s == nil {
			t.Errorf("%s: no span in trace %s", x.name, tid)
			continue
		}
		if s.Name() != "process "+x.topic || s.SpanKind() != trace.SpanKindConsumer {
			t.Errorf("%s: span %q kind %v", x.name, s.Name(), s.SpanKind())
		}
		if !s.Parent().IsRemote() || s.Parent().SpanID().String() != strings.Split(x.tp, "-")[2] {
			t.Errorf("%s: parent %v, want the record's traceparent %s", x.name, s.Parent(), x.tp)
		}
		attrs := map[attribute.Key]attribute.Value{}
		for _, kv := range s.Attributes() {
			attrs[kv.Key] = kv.Value
		}
		offset := int64(0)
		if x.topic == names["client"] {
			offset = int64([]int{0, 1, -1, 2}[i])
		}
		for k, v := range map[attribute.Key]string{
			"messaging.system": "kafka", "messaging.operation.type": "process", "messaging.destination.name": x.topic,
			"messaging.destination.partition.id": "0", "messaging.consumer.group.name": names["group"],
		} {
			if attrs[k].AsString() != v {
				t.Errorf("%s: %s = %q, want %q", x.name, k, attrs[k].AsString(), v)
			}
		}
		if got := attrs["messaging.kafka.offset"].AsInt64(); got != offset {
			t.Errorf("%s: offset %d, want %d", x.name, got, offset)
		}
		if _, ok := attrs["messaging.kafka.message.key"]; ok {
			t.Errorf("%s: span carries the message key (an event id)", x.name)
		}
	}
	// Bc's processing closed A's group: its span links to A's context.
	if s := spans[traceBc]; s != nil {
		var linked []string
		for _, l := range s.Links() {
			linked = append(linked, l.SpanContext.TraceID().String()+"/"+l.SpanContext.SpanID().String())
		}
		if len(linked) != 1 || linked[0] != traceA+"/"+spanA {
			t.Errorf("Bc links %v, want [%s/%s]", linked, traceA, spanA)
		}
	}
	// Bs matched Bc, the pair's first event: the second's span links to
	// the first's context (SPEC §11).
	if s := spans[traceBs]; s != nil {
		var linked []string
		for _, l := range s.Links() {
			linked = append(linked, l.SpanContext.TraceID().String()+"/"+l.SpanContext.SpanID().String())
		}
		if len(linked) != 1 || linked[0] != traceBc+"/"+spanBc {
			t.Errorf("Bs links %v, want [%s/%s] (the pair's first event)", linked, traceBc, spanBc)
		}
	}
	if s := spans[traceP]; s != nil {
		if s.Status().Code != codes.Error {
			t.Errorf("P: status %v, want error", s.Status())
		}
	}

	// Outputs carry the traceparent of the span that produced them.
	spanTP := func(tid string) string {
		if s := spans[tid]; s != nil {
			return traceparent(tid, s.SpanContext().SpanID().String(), true)
		}
		return "no span"
	}
	codecs, _ := schemas.NewCodecs(cfg.OutputFormat)
	byOutcome := map[string]kafka.Message{}
	bodyTP := map[string]string{}
	for _, m := range findings {
		ar, err := codecs.AuditRecord.Decode(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		if ar.Outcome == "client_only" && ar.TraceParent == nil {
			continue // Q, closed by idle advance
		}
		byOutcome[ar.Outcome] = m
		if ar.TraceParent != nil {
			bodyTP[ar.Outcome] = *ar.TraceParent
		}
	}
	for outcome, want := range map[string]string{"client_only": spanTP(traceBc), "matched": spanTP(traceBs)} {
		m, ok := byOutcome[outcome]
		if !ok {
			t.Errorf("no %s record", outcome)
			continue
		}
		if got := headerValue(m.Headers, HeaderTraceParent); got != want {
			t.Errorf("%s record: traceparent header %q, want %q (the producing span)", outcome, got, want)
		}
	}
	if got := bodyTP["client_only"]; got != inputs[0].tp {
		t.Errorf("client_only record body traceparent %q, want A's %q", got, inputs[0].tp)
	}
	if got := headerValue(dlq[0].Headers, HeaderTraceParent); got != spanTP(traceP) {
		t.Errorf("DLQ record traceparent %q, want %q", got, spanTP(traceP))
	}
}
