package join

import (
	"errors"
	"fmt"
	"time"
)

// MaxMatchWindow is the longest match window allowed: Meta's dedup horizon (SPEC §4).
const MaxMatchWindow = 48 * time.Hour

// Config tunes the join. Start from NewDefaultConfig; New fills zero fields
// with the defaults and calls Validate.
type Config struct {
	// MatchWindow is how long a group stays open after its first record, in
	// stream time. Default 1h, at most 48h.
	MatchWindow time.Duration
	// Grace is added to MatchWindow before a group closes. Default 2m.
	Grace time.Duration
	// Alignment is the largest |server − client event time| of an aligned
	// pair. Default 5m.
	Alignment time.Duration
	// MetricsWindow is the length of the tumbling metrics windows. Default 1m.
	MetricsWindow time.Duration
	// Partition is the input partition the task owns; it is written into
	// every WindowMetrics record.
	Partition int32
	// ClientTopic and ServerTopic name the task's input topics (optional).
	// A stored snapshot whose topic is its side's keeps a flag instead of the
	// name, saving ~15 bytes per open group; renaming a topic under existing
	// state would mislabel the audit records of the groups then open.
	ClientTopic, ServerTopic string
	// InstanceID and Version go into every record's pipeline block.
	InstanceID string
	Version    string
	// Clock gives pipeline.processed_at, the only field of an output that is
	// not a function of the input. Default time.Now.
	Clock func() time.Time
	// MaxClosesPerCall bounds how many due groups one Apply or Advance
	// closes, so a large jump of stream time cannot make one call (and one
	// state transaction) unbounded. The rest close on later calls; windows
	// are emitted only once no due group is left. Default 1000.
	MaxClosesPerCall int
	// Batched keeps the clock and the aggregates of open metrics windows in
	// memory between calls and writes them to state only in Flush (see
	// batch.go): the caller must call Processor.Flush on every transaction
	// before committing it, and Processor.Reset after discarding one. It
	// saves a read, decode, encode and write of an aggregate per event.
	// Default false: every call leaves its transaction complete.
	Batched bool
}

// NewDefaultConfig returns the defaults of SPEC §4 and §7.
func NewDefaultConfig() Config {
	return Config{
		MatchWindow:      time.Hour,
		Grace:            2 * time.Minute,
		Alignment:        5 * time.Minute,
		MetricsWindow:    time.Minute,
		Clock:            time.Now,
		MaxClosesPerCall: 1000,
	}
}

// setDefaults fills the zero fields of c from NewDefaultConfig.
func (c *Config) setDefaults() {
	d := NewDefaultConfig()
	if c.MatchWindow == 0 {
		c.MatchWindow = d.MatchWindow
	}
	if c.Grace == 0 {
		c.Grace = d.Grace
	}
	if c.Alignment == 0 {
		c.Alignment = d.Alignment
	}
	if c.MetricsWindow == 0 {
		c.MetricsWindow = d.MetricsWindow
	}
	if c.Clock == nil {
		c.Clock = d.Clock
	}
	if c.MaxClosesPerCall == 0 {
		c.MaxClosesPerCall = d.MaxClosesPerCall
	}
}

// Validate reports every problem of c at once. Durations are kept in whole
// milliseconds (stream time is Kafka record time, in ms).
func (c Config) Validate() error {
	var errs []error
	if c.MatchWindow <= 0 || c.MatchWindow > MaxMatchWindow {
		errs = append(errs, fmt.Errorf("join: match window must be in (0, %s], got %s", MaxMatchWindow, c.MatchWindow))
	}
	if c.Grace < 0 {
		errs = append(errs, fmt.Errorf("join: grace must not be negative, got %s", c.Grace))
	}
	if c.Alignment < 0 {
		errs = append(errs, fmt.Errorf("join: alignment must not be negative, got %s", c.Alignment))
	}
	if c.MetricsWindow < time.Millisecond {
		errs = append(errs, fmt.Errorf("join: metrics window must be at least 1ms, got %s", c.MetricsWindow))
	}
	if c.Partition < 0 {
		errs = append(errs, fmt.Errorf("join: partition must not be negative, got %d", c.Partition))
	}
	if c.Clock == nil {
		errs = append(errs, errors.New("join: clock is nil"))
	}
	if c.MaxClosesPerCall < 1 {
		errs = append(errs, fmt.Errorf("join: max closes per call must be positive, got %d", c.MaxClosesPerCall))
	}
	return errors.Join(errs...)
}
