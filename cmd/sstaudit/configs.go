package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sstaudit/sstaudit/consumers"
	"github.com/sstaudit/sstaudit/schemas"
	"github.com/sstaudit/sstaudit/telemetry"
)

// This file holds every command's configuration: the fields, their defaults
// (NewDefault…Config), their flags and help, and Validate. The command
// bodies, in cmd_<name>.go, receive a resolved and valid config.

// Limits from SPEC §4.
const (
	// maxMatchWindow is Meta's deduplication horizon.
	maxMatchWindow = 48 * time.Hour
	// maxMessageBytesLimit bounds --max-message-bytes: far above any tracking
	// request, low enough that one message cannot exhaust memory.
	maxMessageBytesLimit = 64 << 20
)

// Default topic names (SPEC §2).
const (
	defaultClientTopic   = "tracking.client"
	defaultServerTopic   = "tracking.server"
	defaultFindingsTopic = "audit.findings"
	defaultMetricsTopic  = "audit.metrics"
	defaultDLQTopic      = "audit.dlq"
)

// Output formats of the findings and metrics topics.
const (
	outputJSON = "json"
	outputAvro = "avro"
)

// ---- shared sections ----

// JoinConfig is how join groups open, close and align (SPEC §4); run, demo
// and check share it.
type JoinConfig struct {
	// MatchWindow is how long after its first record a join group waits for
	// the other side (default 1h, at most 48h).
	MatchWindow time.Duration
	// Grace is added to MatchWindow before a group closes, for late records
	// (default 2m).
	Grace time.Duration
	// Alignment is the largest |server − client event time| counted as
	// aligned (default 5m).
	Alignment time.Duration
}

// NewDefaultJoinConfig returns SPEC §4's defaults.
func NewDefaultJoinConfig() JoinConfig {
	return JoinConfig{MatchWindow: time.Hour, Grace: 2 * time.Minute, Alignment: 5 * time.Minute}
}

func (c *JoinConfig) flags(b *flagBuilder) {
	b.Section("Join")
	b.Duration(&c.MatchWindow, "match-window", "how long a join group waits for its other side, from its first record; at most 48h, Meta's dedup horizon")
	b.Duration(&c.Grace, "grace", "extra time after the match window before a group closes, for late records")
	b.Duration(&c.Alignment, "alignment", "largest |server - client event time| of a matched pair that counts as aligned")
}

// Validate reports every problem with c.
func (c JoinConfig) Validate() error {
	var errs []error
	if c.MatchWindow <= 0 || c.MatchWindow > maxMatchWindow {
		errs = append(errs, fmt.Errorf("match-window must be in (0, 48h], got %s", formatDuration(c.MatchWindow)))
	}
	if c.Grace < 0 {
		errs = append(errs, fmt.Errorf("grace must not be negative, got %s", formatDuration(c.Grace)))
	}
	if c.Alignment <= 0 {
		errs = append(errs, fmt.Errorf("alignment must be positive, got %s", formatDuration(c.Alignment)))
	}
	return errors.Join(errs...)
}

// StreamConfig is the stream-time settings of the running pipeline (SPEC
// §4, §7); run and demo share it.
type StreamConfig struct {
	// MetricsWindow is the length of the tumbling metrics windows (default 1m).
	MetricsWindow time.Duration
	// IdleAdvance is how long a task may see no input before its stream time
	// follows the wall clock (default 30s).
	IdleAdvance time.Duration
}

// NewDefaultStreamConfig returns SPEC §4/§7's defaults.
func NewDefaultStreamConfig() StreamConfig {
	return StreamConfig{MetricsWindow: time.Minute, IdleAdvance: 30 * time.Second}
}

func (c *StreamConfig) flags(b *flagBuilder) {
	b.Section("Windows")
	b.Duration(&c.MetricsWindow, "metrics-window", "length of the tumbling metrics windows, over stream time")
	b.Duration(&c.IdleAdvance, "idle-advance", "a partition idle this long advances its stream time with the wall clock, so orphans are still emitted")
}

// Validate reports every problem with c.
func (c StreamConfig) Validate() error {
	var errs []error
	if c.MetricsWindow <= 0 {
		errs = append(errs, fmt.Errorf("metrics-window must be positive, got %s", formatDuration(c.MetricsWindow)))
	}
	if c.IdleAdvance <= 0 {
		errs = append(errs, fmt.Errorf("idle-advance must be positive, got %s", formatDuration(c.IdleAdvance)))
	}
	return errors.Join(errs...)
}

func logFlags(b *flagBuilder, c *telemetry.LogConfig) {
	b.Section("Logging")
	b.String(&c.Level, "log-level", "LEVEL", "lowest level logged to standard error: debug, info, warn or error")
	b.String(&c.Format, "log-format", "FORMAT", "log line format: json or text")
}

func maxMessageBytesFlag(b *flagBuilder, p *int, fate string) {
	b.Bytes(p, "max-message-bytes", "largest input message decoded, in bytes; larger ones "+fate)
}

func validateMaxMessageBytes(n int) error {
	if n <= 0 || n > maxMessageBytesLimit {
		return fmt.Errorf("max-message-bytes must be in [1B, %s], got %s", formatBytes(maxMessageBytesLimit), formatBytes(n))
	}
	return nil
}

// ---- run ----

// RunConfig configures `sstaudit run`, the pipeline (SPEC §2, §4, §7, §9, §11).
type RunConfig struct {
	// Brokers are the Kafka bootstrap servers, host:port (default localhost:9092).
	Brokers []string
	// Group is the Kafka consumer group; it also prefixes internal topics
	// (default sstaudit).
	Group string
	// ClientTopic and ServerTopic are the input topics.
	ClientTopic, ServerTopic string
	// FindingsTopic, MetricsTopic and DLQTopic are the output topics.
	FindingsTopic, MetricsTopic, DLQTopic string
	// StateDir holds each task's Badger state (default ./sstaudit-state).
	StateDir string
	// HTTP is the listen address of the dashboard, /metrics, /healthz,
	// /readyz and /api/summary (default 127.0.0.1:8080).
	HTTP string
	// OutputFormat is json or avro (default json).
	OutputFormat string
	// Repartition re-keys both inputs by (destination, event_id) into
	// internal topics before the join (default false).
	Repartition bool
	Join        JoinConfig
	Stream      StreamConfig
	// MaxMessageBytes bounds decoded input messages (default 1 MiB).
	MaxMessageBytes int
	// InstanceID names this instance in audit records (default: host name).
	InstanceID string
	// SessionTimeout of the consumer-group membership: how long a member
	// that died keeps its partitions (default 10s).
	SessionTimeout time.Duration
	// TraceRatio is the share of root traces sampled, in [0,1] (default 0.01).
	TraceRatio float64
	// MemoryLimit is the Go runtime's soft memory limit in bytes; 0 (the
	// default) = GOMEMLIMIT, else 70% of the cgroup limit, else 512 MiB.
	MemoryLimit int64
	// MinFreeDisk is the free space the state directory's file system must
	// keep before a task opens or commits state (default 128 MiB; 0 turns
	// the guard off).
	MinFreeDisk int64
	// Inventory is a YAML file of facts the streams cannot show, scored on
	// the dashboard like `report --inventory`; "" for none.
	Inventory string
	Log       telemetry.LogConfig
}

// NewDefaultRunConfig returns the defaults of SPEC §2, §4, §7 and §11.
func NewDefaultRunConfig() RunConfig {
	return RunConfig{
		Brokers:         []string{"localhost:9092"},
		Group:           "sstaudit",
		ClientTopic:     defaultClientTopic,
		ServerTopic:     defaultServerTopic,
		FindingsTopic:   defaultFindingsTopic,
		MetricsTopic:    defaultMetricsTopic,
		DLQTopic:        defaultDLQTopic,
		StateDir:        "./sstaudit-state",
		HTTP:            "127.0.0.1:8080",
		OutputFormat:    outputJSON,
		Join:            NewDefaultJoinConfig(),
		Stream:          NewDefaultStreamConfig(),
		MaxMessageBytes: schemas.DefaultMaxBytes,
		InstanceID:      hostname(),
		SessionTimeout:  10 * time.Second,
		TraceRatio:      0.01,
		MinFreeDisk:     consumers.NewDefaultConfig().MinFreeDisk,
		Log:             telemetry.NewDefaultLogConfig(),
	}
}

// hostname is the default instance id; "sstaudit" if the OS will not say.
func hostname() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "sstaudit"
}

func (c *RunConfig) flags(b *flagBuilder) {
	b.Section("Kafka")
	b.List(&c.Brokers, "brokers", "HOST:PORT,...", "Kafka bootstrap brokers, comma-separated")
	b.String(&c.Group, "group", "NAME", "Kafka consumer group; also prefixes the internal repartition and changelog topics")
	b.String(&c.ClientTopic, "client-topic", "TOPIC", "input topic of browser hits")
	b.String(&c.ServerTopic, "server-topic", "TOPIC", "input topic of server requests")
	b.String(&c.FindingsTopic, "findings-topic", "TOPIC", "output topic of audit records")
	b.String(&c.MetricsTopic, "metrics-topic", "TOPIC", "output topic of window metrics")
	b.String(&c.DLQTopic, "dlq-topic", "TOPIC", "dead-letter topic for undecodable input, copied untouched")
	b.String(&c.OutputFormat, "output-format", "FORMAT", "encoding of findings and metrics: json or avro (single-object encoding)")
	b.Bool(&c.Repartition, "repartition", "re-key both inputs by (destination, event_id) into <group>.repartition.* topics first, so producers may key as they like")
	maxMessageBytesFlag(b, &c.MaxMessageBytes, "go to the DLQ")
	c.Join.flags(b)
	c.Stream.flags(b)
	b.Section("Service")
	b.String(&c.StateDir, "state-dir", "DIR", "directory of the per-partition Badger state")
	b.String(&c.HTTP, "http", "ADDR", "listen address of the dashboard, /metrics, /healthz, /readyz and /api/summary")
	b.String(&c.InstanceID, "instance-id", "ID", "name of this instance in audit records (default: the host name)")
	b.Duration(&c.SessionTimeout, "session-timeout", "consumer-group session timeout: a member that dies keeps its partitions this long")
	b.Float(&c.TraceRatio, "trace-ratio", "SHARE", "share of traces sampled when the input carries no traceparent, in [0,1]")
	b.Bytes64(&c.MinFreeDisk, "min-free-disk", "free space the state directory's file system must keep: below it a task stops consuming and is not ready until space returns (Badger dies with SIGBUS on a really full disk); 0 turns the guard off")
	b.String(&c.Inventory, "inventory", "FILE", "YAML inventory of facts streams cannot show, scored on the dashboard as by report --inventory (default: none)")
	memoryLimitFlag(b, &c.MemoryLimit)
	logFlags(b, &c.Log)
}

// Validate reports every problem with c.
func (c RunConfig) Validate() error {
	errs := []error{validateBrokers(c.Brokers)}
	if strings.TrimSpace(c.Group) == "" {
		errs = append(errs, errors.New("group must not be empty"))
	}
	errs = append(errs, validateTopics(map[string]string{
		"client-topic":   c.ClientTopic,
		"server-topic":   c.ServerTopic,
		"findings-topic": c.FindingsTopic,
		"metrics-topic":  c.MetricsTopic,
		"dlq-topic":      c.DLQTopic,
	}))
	if strings.TrimSpace(c.StateDir) == "" {
		errs = append(errs, errors.New("state-dir must not be empty"))
	}
	errs = append(errs, validateAddr("http", c.HTTP))
	if c.OutputFormat != outputJSON && c.OutputFormat != outputAvro {
		errs = append(errs, fmt.Errorf("output-format must be json or avro, got %q", c.OutputFormat))
	}
	errs = append(errs, c.Join.Validate(), c.Stream.Validate(), validateMaxMessageBytes(c.MaxMessageBytes))
	if strings.TrimSpace(c.InstanceID) == "" {
		errs = append(errs, errors.New("instance-id must not be empty"))
	}
	if c.SessionTimeout < time.Second {
		errs = append(errs, fmt.Errorf("session-timeout must be at least 1s, got %s", formatDuration(c.SessionTimeout)))
	}
	if !(c.TraceRatio >= 0 && c.TraceRatio <= 1) {
		errs = append(errs, fmt.Errorf("trace-ratio must be in [0,1], got %g", c.TraceRatio))
	}
	if c.MinFreeDisk < 0 {
		errs = append(errs, fmt.Errorf("min-free-disk must not be negative, got %d", c.MinFreeDisk))
	}
	errs = append(errs, validateMemoryLimit(c.MemoryLimit), c.Log.Validate())
	return errors.Join(errs...)
}

func (c *RunConfig) logConfig() telemetry.LogConfig { return c.Log }

func runCommand() *command {
	return define(command{
		name:    "run",
		summary: "run the audit pipeline against a Kafka cluster",
		about: `Runs the pipeline: consumes the client and server topics, decodes and checks
every event, joins the two copies by (destination, event_id) in per-partition
Badger state, and produces one audit record per outcome to the findings topic,
window metrics to the metrics topic, and undecodable input to the DLQ.
The input topics must be co-partitioned (same partition count, keyed by
event_id) unless --repartition is given. Stops cleanly on SIGINT or SIGTERM:
flush, commit, close. The config file's 'policy:' section holds house policy.`,
	}, NewDefaultRunConfig, runPipeline)
}

// ---- demo ----

// DemoConfig configures `sstaudit demo`: an embedded broker, generated
// traffic with planted faults, the pipeline, and the report.
type DemoConfig struct {
	// Serve keeps the dashboard up after the report (default false).
	Serve bool
	// Events is how many events to generate (default 10000).
	Events int
	// Seed makes the generated scenario reproducible (default 1).
	Seed int64
	// HTTP is the dashboard's listen address (default 127.0.0.1:8080).
	HTTP   string
	Join   JoinConfig
	Stream StreamConfig
	Log    telemetry.LogConfig
}

// NewDefaultDemoConfig returns the demo's defaults.
func NewDefaultDemoConfig() DemoConfig {
	return DemoConfig{
		Events: 10000,
		Seed:   1,
		HTTP:   "127.0.0.1:8080",
		// Short windows, so the demo's groups and windows all close seconds
		// after its traffic ends (its record times span demoSpan).
		Join:   JoinConfig{MatchWindow: 5 * time.Second, Grace: time.Second, Alignment: 5 * time.Minute},
		Stream: StreamConfig{MetricsWindow: 5 * time.Second, IdleAdvance: time.Second},
		Log:    telemetry.NewDefaultLogConfig(),
	}
}

func (c *DemoConfig) flags(b *flagBuilder) {
	b.Section("Demo")
	b.Int(&c.Events, "events", "N", "number of events to generate")
	b.Int64(&c.Seed, "seed", "N", "random seed; the same seed plants the same traffic and faults")
	b.Bool(&c.Serve, "serve", "keep the dashboard up on --http after printing the report, until interrupted")
	b.String(&c.HTTP, "http", "ADDR", "listen address of the dashboard")
	c.Join.flags(b)
	c.Stream.flags(b)
	logFlags(b, &c.Log)
}

// Validate reports every problem with c.
func (c DemoConfig) Validate() error {
	var errs []error
	if c.Events <= 0 {
		errs = append(errs, fmt.Errorf("events must be positive, got %d", c.Events))
	}
	errs = append(errs, validateAddr("http", c.HTTP), c.Join.Validate(), c.Stream.Validate(), c.Log.Validate())
	return errors.Join(errs...)
}

func (c *DemoConfig) logConfig() telemetry.LogConfig { return c.Log }

func demoCommand() *command {
	return define(command{
		name:    "demo",
		summary: "zero set-up demonstration: embedded broker, planted faults, health report",
		about: `Starts an embedded Kafka-protocol broker, creates the topics, generates a
realistic mixed scenario with known faults, runs the pipeline over it and
prints the health report. Needs no cluster and no flags. With --serve the
dashboard stays up until interrupted.`,
	}, NewDefaultDemoConfig, runDemo)
}

// ---- generate ----

// FaultMix is the share of generated events given each planted fault, each
// in [0,1]. A share applies to each event independently, so one event may
// carry several faults.
type FaultMix struct {
	LostServer   float64 // the server copy is never sent
	LostClient   float64 // the browser copy is never sent
	Skewed       float64 // server event time off by more than the alignment
	Renamed      float64 // the two copies carry different event names
	PlaintextPII float64 // user data sent unhashed where a hash is required
	DoubleHashed float64 // a hash of a hash
	Duplicates   float64 // one side sent twice
	MissingIDs   float64 // no event_id
	PIIInURL     float64 // personal data in the page URL
	Poison       float64 // undecodable bytes, bound for the DLQ
	// SparseUserData is the share of server events sent with few match keys
	// (anonymous visitors): MATCH_KEYS_LOW.
	SparseUserData float64
}

// NewDefaultFaultMix returns a mix in which about one event in ten carries a
// fault, the realistic traffic of SPEC §12; lost server events, the most
// common fault in the field, lead.
func NewDefaultFaultMix() FaultMix {
	return FaultMix{
		LostServer:   0.03,
		LostClient:   0.02,
		Skewed:       0.01,
		Renamed:      0.01,
		PlaintextPII: 0.005,
		DoubleHashed: 0.005,
		Duplicates:   0.01,
		MissingIDs:   0.01,
		PIIInURL:     0.005,
		Poison:       0.001,
		// Anonymous visitors are common in real traffic; the generator plants
		// them only as this named fault, so zero shares give clean traffic.
		SparseUserData: 0.2,
	}
}

func (f *FaultMix) fields() []struct {
	name string
	p    *float64
	help string
} {
	return []struct {
		name string
		p    *float64
		help string
	}{
		{"lost-server", &f.LostServer, "share of events whose server copy is never sent"},
		{"lost-client", &f.LostClient, "share of events whose browser copy is never sent"},
		{"skewed", &f.Skewed, "share of pairs whose server event time is off by more than the alignment"},
		{"renamed", &f.Renamed, "share of pairs whose two copies carry different event names"},
		{"plaintext-pii", &f.PlaintextPII, "share of server events with user data sent unhashed"},
		{"double-hashed", &f.DoubleHashed, "share of server events with a hash of a hash"},
		{"duplicates", &f.Duplicates, "share of events sent twice by one side"},
		{"missing-ids", &f.MissingIDs, "share of events sent without event_id"},
		{"pii-in-url", &f.PIIInURL, "share of browser hits with personal data in the page URL"},
		{"poison", &f.Poison, "share of messages replaced by undecodable bytes, bound for the DLQ"},
		{"sparse-user-data", &f.SparseUserData, "share of server events with few match keys (anonymous visitors)"},
	}
}

// GenerateConfig configures `sstaudit generate`, synthetic traffic with a
// known fault mix (SPEC §9).
type GenerateConfig struct {
	Brokers                  []string
	ClientTopic, ServerTopic string
	// Rate is events per second; 0 means as fast as possible (default 0).
	Rate float64
	// Duration stops generating after this long; 0 means no limit.
	// Exclusive with Events.
	Duration time.Duration
	// Events stops generating after this many events; 0 means no limit.
	// Exclusive with Duration. With neither, generate runs until interrupted.
	Events int64
	// Seed makes the traffic reproducible (default 1).
	Seed int64
	// Truth is the file the planted ground truth is written to; "" means
	// standard output.
	Truth string
	// Repartition sends batched requests keyed at random, for --repartition
	// pipelines (default false).
	Repartition bool
	Faults      FaultMix
	// Destinations are the ad platforms traffic is generated for (default
	// meta, ga4).
	Destinations []string
	// Partitions is the partition count of topics created when missing
	// (default 3).
	Partitions int
	Log        telemetry.LogConfig
}

// NewDefaultGenerateConfig returns the generator's defaults.
func NewDefaultGenerateConfig() GenerateConfig {
	return GenerateConfig{
		Brokers:      []string{"localhost:9092"},
		ClientTopic:  defaultClientTopic,
		ServerTopic:  defaultServerTopic,
		Seed:         1,
		Faults:       NewDefaultFaultMix(),
		Destinations: []string{string(schemas.DestinationMeta), string(schemas.DestinationGA4)},
		Partitions:   3,
		Log:          telemetry.NewDefaultLogConfig(),
	}
}

func (c *GenerateConfig) flags(b *flagBuilder) {
	b.Section("Kafka")
	b.List(&c.Brokers, "brokers", "HOST:PORT,...", "Kafka bootstrap brokers, comma-separated")
	b.String(&c.ClientTopic, "client-topic", "TOPIC", "topic the browser hits are written to")
	b.String(&c.ServerTopic, "server-topic", "TOPIC", "topic the server requests are written to")
	b.Int(&c.Partitions, "partitions", "N", "partition count of each topic created when missing")
	b.Bool(&c.Repartition, "repartition", "send batched requests keyed at random, as producers unaware of event_id do (for run --repartition)")
	b.Section("Traffic")
	b.Float(&c.Rate, "rate", "EVENTS/S", "events per second; 0 = as fast as possible")
	b.Duration(&c.Duration, "duration", "stop after this long; 0 = no limit; exclusive with --events")
	b.Int64(&c.Events, "events", "N", "stop after this many events; 0 = no limit; exclusive with --duration (with neither, run until interrupted)")
	b.Int64(&c.Seed, "seed", "N", "random seed; the same seed plants the same traffic and faults")
	b.List(&c.Destinations, "destinations", "DEST,...", "ad platforms to generate traffic for: meta, ga4")
	b.String(&c.Truth, "truth", "FILE", "write the planted ground truth to FILE (default: standard output)")
	b.Section("Fault mix (share of events, in [0,1], applied independently)")
	for _, f := range c.Faults.fields() {
		b.Float(f.p, f.name, "SHARE", f.help)
	}
	logFlags(b, &c.Log)
}

// Validate reports every problem with c.
func (c GenerateConfig) Validate() error {
	errs := []error{validateBrokers(c.Brokers), validateTopics(map[string]string{
		"client-topic": c.ClientTopic,
		"server-topic": c.ServerTopic,
	})}
	if !(c.Rate >= 0) {
		errs = append(errs, fmt.Errorf("rate must not be negative, got %g", c.Rate))
	}
	if c.Duration < 0 {
		errs = append(errs, fmt.Errorf("duration must not be negative, got %s", formatDuration(c.Duration)))
	}
	if c.Events < 0 {
		errs = append(errs, fmt.Errorf("events must not be negative, got %d", c.Events))
	}
	if c.Duration > 0 && c.Events > 0 {
		errs = append(errs, errors.New("duration and events are mutually exclusive: give one"))
	}
	for _, f := range c.Faults.fields() {
		if !(*f.p >= 0 && *f.p <= 1) {
			errs = append(errs, fmt.Errorf("%s must be a share in [0,1], got %g", f.name, *f.p))
		}
	}
	if len(c.Destinations) == 0 {
		errs = append(errs, errors.New("destinations must name at least one of meta, ga4"))
	}
	seen := map[string]bool{}
	for _, d := range c.Destinations {
		switch {
		case d != string(schemas.DestinationMeta) && d != string(schemas.DestinationGA4):
			errs = append(errs, fmt.Errorf("destinations: unknown destination %q (want meta or ga4)", d))
		case seen[d]:
			errs = append(errs, fmt.Errorf("destinations: %q given twice", d))
		}
		seen[d] = true
	}
	if c.Partitions < 1 {
		errs = append(errs, fmt.Errorf("partitions must be at least 1, got %d", c.Partitions))
	}
	errs = append(errs, c.Log.Validate())
	return errors.Join(errs...)
}

func (c *GenerateConfig) logConfig() telemetry.LogConfig { return c.Log }

func generateCommand() *command {
	return define(command{
		name:    "generate",
		summary: "write synthetic tracking traffic with planted faults to a cluster",
		about: `Writes synthetic browser and server traffic to the input topics, creating them
when missing, with a known mix of planted faults, and prints the ground truth
it planted (to --truth FILE, else standard output) so a pipeline run can be
checked against it.`,
	}, NewDefaultGenerateConfig, runGenerate)
}

// ---- report ----

// ReportConfig configures `sstaudit report` (SPEC §8).
type ReportConfig struct {
	Brokers                     []string
	FindingsTopic, MetricsTopic string
	// Since and Until bound the records read by record time; zero means
	// unbounded.
	Since, Until TimeBound
	// Inventory is a YAML file of facts the streams cannot show; "" for none.
	Inventory string
	// Out is the Markdown report's path (default SERVER-SIDE-TRACKING-AUDIT.md).
	Out string
	// JSON also writes a machine-readable twin beside Out.
	JSON bool
	Log  telemetry.LogConfig
}

// NewDefaultReportConfig returns the report's defaults.
func NewDefaultReportConfig() ReportConfig {
	return ReportConfig{
		Brokers:       []string{"localhost:9092"},
		FindingsTopic: defaultFindingsTopic,
		MetricsTopic:  defaultMetricsTopic,
		Out:           "SERVER-SIDE-TRACKING-AUDIT.md",
		Log:           telemetry.NewDefaultLogConfig(),
	}
}

func (c *ReportConfig) flags(b *flagBuilder) {
	b.Section("Kafka")
	b.List(&c.Brokers, "brokers", "HOST:PORT,...", "Kafka bootstrap brokers, comma-separated")
	b.String(&c.FindingsTopic, "findings-topic", "TOPIC", "topic of audit records to read")
	b.String(&c.MetricsTopic, "metrics-topic", "TOPIC", "topic of window metrics to read")
	b.Time(&c.Since, "since", "read records from this time: RFC 3339 or a duration ago, e.g. 24h or 7d (default: the start of the topics)")
	b.Time(&c.Until, "until", "read records up to this time: RFC 3339 or a duration ago (default: the end of the topics when the report starts)")
	b.Section("Report")
	b.String(&c.Inventory, "inventory", "FILE", "YAML inventory of facts streams cannot show: sGTM hosting, custom domain, CAPI method (default: none)")
	b.String(&c.Out, "out", "FILE", "path of the Markdown report")
	b.Bool(&c.JSON, "json", "also write a machine-readable JSON twin of the report beside --out")
	logFlags(b, &c.Log)
}

// Validate reports every problem with c.
func (c ReportConfig) Validate() error {
	errs := []error{validateBrokers(c.Brokers), validateTopics(map[string]string{
		"findings-topic": c.FindingsTopic,
		"metrics-topic":  c.MetricsTopic,
	})}
	if !c.Since.IsZero() && !c.Until.IsZero() && !c.Since.At.Before(c.Until.At) {
		errs = append(errs, fmt.Errorf("since (%s) must be before until (%s)", c.Since.String(), c.Until.String()))
	}
	if strings.TrimSpace(c.Out) == "" {
		errs = append(errs, errors.New("out must not be empty"))
	}
	errs = append(errs, c.Log.Validate())
	return errors.Join(errs...)
}

func (c *ReportConfig) logConfig() telemetry.LogConfig { return c.Log }

func reportCommand() *command {
	return define(command{
		name:    "report",
		summary: "write the scored server-side tracking audit report",
		about: `Reads the findings and metrics topics (all, or --since/--until), plus an
optional inventory file, and writes the scored health report (SPEC §8) to
--out; --json adds a machine-readable twin.`,
	}, NewDefaultReportConfig, runReport)
}

// ---- check ----

// Fail-on thresholds besides the severities.
const failOnNone = "none"

// CheckConfig configures `sstaudit check`: audit payloads without Kafka.
type CheckConfig struct {
	// Format forces the input format (one of SPEC §3's ids); "" detects it.
	Format string
	// Lines reads each line of each input as one message.
	Lines bool
	// FailOn makes check exit 1 when a finding reaches this severity (warn,
	// fail, critical); "none" never does (default none).
	FailOn string
	// Side is the side every input is taken to come from; "" lets the format
	// decide.
	Side string
	// Files are the inputs; "-" is standard input.
	Files           []string
	Join            JoinConfig
	MaxMessageBytes int
	Log             telemetry.LogConfig
}

// NewDefaultCheckConfig returns check's defaults.
func NewDefaultCheckConfig() CheckConfig {
	return CheckConfig{
		FailOn:          failOnNone,
		Join:            NewDefaultJoinConfig(),
		MaxMessageBytes: schemas.DefaultMaxBytes,
		Log:             telemetry.NewDefaultLogConfig(),
	}
}

func formatIDs() string {
	ids := make([]string, len(schemas.Formats))
	for i, f := range schemas.Formats {
		ids[i] = string(f)
	}
	return strings.Join(ids, ", ")
}

func (c *CheckConfig) flags(b *flagBuilder) {
	b.Section("Input")
	b.String(&c.Format, "format", "FORMAT", "input format, one of "+formatIDs()+" (default: detected per message)")
	b.Bool(&c.Lines, "lines", "read each line of each input as one message, instead of each input as one")
	b.String(&c.Side, "side", "SIDE", "take every input as client or server (default: the side the format implies)")
	maxMessageBytesFlag(b, &c.MaxMessageBytes, "are reported as undecodable")
	b.Section("Result")
	b.String(&c.FailOn, "fail-on", "SEVERITY", "exit with status 1 when a finding reaches this severity: warn, fail, critical, or none")
	c.Join.flags(b)
	logFlags(b, &c.Log)
}

func (c *CheckConfig) setPositional(args []string) { c.Files = args }

// Validate reports every problem with c.
func (c CheckConfig) Validate() error {
	var errs []error
	if c.Format != "" && !slices.Contains(schemas.Formats, schemas.Format(c.Format)) {
		errs = append(errs, fmt.Errorf("format must be one of %s, got %q", formatIDs(), c.Format))
	}
	switch c.FailOn {
	case failOnNone, string(schemas.SeverityWarn), string(schemas.SeverityFail), string(schemas.SeverityCritical):
	default:
		errs = append(errs, fmt.Errorf("fail-on must be warn, fail, critical or none, got %q", c.FailOn))
	}
	switch schemas.Side(c.Side) {
	case "", schemas.SideClient, schemas.SideServer:
	default:
		errs = append(errs, fmt.Errorf("side must be client or server, got %q", c.Side))
	}
	if len(c.Files) == 0 {
		errs = append(errs, errors.New("no input: give FILE... or - for standard input"))
	}
	stdin := 0
	for _, f := range c.Files {
		if f == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		errs = append(errs, errors.New("standard input (-) may be given only once"))
	}
	errs = append(errs, c.Join.Validate(), validateMaxMessageBytes(c.MaxMessageBytes), c.Log.Validate())
	return errors.Join(errs...)
}

// FailSeverity is the severity that fails the check, "" for none.
func (c CheckConfig) FailSeverity() schemas.Severity {
	if c.FailOn == failOnNone {
		return ""
	}
	return schemas.Severity(c.FailOn)
}

func (c *CheckConfig) logConfig() telemetry.LogConfig { return c.Log }

func checkCommand() *command {
	return define(command{
		name:    "check",
		args:    "FILE... | -",
		summary: "audit payloads from files or standard input, without Kafka",
		about: `Reads each FILE (or standard input for -) as one message, or with --lines each
line as one message; decodes it (format detected, or --format); joins whatever
pairs are present exactly as run does (record time = now; at the end of input
every open group closes); and prints one audit record per outcome as a JSON
line. With --fail-on it exits 1 when a finding reaches that severity: for CI
of tracking setups.`,
	}, NewDefaultCheckConfig, runCheck)
}

// ---- schemas ----

// SchemasConfig configures `sstaudit schemas`, which has no flags.
type SchemasConfig struct{}

func (c *SchemasConfig) flags(*flagBuilder) {}

// Validate always succeeds: there is nothing to configure.
func (c SchemasConfig) Validate() error { return nil }

func schemasCommand() *command {
	return define(command{
		name:    "schemas",
		summary: "print the Avro schemas of the output topics and their fingerprints",
		about: `Prints the Avro schemas of the findings and metrics topics (and of the
canonical input event) with their CRC-64-AVRO fingerprints, as used by the
single-object encoding of --output-format avro.`,
	}, func() SchemasConfig { return SchemasConfig{} }, runSchemas)
}

// ---- validation helpers ----

func validateBrokers(brokers []string) error {
	if len(brokers) == 0 {
		return errors.New("brokers must name at least one host:port")
	}
	var errs []error
	for _, b := range brokers {
		if err := validateHostPort(b, false); err != nil {
			errs = append(errs, fmt.Errorf("brokers: %q: %w", b, err))
		}
	}
	return errors.Join(errs...)
}

func validateAddr(name, addr string) error {
	if err := validateHostPort(addr, true); err != nil {
		return fmt.Errorf("%s: %q: %w", name, addr, err)
	}
	return nil
}

// validateHostPort checks host:port; an empty host (":8080", all interfaces)
// and port 0 (any free port) are allowed only for listen addresses.
func validateHostPort(s string, listen bool) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return errors.New("want host:port")
	}
	if host == "" && !listen {
		return errors.New("host is empty")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 || (n == 0 && !listen) {
		return fmt.Errorf("bad port %q", port)
	}
	return nil
}

// validateTopics checks Kafka's naming rules for each topic and that no two
// flags name the same topic.
func validateTopics(topics map[string]string) error {
	flags := make([]string, 0, len(topics))
	for f := range topics {
		flags = append(flags, f)
	}
	slices.Sort(flags)
	var errs []error
	by := map[string]string{}
	for _, f := range flags {
		t := topics[f]
		if err := validateTopicName(t); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f, err))
			continue
		}
		if other, dup := by[t]; dup {
			errs = append(errs, fmt.Errorf("%s and %s both name topic %q", other, f, t))
		}
		by[t] = f
	}
	return errors.Join(errs...)
}

func validateTopicName(t string) error {
	switch {
	case t == "":
		return errors.New("topic name is empty")
	case t == "." || t == "..":
		return fmt.Errorf("topic name %q is not allowed", t)
	case len(t) > 249:
		return fmt.Errorf("topic name longer than 249 characters")
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("topic name %q: only ASCII letters, digits, '.', '_' and '-' are allowed", t)
		}
	}
	return nil
}
