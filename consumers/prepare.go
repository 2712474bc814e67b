package consumers

import (
	"context"
	"time"

	"github.com/sstaudit/sstaudit/processors/join"
	"github.com/sstaudit/sstaudit/schemas"
)

// A task runs in two stages on two goroutines. The prepare stage collects
// the next batch in merge order, decodes it and runs the per-event checks:
// none of that reads or writes state. The join stage (task.run) applies
// each batch to state and makes it durable in the order documented on task.
// So a batch is decoded and checked while the batch before it is joined,
// written to Kafka and committed, and the durability order is untouched:
// the join of a batch begins only after the batch before it committed.
// Two batches circulate between the stages; the prepare stage is at most
// one batch ahead.

// preparedBatch is one batch, decoded and checked.
type preparedBatch struct {
	inputs  []preparedInput
	checked []join.Checked // storage for the inputs' checks, reused
	wait    time.Duration  // waited for the first message
	collect time.Duration  // then collected the rest
}

// preparedInput is one input message with its decoded events and their
// checks, or the decode error that sends it to the DLQ.
type preparedInput struct {
	input
	evs     []schemas.Event
	checked []join.Checked // one per event, in batch.checked
	err     error
}

// prepare is the prepare stage. It takes empty batches from free, fills
// and sends them to ready, until ctx is cancelled (after sending the batch
// in hand, as the task's final batch) or stop is closed. It closes ready
// when it returns.
func (t *task) prepare(ctx context.Context, stop <-chan struct{}, free <-chan *preparedBatch, ready chan<- *preparedBatch) {
	defer close(ready)
	for ctx.Err() == nil {
		var b *preparedBatch
		select {
		case b = <-free:
		case <-stop:
			return
		}
		t.collect(ctx, b)
		t.decodeBatch(b)
		select {
		case ready <- b:
		case <-stop:
			return
		}
	}
}

// collect fills b with up to BatchSize inputs in merge order: it waits for
// the first (at most a quarter of IdleAdvance: an empty batch lets the join
// stage advance idle stream time), then at most BatchLinger for the rest.
func (t *task) collect(ctx context.Context, b *preparedBatch) {
	clear(b.inputs)
	b.inputs = b.inputs[:0]
	waitStart := time.Now()
	first, ok := t.nextInput(ctx, t.p.cfg.IdleAdvance/4+time.Millisecond)
	collectStart := time.Now()
	if ok {
		b.inputs = append(b.inputs, preparedInput{input: first})
		deadline := collectStart.Add(t.p.cfg.BatchLinger)
		for len(b.inputs) < t.p.cfg.BatchSize {
			in, ok := t.nextInput(ctx, time.Until(deadline))
			if !ok {
				break
			}
			b.inputs = append(b.inputs, preparedInput{input: in})
		}
	}
	b.wait, b.collect = collectStart.Sub(waitStart), time.Since(collectStart)
}

// decodeBatch decodes b's inputs and runs the per-event checks of their
// events (join.Processor.Check, which is safe beside the join stage's calls).
func (t *task) decodeBatch(b *preparedBatch) {
	n := 0
	for i := range b.inputs {
		in := &b.inputs[i]
		in.evs, in.err = t.decode(in.msg, in.side)
		n += len(in.evs)
	}
	if cap(b.checked) < n {
		b.checked = append(b.checked[:cap(b.checked)], make([]join.Checked, n-cap(b.checked))...)
	}
	b.checked = b.checked[:n]
	k := 0
	for i := range b.inputs {
		in := &b.inputs[i]
		in.checked = b.checked[k : k+len(in.evs) : k+len(in.evs)]
		k += len(in.evs)
		for j := range in.evs {
			t.proc.Check(&in.evs[j], &in.checked[j])
		}
	}
}
