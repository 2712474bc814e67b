package consumers

import (
	"context"

	"github.com/segmentio/kafka-go"
)

// A task writes its outputs while it joins. The join stage hands every
// outputChunk records (those of complete inputs, whose headers tracing no
// longer touches) to the task's output writer, a goroutine that writes them
// in order and waits for their acknowledgement; flush hands over the rest
// and waits for every chunk of the transaction before it writes the state
// changelog and commits. So the outputs of a batch are mostly acknowledged
// by the time its join ends, and the order per transaction stays: outputs
// acknowledged, then changelog, then commit.

// outputChunk is how many output records the join stage collects before it
// hands them to the output writer.
const outputChunk = 256

// outputWriter writes chunks of a task's outputs in order.
type outputWriter struct {
	queue    chan []kafka.Message
	acks     chan error // one per chunk, in order
	done     chan struct{}
	sent     int // t.out[:sent] is handed over
	inflight int // chunks handed over and not yet acknowledged
}

// startOutputWriter starts the writer; stop it with close. ctx bounds its
// writes as it bounds produce's.
func (p *Pipeline) startOutputWriter(ctx context.Context) *outputWriter {
	w := &outputWriter{queue: make(chan []kafka.Message, 64), acks: make(chan error, 64), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for chunk := range w.queue {
			w.acks <- p.produce(ctx, chunk)
		}
	}()
	return w
}

// close stops the writer once the chunks handed over are written (or
// given up, see produce) and waits for it.
func (w *outputWriter) close() {
	close(w.queue)
	<-w.done
}

// handOver hands out[w.sent:] to the writer when it holds at least min
// records. out's records from w.sent on must not change afterwards.
func (w *outputWriter) handOver(out []kafka.Message, min int) {
	if n := len(out) - w.sent; n == 0 || n < min {
		return
	}
	w.queue <- out[w.sent:len(out):len(out)]
	w.sent = len(out)
	w.inflight++
}

// wait hands over the rest of out and waits until every chunk handed over
// is acknowledged; it returns the first error. Afterwards out may be reused.
func (w *outputWriter) wait(out []kafka.Message) error {
	w.handOver(out, 1)
	var first error
	for ; w.inflight > 0; w.inflight-- {
		if err := <-w.acks; err != nil && first == nil {
			first = err
		}
	}
	w.sent = 0
	return first
}
