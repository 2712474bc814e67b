package join

import (
	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/schemas"
)

// Checks are the check families the join calls. Any nil field falls back to
// the minimal default documented on it, so the join works before the checks
// are wired. Every function must be pure and deterministic (the join's
// exactly-once metrics rely on it) and safe for concurrent use: a
// pipeline's tasks share one set, and Check may run beside Apply.
type Checks struct {
	// Event appends the per-event findings of ev to out. Default: none.
	Event func(ev *schemas.Event, out []schemas.Finding) []schemas.Finding
	// Snapshot builds the compact side record kept in state. Default:
	// DefaultSnapshot.
	Snapshot func(ev *schemas.Event) processors.Snapshot
	// Pair appends the findings of a matched pair to out. Default: none.
	Pair func(client, server *processors.Snapshot, out []schemas.Finding) []schemas.Finding
	// MatchKeys summarises a server side's match keys. Default:
	// DefaultMatchKeys.
	MatchKeys func(server *processors.Snapshot) schemas.MatchKeys
}

// Checked holds what the per-event checks say about one event (Check).
type Checked struct {
	Findings []schemas.Finding
	Snapshot processors.Snapshot
	// MatchKeys is the match-key summary of a server event (zero for a
	// client event).
	MatchKeys schemas.MatchKeys
}

// Check runs the per-event checks of ev into c, reusing c's findings slice.
// It reads nothing but the Processor's checks, which are pure: it may run on
// any goroutine, concurrently with the Processor's other calls. The join
// runs the same checks on every event it does not skip as a redelivery.
func (p *Processor) Check(ev *schemas.Event, c *Checked) {
	c.Findings = p.checks.Event(ev, c.Findings[:0])
	c.Snapshot = p.checks.Snapshot(ev)
	c.MatchKeys = schemas.MatchKeys{}
	if ev.Side != schemas.SideClient {
		c.MatchKeys = p.checks.MatchKeys(&c.Snapshot)
	}
}

// eventChecks returns the findings (in p.fs), the snapshot and, for a
// server event, the match-key summary of ev: from c, or run now when c is
// nil.
func (p *Processor) eventChecks(ev *schemas.Event, c *Checked) ([]schemas.Finding, processors.Snapshot, *schemas.MatchKeys) {
	if c == nil {
		c = &p.own
		p.Check(ev, c)
	}
	p.fs = append(p.fs[:0], c.Findings...)
	var mk *schemas.MatchKeys
	if ev.Side != schemas.SideClient {
		m := c.MatchKeys
		mk = &m
	}
	return p.fs, c.Snapshot, mk
}

func (c *Checks) setDefaults() {
	if c.Event == nil {
		c.Event = func(_ *schemas.Event, out []schemas.Finding) []schemas.Finding { return out }
	}
	if c.Snapshot == nil {
		c.Snapshot = DefaultSnapshot
	}
	if c.Pair == nil {
		c.Pair = func(_, _ *processors.Snapshot, out []schemas.Finding) []schemas.Finding { return out }
	}
	if c.MatchKeys == nil {
		c.MatchKeys = DefaultMatchKeys
	}
}

// DefaultSnapshot fills the fields of a Snapshot the join itself needs:
// Side, Format, EventName, EventTime, Source and ActionSource.
func DefaultSnapshot(ev *schemas.Event) processors.Snapshot {
	return processors.Snapshot{
		Side:         ev.Side,
		Format:       ev.Format,
		EventName:    ev.EventName,
		EventTime:    ev.EventTime,
		Source:       ev.Source,
		ActionSource: ev.ActionSource,
	}
}

// Completeness bands of SPEC §8: 6+ keys pass, 4–5 warn, fewer fail.
const (
	BandPass = "pass"
	BandWarn = "warn"
	BandFail = "fail"
)

// CompletenessBand returns the SPEC §8 band of a match-key count.
func CompletenessBand(n int) string {
	switch {
	case n >= 6:
		return BandPass
	case n >= 4:
		return BandWarn
	}
	return BandFail
}

// DefaultMatchKeys reads the keys present from s.MatchKeys, with their count,
// the completeness band and an EMQ estimate of 0 (no estimator).
func DefaultMatchKeys(s *processors.Snapshot) schemas.MatchKeys {
	n := s.MatchKeys.Count()
	present := s.MatchKeys.Names()
	if present == nil {
		present = []string{}
	}
	return schemas.MatchKeys{Present: present, Count: int32(n), Band: CompletenessBand(n)}
}
