// Package telemetry builds sstaudit's observability from configuration: the
// structured logger, the OpenTelemetry tracer and meter providers, the
// Prometheus /metrics handler, and the Instruments every task records to.
//
// Nothing here is global. Setup returns Settings (logger, providers,
// propagator, metrics handler) and a shutdown func that main hands on and
// calls (STYLE.md: telemetry is injected), so tests can pass NopSettings or
// in-memory providers and never interfere. No otel.Set… or
// prometheus.DefaultRegisterer is touched.
//
// Exporters follow the standard OTEL_* environment: traces and metrics go
// over OTLP (http/protobuf by default, grpc on request) only when
// OTEL_EXPORTER_OTLP_ENDPOINT (or the per-signal variant) or
// OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER say so; by default nothing
// is exported except /metrics, whose reader is always on. Sampling is
// parent-based: a record's traceparent decides, else --trace-ratio.
//
// Logs record state changes (started, assigned, revoked, stopped), never one
// line per message, and never plaintext personal data (SPEC §10, §11); the
// TraceHandler adds trace_id and span_id from the context. Metric labels
// come from bounded sets (topics, partitions, reason and finding codes,
// outcomes), never from payloads or keys.
package telemetry
