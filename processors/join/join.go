package join

import (
	"fmt"
	"math"

	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/schemas"
)

// Output is one record the join produced: an audit record for the findings
// topic or a window aggregate for the metrics topic (exactly one is set), with
// its Kafka key.
type Output struct {
	Key     string
	Audit   *schemas.AuditRecord
	Metrics *schemas.WindowMetrics
	// Link is the W3C traceparent of an earlier event this output relates
	// to: for a matched pair, the first event's (the record itself carries
	// the second's). "" when there is none. Tracing links the spans.
	Link string
}

// Processor joins the events of one task. It holds no state between calls
// other than scratch buffers: everything lives in the State passed to each
// call. A Processor is not safe for concurrent use; a task owns one.
type Processor struct {
	cfg    Config
	checks Checks

	topics     [2]string // client, server: stored as a flag when a snapshot's topic is its side's
	closeAfter int64     // match window + grace, ms
	align      int64
	win        int64

	g     group
	gkey  []byte
	gval  []byte
	wkey  []byte
	wval  []byte
	due   []Due
	fs    []schemas.Finding
	delta Agg
	wagg  Agg
	own   Checked // the checks of the event in hand, when the caller did not run them
	all   []schemas.Finding
	// mkNames holds the match-key name lists of the audit records, per key
	// set (at most 2^len(processors.MatchKeyNames), a few dozen in practice).
	mkNames map[processors.MatchKey][]string

	cache *batchCache // batched mode only (batch.go)
}

// New returns a Processor for cfg (zero fields take their defaults) calling
// checks (nil functions take theirs).
func New(cfg Config, checks Checks) (*Processor, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	checks.setDefaults()
	p := &Processor{
		cfg:        cfg,
		checks:     checks,
		topics:     [2]string{cfg.ClientTopic, cfg.ServerTopic},
		closeAfter: (cfg.MatchWindow + cfg.Grace).Milliseconds(),
		align:      cfg.Alignment.Milliseconds(),
		win:        cfg.MetricsWindow.Milliseconds(),
	}
	if cfg.Batched {
		p.cache = newBatchCache()
	}
	p.g.strs = &interner{}
	return p, nil
}

// Config returns the configuration in use, defaults applied.
func (p *Processor) Config() Config { return p.cfg }

// Apply joins ev into state and returns the records it caused: at most one
// audit record for ev itself, plus the orphans and windows that closed
// because ev raised stream time. A redelivered input returns nothing.
//
// On error the transaction must be discarded: tx may hold part of the call's
// writes.
func (p *Processor) Apply(tx State, ev *schemas.Event) ([]Output, error) {
	return p.ApplyChecked(tx, ev, nil)
}

// ApplyChecked is Apply for an event whose per-event checks Check has
// already run into checked (nil: Apply runs them). It lets a caller run the
// checks, which need no state, ahead of the join and on another goroutine.
func (p *Processor) ApplyChecked(tx State, ev *schemas.Event, checked *Checked) ([]Output, error) {
	c, err := p.loadClock(tx, ev.Source.RecordTime)
	if err != nil {
		return nil, err
	}
	var out []Output
	if ev.JoinKey == "" {
		out, err = p.unjoinable(tx, ev, c.stream, out, checked)
	} else {
		out, err = p.join(tx, ev, &c, out, checked)
	}
	if err != nil {
		return nil, err
	}
	if out, err = p.settle(tx, &c, out); err != nil {
		return nil, err
	}
	return out, p.saveClock(tx, &c)
}

// Advance moves stream time forward to t (never back) and returns the orphans
// and windows that closed. The consumer calls it when its inputs are idle,
// with a wall-clock-driven t, and may call it with t = 0 to continue a backlog
// (see Backlog).
func (p *Processor) Advance(tx State, t int64) ([]Output, error) {
	c, err := p.loadClock(tx, t)
	if err != nil {
		return nil, err
	}
	out, err := p.settle(tx, &c, nil)
	if err != nil {
		return nil, err
	}
	return out, p.saveClock(tx, &c)
}

// Backlog reports whether due groups or windows may be left that the
// bounded close of the last call did not reach; the caller may call Advance
// again (after committing, if its transaction is full).
func (p *Processor) Backlog(tx State) (bool, error) {
	s, wm, ok, err := p.stateClock(tx)
	return ok && wm < s, err
}

// clock is the stream time and the watermark during one call. The watermark
// is the stream time up to which everything due has been done (groups closed,
// windows emitted): while it equals stream time, a call need not scan the
// close index at all.
type clock struct {
	stream, wm int64
	dirty      bool
}

// loadClock reads the clock and applies a record time (or an advance) to it.
func (p *Processor) loadClock(tx State, t int64) (clock, error) {
	s, wm, ok, err := p.stateClock(tx)
	if err != nil {
		return clock{}, err
	}
	if !ok {
		return clock{stream: t, wm: math.MinInt64, dirty: true}, nil
	}
	c := clock{stream: s, wm: wm}
	if t > s {
		c.stream, c.dirty = t, true
	}
	return c, nil
}

func (p *Processor) saveClock(tx State, c *clock) error {
	if !c.dirty {
		return nil
	}
	return p.setStateClock(tx, c.stream, c.wm)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func (p *Processor) windowStart(t int64) int64 { return floorDiv(t, p.win) * p.win }

// lastDueWindow is the start of the latest window that is due at stream time
// s: its groups all opened before its end, so all closed by end + closeAfter.
func (p *Processor) lastDueWindow(s int64) int64 {
	return p.windowStart(s - p.closeAfter - p.win)
}

// groupWindow is the metrics window of a group opened by a record at r when
// stream time is s: the window containing r, unless that window is already
// due (a very late record), then the first window that is not. This is a
// function of s only, so it is the same however the work was split into
// calls and transactions.
func (p *Processor) groupWindow(r, s int64) int64 {
	w := p.windowStart(r)
	if open := p.lastDueWindow(s) + p.win; w < open {
		w = open
	}
	return w
}

// groupKey is the state key of a group: len(dest), dest, join key. A join
// key in canonical lower-case UUID form (the usual event_id) is packed into
// its 16 bytes, flagged by the top bit of the length byte: the key is stored
// twice per open group (group and close index), so this saves 40 bytes.
func groupKey(dst []byte, dest schemas.Destination, joinKey string) []byte {
	if u, ok := packUUID(joinKey); ok {
		dst = append(dst, byte(len(dest))|0x80)
		dst = append(dst, dest...)
		return append(dst, u[:]...)
	}
	return nameKey(dst, string(dest), joinKey)
}

// nameKey is the state key of a window: len(dest), dest, event name.
func nameKey(dst []byte, dest, name string) []byte {
	dst = append(dst, byte(len(dest)&0x7f))
	dst = append(dst, dest...)
	return append(dst, name...)
}

func splitKey(k []byte) (dest, rest string, err error) {
	if len(k) == 0 || int(k[0]&0x7f) >= len(k) {
		return "", "", fmt.Errorf("join: bad state key %q", k)
	}
	n := int(k[0] & 0x7f)
	dest, tail := destination(k[1:1+n]), k[1+n:]
	if k[0]&0x80 != 0 {
		if len(tail) != 16 {
			return "", "", fmt.Errorf("join: bad state key %q", k)
		}
		return dest, unpackUUID(tail), nil
	}
	return dest, string(tail), nil
}

// destination is string(b), without allocating for the usual destinations.
func destination(b []byte) string {
	switch string(b) {
	case string(schemas.DestinationMeta):
		return string(schemas.DestinationMeta)
	case string(schemas.DestinationGA4):
		return string(schemas.DestinationGA4)
	}
	return string(b)
}

const hexDigits = "0123456789abcdef"

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// packUUID parses xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx in lower-case hex.
func packUUID(s string) (u [16]byte, ok bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	j := 0
	for i := 0; i < 36; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			i++
			continue
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return u, false
		}
		u[j] = hi<<4 | lo
		j++
		i += 2
	}
	return u, true
}

func unpackUUID(b []byte) string {
	var out [36]byte
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hexDigits[c>>4], hexDigits[c&15]
		j += 2
	}
	return string(out[:])
}

func (p *Processor) unjoinable(tx State, ev *schemas.Event, s int64, out []Output, c *Checked) ([]Output, error) {
	fs, snap, mk := p.eventChecks(ev, c)
	fs = append(fs, schemas.Finding{
		Code: CodeNoEventID, Severity: SevNoEventID, Side: findingSide(ev.Side),
		Path: ev.EventIDPath, Detector: detector, Message: "event has no event_id nor fallback join key: it cannot be deduplicated",
	})
	p.fs = fs
	d := &p.delta
	d.reset()
	d.Unjoinable++
	if ev.Side == schemas.SideClient {
		d.ClientEvents++
		d.MissingClient++
	} else {
		d.ServerEvents++
		d.MissingServer++
		d.matchKeys(mk)
	}
	for i := range fs {
		d.finding(&fs[i])
	}
	if err := p.addWindow(tx, p.groupWindow(ev.Source.RecordTime, s), string(ev.Destination), ev.EventName, d); err != nil {
		return nil, err
	}
	rec := p.newRecord(schemas.OutcomeUnjoinable, string(ev.Destination), "", ev.EventName, fs, ev.TraceParent, &snap.Source)
	p.setSide(rec, &snap)
	rec.MatchKeys = mk
	return append(out, rec.output()), nil
}

func (p *Processor) join(tx State, ev *schemas.Event, c *clock, out []Output, checked *Checked) ([]Output, error) {
	s := c.stream
	key := groupKey(p.gkey[:0], ev.Destination, ev.JoinKey)
	p.gkey = key
	val, ok, err := tx.Group(key, p.gval[:0])
	if err != nil {
		return nil, err
	}
	p.gval = val
	g := &p.g
	if ok {
		if err := g.decode(val, &p.topics); err != nil {
			return nil, fmt.Errorf("join: group %q: %w", ev.Destination, err)
		}
		if g.closeAt <= s {
			// Due but not yet reached by the bounded close: close it now,
			// exactly as an unbounded close would have before this event.
			if out, err = p.close(tx, key, g, out); err != nil {
				return nil, err
			}
			ok = false
		}
	}
	if ok {
		src := sourceDigest(&ev.Source)
		if (g.client.present && g.client.src == src) || (g.server.present && g.server.src == src) {
			return out, nil // redelivery
		}
		for _, d := range g.dups {
			if d == src {
				return out, nil
			}
		}
	}

	fs, snap, mk := p.eventChecks(ev, checked)
	d := &p.delta
	d.reset()
	if ev.Side == schemas.SideClient {
		d.ClientEvents++
	} else {
		d.ServerEvents++
		d.matchKeys(mk)
	}

	if !ok {
		r := ev.Source.RecordTime
		g.reset()
		g.first, g.closeAt, g.window = r, r+p.closeAfter, p.groupWindow(r, s)
		g.side(ev.Side).setFull(&snap, fs)
		if g.closeAt <= c.wm { // a late record opened a group that is due already
			c.wm, c.dirty = g.closeAt-1, true
		}
		// A server-first group's own first event is not put in pending: it
		// is recomputed from the stored snapshot when the name is final
		// (serverBase), which keeps pending empty in the common case.
		if ev.Side == schemas.SideClient {
			if err := p.contribute(tx, g, string(ev.Destination), d); err != nil {
				return nil, err
			}
		}
		p.gval = g.appendBinary(p.gval[:0], &p.topics)
		return out, tx.OpenGroup(key, g.closeAt, p.gval)
	}

	if sd := g.side(ev.Side); sd.present {
		return p.duplicate(tx, key, g, sd, ev, &snap, fs, mk, out)
	}
	return p.match(tx, key, g, ev, &snap, fs, mk, out)
}

// contribute adds d to the group's window when its event name is final (the
// client side is present), else to the group's pending aggregate.
func (p *Processor) contribute(tx State, g *group, dest string, d *Agg) error {
	if !g.client.present {
		g.pending.Add(d)
		return nil
	}
	return p.addWindow(tx, g.window, dest, g.name(), d)
}

func (p *Processor) addWindow(tx State, start int64, dest, name string, d *Agg) error {
	k := nameKey(p.wkey[:0], dest, name)
	p.wkey = k
	if p.cache != nil {
		return p.cache.add(tx, start, k, d)
	}
	v, ok, err := tx.Window(start, k, p.wval[:0])
	if err != nil {
		return err
	}
	a := &p.wagg
	a.reset()
	if ok {
		if err := a.UnmarshalBinary(v); err != nil {
			return fmt.Errorf("join: window %d: %w", start, err)
		}
	}
	a.Add(d)
	p.wval = a.AppendBinary(v[:0])
	return tx.PutWindow(start, k, p.wval)
}

func (p *Processor) duplicate(tx State, key []byte, g *group, sd *side, ev *schemas.Event, snap *processors.Snapshot,
	fs []schemas.Finding, mk *schemas.MatchKeys, out []Output) ([]Output, error) {
	f := schemas.Finding{Code: CodeDuplicate, Severity: SevDuplicate, Side: findingSide(ev.Side), Path: ev.EventIDPath,
		Detector: detector, Message: "a further event of this side with the same event_id: a double send"}
	if snap.Payload != sd.payload || nameDigest(snap.EventName) != sd.name {
		f.Code, f.Severity = CodeIDReused, SevIDReused
		f.Message = "this event_id is carried by events that differ in name or content"
	}
	fs = append(fs, f)
	p.fs = fs
	d := &p.delta
	d.Duplicates++
	for i := range fs {
		d.finding(&fs[i])
	}
	g.dups = append(g.dups, sourceDigest(&ev.Source))
	dest, jk := string(ev.Destination), ev.JoinKey // what key was built from
	if err := p.contribute(tx, g, dest, d); err != nil {
		return nil, err
	}
	p.gval = g.appendBinary(p.gval[:0], &p.topics)
	if err := tx.PutGroup(key, p.gval); err != nil {
		return nil, err
	}
	rec := p.newRecord(schemas.OutcomeDuplicate, dest, jk, g.name(), fs, ev.TraceParent, &snap.Source)
	p.setSide(rec, snap)
	rec.MatchKeys = mk
	return append(out, rec.output()), nil
}

func (p *Processor) match(tx State, key []byte, g *group, ev *schemas.Event, snap *processors.Snapshot,
	fs []schemas.Finding, mk *schemas.MatchKeys, out []Output) ([]Output, error) {
	var client, server *processors.Snapshot
	var all []schemas.Finding
	if ev.Side == schemas.SideClient {
		client, server = snap, &g.server.snap
		all = append(append(p.all[:0], fs...), g.server.findings...)
	} else {
		client, server = &g.client.snap, snap
		all = append(append(p.all[:0], g.client.findings...), fs...)
	}
	all = p.checks.Pair(client, server, all)
	if client.EventName != server.EventName {
		all = append(all, schemas.Finding{Code: CodeNameMismatch, Severity: SevNameMismatch, Side: schemas.FindingPair,
			Detector: detector, Message: "client and server event names differ (case-sensitive)"})
	}
	d := &p.delta
	d.Matched++
	var skew int64
	hasSkew := client.EventTime != 0 && server.EventTime != 0
	if hasSkew {
		v := server.EventTime - client.EventTime
		a := abs64(v) <= p.align
		skew = v
		d.skew(v)
		if a {
			d.Aligned++
		} else {
			all = append(all, schemas.Finding{Code: CodeMisaligned, Severity: SevMisaligned, Side: schemas.FindingPair,
				Detector: detector, Message: fmt.Sprintf("server and client event times differ by %d ms, beyond the alignment tolerance of %d ms", v, p.align)})
		}
	}
	p.all = all
	for i := range all {
		d.finding(&all[i])
	}
	if mk == nil { // the server side is the stored one
		m := p.checks.MatchKeys(server)
		mk = &m
	}
	dest, jk := string(ev.Destination), ev.JoinKey // what key was built from
	// The name is final now: fold what waited for it.
	if ev.Side == schemas.SideClient {
		d.ServerEvents++
		d.matchKeys(mk)
		d.Add(&g.pending)
		g.pending.reset()
	}
	name := client.EventName
	if err := p.addWindow(tx, g.window, dest, name, d); err != nil {
		return nil, err
	}
	rec := p.newRecord(schemas.OutcomeMatched, dest, jk, name, all, ev.TraceParent, &client.Source, &server.Source)
	p.setSide(rec, client)
	p.setSide(rec, server)
	if hasSkew {
		rec.skew, rec.aligned = skew, abs64(skew) <= p.align
		rec.SkewMs, rec.Aligned = &rec.skew, &rec.aligned
	}
	rec.MatchKeys = mk
	o := rec.output()
	if ev.Side == schemas.SideClient {
		o.Link = traceParent(server)
	} else {
		o.Link = traceParent(client)
	}

	// Compact: only the digests are needed to spot duplicates and redeliveries.
	sd := g.side(ev.Side)
	sd.present, sd.name, sd.payload, sd.src = true, nameDigest(snap.EventName), snap.Payload, sourceDigest(&snap.Source)
	g.client.compact()
	g.server.compact()
	g.matched, g.evName = true, name
	p.gval = g.appendBinary(p.gval[:0], &p.topics)
	if err := tx.PutGroup(key, p.gval); err != nil {
		return nil, err
	}
	return append(out, o), nil
}

// close ends a group: a matched group silently, a one-sided one with its
// orphan record. It deletes the group.
func (p *Processor) close(tx State, key []byte, g *group, out []Output) ([]Output, error) {
	if err := tx.DeleteGroup(key, g.closeAt); err != nil {
		return nil, err
	}
	if g.matched {
		return out, nil
	}
	dest, jk, err := splitKey(key)
	if err != nil {
		return nil, err
	}
	d := &p.delta
	d.reset()
	var sd *side
	var mk *schemas.MatchKeys
	var f schemas.Finding
	var outcome schemas.Outcome
	if g.client.present {
		sd, outcome = &g.client, schemas.OutcomeClientOnly
		d.ClientOnly++
		f = schemas.Finding{Code: CodeClientOnly, Severity: SevClientOnly, Side: schemas.FindingClient, Detector: detector,
			Message: "no server event with this event_id arrived within the match window"}
	} else {
		sd, outcome = &g.server, schemas.OutcomeServerOnly
		d.ServerOnly++
		d.ServerEvents++ // the first server event (see join)
		m := p.checks.MatchKeys(&sd.snap)
		mk = &m
		d.matchKeys(mk)
		d.Add(&g.pending)
		f = schemas.Finding{Code: CodeServerOnly, Severity: SevServerOnly, Side: schemas.FindingServer, Detector: detector,
			Message: "no browser event with this event_id arrived within the match window: the server recovered it"}
	}
	all := make([]schemas.Finding, 0, len(sd.findings)+1)
	all = append(append(all, sd.findings...), f)
	// The pair checks that need only one side (e.g. an fbclid modified
	// between the page URL and fbc) still run on an orphan.
	if outcome == schemas.OutcomeClientOnly {
		all = p.checks.Pair(&sd.snap, nil, all)
	} else {
		all = p.checks.Pair(nil, &sd.snap, all)
	}
	for i := range all {
		d.finding(&all[i])
	}
	name := sd.snap.EventName
	if err := p.addWindow(tx, g.window, dest, name, d); err != nil {
		return nil, err
	}
	rec := p.newRecord(outcome, dest, jk, name, all, traceParent(&sd.snap), &sd.snap.Source)
	p.setSide(rec, &sd.snap)
	rec.MatchKeys = mk
	return append(out, rec.output()), nil
}

// settle closes the due groups (at most MaxClosesPerCall) and, once none is
// left, emits the due windows (at most as many).
func (p *Processor) settle(tx State, c *clock, out []Output) ([]Output, error) {
	s := c.stream
	if c.wm >= s {
		return out, nil
	}
	max := p.cfg.MaxClosesPerCall
	closed := 0
	drained := false
	for !drained && closed < max {
		n := min(max-closed, 256)
		var err error
		p.due, err = tx.DueGroups(s, n, p.due[:0])
		if err != nil {
			return nil, err
		}
		if len(p.due) < n {
			drained = true
		}
		for i := range p.due {
			key := p.due[i].Key
			val, ok, err := tx.Group(key, p.gval[:0])
			if err != nil {
				return nil, err
			}
			p.gval = val
			if !ok {
				return nil, fmt.Errorf("join: close index names a missing group (close time %d)", p.due[i].At)
			}
			if err := p.g.decode(val, &p.topics); err != nil {
				return nil, fmt.Errorf("join: group: %w", err)
			}
			if out, err = p.close(tx, key, &p.g, out); err != nil {
				return nil, err
			}
		}
		closed += len(p.due)
	}
	if !drained {
		var err error
		if p.due, err = tx.DueGroups(s, 1, p.due[:0]); err != nil || len(p.due) > 0 {
			return out, err
		}
	}
	upTo := p.lastDueWindow(s)
	if p.cache != nil {
		if err := p.cache.writeBack(tx, upTo); err != nil {
			return nil, err
		}
	}
	var err error
	if p.due, err = tx.DueWindows(upTo, max, p.due[:0]); err != nil {
		return nil, err
	}
	for i := range p.due {
		start, key := p.due[i].At, p.due[i].Key
		v, ok, err := tx.Window(start, key, p.wval[:0])
		if err != nil {
			return nil, err
		}
		p.wval = v
		if !ok {
			continue
		}
		a := &p.wagg
		if err := a.UnmarshalBinary(v); err != nil {
			return nil, fmt.Errorf("join: window %d: %w", start, err)
		}
		dest, name, err := splitKey(key)
		if err != nil {
			return nil, err
		}
		m := a.Metrics(dest, name, p.cfg.Partition, start, start+p.win, p.pipeline())
		if err := tx.DeleteWindow(start, key); err != nil {
			return nil, err
		}
		if p.cache != nil {
			p.cache.forget(start, key)
		}
		out = append(out, Output{Key: metricsKey(dest, name, start), Metrics: m})
	}
	if len(p.due) < max {
		c.wm, c.dirty = s, true
	}
	return out, nil
}
