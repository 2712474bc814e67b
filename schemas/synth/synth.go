package synth

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sstaudit/sstaudit/schemas"
)

// Mix is the share of conversions (0 to 1) that carry each planted fault.
// Faults are drawn independently, except that a conversion loses at most one
// side.
type Mix struct {
	LostServer   float64 // the server copy never sent → client_only
	LostClient   float64 // the browser copy blocked → server_only
	Skewed       float64 // server event time 6–40 min off → TIME_MISALIGNED
	Renamed      float64 // server sends another event name → DEDUP_NAME_MISMATCH
	PlaintextPII float64 // server sends the email unhashed in a hash-required field → HASH_PLAINTEXT
	DoubleHashed float64 // server hashes the browser's hash again → HASH_DOUBLE (Meta only: gtag hits carry no hash)
	Duplicates   float64 // the server copy sent twice → duplicate
	MissingIDs   float64 // neither copy carries an event id → unjoinable (GA4 purchase joins on transaction_id)
	PIIInURL     float64 // the page URL carries the email → PII_LEAK
	// SparseUserData: an anonymous visitor, so the server copy carries no
	// personal user data, only IP, user agent and browser ids → (Meta)
	// MATCH_KEYS_LOW. Not a bug of the setup, but low match quality, which
	// the audit reports; without it every conversion is full quality.
	SparseUserData float64
	Poison         float64 // per conversion, an extra undecodable message → DLQ
}

// DefaultMix is a realistic mix of about 10% faults.
var DefaultMix = Mix{
	LostServer: 0.03, LostClient: 0.02, Skewed: 0.01, Renamed: 0.01, PlaintextPII: 0.005,
	DoubleHashed: 0.005, Duplicates: 0.01, MissingIDs: 0.01, PIIInURL: 0.005, Poison: 0.002,
	SparseUserData: 0.2,
}

// Validate reports shares outside [0, 1].
func (m Mix) Validate() error {
	var errs []error
	for name, v := range m.fields() {
		if v < 0 || v > 1 {
			errs = append(errs, fmt.Errorf("fault share %s must be in [0,1], got %g", name, v))
		}
	}
	if m.LostServer+m.LostClient > 1 {
		errs = append(errs, errors.New("lost-server + lost-client must not exceed 1"))
	}
	return errors.Join(errs...)
}

func (m Mix) fields() map[string]float64 {
	return map[string]float64{
		"lost_server": m.LostServer, "lost_client": m.LostClient, "skewed": m.Skewed, "renamed": m.Renamed,
		"plaintext_pii": m.PlaintextPII, "double_hashed": m.DoubleHashed, "duplicates": m.Duplicates,
		"missing_ids": m.MissingIDs, "pii_in_url": m.PIIInURL, "poison": m.Poison,
		"sparse_user_data": m.SparseUserData,
	}
}

// Config configures a Generator.
type Config struct {
	Seed         uint64
	Destinations []schemas.Destination // default meta and ga4
	Mix          Mix
	// Batched writes server events as batched requests (CAPI data[] of up to
	// 5, MP events[] of up to 3, gtag bodies of up to 4 hits) with random
	// keys, as producers do when they do not key by event_id: only --repartition
	// can join such input.
	Batched bool
	// Clock gives record times; default time.Now.
	Clock func() time.Time
}

// Record is one Kafka message to write.
type Record struct {
	Side   schemas.Side
	Key    []byte // event_id (co-partitioned mode), random (batched), or nil
	Value  []byte
	Format schemas.Format // also written as the sstaudit-format header when Header is true
	Header bool           // write the sstaudit-format header
	Time   time.Time      // record timestamp
}

// Generator produces conversions. It is not safe for concurrent use.
type Generator struct {
	cfg    Config
	r      *rand.Rand
	truth  *Truth
	n      int64
	orders int64
	// batched mode: pending server events per format, and client gtag hits
	pending map[schemas.Format][]pendingEvent
	planted []string // fault kinds of the last conversion
}

type pendingEvent struct {
	body json.RawMessage // one element of CAPI data[]
	t    time.Time
}

// New returns a Generator.
func New(cfg Config) (*Generator, error) {
	if err := cfg.Mix.Validate(); err != nil {
		return nil, err
	}
	if len(cfg.Destinations) == 0 {
		cfg.Destinations = []schemas.Destination{schemas.DestinationMeta, schemas.DestinationGA4}
	}
	for _, d := range cfg.Destinations {
		if d != schemas.DestinationMeta && d != schemas.DestinationGA4 {
			return nil, fmt.Errorf("synth: unknown destination %q", d)
		}
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &Generator{
		cfg:     cfg,
		r:       rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5353544155444954)),
		truth:   newTruth(cfg.Seed),
		pending: map[schemas.Format][]pendingEvent{},
	}, nil
}

// Truth returns what has been planted so far (flush first in batched mode).
func (g *Generator) Truth() *Truth { return g.truth }

// Planted returns the fault kinds (the Mix field names in snake case, as in
// Truth.Faults: lost_server, skewed, …) planted in the conversion of the last
// Next call, in a fixed order; nil for a clean conversion. The slice is the
// caller's. Together with the records Next returned it labels each message
// exactly: tests score detectors per conversion with it.
func (g *Generator) Planted() []string { return append([]string(nil), g.planted...) }

// plant records fault kind for the current conversion.
func (g *Generator) plant(kind string) {
	g.truth.Faults[kind]++
	g.planted = append(g.planted, kind)
}

// The standard events each destination sees, with weights.
var (
	metaEvents = []weighted{{"ViewContent", 35}, {"AddToCart", 20}, {"InitiateCheckout", 12}, {"Purchase", 15}, {"Lead", 10}, {"CompleteRegistration", 8}}
	ga4Events  = []weighted{{"view_item", 35}, {"add_to_cart", 20}, {"begin_checkout", 12}, {"purchase", 15}, {"generate_lead", 10}, {"sign_up", 8}}
	// renames seen in the field: GA4-style names on Meta, case changes on GA4
	metaRenames = map[string]string{"Purchase": "purchase", "Lead": "lead_submission_success", "AddToCart": "add_to_cart",
		"ViewContent": "view_content", "InitiateCheckout": "checkout", "CompleteRegistration": "sign_up"}
	ga4Renames = map[string]string{"purchase": "Purchase", "add_to_cart": "AddToCart", "begin_checkout": "checkout_started",
		"view_item": "ViewItem", "generate_lead": "Lead", "sign_up": "SignUp"}
)

type weighted struct {
	name string
	w    int
}

func (g *Generator) pick(ws []weighted) string {
	total := 0
	for _, w := range ws {
		total += w.w
	}
	n := g.r.IntN(total)
	for _, w := range ws {
		if n < w.w {
			return w.name
		}
		n -= w.w
	}
	return ws[0].name
}

func (g *Generator) chance(p float64) bool { return p > 0 && g.r.Float64() < p }

// conversion is one planned user action before it is encoded.
type conversion struct {
	dest          schemas.Destination
	name          string // client event name
	serverName    string
	eventID       string
	txnID         string
	value         float64
	currency      string
	p             profile
	pageURL       string
	fbclid, gclid string
	clientTime    time.Time // payload time of the browser copy
	serverTime    time.Time // payload time of the server copy
	recordTime    time.Time
	noClient      bool
	noServer      bool
	duplicate     bool
	missingIDs    bool
	plaintext     bool
	doubleHashed  bool
	serverFirst   bool
	sgtm          bool // GA4 server copy as sGTM event data instead of MP
}

// Next plans one conversion and returns the records to write for it, in
// order. In batched mode server events are held back until a batch fills;
// call Flush at the end.
func (g *Generator) Next() []Record {
	now := g.cfg.Clock()
	g.planted = g.planted[:0]
	g.n++
	g.truth.Conversions++
	c := g.plan(now)
	var out []Record

	client := g.clientRecord(&c)
	servers := g.serverRecords(&c)
	if c.serverFirst {
		out = append(out, servers...)
		out = append(out, client...)
	} else {
		out = append(out, client...)
		out = append(out, servers...)
	}
	if g.chance(g.cfg.Mix.Poison) {
		out = append(out, g.poison(now))
	}
	g.account(&c)
	for _, rec := range out {
		g.truth.Messages[string(rec.Side)]++
	}
	return out
}

func (g *Generator) plan(now time.Time) conversion {
	dest := g.cfg.Destinations[g.r.IntN(len(g.cfg.Destinations))]
	c := conversion{dest: dest, p: newProfile(g.r, now.UnixMilli()), recordTime: now, currency: []string{"EUR", "USD", "GBP"}[g.r.IntN(3)]}
	c.p.hasUserData = true // unless the sparse_user_data fault is planted
	if dest == schemas.DestinationMeta {
		c.name = g.pick(metaEvents)
	} else {
		c.name = g.pick(ga4Events)
	}
	c.serverName = c.name
	c.value = float64(500+g.r.IntN(30000)) / 100
	g.orders++
	if c.name == "Purchase" || c.name == "purchase" {
		c.txnID = fmt.Sprintf("ORD-%d-%06d", g.cfg.Seed%1000, g.orders)
		c.eventID = c.txnID
	} else {
		c.eventID = fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", g.r.Uint32(), g.r.IntN(0x10000), g.r.IntN(0x1000), 0x8000|g.r.IntN(0x4000), g.r.Int64N(1<<48))
	}
	page := []string{"/product/tee-red", "/cart", "/checkout", "/order/complete", "/signup", "/contact"}[g.r.IntN(6)]
	q := url.Values{}
	if g.r.IntN(10) < 3 {
		c.fbclid = "IwZXh0bgNhZW0CMTEAAR" + randToken(g.r, 22)
		q.Set("fbclid", c.fbclid)
	}
	if dest == schemas.DestinationGA4 && g.r.IntN(10) < 3 {
		c.gclid = "Cj0KCQjw" + randToken(g.r, 40)
		q.Set("gclid", c.gclid)
	}
	c.clientTime = now
	c.serverTime = now.Add(time.Duration(200+g.r.IntN(2800)) * time.Millisecond)

	m := g.cfg.Mix
	switch f := g.r.Float64(); {
	case f < m.LostServer:
		c.noServer = true
		g.plant("lost_server")
	case f < m.LostServer+m.LostClient:
		c.noClient = true
		g.plant("lost_client")
	}
	if g.chance(m.Skewed) && !c.noClient && !c.noServer {
		c.serverTime = now.Add(-time.Duration(6+g.r.IntN(35)) * time.Minute)
		g.plant("skewed")
	}
	if g.chance(m.Renamed) && !c.noClient && !c.noServer {
		if dest == schemas.DestinationMeta {
			c.serverName = metaRenames[c.name]
		} else {
			c.serverName = ga4Renames[c.name]
		}
		g.plant("renamed")
	}
	if g.chance(m.PlaintextPII) && !c.noServer {
		c.plaintext = true
		c.p.hasUserData = true
		g.plant("plaintext_pii")
	}
	// Double hashing is hashing the browser's hash again: only Meta's browser
	// copy (Pixel advanced matching) carries a hash, so only there is it
	// planted and visible.
	if g.chance(m.DoubleHashed) && !c.noServer && !c.plaintext && dest == schemas.DestinationMeta {
		c.doubleHashed = true
		c.p.hasUserData = true
		g.plant("double_hashed")
	}
	if g.chance(m.SparseUserData) && !c.noServer && !c.plaintext && !c.doubleHashed {
		c.p.hasUserData = false
		g.plant("sparse_user_data")
	}
	if g.chance(m.Duplicates) && !c.noServer {
		c.duplicate = true
		g.plant("duplicates")
	}
	if g.chance(m.MissingIDs) {
		c.missingIDs = true
		g.plant("missing_ids")
	}
	if g.chance(m.PIIInURL) {
		q.Set("email", c.p.email)
		g.plant("pii_in_url")
	}
	u := "https://store.example.net" + page
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	c.pageURL = u
	c.serverFirst = g.r.IntN(5) == 0
	c.sgtm = dest == schemas.DestinationGA4 && g.r.IntN(2) == 0
	return c
}

// account adds the conversion's expected join outcome to the truth.
func (g *Generator) account(c *conversion) {
	joinable := !c.missingIDs || (c.dest == schemas.DestinationGA4 && c.txnID != "")
	groupName := c.name
	if c.noClient {
		groupName = c.serverName
	}
	dest := string(c.dest)
	if !c.noClient {
		g.truth.Events["client"]++
	}
	if !c.noServer {
		g.truth.Events["server"]++
		if c.duplicate {
			g.truth.Events["server"]++
		}
	}
	if !joinable {
		// each copy is its own unjoinable group, under its own name
		if !c.noClient {
			k := g.truth.counts(dest, c.name)
			k.ClientEvents++
			k.Unjoinable++
		}
		if !c.noServer {
			k := g.truth.counts(dest, c.serverName)
			n := int64(1)
			if c.duplicate {
				n = 2
			}
			k.ServerEvents += n
			k.Unjoinable += n
		}
		return
	}
	k := g.truth.counts(dest, groupName)
	switch {
	case c.noServer:
		k.ClientEvents++
		k.ClientOnly++
	case c.noClient:
		k.ServerEvents++
		k.ServerOnly++
		if c.duplicate {
			k.ServerEvents++
			k.Duplicates++
		}
	default:
		k.ClientEvents++
		k.ServerEvents++
		k.Matched++
		// Unskewed copies are 0.2–3 s apart, skewed ones 6–40 min: rounding
		// to the formats' units (s, ms, µs) cannot move either across 5 min.
		if c.serverTime.Sub(c.clientTime).Abs() <= 5*time.Minute {
			k.Aligned++
		}
		if c.duplicate {
			k.ServerEvents++
			k.Duplicates++
		}
	}
}

func randToken(r *rand.Rand, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var b strings.Builder
	b.Grow(n)
	for range n {
		b.WriteByte(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

func (g *Generator) poison(now time.Time) Record {
	side := schemas.SideClient
	if g.r.IntN(2) == 0 {
		side = schemas.SideServer
	}
	g.truth.Poison++
	var v []byte
	switch g.r.IntN(5) {
	case 0: // binary garbage
		v = make([]byte, 64+g.r.IntN(256))
		for i := range v {
			v[i] = byte(g.r.IntN(256))
		}
		v[0] = 0x00
	case 1: // truncated JSON
		v = []byte(`{"data":[{"event_name":"Purchase","event_time":17724`)
	case 2: // JSON of the wrong shape
		v = []byte(`{"data":"not-an-array","partner_agent":"x"}`)
	case 3: // deep nesting
		v = []byte(strings.Repeat("[", 200) + strings.Repeat("]", 200))
	default: // invalid UTF-8 and no structure
		v = []byte("\xff\xfe\xfd plain words \xc3\x28 nothing to see")
	}
	return Record{Side: side, Key: []byte(fmt.Sprintf("poison-%d", g.truth.Poison)), Value: v, Time: now}
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
