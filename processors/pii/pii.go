package pii

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/schemas"
)

// Code is the finding code of this check.
const Code = "PII_LEAK"

// Section says which part of an event a leaf comes from.
type Section uint8

// Sections.
const (
	SectionOther    Section = iota // internals, ids, anything else
	SectionUserData                // user_data / ud[...]
	SectionParams                  // custom / event parameters
	SectionURL                     // the page URL or referrer
)

// Context is what Scan needs to judge a leaf: where the event goes, its
// format (which also gives the stage: sGTM is inside the pipeline) and the
// section the leaf belongs to.
type Context struct {
	Destination schemas.Destination
	Format      schemas.Format
	Section     Section
}

// Detection is one entity found in a leaf. It never holds the value.
// Path is the leaf's path plus the inner location: "dl?email" for a query
// parameter, "dl?data→$email" for a key inside a base64-wrapped JSON value.
type Detection struct {
	Entity     string
	Path       string
	Detector   string
	Confidence float64
}

// hit is a Detection plus the normalised value, kept only to fingerprint it.
type hit struct {
	Detection
	norm string
}

type entityMask uint16

const (
	mEmail entityMask = 1 << iota
	mPhone
	mName
	mAddress
	mCard
	mIBAN
	mIP
	mNationalID
	mSecret
)

var entityBits = map[string]entityMask{
	EntityEmail: mEmail, EntityPhone: mPhone, EntityName: mName, EntityAddress: mAddress, EntityCard: mCard,
	EntityIBAN: mIBAN, EntityIP: mIP, EntityNationalID: mNationalID, EntitySecret: mSecret,
}

// matchKeys are user_data keys that hold contact data by design (hashed for
// Meta and Google requests, plaintext inside sGTM). Their contents are the
// hashing checker's business; only card, IBAN, secret and national id are
// looked for there.
var matchKeys = map[string]bool{
	"em": true, "ph": true, "fn": true, "ln": true, "ge": true, "db": true, "ct": true, "st": true, "zp": true,
	"country": true, "externalid": true, "emailaddress": true, "phonenumber": true, "firstname": true,
	"lastname": true, "street": true, "city": true, "region": true, "postalcode": true, "email": true, "phone": true,
}

// Detector finds PII in event leaves. Build it once with New; it is then
// read-only and safe for concurrent use.
type Detector struct {
	cfg      Config
	keys     *keyTable
	enabled  entityMask
	ipPolicy map[schemas.Destination]IPPolicy
	allow    []string
	iin      []iinRow
}

// New validates cfg and prepares the tables.
func New(cfg Config) (*Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &Detector{cfg: cfg, keys: newKeyTable(cfg.IPKeys, cfg.ServerCredentialKeys), ipPolicy: map[schemas.Destination]IPPolicy{}}
	for _, e := range cfg.Entities {
		d.enabled |= entityBits[e]
	}
	for k, v := range cfg.IPPolicy {
		d.ipPolicy[k] = v
	}
	for _, a := range cfg.AllowDomains {
		d.allow = append(d.allow, strings.ToLower(strings.TrimPrefix(a, ".")))
	}
	for _, r := range cfg.IIN {
		d.iin = append(d.iin, iinRow{lo: r.Lo, hi: r.Hi, lengths: append([]int(nil), r.Lengths...)})
	}
	return d, nil
}

// Severity returns the severity of a finding for entity.
func (d *Detector) Severity(entity string) schemas.Severity {
	switch entity {
	case EntityCard, EntityIBAN, EntitySecret, EntityNationalID:
		return schemas.SeverityCritical
	case EntityIP:
		return d.cfg.IPSeverity
	}
	return schemas.SeverityFail
}

// Scan judges one leaf and returns what it found (nil when clean).
func (d *Detector) Scan(path, key, value string, ctx Context) []Detection {
	hits := d.scanLeaf(nil, path, key, value, ctx, d.policy(ctx.Destination))
	if len(hits) == 0 {
		return nil
	}
	out := make([]Detection, len(hits))
	for i := range hits {
		out[i] = hits[i].Detection
	}
	return out
}

// Check scans every leaf of ev and appends one PII_LEAK finding per entity
// and location to out. The page URL and referrer are scanned unless a leaf
// with the same path was already scanned. It allocates nothing for a clean
// event.
func (d *Detector) Check(ev *schemas.Event, fp *processors.Fingerprinter, out []schemas.Finding) []schemas.Finding {
	var hits []hit
	ctx := Context{Destination: ev.Destination, Format: ev.Format}
	pol := d.policy(ev.Destination)
	ctx.Section = SectionUserData
	for i := range ev.UserData {
		f := &ev.UserData[i]
		hits = d.scanLeaf(hits, f.Path, f.Key, f.Value, ctx, pol)
	}
	ctx.Section = SectionParams
	for i := range ev.Params {
		f := &ev.Params[i]
		hits = d.scanLeaf(hits, f.Path, f.Key, f.Value, ctx, pol)
	}
	ctx.Section = SectionOther
	for i := range ev.Other {
		f := &ev.Other[i]
		hits = d.scanLeaf(hits, f.Path, f.Key, f.Value, ctx, pol)
	}
	ctx.Section = SectionURL
	if ev.URL != "" && !hasPath(ev, ev.URLPath) {
		hits = d.scanLeaf(hits, orDefault(ev.URLPath, "url"), "url", ev.URL, ctx, pol)
	}
	if ev.Referrer != "" && !hasPath(ev, ev.ReferrerPath) {
		hits = d.scanLeaf(hits, orDefault(ev.ReferrerPath, "referrer"), "referrer", ev.Referrer, ctx, pol)
	}
	hits = dedupHits(hits)
	side := schemas.FindingServer
	if ev.Side == schemas.SideClient {
		side = schemas.FindingClient
	}
	for i := range hits {
		h := &hits[i]
		out = append(out, schemas.Finding{
			Code:        Code,
			Severity:    d.Severity(h.Entity),
			Side:        side,
			Path:        h.Path,
			Entity:      h.Entity,
			Detector:    h.Detector,
			Message:     message(h.Entity, h.Path),
			Fingerprint: fp.Sum(h.norm),
		})
	}
	return out
}

// dedupHits keeps the first hit of each (path, entity): the same URL query
// value can be reached twice, as a leaf the decoder split out of the URL
// (dl?email) and through the URL itself, and is one leak.
func dedupHits(hits []hit) []hit {
	n := 0
outer:
	for i := range hits {
		for j := range n {
			if hits[j].Path == hits[i].Path && hits[j].Entity == hits[i].Entity {
				continue outer
			}
		}
		hits[n] = hits[i]
		n++
	}
	return hits[:n]
}

func message(entity, path string) string {
	where := "a leaf that must not hold it"
	switch {
	case strings.Contains(path, "→"):
		where = "an encoded value"
	case strings.Contains(path, "?"):
		where = "a URL query parameter"
	}
	return fmt.Sprintf("%s found in %s (value withheld)", entity, where)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func hasPath(ev *schemas.Event, p string) bool {
	if p == "" {
		return false
	}
	for _, fs := range [3][]schemas.Field{ev.UserData, ev.Params, ev.Other} {
		for i := range fs {
			if fs[i].Path == p {
				return true
			}
		}
	}
	return false
}

// hashedKey: sha256_email_address, hashed_phone, …
func hashedKey(k string) bool {
	return len(k) > 6 && (strings.EqualFold(k[:6], "sha256") || strings.EqualFold(k[:6], "hashed"))
}

// scanner carries the state of one leaf's scan.
type scanner struct {
	d       *Detector
	ctx     Context
	mask    entityMask
	ipURLs  bool // ip reported only inside URLs
	budget  int
	hits    []hit
	first   int // index of this leaf's first hit in hits
	scratch [64]byte
}

// loc is a lazily built path: base, or base+sep+key.
type loc struct {
	base, sep, key string
}

func (l loc) String() string {
	if l.sep == "" {
		return l.base
	}
	return l.base + l.sep + l.key
}

func (l loc) child(sep, key string) loc {
	if l.sep == "" {
		return loc{base: l.base, sep: sep, key: key}
	}
	return loc{base: l.String(), sep: sep, key: key}
}

func (d *Detector) policy(dest schemas.Destination) IPPolicy {
	if p, ok := d.ipPolicy[dest]; ok {
		return p
	}
	return d.cfg.DefaultIPPolicy
}

func (d *Detector) scanLeaf(hits []hit, path, key, value string, ctx Context, pol IPPolicy) []hit {
	if value == "" || longHexID(value) {
		return hits
	}
	kc := d.keys.classify(key)
	s := scanner{d: d, ctx: ctx, mask: d.enabled, budget: d.cfg.MaxCandidates, hits: hits, first: len(hits)}
	switch pol {
	case IPOff:
		s.mask &^= mIP
	case IPInURLs:
		s.ipURLs = true
	}
	switch ctx.Section {
	case SectionUserData:
		if kc&kMatch != 0 || hashedKey(key) {
			s.mask &= mCard | mIBAN | mSecret | mNationalID
		}
	case SectionOther:
		if kc&kCred != 0 && (ctx.Format == schemas.FormatMetaCAPI || ctx.Format == schemas.FormatGA4MP || ctx.Format == schemas.FormatSGTM) {
			return hits
		}
	}
	if kc&kIPField != 0 {
		s.mask &^= mIP
	}
	if len(value) > d.cfg.MaxValueBytes {
		value = value[:d.cfg.MaxValueBytes]
	}
	inURL := ctx.Section == SectionURL || kc&kURL != 0
	s.value(loc{base: path}, kc, value, 0, false, inURL)
	return s.hits
}

// longHexID reports a value that value() would dismiss whatever its key: a
// hex identifier (isHexID) longer than any IBAN (wholeIBAN), such as the
// SHA-256 in every hashed user_data field. Testing it first skips the key
// lookup for the most common user_data leaf. Values here are far below
// MaxValueBytes (at least 1024), so truncation cannot change the verdict.
func longHexID(v string) bool {
	if len(v) <= maxIBANLen || len(v) > 1024 {
		return false
	}
	v = trimSpace(v)
	return len(v) > maxIBANLen && isHexID(v)
}

func (s *scanner) report(l loc, entity string, bit entityMask, detector string, conf float64, norm string, inURL bool) {
	if s.mask&bit == 0 {
		return
	}
	if bit == mIP && s.ipURLs && !inURL {
		return
	}
	// one detection per entity and location
	for i := s.first; i < len(s.hits); i++ {
		h := &s.hits[i]
		if h.Entity == entity && h.Path == l.String() {
			return
		}
	}
	s.hits = append(s.hits, hit{Detection: Detection{Entity: entity, Path: l.String(), Detector: detector, Confidence: conf}, norm: norm})
}

func trimSpace(v string) string {
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t' || v[0] == '\n' || v[0] == '\r') {
		v = v[1:]
	}
	for len(v) > 0 && (v[len(v)-1] == ' ' || v[len(v)-1] == '\t' || v[len(v)-1] == '\n' || v[len(v)-1] == '\r') {
		v = v[:len(v)-1]
	}
	return v
}

// looksURL: scheme://, or a path with a query (/p?x=y).
func looksURL(v string) bool {
	// Only a scheme of up to ten bytes counts, so only the first 13 bytes
	// are searched.
	if i := strings.Index(v[:min(len(v), 13)], "://"); i > 0 && i <= 10 {
		for j := 0; j < i; j++ {
			if !isAlpha(v[j]) && v[j] != '+' && v[j] != '-' && v[j] != '.' {
				return false
			}
		}
		return true
	}
	return len(v) > 1 && v[0] == '/' && v[1] != '/' && strings.IndexByte(v, '?') > 0
}

// looksQuery: k=v(&k=v)* with a plausible key before the first '='.
func looksQuery(v string) bool {
	eq := strings.IndexByte(v, '=')
	if eq <= 0 || eq > 64 || eq+1 >= len(v) || v[eq+1] == '=' {
		return false
	}
	for i := 0; i < eq; i++ {
		c := v[i]
		if !isAlnum(c) && c != '_' && c != '-' && c != '.' && c != '[' && c != ']' && c != '%' && c != '$' {
			return false
		}
	}
	return strings.IndexByte(v, ' ') < 0 || strings.IndexByte(v, '&') > 0
}

// value judges v found at l with key class kc.
func (s *scanner) value(l loc, kc keyClass, v string, depth int, query, inURL bool) {
	v = trimSpace(v)
	if v == "" || depth > s.d.cfg.MaxDepth || s.budget <= 0 {
		return
	}
	if kc&kClickID != 0 || (isIdentifier(v) && !s.wholeIBAN(v)) {
		return
	}
	if kc&kESP != 0 {
		// identifiers unless the decoded value is PII
		v = decodeCascade(v, query, s.d.cfg.DecodePasses)
		if strings.IndexByte(v, '@') >= 0 {
			s.text(l, 0, v, depth, inURL)
		}
		s.base64Tokens(l, v, depth, inURL, nil)
		return
	}
	if kc&kSecret != 0 && secretShape(v) {
		s.report(l, EntitySecret, mSecret, "secret.key", 0.8, v, inURL)
		return
	}
	if looksURL(v) {
		s.url(l, v, depth, true)
		return
	}
	if (v[0] == '{' || v[0] == '[') && s.json(l, v, depth, inURL) {
		return
	}
	if depth == 0 && kc&kURL != 0 && looksQuery(v) {
		s.query(l, v, depth, true)
		return
	}
	if needsDecode(v, query) {
		dv := decodeCascade(v, query, s.d.cfg.DecodePasses)
		if dv != v {
			s.budget--
			if looksURL(dv) || (dv[0] == '{' && dv[len(dv)-1] == '}') {
				s.value(l, kc, dv, depth+1, false, inURL)
				return
			}
			v = dv
		}
	}
	s.text(l, kc, v, depth, inURL)
}

// url splits a URL into its path (scanned as text) and its query and
// fragment parameters (each judged with its own key).
func (s *scanner) url(l loc, v string, depth int, inURL bool) {
	if hasHTMLEntity(v) {
		v = decodeCascadeHTML(v)
	}
	q := strings.IndexAny(v, "?#")
	path := v
	if q >= 0 {
		path = v[:q]
	}
	s.urlPath(l, path, depth, inURL)
	if q < 0 {
		return
	}
	rest := v[q+1:]
	if h := strings.IndexByte(rest, '#'); h >= 0 && v[q] == '?' {
		s.query(l, rest[:h], depth, inURL)
		frag := rest[h+1:]
		if strings.IndexByte(frag, '=') > 0 {
			if i := strings.IndexByte(frag, '?'); i >= 0 { // #/route?x=y
				s.urlPath(l, frag[:i], depth, inURL)
				frag = frag[i+1:]
			}
			s.query(l, frag, depth, inURL)
		} else {
			s.urlPath(l, frag, depth, inURL)
		}
		return
	}
	if v[q] == '#' && strings.IndexByte(rest, '=') < 0 {
		s.urlPath(l, rest, depth, inURL)
		return
	}
	if i := strings.IndexByte(rest, '?'); v[q] == '#' && i >= 0 {
		s.urlPath(l, rest[:i], depth, inURL)
		rest = rest[i+1:]
	}
	s.query(l, rest, depth, inURL)
}

// urlPath scans the scheme/host/path part: emails, cards, IBANs in path
// segments. IPs after '/' are hosts or versions and are not reported.
func (s *scanner) urlPath(l loc, p string, depth int, inURL bool) {
	if p == "" {
		return
	}
	if needsDecode(p, false) {
		p = decodeCascade(p, false, s.d.cfg.DecodePasses)
	}
	s.text(l, kcURLPath, p, depth, inURL)
}

// kcURLPath marks text that is a URL path: '/' separates tokens.
const kcURLPath = kURL

func (s *scanner) query(l loc, q string, depth int, inURL bool) {
	for q != "" && s.budget > 0 {
		var part string
		if i := strings.IndexAny(q, "&;"); i >= 0 {
			part, q = q[:i], q[i+1:]
		} else {
			part, q = q, ""
		}
		if part == "" {
			continue
		}
		k, val := part, ""
		if i := strings.IndexByte(part, '='); i >= 0 {
			k, val = part[:i], part[i+1:]
		}
		if val == "" {
			if k != "" && strings.IndexByte(k, '@') >= 0 || hasPctEscape(k) {
				s.text(l.child("?", k), 0, decodeCascade(k, true, s.d.cfg.DecodePasses), depth+1, inURL)
			}
			continue
		}
		if hasPctEscape(k) || strings.IndexByte(k, '+') >= 0 {
			k = decodeCascade(k, true, s.d.cfg.DecodePasses)
		}
		kc := s.d.keys.classify(leafKey(k))
		if kc&kIPField != 0 && s.mask&mIP != 0 {
			// an ip field name inside a URL is still a URL: keep reporting
			kc &^= kIPField
		}
		s.value(l.child("?", k), kc, val, depth+1, true, inURL)
	}
}

// leafKey strips container syntax: cd[email] → email, ep.cx_phone → cx_phone.
func leafKey(k string) string {
	if i := strings.LastIndexByte(k, '['); i >= 0 && strings.HasSuffix(k, "]") {
		return k[i+1 : len(k)-1]
	}
	if i := strings.LastIndexByte(k, '.'); i >= 0 && i+1 < len(k) {
		return k[i+1:]
	}
	return k
}

func decodeCascadeHTML(v string) string {
	return decodeCascade(v, false, 0)
}

// json walks a JSON object or array with its keys; false if v is not JSON.
func (s *scanner) json(l loc, v string, depth int, inURL bool) bool {
	if len(v) < 2 || (v[len(v)-1] != '}' && v[len(v)-1] != ']') {
		return false
	}
	var x any
	if err := json.Unmarshal([]byte(v), &x); err != nil {
		return false
	}
	s.budget--
	s.walk(l, "", x, depth+1, inURL)
	return true
}

func (s *scanner) walk(l loc, key string, x any, depth int, inURL bool) {
	if depth > s.d.cfg.MaxDepth+2 || s.budget <= 0 {
		return
	}
	switch t := x.(type) {
	case map[string]any:
		ks := make([]string, 0, len(t))
		for k := range t {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for _, k := range ks {
			sub := k
			if key != "" {
				sub = key + "." + k
			}
			s.walk(l, sub, t[k], depth, inURL)
		}
	case []any:
		for _, e := range t {
			s.walk(l, key, e, depth, inURL)
		}
	case string:
		lk := key
		if i := strings.LastIndexByte(lk, '.'); i >= 0 {
			lk = lk[i+1:]
		}
		kc := s.d.keys.classify(lk)
		if kc&kIPField != 0 {
			kc &^= kIPField
		}
		s.value(l.child("→", key), kc, t, depth, false, inURL)
	}
}

// wholeIBAN: a hex-looking value such as DE45997740690327384555 that is a
// valid IBAN is not an identifier.
func (s *scanner) wholeIBAN(v string) bool {
	end, _, ok := ibanAt(v, 0, s.scratch[:0])
	return ok && end == len(v)
}

// secretShape: a non-trivial value in a secret-keyed leaf.
func secretShape(v string) bool {
	if len(v) < 4 {
		return false
	}
	switch strings.ToLower(v) {
	case "null", "undefined", "true", "false", "none", "[redacted]", "redacted", "hidden", "***", "****", "*****":
		return false
	}
	if strings.HasPrefix(v, "pk_") || strings.HasPrefix(v, "pk.") { // publishable keys are public by design
		return false
	}
	if strings.Trim(v, "*x•") == "" {
		return false
	}
	return true
}
