package telemetry

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// Log attribute keys of the trace context.
const (
	LogKeyTraceID = "trace_id"
	LogKeySpanID  = "span_id"
)

// TraceHandler wraps a slog.Handler and adds trace_id and span_id to every
// record logged with a context that carries a valid span context (sampled
// or not), so log lines join their traces. Records without one pass
// through unchanged.
type TraceHandler struct {
	next slog.Handler
}

var _ slog.Handler = TraceHandler{}

// NewTraceHandler returns a TraceHandler over next.
func NewTraceHandler(next slog.Handler) TraceHandler { return TraceHandler{next: next} }

// Enabled reports whether next handles level.
func (h TraceHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle adds the trace ids of ctx's span, if any, and passes r on.
func (h TraceHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil {
		if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
			r = r.Clone()
			r.AddAttrs(slog.String(LogKeyTraceID, sc.TraceID().String()), slog.String(LogKeySpanID, sc.SpanID().String()))
		}
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs returns a TraceHandler over next.WithAttrs(as).
func (h TraceHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return TraceHandler{next: h.next.WithAttrs(as)}
}

// WithGroup returns a TraceHandler over next.WithGroup(name). The trace ids
// then sit inside the group, as any attribute added by Handle does.
func (h TraceHandler) WithGroup(name string) slog.Handler {
	return TraceHandler{next: h.next.WithGroup(name)}
}
