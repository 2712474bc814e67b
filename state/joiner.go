package state

import (
	"github.com/sstaudit/sstaudit/processors/join"
	"github.com/sstaudit/sstaudit/schemas"
)

// Joiner drives a join.Processor over a Store one event at a time, each call
// in its own committed transaction: the way `sstaudit check` and tests run
// the join without Kafka. (The pipeline batches many inputs per
// transaction and stores offsets with them; it does not use Joiner.)
type Joiner struct {
	store *Store
	proc  *join.Processor
}

// NewJoiner returns a Joiner of proc over s. Like a Store, it belongs to one
// goroutine.
func NewJoiner(s *Store, proc *join.Processor) *Joiner { return &Joiner{store: s, proc: proc} }

// Apply joins ev and commits; it returns the records ev caused.
func (j *Joiner) Apply(ev *schemas.Event) ([]join.Output, error) {
	return j.update(func(tx *Tx) ([]join.Output, error) { return j.proc.Apply(tx, ev) })
}

// CloseAll advances stream time to t and closes every group and window due
// by then, committing as it goes (the join bounds the closes per call); it
// returns every record that caused.
func (j *Joiner) CloseAll(t int64) ([]join.Output, error) {
	var all []join.Output
	for {
		var more bool
		outs, err := j.update(func(tx *Tx) ([]join.Output, error) {
			outs, err := j.proc.Advance(tx, t)
			if err != nil {
				return nil, err
			}
			more, err = j.proc.Backlog(tx)
			return outs, err
		})
		all = append(all, outs...)
		if err != nil || !more {
			return all, err
		}
	}
}

func (j *Joiner) update(fn func(tx *Tx) ([]join.Output, error)) ([]join.Output, error) {
	tx := j.store.Begin()
	defer tx.Discard()
	outs, err := fn(tx)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return outs, nil
}
