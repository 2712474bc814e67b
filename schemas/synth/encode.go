package synth

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sstaudit/sstaudit/schemas"
)

const (
	pixelID       = "100200300400500"
	measurementID = "G-SSTAUDIT1"
	maxCAPIBatch  = 5
)

func (g *Generator) key(c *conversion) []byte {
	if g.cfg.Batched {
		return []byte(randToken(g.r, 12))
	}
	switch {
	case !c.missingIDs:
		return []byte(c.eventID)
	case c.dest == schemas.DestinationGA4 && c.txnID != "":
		return []byte(c.txnID) // joins on the transaction_id fallback
	}
	return []byte(randToken(g.r, 12))
}

func (g *Generator) header() bool { return g.r.IntN(2) == 0 }

func (g *Generator) clientRecord(c *conversion) []Record {
	if c.noClient {
		return nil
	}
	var v string
	var f schemas.Format
	if c.dest == schemas.DestinationMeta {
		v, f = g.pixelHit(c), schemas.FormatMetaPixel
	} else {
		v, f = g.gtagHit(c), schemas.FormatGA4Gtag
	}
	return []Record{{Side: schemas.SideClient, Key: g.key(c), Value: []byte(v), Format: f, Header: g.header(), Time: c.recordTime}}
}

func (g *Generator) fbc(c *conversion) string {
	if c.fbclid == "" {
		return ""
	}
	return fmt.Sprintf("fb.1.%d.%s", c.clientTime.UnixMilli()-int64(g.r.IntN(600_000)), c.fbclid)
}

func (g *Generator) pixelHit(c *conversion) string {
	var b strings.Builder
	b.WriteString("https://www.facebook.com/tr/?id=" + pixelID + "&ev=" + url.QueryEscape(c.name))
	if !c.missingIDs {
		b.WriteString("&eid=" + url.QueryEscape(c.eventID))
	}
	b.WriteString("&ts=" + ms(c.clientTime))
	b.WriteString("&dl=" + url.QueryEscape(c.pageURL))
	b.WriteString("&rl=" + url.QueryEscape("https://store.example.net/"))
	b.WriteString("&if=false&v=2.9.156&r=stable&sw=1920&sh=1080")
	if hasValue(c.name) {
		b.WriteString("&cd[value]=" + strconv.FormatFloat(c.value, 'f', 2, 64) + "&cd[currency]=" + c.currency)
		b.WriteString("&cd[content_ids]=" + url.QueryEscape(`["TEE-RED-M"]`) + "&cd[content_type]=product")
	}
	if c.p.advancedPix || c.doubleHashed {
		b.WriteString("&ud[em]=" + sha(metaEmail(c.p)))
		b.WriteString("&ud[ph]=" + sha(metaPhone(c.p)))
		b.WriteString("&ud[external_id]=" + url.QueryEscape(c.p.externalID))
	}
	b.WriteString("&fbp=" + c.p.fbp)
	if fbc := g.fbc(c); fbc != "" {
		b.WriteString("&fbc=" + fbc)
	}
	return b.String()
}

func hasValue(name string) bool {
	switch name {
	case "Purchase", "AddToCart", "InitiateCheckout", "ViewContent", "purchase", "add_to_cart", "begin_checkout", "view_item":
		return true
	}
	return false
}

func (g *Generator) gtagHit(c *conversion) string {
	var b strings.Builder
	b.WriteString("https://region1.google-analytics.com/g/collect?v=2&tid=" + measurementID + "&gtm=45je4bc0v9&_p=" + strconv.Itoa(g.r.IntN(1_000_000_000)))
	b.WriteString("&cid=" + c.p.clientID + "&ul=en-us&sr=1920x1080")
	sid := c.clientTime.Unix() - int64(g.r.IntN(1800))
	b.WriteString("&sid=" + strconv.FormatInt(sid, 10) + "&sct=" + strconv.Itoa(1+g.r.IntN(9)) + "&seg=1")
	b.WriteString("&dl=" + url.QueryEscape(c.pageURL) + "&dt=" + url.QueryEscape("Store"))
	b.WriteString("&en=" + url.QueryEscape(c.name) + "&gcs=G111&gcd=13l3l3l3l1l1&npa=0&dma=0")
	if !c.missingIDs {
		b.WriteString("&ep.event_id=" + url.QueryEscape(c.eventID))
	}
	if c.txnID != "" {
		b.WriteString("&ep.transaction_id=" + url.QueryEscape(c.txnID))
	}
	if hasValue(c.name) {
		b.WriteString("&epn.value=" + strconv.FormatFloat(c.value, 'f', 2, 64) + "&ep.currency=" + c.currency)
	}
	return b.String()
}

func (g *Generator) serverRecords(c *conversion) []Record {
	if c.noServer {
		return nil
	}
	n := 1
	if c.duplicate {
		n = 2
	}
	var out []Record
	for range n {
		switch {
		case c.dest == schemas.DestinationMeta:
			ev := g.capiEvent(c)
			if g.cfg.Batched {
				out = append(out, g.queueCAPI(ev, c.recordTime)...)
				continue
			}
			body, _ := json.Marshal(map[string]any{"data": []any{ev}, "partner_agent": "sstaudit-synth-1.0"})
			out = append(out, Record{Side: schemas.SideServer, Key: g.key(c), Value: body, Format: schemas.FormatMetaCAPI, Header: g.header(), Time: c.recordTime})
		case c.sgtm:
			body, _ := json.Marshal(g.sgtmEvent(c))
			out = append(out, Record{Side: schemas.SideServer, Key: g.key(c), Value: body, Format: schemas.FormatSGTM, Header: g.header(), Time: c.recordTime})
		default:
			body, _ := json.Marshal(g.mpBody(c))
			out = append(out, Record{Side: schemas.SideServer, Key: g.key(c), Value: body, Format: schemas.FormatGA4MP, Header: g.header(), Time: c.recordTime})
		}
	}
	return out
}

func (g *Generator) capiEvent(c *conversion) map[string]any {
	ud := map[string]any{
		"client_ip_address": c.p.ip,
		"client_user_agent": c.p.ua,
		"fbp":               c.p.fbp,
	}
	if fbc := g.fbc(c); fbc != "" {
		ud["fbc"] = fbc
	}
	if c.p.hasUserData {
		em := sha(metaEmail(c.p))
		switch {
		case c.plaintext:
			em = c.p.email
		case c.doubleHashed:
			em = sha(em)
		}
		ud["em"] = []string{em}
		ud["ph"] = []string{sha(metaPhone(c.p))}
		ud["fn"] = sha(metaName(c.p.first))
		ud["ln"] = sha(metaName(c.p.last))
		ud["ct"] = sha(metaCity(c.p))
		ud["zp"] = sha(metaZip(c.p))
		ud["country"] = sha(metaCountry(c.p))
		ud["external_id"] = []string{c.p.externalID}
	}
	ev := map[string]any{
		"event_name":       c.serverName,
		"event_time":       c.serverTime.Unix(),
		"action_source":    "website",
		"event_source_url": c.pageURL,
		"user_data":        ud,
	}
	if !c.missingIDs {
		ev["event_id"] = c.eventID
	}
	if hasValue(c.name) {
		cd := map[string]any{"value": c.value, "currency": c.currency, "content_ids": []string{"TEE-RED-M"}, "content_type": "product"}
		if c.txnID != "" {
			cd["order_id"] = c.txnID
		}
		ev["custom_data"] = cd
	}
	return ev
}

// queueCAPI adds a server event to the pending CAPI batch and returns the
// batch as a record when it is full.
func (g *Generator) queueCAPI(ev map[string]any, t time.Time) []Record {
	raw, _ := json.Marshal(ev)
	g.pending[schemas.FormatMetaCAPI] = append(g.pending[schemas.FormatMetaCAPI], pendingEvent{body: raw, t: t})
	if len(g.pending[schemas.FormatMetaCAPI]) < 1+g.r.IntN(maxCAPIBatch) {
		return nil
	}
	return g.flushCAPI()
}

func (g *Generator) flushCAPI() []Record {
	evs := g.pending[schemas.FormatMetaCAPI]
	if len(evs) == 0 {
		return nil
	}
	g.pending[schemas.FormatMetaCAPI] = nil
	data := make([]json.RawMessage, len(evs))
	for i, e := range evs {
		data[i] = e.body
	}
	body, _ := json.Marshal(map[string]any{"data": data, "partner_agent": "sstaudit-synth-1.0"})
	return []Record{{Side: schemas.SideServer, Key: []byte(randToken(g.r, 12)), Value: body, Format: schemas.FormatMetaCAPI, Header: g.header(), Time: evs[len(evs)-1].t}}
}

// Flush returns the records still held back in batched mode.
func (g *Generator) Flush() []Record {
	out := g.flushCAPI()
	for _, rec := range out {
		g.truth.Messages[string(rec.Side)]++
	}
	return out
}

type mpEnvelope struct {
	ClientID        string         `json:"client_id"`
	UserID          string         `json:"user_id,omitempty"`
	TimestampMicros int64          `json:"timestamp_micros"`
	Consent         map[string]any `json:"consent,omitempty"`
	UserData        map[string]any `json:"user_data,omitempty"`
	Events          []mpEvent      `json:"events"`
}

type mpEvent struct {
	Name   string         `json:"name"`
	Params map[string]any `json:"params"`
}

func (g *Generator) ga4Params(c *conversion) map[string]any {
	params := map[string]any{
		"session_id":           strconv.FormatInt(c.clientTime.Unix()-int64(g.r.IntN(1800)), 10),
		"engagement_time_msec": 100 + g.r.IntN(5000),
		"page_location":        c.pageURL,
	}
	if !c.missingIDs {
		params["event_id"] = c.eventID
	}
	if c.txnID != "" {
		params["transaction_id"] = c.txnID
	}
	if hasValue(c.name) {
		params["value"] = c.value
		params["currency"] = c.currency
	}
	if c.gclid != "" {
		params["gclid"] = c.gclid
	}
	return params
}

func (g *Generator) mpBody(c *conversion) mpEnvelope {
	env := mpEnvelope{
		ClientID:        c.p.clientID,
		TimestampMicros: c.serverTime.UnixMicro(),
		Consent:         map[string]any{"ad_user_data": "GRANTED", "ad_personalization": "GRANTED"},
		Events:          []mpEvent{{Name: c.serverName, Params: g.ga4Params(c)}},
	}
	// gclid is a reserved GA4 param name (REFERENCE §3.2): an MP body keeps
	// it only in page_location's query, where GA4 reads it.
	delete(env.Events[0].Params, "gclid")
	if c.p.hasUserData {
		env.UserID = c.p.userID
		em := sha(googleEmail(c.p))
		switch {
		case c.plaintext:
			em = c.p.email
		case c.doubleHashed:
			em = sha(em)
		}
		env.UserData = map[string]any{
			"sha256_email_address": []string{em},
			"sha256_phone_number":  []string{sha(googlePhone(c.p))},
			"address": []map[string]any{{
				"sha256_first_name": sha(strings.ToLower(c.p.first)),
				"sha256_last_name":  sha(strings.ToLower(c.p.last)),
				"city":              strings.ToLower(c.p.city),
				"postal_code":       strings.ToLower(c.p.zip),
				"country":           strings.ToUpper(c.p.country),
			}},
		}
	}
	return env
}

func (g *Generator) sgtmEvent(c *conversion) map[string]any {
	ev := map[string]any{
		"event_name":            c.serverName,
		"client_id":             c.p.clientID,
		"x-ga-protocol_version": "2",
		"x-ga-measurement_id":   measurementID,
		"x-ga-gcs":              "G111",
		"x-ga-npa":              "0",
		"ga_session_id":         strconv.FormatInt(c.clientTime.Unix()-int64(g.r.IntN(1800)), 10),
		"page_location":         c.pageURL,
		"page_title":            "Store",
		"ip_override":           c.p.ip,
		"user_agent":            c.p.ua,
		"language":              "en-us",
		"timestamp":             c.serverTime.Unix(),
	}
	for k, v := range g.ga4Params(c) {
		if k != "page_location" {
			ev[k] = v
		}
	}
	if c.p.hasUserData {
		// Plaintext is normal inside sGTM: tags hash it on the way out.
		ud := map[string]any{"email_address": c.p.email, "phone_number": c.p.phone,
			"address": map[string]any{"first_name": c.p.first, "last_name": c.p.last, "city": c.p.city, "postal_code": c.p.zip, "country": strings.ToUpper(c.p.country)}}
		if c.plaintext {
			// The fault: an email in the field that must hold its hash.
			ud = map[string]any{"sha256_email_address": c.p.email}
		}
		ev["user_data"] = ud
		ev["user_id"] = c.p.userID
	}
	return ev
}
