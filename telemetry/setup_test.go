package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	collmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	colltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

func envMap(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestExporterChoice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      map[string]string
		signal   string
		wantOTLP bool
		wantErr  string
	}{
		{name: "nothing set exports nothing", env: nil, signal: "traces"},
		{name: "endpoint turns otlp on", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, signal: "traces", wantOTLP: true},
		{name: "per-signal endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://c:4318/v1/metrics"}, signal: "metrics", wantOTLP: true},
		{name: "per-signal endpoint of the other signal", env: map[string]string{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://c:4318/v1/metrics"}, signal: "traces"},
		{name: "exporter none beats endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"}, signal: "traces"},
		{name: "explicit otlp", env: map[string]string{"OTEL_METRICS_EXPORTER": "prometheus,otlp"}, signal: "metrics", wantOTLP: true},
		{name: "prometheus alone", env: map[string]string{"OTEL_METRICS_EXPORTER": "prometheus"}, signal: "metrics"},
		{name: "prometheus is not a trace exporter", env: map[string]string{"OTEL_TRACES_EXPORTER": "prometheus"}, signal: "traces", wantErr: `unsupported exporter "prometheus"`},
		{name: "zipkin unsupported", env: map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, signal: "traces", wantErr: `OTEL_TRACES_EXPORTER: unsupported exporter "zipkin"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := exporterChoice(envMap(tt.env), tt.signal)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.wantOTLP {
				t.Fatalf("exporterChoice = %v, %v; want %v", got, err, tt.wantOTLP)
			}
		})
	}
	if _, err := otlpProtocol(envMap(map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}), "traces"); err == nil {
		t.Error("http/json accepted")
	}
	if p, _ := otlpProtocol(envMap(map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"}), "traces"); p != "grpc" {
		t.Errorf("per-signal protocol ignored: %s", p)
	}
}

func TestSetupValidates(t *testing.T) {
	t.Parallel()
	_, shutdown, err := Setup(context.Background(), Config{TraceRatio: 2, Getenv: envMap(nil), LogWriter: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "trace-ratio must be in [0,1], got 2") {
		t.Fatalf("Setup = %v", err)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, _, err = Setup(context.Background(), Config{Getenv: envMap(map[string]string{"OTEL_TRACES_EXPORTER": "jaeger"}), LogWriter: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "jaeger") {
		t.Fatalf("Setup with OTEL_TRACES_EXPORTER=jaeger = %v", err)
	}
}

// scrape returns the /metrics text of h.
func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics status %d: %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// TestMetricNamesOnPrometheus records every instrument once and checks
// that /metrics shows each under the name MetricNames promises (which the
// dashboards and alert rules in deploy/ use), with its labels.
func TestMetricNamesOnPrometheus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, shutdown, err := Setup(ctx, Config{TraceRatio: 0, Getenv: envMap(nil), LogWriter: io.Discard, Version: "v1.2.3", InstanceID: "test-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = shutdown(ctx) }()
	in, err := NewInstruments(s.MeterProvider)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	in.RecordsConsumed(ctx, "tracking.client", 3)
	in.RecordsProduced(ctx, "audit.findings", 2)
	in.DecodeError(ctx, "decode")
	in.DLQRecords(ctx, "decode", 1)
	in.Outcome(ctx, "matched")
	in.Finding(ctx, "DEDUP_CLIENT_ONLY", "warn")
	in.Finding(ctx, "DEDUP_CLIENT_ONLY", "warn")
	in.Rebalance(ctx)
	in.StateRestored(ctx, 4)
	in.ProcessDuration(ctx, 3*time.Millisecond)
	in.CommitDuration(ctx, CommitState, time.Millisecond)
	p := in.Partition(7, "tracking.client", "tracking.server")
	in.now = func() time.Time { return time.UnixMilli(10_000) }
	p.AddOpenGroups(5)
	p.AddOpenGroups(-2)
	p.StateBytes(4096)
	p.StreamTime(7_500)
	p.HighWatermark(0, 100)
	p.Next(0, 60)
	p.Next(1, 5) // no high watermark yet: no lag reported for the server input

	out := scrape(t, s.MetricsHandler)
	for metric, names := range MetricNames {
		for _, n := range names {
			if !strings.Contains(out, "\n"+n+"{") && !strings.Contains(out, "\n"+n+" ") {
				t.Errorf("%s: sample %s missing from /metrics", metric, n)
			}
		}
	}
	for _, want := range []string{
		`sstaudit_records_consumed_total{topic="tracking.client"} 3`,
		`sstaudit_findings_total{code="DEDUP_CLIENT_ONLY",severity="warn"} 2`,
		`sstaudit_groups_open{partition="7"} 3`,
		`sstaudit_state_bytes{partition="7"} 4096`,
		`sstaudit_stream_time_lag_seconds{partition="7"} 2.5`,
		`sstaudit_consumer_lag{partition="7",topic="tracking.client"} 40`,
		`sstaudit_commit_duration_seconds_count{target="state"} 1`,
		`target_info{`,
		`service_name="sstaudit"`,
		`service_version="v1.2.3"`,
		`service_instance_id="test-1"`,
		"go_goroutines",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(out, `topic="tracking.server",partition`) || strings.Contains(out, `sstaudit_consumer_lag{partition="7",topic="tracking.server"}`) {
		t.Error("consumer lag reported without a high watermark")
	}
	if lag, ok := in.ConsumerLag(); !ok || lag != 40 {
		t.Errorf("ConsumerLag = %d, %v; want the client input's 40 (the server input's is unknown)", lag, ok)
	}
	p.Close()
	if lag, ok := in.ConsumerLag(); ok || lag != 0 {
		t.Errorf("ConsumerLag after the partition closed = %d, %v; want unknown", lag, ok)
	}
	if out := scrape(t, s.MetricsHandler); strings.Contains(out, `sstaudit_groups_open{partition="7"}`) {
		t.Error("a closed partition is still reported")
	}
}

func TestNilInstrumentsAreSafe(t *testing.T) {
	t.Parallel()
	var in *Instruments
	ctx := context.Background()
	in.RecordsConsumed(ctx, "t", 1)
	in.Finding(ctx, "c", "s")
	in.ProcessDuration(ctx, time.Second)
	p := in.Partition(1, "t")
	p.Next(0, 1)
	if lag, ok := in.ConsumerLag(); ok || lag != 0 {
		t.Errorf("nil ConsumerLag = %d, %v", lag, ok)
	}
	p.AddOpenGroups(1)
	p.Close()
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSamplingIsParentBasedWithRatio(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, ratio := range []float64{0, 1} {
		s, shutdown, err := Setup(ctx, Config{TraceRatio: ratio, Getenv: envMap(nil), LogWriter: io.Discard, NoPrometheus: true})
		if err != nil {
			t.Fatal(err)
		}
		tr := s.TracerProvider.Tracer("test")
		_, root := tr.Start(ctx, "root")
		if got := root.SpanContext().IsSampled(); got != (ratio == 1) {
			t.Errorf("ratio %g: root sampled = %v", ratio, got)
		}
		root.End()
		for _, flags := range []string{"01", "00"} {
			carrier := propagation.MapCarrier{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-" + flags}
			pctx := s.Propagator.Extract(ctx, carrier)
			_, sp := tr.Start(pctx, "child")
			if got, want := sp.SpanContext().IsSampled(), flags == "01"; got != want {
				t.Errorf("ratio %g, parent flags %s: sampled = %v, want %v", ratio, flags, got, want)
			}
			if sp.SpanContext().TraceID().String() != "0af7651916cd43dd8448eb211c80319c" {
				t.Errorf("trace not continued: %s", sp.SpanContext().TraceID())
			}
			sp.End()
		}
		if s.MetricsHandler != nil {
			t.Error("NoPrometheus still built a handler")
		}
		if err := shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoggerAddsTraceIDs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var buf bytes.Buffer
	s, shutdown, err := Setup(ctx, Config{TraceRatio: 1, Getenv: envMap(nil), LogWriter: &buf, NoPrometheus: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = shutdown(ctx) }()
	sctx, span := s.TracerProvider.Tracer("test").Start(ctx, "op")
	s.Logger.With("component", "x").InfoContext(sctx, "with span")
	span.End()
	s.Logger.InfoContext(ctx, "without span")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", buf.String())
	}
	var with, without map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &with); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &without); err != nil {
		t.Fatal(err)
	}
	if with[LogKeyTraceID] != span.SpanContext().TraceID().String() || with[LogKeySpanID] != span.SpanContext().SpanID().String() || with["component"] != "x" {
		t.Errorf("line with span: %v", with)
	}
	if _, ok := without[LogKeyTraceID]; ok {
		t.Errorf("line without span has a trace id: %v", without)
	}
}

// otlpReceiver is an OTLP/HTTP protobuf endpoint that keeps what arrives.
type otlpReceiver struct {
	mu      sync.Mutex
	traces  []*colltrace.ExportTraceServiceRequest
	metrics []*collmetrics.ExportMetricsServiceRequest
}

func (r *otlpReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil || req.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch req.URL.Path {
	case "/v1/traces":
		m := &colltrace.ExportTraceServiceRequest{}
		if err := proto.Unmarshal(body, m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.traces = append(r.traces, m)
		out, _ := proto.Marshal(&colltrace.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	case "/v1/metrics":
		m := &collmetrics.ExportMetricsServiceRequest{}
		if err := proto.Unmarshal(body, m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.metrics = append(r.metrics, m)
		out, _ := proto.Marshal(&collmetrics.ExportMetricsServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	default:
		http.NotFound(w, req)
	}
}

// TestOTLPRoundTrip points the standard OTEL_EXPORTER_OTLP_ENDPOINT at a
// receiver and checks that a span and a metric arrive, decoded from
// protobuf, with sstaudit's resource. (t.Setenv: not parallel.)
func TestOTLPRoundTrip(t *testing.T) {
	recv := &otlpReceiver{}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_SERVICE_NAME", "")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test")
	ctx := context.Background()
	s, shutdown, err := Setup(ctx, Config{TraceRatio: 1, Version: "v9", InstanceID: "pod-0", LogWriter: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	_, span := s.TracerProvider.Tracer(ScopeName).Start(ctx, "process tracking.client", trace.WithSpanKind(trace.SpanKindConsumer))
	span.End()
	in, err := NewInstruments(s.MeterProvider)
	if err != nil {
		t.Fatal(err)
	}
	in.RecordsConsumed(ctx, "tracking.client", 42)
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := shutdown(sctx); err != nil { // flushes both signals
		t.Fatalf("shutdown: %v", err)
	}
	recv.mu.Lock()
	defer recv.mu.Unlock()

	var spanNames []string
	var res map[string]string
	for _, req := range recv.traces {
		for _, rs := range req.ResourceSpans {
			res = map[string]string{}
			for _, kv := range rs.Resource.Attributes {
				res[kv.Key] = kv.Value.GetStringValue()
			}
			for _, ss := range rs.ScopeSpans {
				for _, sp := range ss.Spans {
					spanNames = append(spanNames, sp.Name)
					if sp.Kind.String() != "SPAN_KIND_CONSUMER" {
						t.Errorf("span kind %s", sp.Kind)
					}
				}
			}
		}
	}
	if len(spanNames) != 1 || spanNames[0] != "process tracking.client" {
		t.Fatalf("spans received: %v", spanNames)
	}
	for k, v := range map[string]string{"service.name": "sstaudit", "service.version": "v9", "service.instance.id": "pod-0", "deployment.environment.name": "test"} {
		if res[k] != v {
			t.Errorf("resource %s = %q, want %q (resource %v)", k, res[k], v, res)
		}
	}
	var consumed int64
	for _, req := range recv.metrics {
		for _, rm := range req.ResourceMetrics {
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					if m.Name == MetricRecordsConsumed {
						for _, dp := range m.GetSum().GetDataPoints() {
							consumed += dp.GetAsInt()
						}
					}
				}
			}
		}
	}
	if consumed != 42 {
		t.Errorf("%s over OTLP = %d, want 42", MetricRecordsConsumed, consumed)
	}
}
