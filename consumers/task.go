package consumers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sstaudit/sstaudit/processors/join"
	"github.com/sstaudit/sstaudit/schemas"
	"github.com/sstaudit/sstaudit/state"
)

// task owns partition p of both join topics: their feeds, its store and its
// join processor. Nothing in it is shared, so it needs no locks.
//
// The durability order for every batch (SPEC §10):
//  1. apply the batch to a state transaction, with the next offset of each
//     input stored in that same transaction;
//  2. write the outputs it caused to Kafka and wait for all in-sync replicas
//     (they are written in chunks while the join goes on, outputs.go; the
//     wait is for all of them);
//  3. write the transaction's state writes to the state changelog
//     (changelog.go), then commit the state transaction;
//  4. from time to time, commit the offsets to the consumer group (a fallback
//     for a task that arrives without state; the store is authoritative).
//
// Batches are collected, decoded and checked ahead by the prepare stage
// (prepare.go), which touches no state; the join of a batch starts only
// after the batch before it committed.
//
// A crash between 2 and 3 replays the batch: the deterministic join emits the
// same records again with the same audit_ids (at-least-once outputs), while
// state and metrics stay exactly-once.
type task struct {
	p         *Pipeline
	log       *slog.Logger
	gen       *kafka.Generation
	partition int
	topics    [2]string // client, server join topics
	store     *state.Store
	proc      *join.Processor
	feeds     [2]*feed
	cancel    context.CancelFunc
	tel       *taskTel // nil without telemetry

	heads      [2]*kafka.Message
	known      [2]bool // caughtUp is known
	caughtUp   [2]bool
	emptySince [2]time.Time // when a feed was last seen with nothing buffered
	next       [2]int64     // next offset to apply, per input
	stored     [2]int64     // next as last written to a state transaction
	committed  [2]int64     // last offsets committed to the group

	lastInput  time.Time // wall clock of the last applied input
	lastRecord int64     // highest record time applied
	lastCommit time.Time
	lastGC     time.Time

	out     []kafka.Message
	outW    *outputWriter // writes out while the join goes on (outputs.go)
	pending []join.Output // the join outputs behind out, for Config.OnOutput
	span    processSpan   // the span of the input record being applied
}

func (p *Pipeline) storeDir(part int) string {
	return filepath.Join(p.cfg.StateDir, p.cfg.Group, "partition-"+strconv.Itoa(part))
}

func (p *Pipeline) newTask(ctx context.Context, gen *kafka.Generation, part int, clientTopic, serverTopic string, cOff, sOff int64) (*task, error) {
	store, err := p.openStore(ctx, part)
	if err != nil {
		return nil, err
	}
	jc := p.cfg.Join
	jc.Partition = int32(part)
	jc.ClientTopic, jc.ServerTopic = clientTopic, serverTopic
	jc.Batched = true // flush calls proc.Flush before each commit
	proc, err := join.New(jc, p.checks)
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	t := &task{
		p: p, log: p.log.With("partition", part), gen: gen, partition: part,
		topics: [2]string{clientTopic, serverTopic}, store: store, proc: proc,
		lastInput: time.Now(), lastCommit: time.Now(), lastGC: time.Now(),
	}
	// Resume after what the store has applied; the group's commit is the
	// fallback; with neither, start from the beginning.
	groupOffsets := [2]int64{cOff, sOff}
	tx := store.Begin()
	for i, topic := range t.topics {
		next, ok, err := tx.Offset(topic, int32(part))
		if err != nil {
			tx.Discard()
			_ = store.Close()
			return nil, err
		}
		switch {
		case ok:
			t.next[i] = next
		case groupOffsets[i] >= 0:
			t.next[i] = groupOffsets[i]
		default:
			t.next[i] = kafka.FirstOffset
		}
		t.committed[i] = -1
	}
	t.stored = t.next
	if st, _, ok, err := tx.Clock(); err == nil && ok {
		t.lastRecord = st
	}
	tx.Discard()
	// Knowing whether each input has records waiting lets the merge keep
	// timestamp order from the first record on (see merge.go).
	if ends, err := p.partitionEnds(ctx, t.topics, part); err != nil {
		t.log.Warn("end offsets unknown; the merge starts without them", "error", err)
	} else {
		for i := range t.topics {
			t.known[i] = true
			t.caughtUp[i] = t.next[i] >= ends[i][1] || (t.next[i] < 0 && ends[i][0] == ends[i][1])
		}
	}

	fctx, cancel := context.WithCancel(ctx)
	t.cancel = cancel
	fc := feedConfig{brokers: p.cfg.Brokers, depth: p.cfg.QueueDepth, maxBytes: max(p.cfg.Decode.MaxBytes, schemas.DefaultMaxBytes) + 1<<20,
		maxWait: 250 * time.Millisecond, logger: t.log}
	for i, topic := range t.topics {
		f, err := startFeed(fctx, fc, topic, part, t.next[i])
		if err != nil {
			t.close()
			return nil, fmt.Errorf("consumers: read %s/%d: %w", topic, part, err)
		}
		t.feeds[i] = f
	}
	now := time.Now()
	t.emptySince = [2]time.Time{now, now}
	t.tel = p.tel.task(part, t.topics)
	t.log.Info("task started", "client_offset", t.next[0], "server_offset", t.next[1])
	return t, nil
}

// close stops the feeds and closes the store. It is safe to call on a
// partially built task, and more than once.
func (t *task) close() {
	if t.cancel != nil {
		t.cancel()
	}
	t.tel.close()
	for i, f := range t.feeds {
		if f != nil {
			_ = f.close()
			t.feeds[i] = nil
		}
	}
	if t.store != nil {
		if err := t.store.Close(); err != nil {
			t.log.Error("close store", "error", err)
		}
		t.store = nil
	}
}

type input struct {
	msg  *kafka.Message
	side int // 0 client, 1 server
}

// run is the task loop: the join stage, fed by the prepare stage
// (prepare.go). It returns nil when ctx is cancelled after a clean final
// flush and commit, or the error that stopped it.
func (t *task) run(ctx context.Context) error {
	free := make(chan *preparedBatch, 2)
	ready := make(chan *preparedBatch, 2)
	for range cap(free) {
		free <- &preparedBatch{inputs: make([]preparedInput, 0, t.p.cfg.BatchSize)}
	}
	// pctx ends the prepare stage's waits when this stage returns early;
	// stop ends its sends.
	pctx, cancel := context.WithCancel(ctx)
	stop := make(chan struct{})
	prepared := make(chan struct{})
	go func() {
		defer close(prepared)
		t.prepare(pctx, stop, free, ready)
	}()
	t.outW = t.p.startOutputWriter(pctx)
	defer func() {
		cancel()
		close(stop)
		<-prepared // the prepare stage uses the feeds, which close closes
		t.outW.close()
	}()
	// ready is closed once ctx is cancelled and the batch the prepare stage
	// had in hand is sent.
	for b := range ready {
		processStart := time.Now()
		err := t.process(ctx, b.inputs)
		n := len(b.inputs)
		free <- b
		if err != nil {
			return err
		}
		t.tel.processed(processStart, n, t.next, t.lastRecord)
		if n > 0 && t.log.Enabled(ctx, slog.LevelDebug) {
			t.log.Debug("batch", "messages", n, "wait", b.wait, "collect", b.collect, "process", time.Since(processStart))
		}
		if ctx.Err() != nil {
			continue
		}
		if time.Since(t.lastCommit) >= t.p.cfg.CommitInterval {
			t.commitGroup(false)
		}
		if time.Since(t.lastGC) >= t.p.cfg.GCInterval {
			t.lastGC = time.Now()
			if err := t.store.GC(); err != nil {
				t.log.Warn("state gc", "error", err)
			}
		}
	}
	t.commitGroup(true)
	return nil
}

// nextInput returns the next record in merge order, waiting at most wait.
func (t *task) nextInput(ctx context.Context, wait time.Duration) (input, bool) {
	deadline := time.Now().Add(max(wait, 0))
	for {
		for i := range 2 {
			if t.heads[i] == nil {
				select {
				case m := <-t.feeds[i].ch:
					t.take(i, &m)
				default:
					if t.emptySince[i].IsZero() {
						t.emptySince[i] = time.Now()
					}
				}
			}
		}
		now := time.Now()
		waited := time.Duration(0)
		switch {
		case t.heads[0] != nil && t.heads[1] == nil:
			waited = now.Sub(t.emptySince[1])
		case t.heads[1] != nil && t.heads[0] == nil:
			waited = now.Sub(t.emptySince[0])
		}
		switch chooseNext(feedState{t.heads[0], t.known[0], t.caughtUp[0]}, feedState{t.heads[1], t.known[1], t.caughtUp[1]},
			waited, t.p.cfg.MaxTaskIdle, maxLagWait) {
		case mergeClient:
			return t.pop(0), true
		case mergeServer:
			return t.pop(1), true
		}
		remaining := deadline.Sub(now)
		if remaining <= 0 || ctx.Err() != nil {
			return input{}, false
		}
		if waited > 0 {
			limit := t.p.cfg.MaxTaskIdle
			if t.heads[0] == nil && t.known[0] || t.heads[1] == nil && t.known[1] {
				limit = maxLagWait
			}
			remaining = min(remaining, limit-waited+time.Millisecond)
		}
		var c0, c1 <-chan kafka.Message
		if t.heads[0] == nil {
			c0 = t.feeds[0].ch
		}
		if t.heads[1] == nil {
			c1 = t.feeds[1].ch
		}
		timer := time.NewTimer(remaining)
		select {
		case m := <-c0:
			t.take(0, &m)
		case m := <-c1:
			t.take(1, &m)
		case <-timer.C:
		case <-ctx.Done():
		}
		timer.Stop()
	}
}

// maxLagWait bounds how long the merge waits for an input known to have
// records still to fetch.
const maxLagWait = 30 * time.Second

// partitionEnds returns the first and end offsets of partition part of each
// topic.
func (p *Pipeline) partitionEnds(ctx context.Context, topics [2]string, part int) ([2][2]int64, error) {
	var out [2][2]int64
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, topic := range topics {
		req.Topics[topic] = []kafka.OffsetRequest{kafka.FirstOffsetOf(part), kafka.LastOffsetOf(part)}
	}
	cl := newClient(p.cfg.Brokers, 10*time.Second)
	defer releaseClient(cl)
	resp, err := cl.ListOffsets(ctx, req)
	if err != nil {
		return out, err
	}
	for i, topic := range topics {
		ps := resp.Topics[topic]
		if len(ps) == 0 {
			return out, fmt.Errorf("no offsets for %s/%d", topic, part)
		}
		for _, po := range ps {
			if po.Error != nil {
				return out, po.Error
			}
			out[i] = [2]int64{po.FirstOffset, po.LastOffset}
		}
	}
	return out, nil
}

func (t *task) take(i int, m *kafka.Message) {
	t.heads[i] = m
	t.tel.fetched(i, m)
	t.known[i] = m.HighWaterMark > 0
	t.caughtUp[i] = isCaughtUp(m)
	t.emptySince[i] = time.Time{}
}

func (t *task) pop(i int) input {
	m := t.heads[i]
	t.heads[i] = nil
	return input{msg: m, side: i}
}

var sides = [2]schemas.Side{schemas.SideClient, schemas.SideServer}

// process applies a batch (possibly empty: then only idle advance and
// backlog) and makes it durable in the order documented on task.
func (t *task) process(ctx context.Context, batch []preparedInput) (err error) {
	tx := t.store.Begin()
	defer func() {
		tx.Discard()
		if err != nil {
			// What the processor holds in memory belongs to a transaction
			// that did not commit.
			t.proc.Reset()
		}
	}()
	t.out = t.out[:0]
	t.pending = t.pending[:0]
	applied := false
	for i := range batch {
		in := &batch[i]
		m := in.msg
		if m.Offset < t.next[in.side] {
			t.p.stats.Redelivery.Add(1)
			continue
		}
		ps := t.tel.startProcess(m, in.side, len(t.out))
		t.span = ps
		err := t.apply(tx, in)
		t.span = processSpan{}
		t.tel.endProcess(ps, t.out, err)
		if err != nil {
			return err
		}
		t.outW.handOver(t.out, outputChunk)
		t.next[in.side] = m.Offset + 1 // stored with the transaction in flush
		t.lastInput = time.Now()
		t.lastRecord = max(t.lastRecord, m.Time.UnixMilli())
		applied = true
		t.p.stats.Consumed.Add(1)
		t.tel.consumed(in.side)
		if tx.Full() {
			if err := t.flush(ctx, tx); err != nil {
				return err
			}
			tx = t.store.Begin()
		}
	}
	// Idle advance: with no input for IdleAdvance, stream time follows the
	// wall clock from the last record seen.
	if !applied && t.lastRecord > 0 {
		if idle := time.Since(t.lastInput); idle >= t.p.cfg.IdleAdvance {
			outs, err := t.proc.Advance(t.tel.state(tx), t.lastRecord+idle.Milliseconds())
			if err != nil {
				return err
			}
			if err := t.emit(outs); err != nil {
				return err
			}
		}
	}
	for {
		more, err := t.proc.Backlog(tx)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		outs, err := t.proc.Advance(t.tel.state(tx), 0)
		if err != nil {
			return err
		}
		if err := t.emit(outs); err != nil {
			return err
		}
		if tx.Full() {
			if err := t.flush(ctx, tx); err != nil {
				return err
			}
			tx = t.store.Begin()
		}
	}
	return t.flush(ctx, tx)
}

// apply joins the events of one input message, decoded and checked by the
// prepare stage; an undecodable message becomes a DLQ record.
func (t *task) apply(tx *state.Tx, in *preparedInput) error {
	if in.err != nil {
		t.out = append(t.out, t.p.dlqFor(in.msg, in.err))
		t.p.stats.DLQ.Add(1)
		t.p.tel.decodeError(in.err)
		return nil
	}
	for i := range in.evs {
		outs, err := t.proc.ApplyChecked(t.tel.state(tx), &in.evs[i], &in.checked[i])
		if err != nil {
			return err
		}
		if err := t.emit(outs); err != nil {
			return err
		}
	}
	t.p.stats.Events.Add(int64(len(in.evs)))
	return nil
}

// decode turns a join-topic message into events. In repartition mode the
// join topics hold canonical events written by the repartition stage, which
// keep the coordinates of the original input.
func (t *task) decode(m *kafka.Message, side int) ([]schemas.Event, error) {
	if !t.p.cfg.Repartition {
		return t.p.decodeInput(m, side)
	}
	ev, err := t.p.eventCodec.Decode(m.Value)
	if err != nil {
		return nil, err
	}
	return []schemas.Event{ev}, nil
}

// decodeInput decodes an input message; a decoder panic is a bug, but it
// must not stop the partition: it becomes a DLQ record.
func (p *Pipeline) decodeInput(m *kafka.Message, side int) (evs []schemas.Event, err error) {
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("decoder panic", "topic", m.Topic, "offset", m.Offset, "panic", fmt.Sprint(r))
			evs, err = nil, errors.New("consumers: decoder panic")
		}
	}()
	return schemas.Decode(schemas.Message{
		Value:       m.Value,
		Format:      headerValue(m.Headers, HeaderFormat),
		Destination: headerValue(m.Headers, HeaderDestination),
		Side:        sides[side],
		Source: schemas.Source{
			Topic: m.Topic, Partition: int32(m.Partition), Offset: m.Offset, RecordTime: m.Time.UnixMilli(),
		},
		TraceParent: headerValue(m.Headers, HeaderTraceParent),
	}, p.cfg.Decode)
}

// emit encodes the join's outputs as Kafka records.
func (t *task) emit(outs []join.Output) error {
	for i := range outs {
		m, err := t.p.encodeOutput(&outs[i])
		if err != nil {
			return err
		}
		t.out = append(t.out, m)
		if outs[i].Link != "" {
			t.tel.addLink(t.span, outs[i].Link)
		}
		if t.p.cfg.OnOutput != nil {
			t.pending = append(t.pending, outs[i])
		}
	}
	return nil
}

func (p *Pipeline) encodeOutput(o *join.Output) (kafka.Message, error) {
	var (
		m   = kafka.Message{Headers: p.outHeaders.metrics}
		tp  string
		err error
	)
	if o.Audit != nil && o.Audit.TraceParent != nil {
		tp = *o.Audit.TraceParent
	}
	// One allocation holds the key, the traceparent and the value.
	hint := &p.outHints[0]
	if o.Audit == nil {
		hint = &p.outHints[1]
	}
	buf := make([]byte, 0, len(o.Key)+len(tp)+hint.get())
	buf = append(append(buf, o.Key...), tp...)
	m.Key = buf[:len(o.Key):len(o.Key)]
	val := buf[len(buf):len(buf):cap(buf)]
	switch {
	case o.Audit != nil:
		m.Topic = p.cfg.FindingsTopic
		m.Value, err = p.codecs.AuditRecord.Append(val, *o.Audit)
		m.Headers = p.outHeaders.audit
		if tp != "" {
			m.Headers = p.outHeaders.withTraceParent(buf[len(o.Key):len(buf):len(buf)])
		}
		p.stats.Findings.Add(1)
		p.tel.audit(o.Audit)
	case o.Metrics != nil:
		m.Topic = p.cfg.MetricsTopic
		m.Value, err = p.codecs.WindowMetrics.Append(val, *o.Metrics)
		p.stats.Metrics.Add(1)
	default:
		return m, errors.New("consumers: empty join output")
	}
	if err != nil {
		return m, fmt.Errorf("consumers: encode output: %w", err)
	}
	hint.note(len(m.Value))
	return m, nil
}

// outputHeaders are the header sets of output records, built once: the
// slices are shared by every record (nothing appends to or modifies a
// record's headers in place; HeaderCarrier.Set builds a new slice).
type outputHeaders struct {
	audit, metrics []kafka.Header
}

func newOutputHeaders(c *schemas.Codecs, f schemas.OutputFormat) outputHeaders {
	ct := kafka.Header{Key: HeaderContentType, Value: []byte(f.ContentType())}
	return outputHeaders{
		audit:   []kafka.Header{{Key: HeaderSchema, Value: []byte(c.AuditRecord.SchemaHeader())}, ct},
		metrics: []kafka.Header{{Key: HeaderSchema, Value: []byte(c.WindowMetrics.SchemaHeader())}, ct},
	}
}

// withTraceParent is the audit headers with a traceparent between the
// schema and the content type.
func (h *outputHeaders) withTraceParent(tp []byte) []kafka.Header {
	return []kafka.Header{h.audit[0], {Key: HeaderTraceParent, Value: tp}, h.audit[1]}
}

// sizeHint is the buffer size to allocate for the next encoded record: the
// last record's size and a quarter, so that most records are encoded without
// growing their buffer. Safe for concurrent use; a race only costs a regrow.
type sizeHint struct{ n atomic.Int64 }

func (h *sizeHint) get() int {
	if n := h.n.Load(); n > 0 {
		return int(n)
	}
	return 1024
}

func (h *sizeHint) note(n int) { h.n.Store(int64(min(n+n/4+16, 64<<10))) }

// flush waits for the outputs (handing over those not yet handed to the
// output writer), then writes tx's writes to the state
// changelog, then commits tx with the changelog position (changelog.go). On
// shutdown it still tries to finish for a bounded time, so the batch in hand
// is not redone.
func (t *task) flush(ctx context.Context, tx *state.Tx) error {
	if err := t.p.checkDisk(); err != nil {
		return fmt.Errorf("consumers: partition %d: %w", t.partition, err)
	}
	// The join's batched writes and the input offsets go into tx first.
	if err := t.proc.Flush(t.tel.state(tx)); err != nil {
		return err
	}
	for i, topic := range t.topics {
		if t.next[i] != t.stored[i] {
			if err := tx.SetOffset(topic, int32(t.partition), t.next[i]); err != nil {
				return err
			}
		}
	}
	if err := t.outW.wait(t.out); err != nil {
		return err
	}
	t.out = t.out[:0]
	if ws := tx.Writes(); len(ws) > 0 {
		next, err := t.p.writeChangelog(ctx, t.partition, ws)
		if err != nil {
			return err
		}
		if err := tx.SetChangelogOffset(next); err != nil {
			return err
		}
	}
	start := time.Now()
	if h := t.p.commitHook; h != nil {
		if err := h(t.partition); err != nil {
			return fmt.Errorf("consumers: commit state of partition %d: %w", t.partition, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("consumers: commit state of partition %d: %w", t.partition, err)
	}
	t.stored = t.next
	t.p.stats.Commits.Add(1)
	t.tel.committed(start)
	if t.p.cfg.OnOutput != nil {
		for _, o := range t.pending {
			t.p.cfg.OnOutput(o)
		}
		clear(t.pending)
		t.pending = t.pending[:0]
	}
	return nil
}

// produce writes msgs and waits for their acknowledgement, retrying with
// backoff through broker trouble. Once ctx is cancelled it keeps trying for
// at most shutdownGrace, then gives up (the batch will be replayed).
func (p *Pipeline) produce(ctx context.Context, msgs []kafka.Message) error {
	const shutdownGrace = 15 * time.Second
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		time.AfterFunc(shutdownGrace, cancel)
	})
	defer stop()
	bo := newBackoff(100*time.Millisecond, 10*time.Second)
	for {
		if p.produceHook != nil {
			p.produceHook(wctx, len(msgs))
		}
		err := p.writer.WriteMessages(wctx, msgs...)
		if err == nil {
			p.tel.produced(msgs)
			p.setReady("producer", true, "")
			return nil
		}
		if wctx.Err() != nil {
			return fmt.Errorf("consumers: produce outputs: %w", err)
		}
		// Retry the whole slice: some records may be written twice, which
		// at-least-once outputs with stable ids allow.
		d := bo.next()
		p.setReady("producer", false, "output topics not writable")
		p.log.Warn("produce failed; retrying", "records", len(msgs), "retry_in", d, "error", err)
		select {
		case <-wctx.Done():
			return fmt.Errorf("consumers: produce outputs: %w", err)
		case <-time.After(d):
		}
	}
}

// commitGroup commits the applied offsets to the consumer group.
func (t *task) commitGroup(final bool) {
	t.lastCommit = time.Now()
	offs := map[string]map[int]int64{}
	for i, topic := range t.topics {
		if t.next[i] >= 0 && t.next[i] != t.committed[i] {
			offs[topic] = map[int]int64{t.partition: t.next[i]}
		}
	}
	if len(offs) == 0 {
		return
	}
	start := time.Now()
	if err := t.gen.CommitOffsets(offs); err != nil {
		level := slog.LevelWarn
		if final {
			level = slog.LevelDebug // the generation may already be over
		}
		t.log.Log(context.Background(), level, "commit offsets to group", "error", err)
		return
	}
	for i := range t.topics {
		t.committed[i] = t.next[i]
	}
	t.tel.groupCommitted(start, t.store)
}
