package dashboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/sstaudit/sstaudit/processors/report"
)

// Health is what the pipeline exposes about itself: readiness and its
// running totals (consumers.Stats). The command fills it in; this package
// does not know the pipeline.
type Health struct {
	Ready  bool   `json:"ready"`
	Reason string `json:"reason,omitempty"` // why not ready
	// Stopped says the pipeline has finished on purpose (`demo --serve`
	// after its traffic): the figures are final, not stalled.
	Stopped       bool  `json:"stopped"`
	Consumed      int64 `json:"consumed"` // input messages applied, dead-lettered ones included
	Events        int64 `json:"events"`   // decoded events applied
	DLQ           int64 `json:"dlq"`
	AuditRecords  int64 `json:"audit_records"`  // produced
	WindowMetrics int64 `json:"window_metrics"` // produced
	Redelivered   int64 `json:"redelivered"`    // input messages skipped as already applied
	OpenTasks     int64 `json:"open_tasks"`     // partition tasks running
	// ConsumerLag is the records between the inputs' high watermarks and
	// the next offsets to apply, summed over the running tasks; nil when
	// not known (no task has fetched yet, or the pipeline has no metrics).
	ConsumerLag *int64 `json:"consumer_lag"`
}

// Config configures a Dashboard.
type Config struct {
	// Live is the data shown. Required (Validate).
	Live *Live
	// Health reports the pipeline's health; nil leaves that panel out.
	Health func() Health
	// Inventory is scored with the streams (report.Evaluate); nil: none.
	Inventory *report.Inventory
	// Refresh is how often the page reloads itself. Default 5s.
	Refresh time.Duration
	// Alignment is the join's alignment tolerance, drawn on the skew
	// histogram. Default 5m (SPEC §4).
	Alignment time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Live == nil {
		errs = append(errs, errors.New("dashboard: no Live to show"))
	}
	if c.Refresh < 0 {
		errs = append(errs, fmt.Errorf("dashboard: refresh must not be negative, got %s", c.Refresh))
	}
	if c.Alignment < 0 {
		errs = append(errs, fmt.Errorf("dashboard: alignment must not be negative, got %s", c.Alignment))
	}
	return errors.Join(errs...)
}

// Dashboard serves the live dashboard (/) and its JSON (/api/summary).
// Its handlers are safe for concurrent use.
type Dashboard struct {
	cfg     Config
	started time.Time

	mu      sync.Mutex
	samples []sample // throughput samples, oldest first, at most maxSamples
}

type sample struct {
	at       time.Time
	consumed int64
}

const (
	maxSamples     = 256
	throughputSpan = time.Minute // the recent throughput is measured over about this long
)

// New validates cfg, fills in its defaults and returns a Dashboard.
func New(cfg Config) (*Dashboard, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Refresh == 0 {
		cfg.Refresh = 5 * time.Second
	}
	if cfg.Alignment == 0 {
		cfg.Alignment = 5 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Dashboard{cfg: cfg, started: cfg.Now()}, nil
}

// Mount registers the page on "GET /{$}" and the JSON on "GET
// /api/summary" with handle (consumers.HTTPServer.Handle, or a ServeMux's).
func (d *Dashboard) Mount(handle func(pattern string, h http.Handler)) {
	handle("GET /{$}", http.HandlerFunc(d.servePage))
	handle("GET /api/summary", http.HandlerFunc(d.serveJSON))
}

// View is everything the dashboard shows, as /api/summary returns it: the
// page is drawn from the same value.
type View struct {
	GeneratedAt time.Time `json:"generated_at"`
	// Score is report.Evaluate of Summary with the configured inventory.
	Score   report.Score   `json:"score"`
	Summary report.Summary `json:"summary"`
	Series  []Series       `json:"hit_ratio_series"`
	Skew    Skew           `json:"skew"`
	// AlignmentMs is the alignment tolerance the skew is judged by.
	AlignmentMs int64     `json:"alignment_ms"`
	Pipeline    *Pipeline `json:"pipeline"` // nil without Config.Health
}

// Pipeline is Health plus the throughput measured from it.
type Pipeline struct {
	Health
	// UptimeSeconds is how long the dashboard has been up.
	UptimeSeconds float64 `json:"uptime_seconds"`
	// MessagesPerSecond is the input rate over the last minute or so of
	// page and API loads; nil before two loads.
	MessagesPerSecond *float64 `json:"messages_per_second"`
	// AvgMessagesPerSecond is consumed / uptime.
	AvgMessagesPerSecond *float64 `json:"avg_messages_per_second"`
}

// View takes a snapshot and scores it.
func (d *Dashboard) View() View {
	now := d.cfg.Now()
	snap := d.cfg.Live.Snapshot()
	v := View{
		GeneratedAt: now.UTC(),
		Score:       report.Evaluate(snap.Summary, d.cfg.Inventory),
		Summary:     snap.Summary,
		Series:      snap.Series,
		Skew:        snap.Skew,
		AlignmentMs: d.cfg.Alignment.Milliseconds(),
	}
	if d.cfg.Health != nil {
		v.Pipeline = d.pipeline(now, d.cfg.Health())
	}
	return v
}

func (d *Dashboard) pipeline(now time.Time, h Health) *Pipeline {
	p := &Pipeline{Health: h, UptimeSeconds: now.Sub(d.started).Seconds()}
	if p.UptimeSeconds > 0 {
		r := float64(h.Consumed) / p.UptimeSeconds
		p.AvgMessagesPerSecond = &r
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	// Measure from the oldest sample within throughputSpan, else from the
	// newest one before it.
	var base *sample
	for i := range d.samples {
		s := &d.samples[i]
		if !now.After(s.at) {
			break
		}
		base = s
		if now.Sub(s.at) <= throughputSpan {
			break
		}
	}
	if base != nil {
		if dt := now.Sub(base.at).Seconds(); dt > 0 {
			r := float64(h.Consumed-base.consumed) / dt
			p.MessagesPerSecond = &r
		}
	}
	if n := len(d.samples); n == 0 || now.Sub(d.samples[n-1].at) >= time.Second {
		d.samples = append(d.samples, sample{at: now, consumed: h.Consumed})
		if len(d.samples) > maxSamples {
			d.samples = d.samples[len(d.samples)-maxSamples:]
		}
	}
	return p
}

func (d *Dashboard) serveJSON(w http.ResponseWriter, _ *http.Request) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d.View()); err != nil {
		http.Error(w, "dashboard: encode summary: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

func (d *Dashboard) servePage(w http.ResponseWriter, _ *http.Request) {
	var buf bytes.Buffer
	if err := render(&buf, d.View(), d.cfg.Refresh); err != nil {
		http.Error(w, "dashboard: render: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	_, _ = w.Write(buf.Bytes())
}
