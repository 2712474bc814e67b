package consumers

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/sstaudit/sstaudit/processors/join"
	"github.com/sstaudit/sstaudit/schemas"
	"github.com/sstaudit/sstaudit/state"
	"github.com/sstaudit/sstaudit/telemetry"
)

// pipelineTel is the pipeline's share of telemetry: the instruments and the
// tracer of Config.Telemetry. A nil *pipelineTel (no telemetry configured)
// records nothing; every method is nil-safe, so call sites need no checks.
//
// Spans follow the messaging semantic conventions for Kafka: one CONSUMER
// span "process <topic>" per input record, a child of the record's
// traceparent header when it has one (so the producer's sampling decision
// holds), else a root sampled at --trace-ratio. Span attributes never carry
// message keys (event ids are user-linked) or payload values.
type pipelineTel struct {
	in     *telemetry.Instruments
	tracer trace.Tracer // nil: no tracing
	prop   propagation.TextMapPropagator
	group  attribute.KeyValue
	dlq    string
}

// newPipelineTel builds the pipeline's telemetry from s; with neither
// provider set it returns nil.
func newPipelineTel(s telemetry.Settings, cfg *Config) (*pipelineTel, error) {
	if s.MeterProvider == nil && s.TracerProvider == nil {
		return nil, nil
	}
	pt := &pipelineTel{prop: s.Propagator, group: semconv.MessagingConsumerGroupName(cfg.Group), dlq: cfg.DLQTopic}
	if pt.prop == nil {
		pt.prop = telemetry.DefaultPropagator()
	}
	if s.MeterProvider != nil {
		in, err := telemetry.NewInstruments(s.MeterProvider)
		if err != nil {
			return nil, err
		}
		pt.in = in
	}
	if s.TracerProvider != nil {
		pt.tracer = s.TracerProvider.Tracer(telemetry.ScopeName)
	}
	return pt, nil
}

// close stops the observable gauges' callback.
func (pt *pipelineTel) close() {
	if pt != nil {
		_ = pt.in.Close()
	}
}

func (pt *pipelineTel) instruments() *telemetry.Instruments {
	if pt == nil {
		return nil
	}
	return pt.in
}

// rebalance counts a generation joined.
func (pt *pipelineTel) rebalance() { pt.instruments().Rebalance(context.Background()) }

// consumedTopic counts one input message of topic (the repartition stage).
func (pt *pipelineTel) consumedTopic(topic string) {
	pt.instruments().RecordsConsumed(context.Background(), topic, 1)
}

// decodeError counts an input that could not be decoded, by the reason its
// DLQ record carries.
func (pt *pipelineTel) decodeError(err error) {
	if pt != nil {
		pt.in.DecodeError(context.Background(), dlqReason(err))
	}
}

// dlqReason is the sstaudit-error reason of a decode error (as dlqFor
// writes it).
func dlqReason(err error) string {
	if r := string(schemas.ReasonOf(err)); r != "" {
		return r
	}
	return ReasonDecodePanic
}

// audit counts an emitted audit record: its outcome and its findings by
// code and severity.
func (pt *pipelineTel) audit(a *schemas.AuditRecord) {
	if pt == nil || pt.in == nil {
		return
	}
	ctx := context.Background()
	pt.in.Outcome(ctx, a.Outcome)
	for i := range a.Findings {
		pt.in.Finding(ctx, a.Findings[i].Code, a.Findings[i].Severity)
	}
}

// produced counts acknowledged output records by topic, and DLQ records by
// reason.
func (pt *pipelineTel) produced(msgs []kafka.Message) {
	if pt == nil || pt.in == nil || len(msgs) == 0 {
		return
	}
	ctx := context.Background()
	topic, n := msgs[0].Topic, int64(0)
	for i := range msgs {
		m := &msgs[i]
		if m.Topic != topic {
			pt.in.RecordsProduced(ctx, topic, n)
			topic, n = m.Topic, 0
		}
		n++
		if m.Topic == pt.dlq {
			pt.in.DLQRecords(ctx, headerValue(m.Headers, HeaderError), 1)
		}
	}
	pt.in.RecordsProduced(ctx, topic, n)
}

// taskTel is one task's telemetry: its gauges, cached span names and the
// open-group counting wrapper of its state transactions. Nil-safe.
type taskTel struct {
	pt        *pipelineTel
	gauges    *telemetry.Partition
	topics    [2]string
	spanNames [2]string
	partition attribute.KeyValue
	groups    groupCounter
}

func (pt *pipelineTel) task(part int, topics [2]string) *taskTel {
	if pt == nil {
		return nil
	}
	return &taskTel{
		pt: pt, gauges: pt.in.Partition(part, topics[0], topics[1]), topics: topics,
		spanNames: [2]string{"process " + topics[0], "process " + topics[1]},
		partition: semconv.MessagingDestinationPartitionID(strconv.Itoa(part)),
	}
}

// close stops reporting the task's gauges (its partition may move).
func (tt *taskTel) close() {
	if tt != nil {
		tt.gauges.Close()
	}
}

// fetched notes the high watermark a fetched record of input side carried.
func (tt *taskTel) fetched(side int, m *kafka.Message) {
	if tt != nil {
		tt.gauges.HighWatermark(side, m.HighWaterMark)
	}
}

// consumed counts an applied input record of side.
func (tt *taskTel) consumed(side int) {
	if tt != nil {
		tt.pt.instruments().RecordsConsumed(context.Background(), tt.topics[side], 1)
	}
}

// processed records a batch's duration (when it had input) and the task's
// position: next offsets and stream time, for the lag gauges.
func (tt *taskTel) processed(start time.Time, n int, next [2]int64, streamTime int64) {
	if tt == nil {
		return
	}
	if n > 0 {
		tt.pt.instruments().ProcessDuration(context.Background(), time.Since(start))
	}
	tt.gauges.Next(0, next[0])
	tt.gauges.Next(1, next[1])
	tt.gauges.StreamTime(streamTime)
}

// committed records a state commit's duration and, as it is now durable,
// the open-group change of the transaction.
func (tt *taskTel) committed(start time.Time) {
	if tt == nil {
		return
	}
	tt.pt.instruments().CommitDuration(context.Background(), telemetry.CommitState, time.Since(start))
	tt.gauges.AddOpenGroups(tt.groups.take())
}

// groupCommitted records a consumer-group commit's duration and samples the
// store's size (both happen every CommitInterval).
func (tt *taskTel) groupCommitted(start time.Time, store *state.Store) {
	if tt == nil {
		return
	}
	tt.pt.instruments().CommitDuration(context.Background(), telemetry.CommitGroup, time.Since(start))
	if store != nil {
		lsm, vlog := store.Size()
		tt.gauges.StateBytes(lsm + vlog)
	}
}

// state returns tx for the join, wrapped to count the groups it opens and
// closes (sstaudit.groups.open) when telemetry is on.
func (tt *taskTel) state(tx *state.Tx) join.State {
	if tt == nil || tt.gauges == nil {
		return tx
	}
	tt.groups.State = tx
	return &tt.groups
}

// groupCounter counts OpenGroup and DeleteGroup calls of the transaction in
// hand; take returns the net change once the transaction commits. A
// discarded transaction's count is dropped with its task (a task that fails
// is rebuilt), so the gauge follows committed state only. Groups restored
// from a store that existed before the task started are not in the count
// until they close, so the gauge is exact one match window plus grace of
// stream time after a restart; before that it undercounts (Badger offers no
// cheap count of a key prefix).
type groupCounter struct {
	join.State
	delta int64
}

func (g *groupCounter) OpenGroup(key []byte, closeAt int64, val []byte) error {
	if err := g.State.OpenGroup(key, closeAt, val); err != nil {
		return err
	}
	g.delta++
	return nil
}

func (g *groupCounter) DeleteGroup(key []byte, closeAt int64) error {
	if err := g.State.DeleteGroup(key, closeAt); err != nil {
		return err
	}
	g.delta--
	return nil
}

func (g *groupCounter) take() int64 {
	d := g.delta
	g.delta = 0
	return d
}

// processSpan is an input record's span while the task applies it; mark is
// where the outputs it causes start in task.out.
type processSpan struct {
	span trace.Span
	mark int
}

// startProcess starts the CONSUMER span of input m (of side), continuing
// the trace of its traceparent header. Attributes are built only for a
// recording (sampled) span.
func (tt *taskTel) startProcess(m *kafka.Message, side int, mark int) processSpan {
	if tt == nil || tt.pt.tracer == nil {
		return processSpan{}
	}
	ctx := tt.pt.prop.Extract(context.Background(), HeaderCarrier{Headers: &m.Headers})
	_, span := tt.pt.tracer.Start(ctx, tt.spanNames[side], trace.WithSpanKind(trace.SpanKindConsumer))
	if span.IsRecording() {
		span.SetAttributes(
			semconv.MessagingSystemKafka,
			semconv.MessagingOperationTypeProcess,
			semconv.MessagingOperationName("process"),
			semconv.MessagingDestinationName(m.Topic),
			tt.partition,
			tt.pt.group,
			semconv.MessagingKafkaOffset(int(m.Offset)),
			semconv.MessagingMessageBodySize(len(m.Value)),
		)
	}
	return processSpan{span: span, mark: mark}
}

// addLink links the span of the record being processed to the event whose
// W3C traceparent is given (a matched pair's first event).
func (tt *taskTel) addLink(ps processSpan, traceparent string) {
	if ps.span == nil || !ps.span.IsRecording() || traceparent == "" {
		return
	}
	hs := []kafka.Header{{Key: HeaderTraceParent, Value: []byte(traceparent)}}
	if sc := trace.SpanContextFromContext(tt.pt.prop.Extract(context.Background(), HeaderCarrier{Headers: &hs})); sc.IsValid() {
		ps.span.AddLink(trace.Link{SpanContext: sc})
	}
}

// endProcess ends the span of an input record. The outputs it caused
// (out[mark:]: audit records, window metrics, its DLQ record) get the
// span's context as their traceparent header, replacing the one they came
// with; when that one belonged to another trace (an orphan closed because
// this record moved stream time, a pair's first event), the span links to
// it instead.
func (tt *taskTel) endProcess(ps processSpan, out []kafka.Message, err error) {
	if ps.span == nil {
		return
	}
	sc := ps.span.SpanContext()
	recording := ps.span.IsRecording()
	for i := ps.mark; i < len(out); i++ {
		m := &out[i]
		carrier := HeaderCarrier{Headers: &m.Headers}
		if recording {
			if prev := trace.SpanContextFromContext(tt.pt.prop.Extract(context.Background(), carrier)); prev.IsValid() && prev.TraceID() != sc.TraceID() {
				ps.span.AddLink(trace.Link{SpanContext: prev})
			}
			if m.Topic == tt.pt.dlq {
				reason := headerValue(m.Headers, HeaderError)
				ps.span.SetAttributes(semconv.ErrorTypeKey.String(reason))
				ps.span.SetStatus(codes.Error, "undecodable input sent to the DLQ: "+reason)
			}
		}
		if sc.IsValid() {
			tt.pt.prop.Inject(trace.ContextWithSpanContext(context.Background(), sc), carrier)
		}
	}
	if err != nil && recording {
		ps.span.SetStatus(codes.Error, "apply failed")
		ps.span.SetAttributes(semconv.ErrorTypeKey.String(fmt.Sprintf("%T", err)))
	}
	ps.span.End()
}
