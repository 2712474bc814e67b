package consumers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sstaudit/sstaudit/processors/join"
	"github.com/sstaudit/sstaudit/schemas"
	"github.com/sstaudit/sstaudit/telemetry"
)

// Config configures a Pipeline. Start from NewDefaultConfig.
type Config struct {
	Brokers []string
	Group   string // consumer group id; also names internal topics and the state dirs

	ClientTopic   string
	ServerTopic   string
	FindingsTopic string
	MetricsTopic  string
	DLQTopic      string

	StateDir     string
	OutputFormat schemas.OutputFormat
	// Repartition re-keys both inputs by (destination, event_id) into
	// <group>.repartition.client/server and joins those (SPEC §2).
	Repartition bool

	Join   join.Config
	Decode schemas.DecodeOptions

	// Telemetry holds the tracer and meter providers and the propagator
	// (telemetry.Setup): spans per input record and the metrics of SPEC
	// §11. The zero value records nothing.
	Telemetry telemetry.Settings

	// IdleAdvance: when a task has seen no input for this long, its stream
	// time advances with the wall clock (SPEC §4). Default 30s.
	IdleAdvance time.Duration
	// MaxTaskIdle bounds how long the merge holds back one input's records
	// waiting for the other (see merge.go). Default 2s.
	MaxTaskIdle time.Duration
	// BatchSize is the most input messages applied in one state transaction.
	// Default 1000.
	BatchSize int
	// BatchLinger is how long a task waits to fill a batch once it has a
	// message. Default 5ms.
	BatchLinger time.Duration
	// QueueDepth bounds each partition feed's buffer (messages). Default 512.
	QueueDepth int
	// CommitInterval is how often consumed offsets are committed to the
	// group (the state store is the source of truth; the group commit is the
	// fallback for a task without state). Default 1s.
	CommitInterval time.Duration
	// SessionTimeout of the group membership. Default 10s.
	SessionTimeout time.Duration
	// GCInterval is how often each store runs value-log GC. Default 1m.
	GCInterval time.Duration
	// MinFreeDisk is the free space (bytes) the state directory's file
	// system must keep: below it a task commits nothing and stops, not
	// ready, retrying with backoff, instead of letting Badger write into
	// its memory-mapped files on a full disk (which kills the process with
	// SIGBUS). Default 128 MiB; 0 disables the check.
	MinFreeDisk int64

	Logger *slog.Logger

	// OnOutput, when set, is called with every join output once it is
	// durable (written to Kafka and its state committed), from the task's
	// goroutine: it must be quick and safe for concurrent use across tasks.
	// Outputs are at-least-once here as on the topics: a replay after a
	// crash repeats them with the same audit_id / window key.
	OnOutput func(join.Output)
}

// NewDefaultConfig returns the defaults of SPEC §2, §4 and §9.
func NewDefaultConfig() Config {
	return Config{
		Brokers:        []string{"localhost:9092"},
		Group:          "sstaudit",
		ClientTopic:    "tracking.client",
		ServerTopic:    "tracking.server",
		FindingsTopic:  "audit.findings",
		MetricsTopic:   "audit.metrics",
		DLQTopic:       "audit.dlq",
		StateDir:       "./sstaudit-state",
		OutputFormat:   schemas.OutputJSON,
		Join:           join.NewDefaultConfig(),
		IdleAdvance:    30 * time.Second,
		MaxTaskIdle:    2 * time.Second,
		BatchSize:      1000,
		BatchLinger:    5 * time.Millisecond,
		QueueDepth:     512,
		CommitInterval: time.Second,
		SessionTimeout: 10 * time.Second,
		GCInterval:     time.Minute,
		MinFreeDisk:    128 << 20,
	}
}

// Validate reports every problem at once.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("no brokers"))
	}
	for name, v := range map[string]string{"group": c.Group, "client topic": c.ClientTopic, "server topic": c.ServerTopic,
		"findings topic": c.FindingsTopic, "metrics topic": c.MetricsTopic, "dlq topic": c.DLQTopic, "state dir": c.StateDir} {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is empty", name))
		}
	}
	if c.ClientTopic == c.ServerTopic && c.ClientTopic != "" {
		errs = append(errs, errors.New("client and server topics must differ"))
	}
	if _, err := schemas.ParseOutputFormat(string(c.OutputFormat)); err != nil {
		errs = append(errs, err)
	}
	for name, d := range map[string]time.Duration{"idle advance": c.IdleAdvance, "max task idle": c.MaxTaskIdle,
		"batch linger": c.BatchLinger, "commit interval": c.CommitInterval, "session timeout": c.SessionTimeout, "gc interval": c.GCInterval} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %s", name, d))
		}
	}
	if c.MinFreeDisk < 0 {
		errs = append(errs, fmt.Errorf("min free disk must not be negative, got %d", c.MinFreeDisk))
	}
	if c.BatchSize < 1 || c.QueueDepth < 1 {
		errs = append(errs, errors.New("batch size and queue depth must be positive"))
	}
	if err := c.Join.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// joinTopics are the topics the join consumes: the inputs, or the internal
// repartition topics.
func (c *Config) joinTopics() (client, server string) {
	if c.Repartition {
		return c.Group + ".repartition.client", c.Group + ".repartition.server"
	}
	return c.ClientTopic, c.ServerTopic
}

// Pipeline is `sstaudit run`: it joins the consumer group, runs one task per
// assigned partition pair, and writes audit records, window metrics and DLQ
// records. Run it once.
type Pipeline struct {
	cfg    Config
	checks join.Checks
	log    *slog.Logger
	codecs *schemas.Codecs
	// eventCodec decodes the repartition topics' canonical Avro events.
	eventCodec *schemas.Codec[schemas.Event]
	writer     *kafka.Writer
	changelog  *kafka.Client // appends state changelog batches (changelog.go)
	outHeaders outputHeaders
	outHints   [2]sizeHint // encoded sizes of audit records and window metrics
	stats      Stats
	tel        *pipelineTel // nil without Config.Telemetry

	ready    atomic.Bool
	readyMu  sync.Mutex
	notReady map[string]string // reason by component, while not ready

	// Test hooks (fault injection); nil in production.
	// produceHook runs before each output or changelog write attempt: a
	// test slows it to throttle the output side.
	produceHook func(ctx context.Context, records int)
	// commitHook runs before each state commit of partition part; an error
	// fails the commit as a full disk would.
	commitHook func(part int) error
}

// Stats are the pipeline's running totals, safe for concurrent reads.
type Stats struct {
	Consumed   atomic.Int64 // input messages applied (DLQ'd ones included)
	Events     atomic.Int64 // decoded events applied
	DLQ        atomic.Int64
	Findings   atomic.Int64 // audit records produced
	Metrics    atomic.Int64 // window metrics produced
	Redelivery atomic.Int64 // input messages skipped as already applied
	OpenTasks  atomic.Int64
	Restored   atomic.Int64 // state changelog records applied to stores
	Commits    atomic.Int64 // state transactions committed
}

// New validates cfg and prepares a Pipeline.
func New(cfg Config, checks join.Checks) (*Pipeline, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	codecs, err := schemas.NewCodecs(cfg.OutputFormat)
	if err != nil {
		return nil, err
	}
	avro, err := schemas.NewCodecs(schemas.OutputAvro)
	if err != nil {
		return nil, err
	}
	p := &Pipeline{cfg: cfg, checks: checks, log: cfg.Logger, codecs: codecs, eventCodec: avro.Event,
		outHeaders: newOutputHeaders(codecs, cfg.OutputFormat), notReady: map[string]string{"pipeline": "starting"}}
	p.writer = newWriter(cfg.Brokers)
	p.changelog = newClient(cfg.Brokers, 30*time.Second)
	if p.tel, err = newPipelineTel(cfg.Telemetry, &cfg); err != nil {
		return nil, err
	}
	return p, nil
}

// Stats returns the running totals.
func (p *Pipeline) Stats() *Stats { return &p.stats }

// ConsumerLag is the sum over the running tasks' inputs of high watermark −
// next offset to apply (the sstaudit.consumer.lag gauges, summed); ok is
// false when no input's lag is known yet or the pipeline runs without
// metrics (Config.Telemetry has no MeterProvider).
func (p *Pipeline) ConsumerLag() (records int64, ok bool) {
	return p.tel.instruments().ConsumerLag()
}

// Ready reports whether the pipeline is consuming normally, and if not, why.
func (p *Pipeline) Ready() (bool, string) {
	p.readyMu.Lock()
	defer p.readyMu.Unlock()
	for comp, why := range p.notReady {
		return false, comp + ": " + why
	}
	return true, ""
}

func (p *Pipeline) setReady(comp string, ok bool, why string) {
	p.readyMu.Lock()
	defer p.readyMu.Unlock()
	if ok {
		delete(p.notReady, comp)
	} else {
		p.notReady[comp] = why
	}
	p.ready.Store(len(p.notReady) == 0)
}

// outputBatchBytes bounds a writer's batch for one partition. The batch is
// one record batch, which the broker refuses above its message.max.bytes
// (default 1 MiB + 12) with "Message Size Too Large", retried for ever: a
// few hundred audit records of a few KiB each reach it.
const outputBatchBytes = 1_000_000

// newWriter returns the producer settings every sstaudit writer shares:
// murmur2 keys (Java-compatible), acks from all in-sync replicas, short
// batching, and its own transport, whose metadata refreshes quickly so a
// topic created a moment ago is writable (kafka-go's shared DefaultTransport
// caches metadata for seconds).
func newWriter(brokers []string) *kafka.Writer {
	return &kafka.Writer{
		Addr:                   kafka.TCP(brokers...),
		Transport:              newTransport(),
		Balancer:               &kafka.Murmur2Balancer{},
		RequiredAcks:           kafka.RequireAll,
		BatchTimeout:           2 * time.Millisecond,
		BatchSize:              1000,
		BatchBytes:             outputBatchBytes,
		MaxAttempts:            5,
		WriteBackoffMin:        50 * time.Millisecond,
		WriteBackoffMax:        time.Second,
		AllowAutoTopicCreation: false,
	}
}

// Run consumes until ctx is cancelled, then stops intake, finishes the batch
// in hand, commits, and closes. It returns nil after a clean stop.
func (p *Pipeline) Run(ctx context.Context) error {
	defer closeWriter(p.writer)
	defer p.tel.close()
	if err := os.MkdirAll(p.cfg.StateDir, 0o755); err != nil {
		return fmt.Errorf("consumers: state dir: %w", err)
	}
	adm := newAdmin(p.cfg.Brokers, 10*time.Second)
	defer adm.close()
	n, err := p.prepareTopics(ctx, adm)
	if err != nil {
		return err
	}
	p.log.Info("topics ready", "partitions", n, "repartition", p.cfg.Repartition)
	p.setReady("pipeline", true, "")

	var wg sync.WaitGroup
	errc := make(chan error, 2)
	if p.cfg.Repartition {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.runRepartition(ctx); err != nil && ctx.Err() == nil {
				errc <- err
			}
		}()
	}
	err = p.runJoin(ctx)
	wg.Wait()
	select {
	case rerr := <-errc:
		err = errors.Join(err, rerr)
	default:
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// prepareTopics checks co-partitioning (or creates the repartition topics)
// and creates missing output topics. It returns the join partition count.
func (p *Pipeline) prepareTopics(ctx context.Context, adm *admin) (int, error) {
	var n int
	if p.cfg.Repartition {
		counts, err := adm.partitions(ctx, p.cfg.ClientTopic, p.cfg.ServerTopic)
		if err != nil {
			return 0, err
		}
		n = max(counts[p.cfg.ClientTopic], counts[p.cfg.ServerTopic])
		if n == 0 {
			return 0, fmt.Errorf("consumers: input topics %s and %s do not exist", p.cfg.ClientTopic, p.cfg.ServerTopic)
		}
		c, s := p.cfg.joinTopics()
		if err := adm.ensureTopics(ctx, []TopicSpec{{Name: c, Partitions: n}, {Name: s, Partitions: n}}); err != nil {
			return 0, err
		}
		if _, err := adm.checkCoPartitioned(ctx, c, s); err != nil {
			return 0, err
		}
	} else {
		var err error
		if n, err = adm.checkCoPartitioned(ctx, p.cfg.ClientTopic, p.cfg.ServerTopic); err != nil {
			return 0, err
		}
	}
	err := adm.ensureTopics(ctx, []TopicSpec{
		{Name: p.cfg.FindingsTopic, Partitions: n},
		{Name: p.cfg.MetricsTopic, Partitions: n},
		{Name: p.cfg.DLQTopic, Partitions: n},
	})
	if err != nil {
		return 0, err
	}
	return n, p.ensureChangelog(ctx, adm, n)
}

// runJoin is the consumer-group loop: one generation after another, one
// task per assigned partition pair.
func (p *Pipeline) runJoin(ctx context.Context) error {
	clientTopic, serverTopic := p.cfg.joinTopics()
	cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID:                p.cfg.Group,
		Brokers:           p.cfg.Brokers,
		Topics:            []string{clientTopic, serverTopic},
		GroupBalancers:    []kafka.GroupBalancer{CoPartitionBalancer{}},
		SessionTimeout:    p.cfg.SessionTimeout,
		RebalanceTimeout:  p.cfg.SessionTimeout,
		HeartbeatInterval: max(p.cfg.SessionTimeout/10, 100*time.Millisecond),
		JoinGroupBackoff:  500 * time.Millisecond,
		StartOffset:       kafka.FirstOffset,
		Logger:            kafkaLogger(p.log, slog.LevelDebug),
		ErrorLogger:       kafkaLogger(p.log, slog.LevelDebug),
	})
	if err != nil {
		return fmt.Errorf("consumers: consumer group: %w", err)
	}
	defer cg.Close()
	for {
		p.setReady("group", false, "joining consumer group")
		gen, err := cg.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, kafka.ErrGroupClosed) {
				return nil
			}
			p.log.Warn("consumer group join failed; retrying", "error", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
			continue
		}
		parts := gen.Assignments[clientTopic]
		p.log.Info("partitions assigned", "generation", gen.ID, "member", gen.MemberID, "partitions", len(parts))
		p.setReady("group", true, "")
		p.tel.rebalance()
		committed := map[string]map[int]int64{clientTopic: {}, serverTopic: {}}
		for topic := range committed {
			for _, a := range gen.Assignments[topic] {
				committed[topic][a.ID] = a.Offset
			}
		}
		for _, a := range parts {
			part := a.ID
			gen.Start(func(gctx context.Context) {
				p.stats.OpenTasks.Add(1)
				defer p.stats.OpenTasks.Add(-1)
				p.runTaskWithRetry(gctx, gen, part, clientTopic, serverTopic, committed[clientTopic][part], committed[serverTopic][part])
			})
		}
		// The generation ends when the group rebalances (its context is
		// cancelled and every task returns) or ctx is cancelled.
		select {
		case <-ctx.Done():
			return nil
		case <-genDone(gen):
		}
	}
}

// genDone returns a channel closed when gen's tasks have all been told to
// stop. kafka-go exposes that only through the Start callbacks' context.
func genDone(gen *kafka.Generation) <-chan struct{} {
	done := make(chan struct{})
	gen.Start(func(ctx context.Context) {
		<-ctx.Done()
		close(done)
	})
	return done
}

// runTaskWithRetry runs a partition task, restarting it after a backoff
// when it fails (a broken store, a broker outage): the generation must not
// end because one task hit trouble, and no offset moves past work that is
// not durable.
func (p *Pipeline) runTaskWithRetry(ctx context.Context, gen *kafka.Generation, part int, clientTopic, serverTopic string, cOff, sOff int64) {
	bo := newBackoff(500*time.Millisecond, 30*time.Second)
	comp := fmt.Sprintf("task-%d", part)
	for ctx.Err() == nil {
		t, err := p.newTask(ctx, gen, part, clientTopic, serverTopic, cOff, sOff)
		if err == nil {
			p.setReady(comp, true, "")
			err = t.run(ctx)
			t.close()
		}
		if err == nil || ctx.Err() != nil {
			p.setReady(comp, true, "")
			return
		}
		d := bo.next()
		p.setReady(comp, false, err.Error())
		p.log.Error("task failed; restarting", "partition", part, "retry_in", d, "error", err)
		select {
		case <-ctx.Done():
		case <-time.After(d):
		}
	}
	p.setReady(comp, true, "")
}

// kafkaLogger adapts kafka-go's Printf logger to slog at a fixed level.
func kafkaLogger(l *slog.Logger, level slog.Level) kafka.LoggerFunc {
	return func(msg string, args ...any) {
		if l.Enabled(context.Background(), level) {
			l.Log(context.Background(), level, fmt.Sprintf(msg, args...), "component", "kafka-go")
		}
	}
}
