package telemetry

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// ScopeName is the instrumentation scope of sstaudit's own metrics and spans.
const ScopeName = "github.com/sstaudit/sstaudit"

// Metric names (SPEC §11). On /metrics the Prometheus exporter translates
// them: dots become underscores, counters gain _total and units a suffix
// (MetricNames lists each as it appears there).
const (
	MetricRecordsConsumed = "sstaudit.records.consumed"      // counter {topic}: every input message, once
	MetricRecordsProduced = "sstaudit.records.produced"      // counter {topic}: output records acknowledged
	MetricDecodeErrors    = "sstaudit.decode.errors"         // counter {reason}
	MetricDLQRecords      = "sstaudit.dlq.records"           // counter {reason}: DLQ records acknowledged
	MetricFindings        = "sstaudit.findings"              // counter {code, severity}: findings in emitted audit records
	MetricOutcomes        = "sstaudit.outcomes"              // counter {outcome}: emitted audit records
	MetricRebalances      = "sstaudit.rebalances"            // counter: consumer-group generations joined
	MetricRestoreRecords  = "sstaudit.state.restore.records" // counter: changelog records restored
	MetricProcessDuration = "sstaudit.process.duration"      // histogram, s: one batch, input to committed state
	MetricCommitDuration  = "sstaudit.commit.duration"       // histogram, s {target}: state or group commit
	MetricGroupsOpen      = "sstaudit.groups.open"           // gauge {partition}: join groups open
	MetricStateBytes      = "sstaudit.state.bytes"           // gauge, By {partition}: store size on disk
	MetricStreamTimeLag   = "sstaudit.stream_time.lag"       // gauge, s {partition}: wall clock − stream time
	MetricConsumerLag     = "sstaudit.consumer.lag"          // gauge {topic, partition}: high watermark − next offset
)

// MetricNames maps each metric to the sample names it has on /metrics
// (the translation of NewPrometheusReader). deploy's tests check dashboards
// and alert rules against it.
var MetricNames = map[string][]string{
	MetricRecordsConsumed: {"sstaudit_records_consumed_total"},
	MetricRecordsProduced: {"sstaudit_records_produced_total"},
	MetricDecodeErrors:    {"sstaudit_decode_errors_total"},
	MetricDLQRecords:      {"sstaudit_dlq_records_total"},
	MetricFindings:        {"sstaudit_findings_total"},
	MetricOutcomes:        {"sstaudit_outcomes_total"},
	MetricRebalances:      {"sstaudit_rebalances_total"},
	MetricRestoreRecords:  {"sstaudit_state_restore_records_total"},
	MetricProcessDuration: histogramNames("sstaudit_process_duration_seconds"),
	MetricCommitDuration:  histogramNames("sstaudit_commit_duration_seconds"),
	MetricGroupsOpen:      {"sstaudit_groups_open"},
	MetricStateBytes:      {"sstaudit_state_bytes"},
	MetricStreamTimeLag:   {"sstaudit_stream_time_lag_seconds"},
	MetricConsumerLag:     {"sstaudit_consumer_lag"},
}

func histogramNames(base string) []string {
	return []string{base + "_bucket", base + "_sum", base + "_count"}
}

// Attribute keys of sstaudit's metrics. Values come from bounded sets
// (topics, partitions, reason and finding codes, outcomes), never from
// payloads or keys.
const (
	AttrTopic     = attribute.Key("topic")
	AttrPartition = attribute.Key("partition")
	AttrReason    = attribute.Key("reason")
	AttrCode      = attribute.Key("code")
	AttrSeverity  = attribute.Key("severity")
	AttrOutcome   = attribute.Key("outcome")
	AttrTarget    = attribute.Key("target")
)

// Commit targets of sstaudit.commit.duration.
const (
	CommitState = "state" // the Badger transaction holding state and offsets
	CommitGroup = "group" // the consumer-group offset commit
)

// durationBuckets (seconds) cover a fast batch (sub-millisecond) to a broker
// outage's retries.
var durationBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// Instruments are sstaudit's metrics, created once from a MeterProvider and
// shared by every task. All methods are safe for concurrent use, and safe on
// a nil *Instruments (they do nothing), so components built without
// telemetry need no checks.
type Instruments struct {
	consumed, produced, decodeErrors, dlq, findings, outcomes, rebalances, restored metric.Int64Counter
	processDur, commitDur                                                           metric.Float64Histogram

	groupsOpen, stateBytes, consumerLag metric.Int64ObservableGauge
	streamLag                           metric.Float64ObservableGauge
	reg                                 metric.Registration

	opts sync.Map // attribute values → metric.MeasurementOption

	mu         sync.Mutex
	partitions map[*Partition]struct{}
	now        func() time.Time
}

// NewInstruments creates the instruments on mp's meter for ScopeName.
func NewInstruments(mp metric.MeterProvider) (*Instruments, error) {
	m := mp.Meter(ScopeName)
	in := &Instruments{partitions: map[*Partition]struct{}{}, now: time.Now}
	var errs []error
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	hist := func(name, desc string) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc),
			metric.WithExplicitBucketBoundaries(durationBuckets...))
		errs = append(errs, err)
		return h
	}
	in.consumed = counter(MetricRecordsConsumed, "{record}", "Input messages consumed, each counted once (redeliveries skipped).")
	in.produced = counter(MetricRecordsProduced, "{record}", "Output records acknowledged by the brokers.")
	in.decodeErrors = counter(MetricDecodeErrors, "{record}", "Input messages that could not be decoded.")
	in.dlq = counter(MetricDLQRecords, "{record}", "Records written to the dead-letter topic.")
	in.findings = counter(MetricFindings, "{finding}", "Findings in emitted audit records.")
	in.outcomes = counter(MetricOutcomes, "{record}", "Audit records emitted, by join outcome.")
	in.rebalances = counter(MetricRebalances, "{rebalance}", "Consumer-group generations joined.")
	in.restored = counter(MetricRestoreRecords, "{record}", "State changelog records restored.")
	in.processDur = hist(MetricProcessDuration, "Time to process one batch of input: decode, join, produce outputs, commit state.")
	in.commitDur = hist(MetricCommitDuration, "Time to commit state transactions and consumer-group offsets.")

	var err error
	in.groupsOpen, err = m.Int64ObservableGauge(MetricGroupsOpen, metric.WithUnit("{group}"),
		metric.WithDescription("Join groups open (waiting for the other side or the match window), per task."))
	errs = append(errs, err)
	in.stateBytes, err = m.Int64ObservableGauge(MetricStateBytes, metric.WithUnit("By"),
		metric.WithDescription("Size of a task's state store on disk (LSM tree and value log)."))
	errs = append(errs, err)
	in.consumerLag, err = m.Int64ObservableGauge(MetricConsumerLag, metric.WithUnit("{record}"),
		metric.WithDescription("Records between a partition's high watermark and the next offset to apply."))
	errs = append(errs, err)
	in.streamLag, err = m.Float64ObservableGauge(MetricStreamTimeLag, metric.WithUnit("s"),
		metric.WithDescription("Wall clock minus a task's stream time (the highest record time applied)."))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("telemetry: instruments: %w", err)
	}
	in.reg, err = m.RegisterCallback(in.observe, in.groupsOpen, in.stateBytes, in.consumerLag, in.streamLag)
	if err != nil {
		return nil, fmt.Errorf("telemetry: instruments: %w", err)
	}
	return in, nil
}

// Close unregisters the observable gauges' callback. It is idempotent and
// safe on nil.
func (in *Instruments) Close() error {
	if in == nil {
		return nil
	}
	in.mu.Lock()
	reg := in.reg
	in.reg = nil
	in.mu.Unlock()
	if reg == nil {
		return nil
	}
	return reg.Unregister()
}

type optKey struct{ k1, v1, k2, v2 string }

// opt returns a cached measurement option for one or two attributes, so the
// hot path allocates nothing once a label set has been seen.
func (in *Instruments) opt(k1 attribute.Key, v1 string, k2 attribute.Key, v2 string) metric.MeasurementOption {
	key := optKey{string(k1), v1, string(k2), v2}
	if o, ok := in.opts.Load(key); ok {
		return o.(metric.MeasurementOption)
	}
	var set attribute.Set
	if k2 == "" {
		set = attribute.NewSet(k1.String(v1))
	} else {
		set = attribute.NewSet(k1.String(v1), k2.String(v2))
	}
	o, _ := in.opts.LoadOrStore(key, metric.WithAttributeSet(set))
	return o.(metric.MeasurementOption)
}

// RecordsConsumed counts n input messages of topic.
func (in *Instruments) RecordsConsumed(ctx context.Context, topic string, n int64) {
	if in != nil && n > 0 {
		in.consumed.Add(ctx, n, in.opt(AttrTopic, topic, "", ""))
	}
}

// RecordsProduced counts n acknowledged output records of topic.
func (in *Instruments) RecordsProduced(ctx context.Context, topic string, n int64) {
	if in != nil && n > 0 {
		in.produced.Add(ctx, n, in.opt(AttrTopic, topic, "", ""))
	}
}

// DecodeError counts an undecodable input message.
func (in *Instruments) DecodeError(ctx context.Context, reason string) {
	if in != nil {
		in.decodeErrors.Add(ctx, 1, in.opt(AttrReason, reason, "", ""))
	}
}

// DLQRecords counts n acknowledged dead-letter records.
func (in *Instruments) DLQRecords(ctx context.Context, reason string, n int64) {
	if in != nil && n > 0 {
		in.dlq.Add(ctx, n, in.opt(AttrReason, reason, "", ""))
	}
}

// Outcome counts one emitted audit record by its join outcome.
func (in *Instruments) Outcome(ctx context.Context, outcome string) {
	if in != nil {
		in.outcomes.Add(ctx, 1, in.opt(AttrOutcome, outcome, "", ""))
	}
}

// Finding counts one finding of an emitted audit record.
func (in *Instruments) Finding(ctx context.Context, code, severity string) {
	if in != nil {
		in.findings.Add(ctx, 1, in.opt(AttrCode, code, AttrSeverity, severity))
	}
}

// Rebalance counts a consumer-group generation joined.
func (in *Instruments) Rebalance(ctx context.Context) {
	if in != nil {
		in.rebalances.Add(ctx, 1)
	}
}

// StateRestored counts n state records restored from the changelog.
func (in *Instruments) StateRestored(ctx context.Context, n int64) {
	if in != nil && n > 0 {
		in.restored.Add(ctx, n)
	}
}

// ProcessDuration records the time one batch took.
func (in *Instruments) ProcessDuration(ctx context.Context, d time.Duration) {
	if in != nil {
		in.processDur.Record(ctx, d.Seconds())
	}
}

// CommitDuration records the time a commit to target (CommitState or
// CommitGroup) took.
func (in *Instruments) CommitDuration(ctx context.Context, target string, d time.Duration) {
	if in != nil {
		in.commitDur.Record(ctx, d.Seconds(), in.opt(AttrTarget, target, "", ""))
	}
}

// Partition is one task's view for the observable gauges: the task sets
// the values as it works, the metrics reader observes them. Its setters are
// safe for concurrent use with observation, and do nothing on nil.
type Partition struct {
	in     *Instruments
	attrs  metric.MeasurementOption
	topics []partitionTopic

	openGroups atomic.Int64
	stateBytes atomic.Int64
	streamTime atomic.Int64 // unix ms; 0 until the first record
}

type partitionTopic struct {
	attrs     metric.MeasurementOption
	next, hwm atomic.Int64 // -1 when unknown
}

// lag is the high watermark − the next offset, when both are known.
func (t *partitionTopic) lag() (int64, bool) {
	next, hwm := t.next.Load(), t.hwm.Load()
	if next < 0 || hwm < 0 {
		return 0, false
	}
	return max(hwm-next, 0), true
}

// Partition starts reporting the gauges of partition part of topics (the
// inputs a task consumes, in the order the setters' index uses). Call
// Close when the task stops, so a partition that moved to another instance
// is no longer reported here.
func (in *Instruments) Partition(part int, topics ...string) *Partition {
	if in == nil {
		return nil
	}
	ps := strconv.Itoa(part)
	p := &Partition{in: in, attrs: in.opt(AttrPartition, ps, "", ""), topics: make([]partitionTopic, len(topics))}
	for i, t := range topics {
		p.topics[i].attrs = in.opt(AttrTopic, t, AttrPartition, ps)
		p.topics[i].next.Store(-1)
		p.topics[i].hwm.Store(-1)
	}
	in.mu.Lock()
	in.partitions[p] = struct{}{}
	in.mu.Unlock()
	return p
}

// Close stops reporting p. It is idempotent and safe on nil.
func (p *Partition) Close() {
	if p == nil {
		return
	}
	p.in.mu.Lock()
	delete(p.in.partitions, p)
	p.in.mu.Unlock()
}

// HighWatermark records the high watermark last fetched from input i.
func (p *Partition) HighWatermark(i int, hwm int64) {
	if p != nil && hwm > 0 {
		p.topics[i].hwm.Store(hwm)
	}
}

// Next records the next offset input i will apply (a negative value, a
// logical offset such as "first", leaves the lag unknown).
func (p *Partition) Next(i int, next int64) {
	if p != nil {
		p.topics[i].next.Store(next)
	}
}

// StreamTime records the task's stream time (unix ms).
func (p *Partition) StreamTime(ms int64) {
	if p != nil && ms > 0 {
		p.streamTime.Store(ms)
	}
}

// AddOpenGroups adds delta (opened minus closed, from committed state
// transactions) to the open join groups.
func (p *Partition) AddOpenGroups(delta int64) {
	if p != nil && delta != 0 {
		p.openGroups.Add(delta)
	}
}

// StateBytes records the store's size on disk.
func (p *Partition) StateBytes(n int64) {
	if p != nil {
		p.stateBytes.Store(n)
	}
}

func (in *Instruments) observe(_ context.Context, o metric.Observer) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	now := in.now().UnixMilli()
	for p := range in.partitions {
		o.ObserveInt64(in.groupsOpen, p.openGroups.Load(), p.attrs)
		o.ObserveInt64(in.stateBytes, p.stateBytes.Load(), p.attrs)
		if st := p.streamTime.Load(); st > 0 {
			o.ObserveFloat64(in.streamLag, float64(now-st)/1000, p.attrs)
		}
		for i := range p.topics {
			if lag, ok := p.topics[i].lag(); ok {
				o.ObserveInt64(in.consumerLag, lag, p.topics[i].attrs)
			}
		}
	}
	return nil
}

// ConsumerLag sums the consumer lag (high watermark − next offset) over every
// input of every open partition whose lag is known; ok is false when none is
// known yet. It is the figure the sstaudit.consumer.lag gauges report, for the
// dashboard. Safe on nil (0, false).
func (in *Instruments) ConsumerLag() (records int64, ok bool) {
	if in == nil {
		return 0, false
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	for p := range in.partitions {
		for i := range p.topics {
			if lag, known := p.topics[i].lag(); known {
				records, ok = records+lag, true
			}
		}
	}
	return records, ok
}
