package main

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// DefaultSeed is the seed of the committed corpus.
const DefaultSeed = 20261125

// reps is how many people each variant is built for.
const reps = 12

// Case is one corpus line: messages audited together, and the findings they
// must produce.
type Case struct {
	ID      string `json:"id"`
	Code    string `json:"code,omitempty"` // the code the case is about ("" for clean)
	Kind    string `json:"kind"`           // positive, hard_negative, clean
	Variant string `json:"variant"`
	// Policy is "" for the default house policy, or "strict": the house
	// checks that are off by default switched on (see the test).
	Policy   string    `json:"policy,omitempty"`
	Messages []Message `json:"messages"`
	// Expect is the exact set of findings, every severity, of every audit
	// record the messages cause.
	Expect []Expect `json:"expect"`
}

// Message is one input message as it arrives on its topic.
type Message struct {
	Side   string `json:"side"`   // client or server: the topic
	Format string `json:"format"` // the sstaudit-format header, "" to detect
	Value  string `json:"value"`
}

// Expect is one finding a case must produce.
type Expect struct {
	Code string `json:"code"`
	Path string `json:"path"`
}

// Write writes cases as JSON lines.
func Write(w io.Writer, cases []Case) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range cases {
		if err := enc.Encode(&cases[i]); err != nil {
			return err
		}
	}
	return nil
}

func sha(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// person is one invented customer and browser.
type person struct {
	first, last, email, gmailEmail string
	phoneDigits, city, zip, cc     string
	ip, ua, fbp, fbclid, gclid     string
	externalID, clientID, userID   string
}

var (
	firsts  = []string{"Ana", "Jonas", "Marie", "Lukas", "Sofia", "Noah", "Emma", "Liam", "Mia", "Elias", "Lea", "Clara"}
	lasts   = []string{"Lima", "Schmidt", "Dubois", "Rossi", "Kowalski", "Jansen", "Novak", "Fischer", "Silva", "Weber"}
	domains = []string{"example.org", "mail.example.net", "example.de", "shop-mail.example.com"}
	places  = []struct{ city, zip, cc, dial, area string }{
		{"Berlin", "10115", "de", "49", "30"}, {"Paris", "75001", "fr", "33", "14"}, {"Austin", "73301", "us", "1", "512"},
		{"Amsterdam", "1011", "nl", "31", "20"}, {"Milano", "20121", "it", "39", "02"},
	}
	uas = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
	}
)

const tokenChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func token(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = tokenChars[r.IntN(len(tokenChars))]
	}
	return string(b)
}

// validPhone draws a national number in area until libphonenumber calls the
// whole number valid, so that a phone label is true.
func validPhone(r *rand.Rand, dial, area string) string {
	for range 1000 {
		d := dial + area + fmt.Sprintf("%07d", 2000000+r.IntN(7999999))
		if n, err := phonenumbers.Parse("+"+d, ""); err == nil && phonenumbers.IsValidNumber(n) {
			return d
		}
	}
	panic("corpusgen: no valid phone number in +" + dial + " " + area) // a bug in the places table
}

func newPerson(r *rand.Rand) person {
	f, l := firsts[r.IntN(len(firsts))], lasts[r.IntN(len(lasts))]
	pl := places[r.IntN(len(places))]
	local := strings.ToLower(f) + "." + strings.ToLower(l) + fmt.Sprint(r.IntN(90)+10)
	return person{
		first: f, last: l,
		email:       local + "@" + domains[r.IntN(len(domains))],
		gmailEmail:  local + "@gmail.com",
		phoneDigits: validPhone(r, pl.dial, pl.area),
		city:        pl.city, zip: pl.zip, cc: pl.cc,
		ip:         fmt.Sprintf("203.0.113.%d", 1+r.IntN(254)),
		ua:         uas[r.IntN(len(uas))],
		fbp:        fmt.Sprintf("fb.1.{{NOW_MS-%d}}.%d", 86400*(1+r.IntN(20)), 100000000+r.IntN(900000000)),
		fbclid:     "IwAR" + token(r, 28),
		gclid:      "Cj0KCQjw" + token(r, 32),
		externalID: fmt.Sprintf("cust-%06d", r.IntN(1000000)),
		clientID:   fmt.Sprintf("%d.%d", 100000000+r.IntN(900000000), 1700000000+r.IntN(9000000)),
		userID:     fmt.Sprintf("u%08d", r.IntN(100000000)),
	}
}

// metaUD is the full Meta user_data of p, hashed the Meta way.
func metaUD(p person) map[string]any {
	return map[string]any{
		"em":                []any{sha(p.email)},
		"ph":                []any{sha(p.phoneDigits)},
		"fn":                sha(strings.ToLower(p.first)),
		"ln":                sha(strings.ToLower(p.last)),
		"ct":                sha(strings.ReplaceAll(strings.ToLower(p.city), " ", "")),
		"zp":                sha(p.zip),
		"country":           sha(p.cc),
		"external_id":       []any{p.externalID},
		"client_ip_address": p.ip,
		"client_user_agent": p.ua,
		"fbp":               p.fbp,
	}
}

// ev is one conversion both sides describe.
type ev struct {
	id, name, ga4Name string
	value             string
	currency          string
	page              string // page URL
}

func newEv(r *rand.Rand, n int) ev {
	names := []struct{ meta, ga4 string }{{"Purchase", "purchase"}, {"AddToCart", "add_to_cart"}, {"Lead", "generate_lead"}, {"ViewContent", "view_item"}}
	nm := names[r.IntN(len(names))]
	return ev{
		id:       fmt.Sprintf("evt-%04d-%s", n, token(r, 10)),
		name:     nm.meta,
		ga4Name:  nm.ga4,
		value:    fmt.Sprintf("%d.%02d", 5+r.IntN(300), r.IntN(100)),
		currency: []string{"EUR", "USD", "GBP"}[r.IntN(3)],
		page:     "https://store.example.net/" + []string{"product/tee-red", "cart", "checkout", "order/complete"}[r.IntN(4)],
	}
}

// pixel builds a Pixel hit; ud are the ud[...] parameters in order.
type pixel struct {
	e     ev
	p     person
	ud    [][2]string
	extra [][2]string
	noEID bool
	noFBP bool
	fbc   string
	dl    string
	ts    string
}

func (x pixel) String() string {
	var b strings.Builder
	b.WriteString("https://www.facebook.com/tr/?id=100200300400500&ev=" + url.QueryEscape(x.e.name))
	if !x.noEID {
		b.WriteString("&eid=" + url.QueryEscape(x.e.id))
	}
	ts := x.ts
	if ts == "" {
		ts = "{{NOW_MS}}"
	}
	dl := x.dl
	if dl == "" {
		dl = x.e.page
	}
	b.WriteString("&ts=" + ts + "&dl=" + url.QueryEscape(dl) + "&rl=" + url.QueryEscape("https://store.example.net/"))
	b.WriteString("&if=false&v=2.9.156&r=stable")
	b.WriteString("&cd[value]=" + x.e.value + "&cd[currency]=" + x.e.currency + "&cd[content_type]=product")
	for _, kv := range x.ud {
		b.WriteString("&ud[" + kv[0] + "]=" + url.QueryEscape(kv[1]))
	}
	if !x.noFBP {
		b.WriteString("&fbp=" + x.p.fbp)
	}
	if x.fbc != "" {
		b.WriteString("&fbc=" + x.fbc)
	}
	for _, kv := range x.extra {
		b.WriteString("&" + kv[0] + "=" + url.QueryEscape(kv[1]))
	}
	return b.String()
}

// capiEvent is one CAPI data[] element with full user data.
func capiEvent(e ev, p person) map[string]any {
	return map[string]any{
		"event_name":       e.name,
		"event_time":       "{{NOW_S}}",
		"event_id":         e.id,
		"action_source":    "website",
		"event_source_url": e.page,
		"user_data":        metaUD(p),
		"custom_data":      map[string]any{"value": json.Number(e.value), "currency": e.currency, "content_type": "product", "content_ids": []any{"TEE-RED-M"}},
	}
}

func capiBody(evs ...map[string]any) string {
	return marshal(map[string]any{"data": evs, "partner_agent": "sstaudit-corpus-1.0"})
}

// marshal encodes v with sorted keys and turns quoted placeholders into bare
// ones where they stand for a number.
func marshal(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // only built-in types: cannot fail
	}
	s := strings.TrimSuffix(b.String(), "\n")
	for {
		i := strings.Index(s, `"{{NOW_`)
		if i < 0 {
			return s
		}
		j := strings.Index(s[i:], `}}"`)
		s = s[:i] + s[i+1:i+j+2] + s[i+j+3:]
	}
}

func gtag(e ev, p person, extra ...string) string {
	s := "https://region1.google-analytics.com/g/collect?v=2&tid=G-SSTAUDIT1&gtm=45je4bc0v9&cid=" + p.clientID +
		"&ul=en-us&sid=1732500000&sct=2&seg=1&dl=" + url.QueryEscape(e.page) + "&dt=Store&en=" + e.ga4Name +
		"&gcs=G111&gcd=13l3l3l3l1l1&npa=0&dma=0&ep.event_id=" + e.id
	if e.ga4Name == "purchase" {
		s += "&ep.transaction_id=T-" + e.id
	}
	s += "&epn.value=" + e.value + "&ep.currency=" + e.currency
	for _, x := range extra {
		s += "&" + x
	}
	return s
}

func ga4Params(e ev) map[string]any {
	m := map[string]any{
		"event_id": e.id, "session_id": "1732500000", "engagement_time_msec": 1200,
		"page_location": e.page, "value": json.Number(e.value), "currency": e.currency,
	}
	if e.ga4Name == "purchase" {
		m["transaction_id"] = "T-" + e.id
	}
	return m
}

func googleEmail(e string) string {
	e = strings.ToLower(strings.TrimSpace(e))
	local, dom, _ := strings.Cut(e, "@")
	if dom == "gmail.com" || dom == "googlemail.com" {
		local = strings.ReplaceAll(local, ".", "")
	}
	return local + "@" + dom
}

func mpUD(p person) map[string]any {
	return map[string]any{
		"sha256_email_address": []any{sha(googleEmail(p.email))},
		"sha256_phone_number":  []any{sha("+" + p.phoneDigits)},
		"address": []any{map[string]any{
			"sha256_first_name": sha(strings.ToLower(p.first)),
			"sha256_last_name":  sha(strings.ToLower(p.last)),
			"city":              strings.ToLower(p.city),
			"postal_code":       p.zip,
			"country":           strings.ToUpper(p.cc),
		}},
	}
}

func mpBody(p person, events ...map[string]any) map[string]any {
	return map[string]any{
		"client_id": p.clientID, "user_id": p.userID, "timestamp_micros": "{{NOW_US}}",
		"consent":   map[string]any{"ad_user_data": "GRANTED", "ad_personalization": "GRANTED"},
		"user_data": mpUD(p),
		"events":    events,
	}
}

func mpEvent(e ev) map[string]any { return map[string]any{"name": e.ga4Name, "params": ga4Params(e)} }

func sgtmEvent(e ev, p person) map[string]any {
	m := map[string]any{
		"event_name": e.ga4Name, "client_id": p.clientID, "x-ga-protocol_version": "2",
		"x-ga-measurement_id": "G-SSTAUDIT1", "x-ga-gcs": "G111", "x-ga-npa": "0", "ga_session_id": "1732500000",
		"page_title": "Store", "ip_override": p.ip, "user_agent": p.ua, "language": "en-us", "timestamp": "{{NOW_S}}",
		"user_id": p.userID,
		"user_data": map[string]any{"email_address": p.email, "phone_number": "+" + p.phoneDigits,
			"address": map[string]any{"first_name": p.first, "last_name": p.last, "city": p.city, "postal_code": p.zip, "country": strings.ToUpper(p.cc)}},
	}
	for k, v := range ga4Params(e) {
		m[k] = v
	}
	return m
}

func client(format, v string) Message { return Message{Side: "client", Format: format, Value: v} }
func server(format, v string) Message { return Message{Side: "server", Format: format, Value: v} }

type gen struct {
	r     *rand.Rand
	n     int
	cases []Case
}

func (g *gen) add(kind, code, variant string, msgs []Message, expect ...Expect) {
	g.addPolicy("", kind, code, variant, msgs, expect...)
}

func (g *gen) addPolicy(policy, kind, code, variant string, msgs []Message, expect ...Expect) {
	g.n++
	if expect == nil {
		expect = []Expect{}
	}
	g.cases = append(g.cases, Case{
		ID: fmt.Sprintf("%04d-%s", g.n, variant), Code: code, Kind: kind, Variant: variant, Policy: policy, Messages: msgs, Expect: expect,
	})
}

// each calls fn reps times with a fresh person and conversion.
func (g *gen) each(fn func(p person, e ev)) {
	for range reps {
		fn(newPerson(g.r), newEv(g.r, g.n+1))
	}
}

// metaPair is a clean Pixel hit (advanced matching on) and the server body
// built from the CAPI event after mod.
func metaPair(p person, e ev, mod func(ce map[string]any)) []Message {
	ce := capiEvent(e, p)
	if mod != nil {
		mod(ce)
	}
	px := pixel{e: e, p: p, ud: [][2]string{{"em", sha(p.email)}, {"ph", sha(p.phoneDigits)}, {"external_id", p.externalID}}}
	return []Message{client("meta.pixel", px.String()), server("meta.capi", capiBody(ce))}
}

// metaPairNoUD is the same with a Pixel hit without advanced matching, so
// that no pair comparison of hashes applies.
func metaPairNoUD(p person, e ev, mod func(ce map[string]any)) []Message {
	ce := capiEvent(e, p)
	if mod != nil {
		mod(ce)
	}
	px := pixel{e: e, p: p}
	return []Message{client("meta.pixel", px.String()), server("meta.capi", capiBody(ce))}
}

func ud(ce map[string]any) map[string]any { return ce["user_data"].(map[string]any) }

func ga4Pair(p person, e ev, mod func(body map[string]any)) []Message {
	body := mpBody(p, mpEvent(e))
	if mod != nil {
		mod(body)
	}
	return []Message{client("ga4.gtag", gtag(e, p)), server("ga4.mp", marshal(body))}
}

func mpAddress(body map[string]any) map[string]any {
	return body["user_data"].(map[string]any)["address"].([]any)[0].(map[string]any)
}

// Generate builds the corpus for seed.
func Generate(seed uint64) []Case {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x636f72707573))}
	g.clean()
	g.hashing()
	g.clickIDs()
	g.pairs()
	g.time()
	g.dedup()
	g.pii()
	g.eventParams()
	g.matchConsent()
	g.strict()
	g.negatives()
	return g.cases
}

func (g *gen) clean() {
	for range 3 {
		g.each(func(p person, e ev) { g.add("clean", "", "meta-pixel-capi", metaPair(p, e, nil)) })
		g.each(func(p person, e ev) { g.add("clean", "", "ga4-gtag-mp", ga4Pair(p, e, nil)) })
		g.each(func(p person, e ev) {
			g.add("clean", "", "ga4-gtag-sgtm", []Message{client("", gtag(e, p)), server("sgtm.event", marshal(sgtmEvent(e, p)))})
		})
		g.each(func(p person, e ev) {
			// A gtag batch (shared URL query, one body line per hit) and an
			// MP body with the same two events.
			e2 := newEv(g.r, g.n+1)
			e2.page = e.page
			full := gtag(e, p)
			u, q, _ := strings.Cut(full, "?")
			vals, _ := url.ParseQuery(q)
			shared := "v=2&tid=G-SSTAUDIT1&cid=" + p.clientID + "&sid=1732500000&dl=" + url.QueryEscape(e.page) + "&gcs=G111&gcd=13l3l3l3l1l1"
			hit := func(x ev) string {
				s := "en=" + x.ga4Name + "&ep.event_id=" + x.id + "&epn.value=" + x.value + "&ep.currency=" + x.currency
				if x.ga4Name == "purchase" {
					s += "&ep.transaction_id=T-" + x.id
				}
				return s
			}
			_ = vals
			batch := u + "?" + shared + "\n" + hit(e) + "\n" + hit(e2)
			g.add("clean", "", "ga4-gtag-batch-mp", []Message{client("ga4.gtag", batch), server("", marshal(mpBody(p, mpEvent(e), mpEvent(e2))))})
		})
		g.each(func(p person, e ev) {
			// A CAPI batch of two events and their two Pixel hits.
			e2 := newEv(g.r, g.n+1)
			px1 := pixel{e: e, p: p, ud: [][2]string{{"em", sha(p.email)}}}
			px2 := pixel{e: e2, p: p}
			g.add("clean", "", "meta-capi-batch", []Message{client("", px1.String()), client("", px2.String()),
				server("meta.capi", capiBody(capiEvent(e, p), capiEvent(e2, p)))})
		})
	}
}

func (g *gen) hashing() {
	pos := func(code, variant string, build func(p person, e ev) ([]Message, []Expect)) {
		g.each(func(p person, e ev) {
			m, x := build(p, e)
			g.add("positive", code, variant, m, x...)
		})
	}
	const emPath = "data[0].user_data.em[0]"
	pos("HASH_PLAINTEXT", "capi-em-plain", func(p person, e ev) ([]Message, []Expect) {
		return metaPairNoUD(p, e, func(ce map[string]any) { ud(ce)["em"] = []any{p.email} }), []Expect{{"HASH_PLAINTEXT", emPath}}
	})
	pos("HASH_PLAINTEXT", "capi-ph-plain", func(p person, e ev) ([]Message, []Expect) {
		return metaPairNoUD(p, e, func(ce map[string]any) { ud(ce)["ph"] = []any{"+" + p.phoneDigits} }), []Expect{{"HASH_PLAINTEXT", "data[0].user_data.ph[0]"}}
	})
	pos("HASH_PLAINTEXT", "capi-fn-plain", func(p person, e ev) ([]Message, []Expect) {
		return metaPairNoUD(p, e, func(ce map[string]any) { ud(ce)["fn"] = strings.ToLower(p.first) }), []Expect{{"HASH_PLAINTEXT", "data[0].user_data.fn"}}
	})
	pos("HASH_PLAINTEXT", "mp-email-plain", func(p person, e ev) ([]Message, []Expect) {
		return ga4Pair(p, e, func(b map[string]any) {
			b["user_data"].(map[string]any)["sha256_email_address"] = []any{p.email}
		}), []Expect{{"HASH_PLAINTEXT", "user_data.sha256_email_address[0]"}}
	})
	pos("HASH_PLAINTEXT", "pixel-em-plain", func(p person, e ev) ([]Message, []Expect) {
		px := pixel{e: e, p: p, ud: [][2]string{{"em", p.email}}}
		return []Message{client("meta.pixel", px.String()), server("meta.capi", capiBody(capiEvent(e, p)))}, []Expect{{"HASH_PLAINTEXT", "ud[em]"}}
	})
	pos("HASH_FORMAT", "capi-em-upper", func(p person, e ev) ([]Message, []Expect) {
		return metaPairNoUD(p, e, func(ce map[string]any) { ud(ce)["em"] = []any{strings.ToUpper(sha(p.email))} }), []Expect{{"HASH_FORMAT", emPath}}
	})
	pos("HASH_FORMAT", "capi-ln-base64", func(p person, e ev) ([]Message, []Expect) {
		h := sha256.Sum256([]byte(strings.ToLower(p.last)))
		return metaPairNoUD(p, e, func(ce map[string]any) { ud(ce)["ln"] = base64.StdEncoding.EncodeToString(h[:]) }), []Expect{{"HASH_FORMAT", "data[0].user_data.ln"}}
	})
	pos("HASH_WEAK_ALGO", "capi-em-md5", func(p person, e ev) ([]Message, []Expect) {
		h := md5.Sum([]byte(p.email))
		return metaPairNoUD(p, e, func(ce map[string]any) { ud(ce)["em"] = []any{hex.EncodeToString(h[:])} }), []Expect{{"HASH_WEAK_ALGO", emPath}}
	})
	pos("HASH_WEAK_ALGO", "capi-fn-sha1", func(p person, e ev) ([]Message, []Expect) {
		h := sha1.Sum([]byte(strings.ToLower(p.first)))
		return metaPairNoUD(p, e, func(ce map[string]any) { ud(ce)["fn"] = hex.EncodeToString(h[:]) }), []Expect{{"HASH_WEAK_ALGO", "data[0].user_data.fn"}}
	})
	sentinels := []string{"", "null", "undefined", "{{email}}", "[object Object]", "N/A"}
	pos("HASH_SENTINEL", "capi-em-sentinel", func(p person, e ev) ([]Message, []Expect) {
		s := sentinels[g.r.IntN(len(sentinels))]
		return metaPairNoUD(p, e, func(ce map[string]any) { ud(ce)["em"] = []any{sha(s)} }), []Expect{{"HASH_SENTINEL", emPath}}
	})
	pos("HASH_SENTINEL", "mp-email-sentinel", func(p person, e ev) ([]Message, []Expect) {
		s := sentinels[g.r.IntN(len(sentinels))]
		return ga4Pair(p, e, func(b map[string]any) {
			b["user_data"].(map[string]any)["sha256_email_address"] = []any{sha(s)}
		}), []Expect{{"HASH_SENTINEL", "user_data.sha256_email_address[0]"}}
	})
	pos("HASH_NOT_NORMALIZED", "capi-country-upper", func(p person, e ev) ([]Message, []Expect) {
		return metaPairNoUD(p, e, func(ce map[string]any) { ud(ce)["country"] = sha(strings.ToUpper(p.cc)) }), []Expect{{"HASH_NOT_NORMALIZED", "data[0].user_data.country"}}
	})
	pos("HASH_NOT_NORMALIZED", "capi-ge-word", func(p person, e ev) ([]Message, []Expect) {
		return metaPairNoUD(p, e, func(ce map[string]any) { ud(ce)["ge"] = sha([]string{"Male", "Female", "male"}[g.r.IntN(3)]) }), []Expect{{"HASH_NOT_NORMALIZED", "data[0].user_data.ge"}}
	})
	pos("HASH_NOT_NORMALIZED", "sgtm-email-raw", func(p person, e ev) ([]Message, []Expect) {
		s := sgtmEvent(e, p)
		raw := strings.ToUpper(p.email[:1]) + p.email[1:]
		s["user_data"].(map[string]any)["email_address"] = raw
		s["user_data"].(map[string]any)["sha256_email_address"] = sha(raw)
		return []Message{client("ga4.gtag", gtag(e, p)), server("sgtm.event", marshal(s))}, []Expect{{"HASH_NOT_NORMALIZED", "user_data.sha256_email_address"}}
	})
	pos("HASH_DOUBLE", "capi-country-double", func(p person, e ev) ([]Message, []Expect) {
		return metaPairNoUD(p, e, func(ce map[string]any) { ud(ce)["country"] = sha(sha(p.cc)) }), []Expect{{"HASH_DOUBLE", "data[0].user_data.country"}}
	})
	pos("HASH_DOUBLE", "pixel-capi-em-double", func(p person, e ev) ([]Message, []Expect) {
		return metaPair(p, e, func(ce map[string]any) { ud(ce)["em"] = []any{sha(sha(p.email))} }), []Expect{{"HASH_DOUBLE", "user_data.em"}}
	})
	pos("HASH_CROSS_SIDE_MISMATCH", "pixel-capi-em-other", func(p person, e ev) ([]Message, []Expect) {
		other := newPerson(g.r)
		return metaPair(p, e, func(ce map[string]any) { ud(ce)["em"] = []any{sha(other.email)} }), []Expect{{"HASH_CROSS_SIDE_MISMATCH", "user_data.em"}}
	})
	pos("HASH_FORBIDDEN", "capi-ip-hashed", func(p person, e ev) ([]Message, []Expect) {
		return metaPairNoUD(p, e, func(ce map[string]any) { ud(ce)["client_ip_address"] = sha(p.ip) }), []Expect{{"HASH_FORBIDDEN", "data[0].user_data.client_ip_address"}}
	})
	pos("HASH_FORBIDDEN", "capi-ua-hashed", func(p person, e ev) ([]Message, []Expect) {
		return metaPairNoUD(p, e, func(ce map[string]any) { ud(ce)["client_user_agent"] = sha(p.ua) }), []Expect{{"HASH_FORBIDDEN", "data[0].user_data.client_user_agent"}}
	})
	pos("HASH_FORBIDDEN", "mp-city-hashed", func(p person, e ev) ([]Message, []Expect) {
		return ga4Pair(p, e, func(b map[string]any) { mpAddress(b)["city"] = sha(strings.ToLower(p.city)) }), []Expect{{"HASH_FORBIDDEN", "user_data.address[0].city"}}
	})
	pos("HASH_OUTSIDE_USER_DATA", "capi-custom-email-hash", func(p person, e ev) ([]Message, []Expect) {
		return metaPairNoUD(p, e, func(ce map[string]any) { ce["custom_data"].(map[string]any)["customer_hash"] = sha(p.email) }),
			[]Expect{{"HASH_OUTSIDE_USER_DATA", "data[0].custom_data.customer_hash"}}
	})
	pos("HASH_OUTSIDE_USER_DATA", "mp-param-email-hash", func(p person, e ev) ([]Message, []Expect) {
		return ga4Pair(p, e, func(b map[string]any) {
			b["events"].([]map[string]any)[0]["params"].(map[string]any)["user_hash"] = sha(googleEmail(p.email))
		}), []Expect{{"HASH_OUTSIDE_USER_DATA", "events[0].params.user_hash"}}
	})
}

func (g *gen) clickIDs() {
	g.each(func(p person, e ev) {
		g.add("positive", "IP_WITH_PORT", "capi-ip-port", metaPairNoUD(p, e, func(ce map[string]any) { ud(ce)["client_ip_address"] = p.ip + ":443" }),
			Expect{"IP_WITH_PORT", "data[0].user_data.client_ip_address"})
	})
	g.each(func(p person, e ev) {
		// fbc created in seconds instead of milliseconds; the browser sent none.
		g.add("positive", "CLICKID_FORMAT", "capi-fbc-seconds", metaPairNoUD(p, e, func(ce map[string]any) {
			ud(ce)["fbc"] = "fb.1.{{NOW_S-600}}." + p.fbclid
		}), Expect{"CLICKID_FORMAT", "data[0].user_data.fbc"})
	})
	g.each(func(p person, e ev) {
		e.page += "?fbclid=" + p.fbclid
		fbc := "fb.1.{{NOW_MS-600}}." + p.fbclid
		px := pixel{e: e, p: p, fbc: fbc}
		ce := capiEvent(e, p)
		ud(ce)["fbc"] = "fb.1.{{NOW_MS-600}}." + strings.ToLower(p.fbclid)
		g.add("positive", "CLICKID_FBCLID_MODIFIED", "pixel-capi-fbclid-lowercased", []Message{client("meta.pixel", px.String()), server("meta.capi", capiBody(ce))},
			// Twice: against the server's own page URL, and against the browser's fbc.
			Expect{"CLICKID_FBCLID_MODIFIED", "user_data.fbc"}, Expect{"CLICKID_FBCLID_MODIFIED", "user_data.fbc"})
	})
	g.each(func(p person, e ev) {
		e.page += "?fbclid=" + p.fbclid
		px := pixel{e: e, p: p, fbc: "fb.1.{{NOW_MS-600}}." + p.fbclid}
		ce := capiEvent(e, p)
		ce["event_source_url"] = strings.Split(e.page, "?")[0]
		g.add("positive", "CLICKID_DROPPED", "pixel-fbc-capi-none", []Message{client("meta.pixel", px.String()), server("meta.capi", capiBody(ce))},
			Expect{"CLICKID_DROPPED", "user_data.fbc"})
	})
	g.each(func(p person, e ev) {
		e2 := e
		e2.page += "?gclid=" + p.gclid
		g.add("positive", "CLICKID_DROPPED", "gtag-gclid-mp-none", []Message{client("ga4.gtag", gtag(e2, p)), server("ga4.mp", marshal(mpBody(p, mpEvent(e))))},
			Expect{"CLICKID_DROPPED", "gclid"})
	})
}

func (g *gen) pairs() {
	g.each(func(p person, e ev) {
		g.add("positive", "MATCH_FBP_MISMATCH", "pixel-capi-fbp-other", metaPairNoUD(p, e, func(ce map[string]any) {
			ud(ce)["fbp"] = fmt.Sprintf("fb.1.{{NOW_MS-3600}}.%d", 100000000+g.r.IntN(900000000))
		}), Expect{"MATCH_FBP_MISMATCH", "user_data.fbp"})
	})
	g.each(func(p person, e ev) {
		g.add("positive", "MATCH_EXTERNAL_ID_MISMATCH", "pixel-capi-external-id-other", metaPair(p, e, func(ce map[string]any) {
			ud(ce)["external_id"] = []any{fmt.Sprintf("cust-%06d", g.r.IntN(1000000))}
		}), Expect{"MATCH_EXTERNAL_ID_MISMATCH", "user_data.external_id"})
	})
	g.each(func(p person, e ev) {
		// The browser denies ad_user_data (gcd, third letter p); the server
		// sends user data with MP consent granted anyway.
		c := strings.Replace(gtag(e, p), "gcd=13l3l3l3l1l1", "gcd=13l3l3p3l1l1", 1)
		g.add("positive", "CONSENT_MISMATCH", "gtag-denied-mp-user-data", []Message{client("ga4.gtag", c), server("ga4.mp", marshal(mpBody(p, mpEvent(e))))},
			Expect{"CONSENT_MISMATCH", "user_data.sha256_email_address"})
	})
}

func (g *gen) time() {
	g.each(func(p person, e ev) {
		ce := capiEvent(e, p)
		ce["event_time"] = "{{NOW_S-691200}}" // 8 days
		g.add("positive", "TIME_STALE", "capi-8-days", []Message{server("meta.capi", capiBody(ce))},
			Expect{"TIME_STALE", "data[0].event_time"}, Expect{"DEDUP_SERVER_ONLY", ""})
	})
	g.each(func(p person, e ev) {
		b := mpBody(p, mpEvent(e))
		b["timestamp_micros"] = "{{NOW_US-345600}}" // 4 days
		g.add("positive", "TIME_STALE", "mp-4-days", []Message{server("ga4.mp", marshal(b))},
			Expect{"TIME_STALE", "timestamp_micros"}, Expect{"DEDUP_SERVER_ONLY", ""})
	})
	g.each(func(p person, e ev) {
		g.add("positive", "TIME_FUTURE", "capi-plus-200s", metaPairNoUD(p, e, func(ce map[string]any) { ce["event_time"] = "{{NOW_S+200}}" }),
			Expect{"TIME_FUTURE", "data[0].event_time"})
	})
	g.each(func(p person, e ev) {
		ce := capiEvent(e, p)
		ce["event_time"] = "{{NOW_MS}}"
		g.add("positive", "TIME_UNIT", "capi-ms-in-seconds", []Message{server("meta.capi", capiBody(ce))},
			Expect{"TIME_UNIT", "data[0].event_time"}, Expect{"DEDUP_SERVER_ONLY", ""})
	})
	g.each(func(p person, e ev) {
		g.add("positive", "TIME_MISALIGNED", "capi-minus-15m", metaPairNoUD(p, e, func(ce map[string]any) { ce["event_time"] = "{{NOW_S-900}}" }),
			Expect{"TIME_MISALIGNED", ""})
	})
}

func (g *gen) dedup() {
	g.each(func(p person, e ev) {
		ce := capiEvent(e, p)
		delete(ce, "event_id")
		px := pixel{e: e, p: p, noEID: true}
		g.add("positive", "DEDUP_NO_EVENT_ID", "pixel-capi-no-ids", []Message{client("meta.pixel", px.String()), server("meta.capi", capiBody(ce))},
			Expect{"DEDUP_NO_EVENT_ID", ""}, Expect{"DEDUP_NO_EVENT_ID", ""})
	})
	g.each(func(p person, e ev) {
		// A standard name re-cased in transit is also not a Meta name.
		g.add("positive", "DEDUP_NAME_MISMATCH", "pixel-capi-renamed", metaPairNoUD(p, e, func(ce map[string]any) { ce["event_name"] = strings.ToLower(e.name) }),
			Expect{"DEDUP_NAME_MISMATCH", ""}, Expect{"EVENT_NAME_NONSTANDARD", "data[0].event_name"})
	})
	g.each(func(p person, e ev) {
		m := metaPairNoUD(p, e, nil)
		g.add("positive", "DEDUP_DUPLICATE", "capi-sent-twice", append(m, m[1]), Expect{"DEDUP_DUPLICATE", "data[0].event_id"})
	})
	g.each(func(p person, e ev) {
		m := metaPairNoUD(p, e, nil)
		ce := capiEvent(e, p)
		ce["custom_data"].(map[string]any)["value"] = json.Number("999.00")
		g.add("positive", "DEDUP_ID_REUSED", "capi-id-reused", append(m, server("meta.capi", capiBody(ce))), Expect{"DEDUP_ID_REUSED", "data[0].event_id"})
	})
	g.each(func(p person, e ev) {
		px := pixel{e: e, p: p}
		g.add("positive", "DEDUP_CLIENT_ONLY", "pixel-alone", []Message{client("meta.pixel", px.String())}, Expect{"DEDUP_CLIENT_ONLY", ""})
	})
	g.each(func(p person, e ev) {
		g.add("positive", "DEDUP_SERVER_ONLY", "capi-alone", []Message{server("meta.capi", capiBody(capiEvent(e, p)))}, Expect{"DEDUP_SERVER_ONLY", ""})
	})
}

func (g *gen) pii() {
	g.each(func(p person, e ev) {
		e.page += "?email=" + url.QueryEscape(p.email)
		g.add("positive", "PII_LEAK", "url-email-both-sides", metaPairNoUD(p, e, nil),
			Expect{"PII_LEAK", "dl?email"}, Expect{"PII_LEAK", "data[0].event_source_url?email"})
	})
	g.each(func(p person, e ev) {
		e.page += "?ref=" + url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(`{"email":"`+p.email+`"}`)))
		g.add("positive", "PII_LEAK", "ga4-url-base64-email", []Message{client("ga4.gtag", gtag(e, p)), server("ga4.mp", marshal(mpBody(p, mpEvent(e))))},
			Expect{"PII_LEAK", "dl?ref→email"}, Expect{"PII_LEAK", "events[0].params.page_location?ref→email"})
	})
	g.each(func(p person, e ev) {
		g.add("positive", "PII_LEAK", "mp-param-phone", ga4Pair(p, e, func(b map[string]any) {
			b["events"].([]map[string]any)[0]["params"].(map[string]any)["customer_phone"] = "+" + p.phoneDigits
		}), Expect{"PII_LEAK", "events[0].params.customer_phone"})
	})
	cards := []string{"4111111111111111", "5555555555554444", "378282246310005"}
	g.each(func(p person, e ev) {
		g.add("positive", "PII_LEAK", "capi-custom-card", metaPairNoUD(p, e, func(ce map[string]any) {
			ce["custom_data"].(map[string]any)["payment_note"] = "paid with " + cards[g.r.IntN(len(cards))]
		}), Expect{"PII_LEAK", "data[0].custom_data.payment_note"})
	})
}

func (g *gen) negatives() {
	neg := func(variant string, build func(p person, e ev) []Message) {
		g.each(func(p person, e ev) { g.add("hard_negative", "", variant, build(p, e)) })
	}
	// Gmail dots removed and hashed the Google way, beside the plaintext in sGTM.
	neg("sgtm-gmail-google-normalised", func(p person, e ev) []Message {
		s := sgtmEvent(e, p)
		u := s["user_data"].(map[string]any)
		u["email_address"] = p.gmailEmail
		u["sha256_email_address"] = sha(googleEmail(p.gmailEmail))
		return []Message{client("ga4.gtag", gtag(e, p)), server("sgtm.event", marshal(s))}
	})
	// The same gmail address with its dots, hashed the Meta way.
	neg("capi-gmail-meta-normalised", func(p person, e ev) []Message {
		return metaPairNoUD(p, e, func(ce map[string]any) { ud(ce)["em"] = []any{sha(p.gmailEmail)} })
	})
	neg("capi-ipv6-in-ip-field", func(p person, e ev) []Message {
		return metaPairNoUD(p, e, func(ce map[string]any) {
			ud(ce)["client_ip_address"] = fmt.Sprintf("2001:db8:%x::%x", g.r.IntN(0xffff), 1+g.r.IntN(0xfffe))
		})
	})
	neg("capi-chrome-version-ua", func(p person, e ev) []Message {
		return metaPairNoUD(p, e, func(ce map[string]any) { ud(ce)["client_user_agent"] = uas[0] })
	})
	neg("capi-upper-currency", func(p person, e ev) []Message {
		return metaPairNoUD(p, e, func(ce map[string]any) { ce["custom_data"].(map[string]any)["currency"] = "USD" })
	})
	neg("capi-hex-order-id", func(p person, e ev) []Message {
		return metaPairNoUD(p, e, func(ce map[string]any) { ce["custom_data"].(map[string]any)["order_id"] = sha(e.id) })
	})
	neg("url-utm-email-word", func(p person, e ev) []Message {
		e.page += "?utm_source=email&utm_medium=newsletter&utm_campaign=spring_sale"
		return metaPairNoUD(p, e, nil)
	})
	neg("capi-valid-dictionary-hashes", func(p person, e ev) []Message {
		return metaPairNoUD(p, e, func(ce map[string]any) {
			ud(ce)["ge"] = sha([]string{"m", "f"}[g.r.IntN(2)])
			ud(ce)["st"] = sha("ca")
		})
	})
	neg("pixel-capi-fbc-same", func(p person, e ev) []Message {
		e.page += "?fbclid=" + p.fbclid
		fbc := "fb.1.{{NOW_MS-600}}." + p.fbclid
		px := pixel{e: e, p: p, fbc: fbc}
		ce := capiEvent(e, p)
		ud(ce)["fbc"] = fbc
		return []Message{client("meta.pixel", px.String()), server("meta.capi", capiBody(ce))}
	})
}

func (g *gen) eventParams() {
	mpParams := func(b map[string]any) map[string]any {
		return b["events"].([]map[string]any)[0]["params"].(map[string]any)
	}
	cd := func(ce map[string]any) map[string]any { return ce["custom_data"].(map[string]any) }
	g.each(func(p person, e ev) {
		g.add("positive", "EVENT_ACTION_SOURCE", "capi-action-source-web", metaPairNoUD(p, e, func(ce map[string]any) { ce["action_source"] = "web" }),
			Expect{"EVENT_ACTION_SOURCE", "data[0].action_source"})
	})
	g.each(func(p person, e ev) {
		e.ga4Name = []string{"add-to-cart", "2nd_purchase", "checkout step"}[g.r.IntN(3)]
		g.add("positive", "EVENT_NAME_INVALID", "mp-name-charset", []Message{server("ga4.mp", marshal(mpBody(p, mpEvent(e))))},
			Expect{"EVENT_NAME_INVALID", "events[0].name"}, Expect{"DEDUP_SERVER_ONLY", ""})
	})
	g.each(func(p person, e ev) {
		e.name = "Purchase"
		g.add("positive", "PARAM_MISSING", "capi-purchase-no-currency", metaPairNoUD(p, e, func(ce map[string]any) { delete(cd(ce), "currency") }),
			Expect{"PARAM_MISSING", "data[0].custom_data.currency"})
	})
	g.each(func(p person, e ev) {
		g.add("positive", "PARAM_CURRENCY_INVALID", "capi-currency-euro", metaPairNoUD(p, e, func(ce map[string]any) {
			cd(ce)["currency"] = []string{"EURO", "€", "US$"}[g.r.IntN(3)]
		}), Expect{"PARAM_CURRENCY_INVALID", "data[0].custom_data.currency"})
	})
	g.each(func(p person, e ev) {
		g.add("positive", "PARAM_VALUE_INVALID", "capi-value-comma", metaPairNoUD(p, e, func(ce map[string]any) {
			cd(ce)["value"] = strings.Replace(e.value, ".", ",", 1)
		}), Expect{"PARAM_VALUE_INVALID", "data[0].custom_data.value"})
	})
	g.each(func(p person, e ev) {
		g.add("positive", "PARAM_RESERVED", "mp-param-firebase-prefix", ga4Pair(p, e, func(b map[string]any) { mpParams(b)["firebase_screen"] = "checkout" }),
			Expect{"PARAM_RESERVED", "events[0].params.firebase_screen"})
	})
	g.each(func(p person, e ev) {
		g.add("positive", "PARAM_LIMIT", "mp-param-name-too-long", ga4Pair(p, e, func(b map[string]any) {
			mpParams(b)["cx_checkout_experiment_variant_assignment_id"] = "b"
		}), Expect{"PARAM_LIMIT", "events[0].params.cx_checkout_experiment_variant_assignment_id"})
	})
	g.each(func(p person, e ev) {
		e.ga4Name = "purchase"
		m := ga4Pair(p, e, func(b map[string]any) {
			mpParams(b)["transaction_id"] = []string{"", "(not set)", "undefined", "{{Transaction ID}}"}[g.r.IntN(4)]
		})
		g.add("positive", "GA4_TRANSACTION_ID_EMPTY", "mp-transaction-id-placeholder", m, Expect{"GA4_TRANSACTION_ID_EMPTY", "events[0].params.transaction_id"})
	})
}

func (g *gen) matchConsent() {
	g.each(func(p person, e ev) {
		// An anonymous visitor: IP, user agent and fbp only (3 keys, band fail).
		g.add("positive", "MATCH_KEYS_LOW", "capi-anonymous", metaPairNoUD(p, e, func(ce map[string]any) {
			ce["user_data"] = map[string]any{"client_ip_address": p.ip, "client_user_agent": p.ua, "fbp": p.fbp}
		}), Expect{"MATCH_KEYS_LOW", "data[0].user_data"})
	})
	g.each(func(p person, e ev) {
		g.add("positive", "MATCH_REQUIRED_MISSING", "capi-website-no-ua", metaPairNoUD(p, e, func(ce map[string]any) { delete(ud(ce), "client_user_agent") }),
			Expect{"MATCH_REQUIRED_MISSING", "data[0].user_data.client_user_agent"})
	})
	g.each(func(p person, e ev) {
		b := mpBody(p, mpEvent(e))
		b["consent"] = map[string]any{"ad_user_data": "DENIED", "ad_personalization": "DENIED"}
		// One finding, at the first user-data field in payload order.
		g.add("positive", "CONSENT_PII_WITHOUT_CONSENT", "mp-denied-with-user-data", []Message{client("ga4.gtag", gtag(e, p)), server("ga4.mp", marshal(b))},
			Expect{"CONSENT_PII_WITHOUT_CONSENT", "user_data.address[0].city"})
	})
}

// strict builds the cases of the house checks that are off by default:
// under the "strict" policy custom params must carry the cx_ prefix, every
// event the cx_schema_version param, and GA4 events a consent signal.
func (g *gen) strict() {
	const sv = "cx_schema_version"
	metaStrict := func(p person, e ev, mod func(ce map[string]any)) []Message {
		ce := capiEvent(e, p)
		ce["custom_data"].(map[string]any)[sv] = "3"
		if mod != nil {
			mod(ce)
		}
		px := pixel{e: e, p: p, extra: [][2]string{{"cd[" + sv + "]", "3"}}}
		return []Message{client("meta.pixel", px.String()), server("meta.capi", capiBody(ce))}
	}
	ga4Strict := func(p person, e ev, mod func(b map[string]any)) []Message {
		b := mpBody(p, mpEvent(e))
		b["events"].([]map[string]any)[0]["params"].(map[string]any)[sv] = "3"
		if mod != nil {
			mod(b)
		}
		return []Message{client("ga4.gtag", gtag(e, p, "ep."+sv+"=3")), server("ga4.mp", marshal(b))}
	}
	g.each(func(p person, e ev) { g.addPolicy("strict", "clean", "", "strict-meta-clean", metaStrict(p, e, nil)) })
	g.each(func(p person, e ev) { g.addPolicy("strict", "clean", "", "strict-ga4-clean", ga4Strict(p, e, nil)) })
	g.each(func(p person, e ev) {
		g.addPolicy("strict", "positive", "PARAM_NOT_NAMESPACED", "strict-capi-coupon", metaStrict(p, e, func(ce map[string]any) {
			ce["custom_data"].(map[string]any)["coupon_code"] = "SPRING" + fmt.Sprint(10+g.r.IntN(40))
		}), Expect{"PARAM_NOT_NAMESPACED", "data[0].custom_data.coupon_code"})
	})
	g.each(func(p person, e ev) {
		g.addPolicy("strict", "positive", "SCHEMA_VERSION_MISSING", "strict-capi-no-version", metaStrict(p, e, func(ce map[string]any) {
			delete(ce["custom_data"].(map[string]any), sv)
		}), Expect{"SCHEMA_VERSION_MISSING", "data[0].custom_data." + sv})
	})
	g.each(func(p person, e ev) {
		g.addPolicy("strict", "positive", "CONSENT_MISSING", "strict-mp-no-consent", ga4Strict(p, e, func(b map[string]any) { delete(b, "consent") }),
			Expect{"CONSENT_MISSING", "consent"})
	})
}
