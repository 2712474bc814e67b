package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/otlptranslator"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// ServiceName is the OpenTelemetry service.name of every sstaudit process
// (OTEL_SERVICE_NAME overrides it, as the OTel specification requires).
const ServiceName = "sstaudit"

// Settings is what components receive: the logger and the providers, all
// injected (STYLE.md), never taken from globals.
type Settings struct {
	Logger         *slog.Logger
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	// Propagator reads and writes trace context in Kafka headers
	// (W3C traceparent/tracestate and baggage).
	Propagator propagation.TextMapPropagator
	// MetricsHandler serves the Prometheus exposition of MeterProvider's
	// metrics (/metrics); nil when metrics are not exported that way.
	MetricsHandler http.Handler
}

// NopSettings returns settings that record nothing: a discarding logger,
// no-op providers, the W3C propagator and no metrics handler. Tests and
// library defaults use it.
func NopSettings() Settings {
	return Settings{
		Logger:         slog.New(slog.DiscardHandler),
		TracerProvider: tracenoop.NewTracerProvider(),
		MeterProvider:  metricnoop.NewMeterProvider(),
		Propagator:     DefaultPropagator(),
	}
}

// DefaultPropagator is W3C trace context plus baggage.
func DefaultPropagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// Config configures Setup. The exporters themselves follow the standard
// OTEL_* environment (endpoint, headers, protocol, timeouts, export
// interval); Config holds what sstaudit's own flags decide.
type Config struct {
	// Version is service.version (the binary's version).
	Version string
	// InstanceID is service.instance.id (default: the host name).
	InstanceID string
	// TraceRatio is the share of root traces sampled, in [0,1]. Records whose
	// traceparent header carries a sampling decision follow it (parent-based
	// sampling). Default 0.01 via NewDefaultConfig.
	TraceRatio float64
	// Log configures the logger; LogWriter is where it writes (default
	// os.Stderr).
	Log       LogConfig
	LogWriter io.Writer
	// Getenv reads the environment (default os.Getenv). Only the exporter
	// selection goes through it; the OTLP exporters read their own OTEL_*
	// variables from the process environment.
	Getenv func(string) string
	// NoPrometheus disables the Prometheus reader (commands without /metrics).
	NoPrometheus bool
}

// NewDefaultConfig returns the defaults: trace ratio 0.01 (SPEC §11), info
// JSON logs to stderr.
func NewDefaultConfig() Config {
	return Config{TraceRatio: 0.01, Log: NewDefaultLogConfig()}
}

// Validate reports every problem with c.
func (c Config) Validate() error {
	var errs []error
	if !(c.TraceRatio >= 0 && c.TraceRatio <= 1) {
		errs = append(errs, fmt.Errorf("trace-ratio must be in [0,1], got %g", c.TraceRatio))
	}
	if err := c.Log.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Exporter names of OTEL_TRACES_EXPORTER and OTEL_METRICS_EXPORTER that
// Setup understands.
const (
	ExporterOTLP       = "otlp"
	ExporterNone       = "none"
	ExporterPrometheus = "prometheus" // metrics only; the /metrics reader is always on anyway
)

// exporterChoice decides a signal's exporter from the OTEL_* environment:
// OTEL_<SIGNAL>_EXPORTER when set (a comma-separated list; we honour otlp,
// none and, for metrics, prometheus), else otlp when an OTLP endpoint is
// configured for the signal, else none. The OTel default of otlp without
// an endpoint would send to localhost:4318 and log failures forever, so
// sstaudit exports nothing until told where.
func exporterChoice(getenv func(string) string, signal string) (otlp bool, err error) {
	up := strings.ToUpper(signal)
	if v := strings.TrimSpace(getenv("OTEL_" + up + "_EXPORTER")); v != "" {
		for name := range strings.SplitSeq(v, ",") {
			switch n := strings.ToLower(strings.TrimSpace(name)); {
			case n == ExporterOTLP:
				otlp = true
			case n == ExporterNone, n == "":
			case n == ExporterPrometheus && signal == "metrics":
			default:
				return false, fmt.Errorf("OTEL_%s_EXPORTER: unsupported exporter %q (use otlp or none)", up, n)
			}
		}
		return otlp, nil
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_"+up+"_ENDPOINT") != "", nil
}

// otlpProtocol is OTEL_EXPORTER_OTLP_<SIGNAL>_PROTOCOL, else
// OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf (the specification's
// default).
func otlpProtocol(getenv func(string) string, signal string) (string, error) {
	p := getenv("OTEL_EXPORTER_OTLP_" + strings.ToUpper(signal) + "_PROTOCOL")
	if p == "" {
		p = getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	switch p {
	case "", "http/protobuf":
		return "http/protobuf", nil
	case "grpc":
		return p, nil
	}
	return "", fmt.Errorf("OTLP protocol %q for %s is not supported (use grpc or http/protobuf)", p, signal)
}

// Setup builds the logger, the tracer and meter providers and the /metrics
// handler. The returned shutdown flushes and stops the exporters; call it
// once, with a deadline shorter than the process's termination grace. On
// error nothing is left running.
func Setup(ctx context.Context, cfg Config) (Settings, func(context.Context) error, error) {
	noShutdown := func(context.Context) error { return nil }
	if err := cfg.Validate(); err != nil {
		return Settings{}, noShutdown, fmt.Errorf("telemetry: %w", err)
	}
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	w := cfg.LogWriter
	if w == nil {
		w = os.Stderr
	}
	base, err := NewLogger(w, cfg.Log)
	if err != nil {
		return Settings{}, noShutdown, err
	}
	logger := slog.New(NewTraceHandler(base.Handler()))

	res, err := newResource(ctx, cfg)
	if err != nil {
		return Settings{}, noShutdown, err
	}

	var shutdowns []func(context.Context) error
	shutdown := func(ctx context.Context) error {
		var errs []error
		for i := len(shutdowns) - 1; i >= 0; i-- {
			errs = append(errs, shutdowns[i](ctx))
		}
		shutdowns = nil
		return errors.Join(errs...)
	}
	fail := func(err error) (Settings, func(context.Context) error, error) {
		_ = shutdown(context.WithoutCancel(ctx))
		return Settings{}, noShutdown, fmt.Errorf("telemetry: %w", err)
	}

	// Traces.
	tpOpts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.TraceRatio))),
	}
	otlpTraces, err := exporterChoice(getenv, "traces")
	if err != nil {
		return fail(err)
	}
	if otlpTraces {
		exp, err := newTraceExporter(ctx, getenv)
		if err != nil {
			return fail(err)
		}
		tpOpts = append(tpOpts, sdktrace.WithBatcher(exp))
	}
	tp := sdktrace.NewTracerProvider(tpOpts...)
	shutdowns = append(shutdowns, tp.Shutdown)

	// Metrics.
	mpOpts := []sdkmetric.Option{sdkmetric.WithResource(res)}
	var handler http.Handler
	if !cfg.NoPrometheus {
		reader, h, err := NewPrometheusReader()
		if err != nil {
			return fail(err)
		}
		mpOpts = append(mpOpts, sdkmetric.WithReader(reader))
		handler = h
	}
	otlpMetrics, err := exporterChoice(getenv, "metrics")
	if err != nil {
		return fail(err)
	}
	if otlpMetrics {
		exp, err := newMetricExporter(ctx, getenv)
		if err != nil {
			return fail(err)
		}
		// The reader takes its interval from OTEL_METRIC_EXPORT_INTERVAL.
		mpOpts = append(mpOpts, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp)))
	}
	mp := sdkmetric.NewMeterProvider(mpOpts...)
	shutdowns = append(shutdowns, mp.Shutdown)

	logger.Debug("telemetry ready", "trace_exporter", choiceName(otlpTraces), "metric_exporter", choiceName(otlpMetrics),
		"trace_ratio", cfg.TraceRatio, "prometheus", handler != nil)
	return Settings{
		Logger:         logger,
		TracerProvider: tp,
		MeterProvider:  mp,
		Propagator:     DefaultPropagator(),
		MetricsHandler: handler,
	}, shutdown, nil
}

func choiceName(otlp bool) string {
	if otlp {
		return ExporterOTLP
	}
	return ExporterNone
}

// NewPrometheusReader returns a metric reader for an SDK MeterProvider and
// the handler that serves what it collects, in the Prometheus text format.
// It uses a registry of its own (never the client library's global one),
// with the Go runtime and process collectors added, and translates names
// with UnderscoreEscapingWithSuffixes, set explicitly because the
// exporter's default is planned to change: counters gain _total and units
// a suffix (sstaudit.process.duration → sstaudit_process_duration_seconds).
func NewPrometheusReader() (sdkmetric.Reader, http.Handler, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, nil, err
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, nil, err
	}
	exp, err := otelprom.New(
		otelprom.WithRegisterer(reg),
		otelprom.WithTranslationStrategy(otlptranslator.UnderscoreEscapingWithSuffixes),
		otelprom.WithoutScopeInfo(),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	return exp, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), nil
}

func newResource(ctx context.Context, cfg Config) (*resource.Resource, error) {
	id := cfg.InstanceID
	if id == "" {
		id, _ = os.Hostname()
	}
	attrs := []resource.Option{
		resource.WithSchemaURL(semconv.SchemaURL),
		resource.WithAttributes(semconv.ServiceName(ServiceName)),
		resource.WithTelemetrySDK(),
	}
	if cfg.Version != "" {
		attrs = append(attrs, resource.WithAttributes(semconv.ServiceVersion(cfg.Version)))
	}
	if id != "" {
		attrs = append(attrs, resource.WithAttributes(semconv.ServiceInstanceID(id)))
	}
	// OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME come last, so they win.
	attrs = append(attrs, resource.WithFromEnv())
	res, err := resource.New(ctx, attrs...)
	if err != nil {
		return nil, fmt.Errorf("resource: %w", err)
	}
	return res, nil
}

func newTraceExporter(ctx context.Context, getenv func(string) string) (sdktrace.SpanExporter, error) {
	proto, err := otlpProtocol(getenv, "traces")
	if err != nil {
		return nil, err
	}
	var exp sdktrace.SpanExporter
	if proto == "grpc" {
		exp, err = otlptracegrpc.New(ctx)
	} else {
		exp, err = otlptracehttp.New(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("otlp trace exporter (%s): %w", proto, err)
	}
	return exp, nil
}

func newMetricExporter(ctx context.Context, getenv func(string) string) (sdkmetric.Exporter, error) {
	proto, err := otlpProtocol(getenv, "metrics")
	if err != nil {
		return nil, err
	}
	var exp sdkmetric.Exporter
	if proto == "grpc" {
		exp, err = otlpmetricgrpc.New(ctx)
	} else {
		exp, err = otlpmetrichttp.New(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("otlp metric exporter (%s): %w", proto, err)
	}
	return exp, nil
}

// ShutdownTimeout is the flush deadline main should give shutdown: well
// inside the 30 s Kubernetes default grace, after the pipeline's own
// shutdown (deploy/k8s sets terminationGracePeriodSeconds to 60).
const ShutdownTimeout = 5 * time.Second
