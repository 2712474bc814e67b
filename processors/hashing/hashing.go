package hashing

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"net/url"
	"strings"

	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/processors/hashing/userdata"
	"github.com/sstaudit/sstaudit/schemas"
)

// Finding codes of this package.
const (
	CodePlaintext       = "HASH_PLAINTEXT"
	CodeFormat          = "HASH_FORMAT"
	CodeWeakAlgo        = "HASH_WEAK_ALGO"
	CodeSentinel        = "HASH_SENTINEL"
	CodeNotNormalized   = "HASH_NOT_NORMALIZED"
	CodeDouble          = "HASH_DOUBLE"
	CodeForbidden       = "HASH_FORBIDDEN"
	CodeOutsideUserData = "HASH_OUTSIDE_USER_DATA"
	CodeIPWithPort      = "IP_WITH_PORT"
	CodeClickIDFormat   = "CLICKID_FORMAT"
)

// Detector names put in findings.
const (
	DetectorHashing = "hashing"
	DetectorClickID = "clickid"
)

// Severities of the codes; the table in doc.go explains them.
const (
	SevPlaintext       = schemas.SeverityCritical
	SevFormat          = schemas.SeverityFail
	SevWeakAlgo        = schemas.SeverityFail
	SevSentinel        = schemas.SeverityFail
	SevNotNormalized   = schemas.SeverityFail
	SevDouble          = schemas.SeverityFail
	SevForbidden       = schemas.SeverityFail
	SevOutsideUserData = schemas.SeverityWarn
	SevIPWithPortMeta  = schemas.SeverityFail // Meta rejects it
	SevIPWithPortGA4   = schemas.SeverityWarn // Google's handling is undocumented
	SevClickIDFormat   = schemas.SeverityFail
	SevClickIDFuture   = schemas.SeverityWarn
)

type checker struct {
	ev   *schemas.Event
	cfg  *Config
	fp   *processors.Fingerprinter
	side schemas.FindingSide
	sent *Sentinels
	dict *Dictionary
}

// Check runs the per-event hashing, IP and click-id checks on ev and appends
// its findings to out. It is pure and safe for concurrent use; a nil cfg means
// NewDefaultConfig(). On an event with no fault it does not allocate (the
// sentinel set and dictionary are built once, on the first call that needs
// them). Findings carry paths and fp fingerprints, never values.
func Check(ev *schemas.Event, cfg *Config, fp *processors.Fingerprinter, out []schemas.Finding) []schemas.Finding {
	if ev == nil {
		return out
	}
	if cfg == nil {
		cfg = defaultConfig
	}
	c := checker{ev: ev, cfg: cfg, fp: fp, side: schemas.FindingServer}
	if ev.Side == schemas.SideClient {
		c.side = schemas.FindingClient
	}
	c.sent = cfg.Sentinels
	if c.sent == nil {
		c.sent = DefaultSentinels()
	}
	if cfg.Dictionaries {
		c.dict = cfg.Dictionary
		if c.dict == nil {
			c.dict = DefaultDictionary()
		}
	}

	hasPlain := false
	for i := range ev.UserData {
		var plain bool
		out, plain = c.userField(&ev.UserData[i], out)
		hasPlain = hasPlain || plain
	}
	if cfg.CrossCheckPlaintext && (hasPlain || urlMayHoldEmail(ev.URL)) {
		out = c.crossCheck(out)
	}
	out = c.outsideUserData(out)
	out = c.clientIP(out)
	out = c.fbCookie(ev.ClickIDs.FBC, "fbc", out)
	out = c.fbCookie(ev.ClickIDs.FBP, "fbp", out)
	return out
}

func (c *checker) add(out []schemas.Finding, code string, sev schemas.Severity, det, path, msg, value string) []schemas.Finding {
	return append(out, schemas.Finding{
		Code:        code,
		Severity:    sev,
		Side:        c.side,
		Path:        path,
		Detector:    det,
		Message:     msg,
		Fingerprint: c.fp.Sum(value),
	})
}

// userField checks one user_data leaf. plain reports a plaintext value of a
// known field that a cross-check can use.
func (c *checker) userField(f *schemas.Field, out []schemas.Finding) (_ []schemas.Finding, plain bool) {
	if f.Kind != schemas.KindString && f.Kind != schemas.KindNumber {
		return out, false
	}
	field, rule := userdata.Lookup(c.ev.Destination, f.Key, f.Path)
	if rule == userdata.RuleNone {
		return out, false
	}
	v := strings.TrimSpace(f.Value)
	if v == "" {
		return out, false
	}
	switch rule {
	case userdata.RuleMetaHashed, userdata.RuleGoogleHashed:
		return c.hashed(f, v, field, rule, out)
	case userdata.RuleMetaOptional:
		s := userdata.Classify(v)
		var buf [64]byte
		if d := userdata.Digest(v, s, &buf); d != nil && c.sent.Has(d) {
			out = c.add(out, CodeSentinel, SevSentinel, DetectorHashing, f.Path,
				f.Key+" is the hash of an empty or placeholder value (empty, null, undefined, an unresolved template)", f.Value)
		}
	case userdata.RuleNeverHash:
		if s := userdata.Classify(v); s.HexSHA256() || s == userdata.ShapeSHA256Base64 {
			out = c.add(out, CodeForbidden, SevForbidden, DetectorHashing, f.Path,
				f.Key+" must never be hashed (Meta matches it as sent); it holds a SHA-256 value", f.Value)
		}
	case userdata.RuleGooglePlain:
		s := userdata.Classify(v)
		if s != userdata.ShapePlaintext {
			return out, false
		}
		if c.ev.Format == schemas.FormatGA4MP {
			out = c.add(out, CodePlaintext, SevPlaintext, DetectorHashing, f.Path,
				"Measurement Protocol user_data takes sha256_* fields only; "+f.Key+" holds "+userdata.PlainKind(v)+" plain data", f.Value)
		}
		return out, true
	case userdata.RuleGoogleUnhashed:
		if c.ev.Destination != schemas.DestinationGA4 && !strings.Contains(f.Path, "address") {
			return out, false
		}
		if s := userdata.Classify(v); s.HexSHA256() || s == userdata.ShapeSHA256Base64 || s.Weak() {
			out = c.add(out, CodeForbidden, SevForbidden, DetectorHashing, f.Path,
				"GA4 user_data.address."+f.Key+" must be sent unhashed; it holds a hash", f.Value)
		}
	}
	return out, false
}

// hashed checks a value that must be a lowercase SHA-256 hex.
func (c *checker) hashed(f *schemas.Field, v string, field userdata.Field, rule userdata.Rule, out []schemas.Finding) ([]schemas.Finding, bool) {
	s := userdata.Classify(v)
	if s == userdata.ShapePlaintext {
		return c.add(out, CodePlaintext, SevPlaintext, DetectorHashing, f.Path,
			f.Key+" must be a SHA-256 hex hash; it holds "+userdata.PlainKind(v)+" plain data", f.Value), true
	}
	// A clean hex SHA-256 needs its first 8 bytes only (the sentinel
	// pre-filter and the dictionary key): the rest is decoded for a
	// possible sentinel alone.
	var buf [64]byte
	var d []byte
	if s.HexSHA256() {
		d = userdata.Digest(v[:16], s, &buf)
		if c.sent.MayHave(d) {
			d = userdata.Digest(v, s, &buf)
		}
	} else {
		d = userdata.Digest(v, s, &buf)
	}
	if d != nil && c.sent.Has(d) {
		return c.add(out, CodeSentinel, SevSentinel, DetectorHashing, f.Path,
			f.Key+" is the hash of an empty or placeholder value (empty, null, undefined, an unresolved template)", f.Value), false
	}
	switch s {
	case userdata.ShapeSHA256:
		if len(v) != len(f.Value) {
			out = c.add(out, CodeFormat, SevFormat, DetectorHashing, f.Path,
				f.Key+" is a SHA-256 hex with surrounding whitespace", f.Value)
		}
	case userdata.ShapeSHA256Upper:
		out = c.add(out, CodeFormat, SevFormat, DetectorHashing, f.Path,
			f.Key+" is a SHA-256 in upper- or mixed-case hex; lowercase hex is required", f.Value)
	case userdata.ShapeSHA256Base64:
		out = c.add(out, CodeFormat, SevFormat, DetectorHashing, f.Path,
			f.Key+" is a base64 SHA-256; hex is required (base64 is for Google Data Manager only)", f.Value)
	case userdata.ShapeDigits64:
		return c.add(out, CodeFormat, SevFormat, DetectorHashing, f.Path,
			f.Key+" holds 64 decimal digits: a padded id or fake hash, not a SHA-256", f.Value), false
	case userdata.ShapeOther:
		return c.add(out, CodeFormat, SevFormat, DetectorHashing, f.Path,
			f.Key+" is hex or base64 of no digest length (truncated or padded hash?)", f.Value), false
	default:
		if s.Weak() {
			return c.add(out, CodeWeakAlgo, SevWeakAlgo, DetectorHashing, f.Path,
				f.Key+" is a "+s.String()+" digest; SHA-256 is required", f.Value), false
		}
		return out, false
	}
	if len(d) < 8 || c.dict == nil || rule != userdata.RuleMetaHashed { // d: a SHA-256, all or its first 8 bytes
		return out, false
	}
	slot := DictSlot(field)
	if slot < 0 {
		return out, false
	}
	hit := c.dict.lookupKey(binary.BigEndian.Uint64(d))
	switch {
	case hit.Valid(slot):
	case hit.Double(slot):
		out = c.add(out, CodeDouble, SevDouble, DetectorHashing, f.Path,
			f.Key+" is hashed twice (SHA-256 of a SHA-256 hex)", f.Value)
	case hit.Wrong(slot):
		out = c.add(out, CodeNotNormalized, SevNotNormalized, DetectorHashing, f.Path,
			f.Key+" was hashed before normalising ("+dictHint[slot]+")", f.Value)
	case c.cfg.FlagDictionaryMiss && (slot == slotGender || slot == slotCountry):
		out = c.add(out, CodeNotNormalized, SevNotNormalized, DetectorHashing, f.Path,
			f.Key+" is not the hash of any normalised value ("+dictHint[slot]+")", f.Value)
	}
	return out, false
}

var dictHint = [numSlots]string{
	slotGender:  "ge must be f or m",
	slotCountry: "country must be a lower-case ISO 3166-1 alpha-2 code",
	slotState:   "st must be a lower-case 2-letter code",
	slotZip:     "zp must be lower-case without spaces or dash; US: first 5 digits",
	slotDOB:     "db must be YYYYMMDD",
	slotCity:    "ct must be lower-case letters without spaces or punctuation",
}

// urlMayHoldEmail is a cheap pre-test for an email in the page URL.
func urlMayHoldEmail(u string) bool {
	return strings.IndexByte(u, '@') >= 0 ||
		strings.IndexByte(u, '%') >= 0 && (strings.Contains(u, "%40") || strings.Contains(u, "%2540"))
}

type plainRef struct {
	field userdata.Field
	value string
}

// crossCheck compares each SHA-256 in a hash-required field with the
// plaintext of the same field visible in the event: plaintext user_data
// (sGTM inbound, or a plaintext key beside a hashed one) and emails in the
// page URL. A hash that equals a wrong form of the plaintext is
// HASH_NOT_NORMALIZED, one that equals its double hash HASH_DOUBLE; a hash
// that equals none of them belongs to someone else and is not judged.
func (c *checker) crossCheck(out []schemas.Finding) []schemas.Finding {
	var plains []plainRef
	for i := range c.ev.UserData {
		f := &c.ev.UserData[i]
		field, rule := userdata.Lookup(c.ev.Destination, f.Key, f.Path)
		if rule != userdata.RuleMetaHashed && rule != userdata.RuleGoogleHashed && rule != userdata.RuleGooglePlain {
			continue
		}
		if v := strings.TrimSpace(f.Value); userdata.Classify(v) == userdata.ShapePlaintext {
			plains = append(plains, plainRef{field, f.Value})
		}
	}
	for _, e := range emailsIn(c.ev.URL) {
		plains = append(plains, plainRef{userdata.FieldEmail, e})
	}
	if len(plains) == 0 {
		return out
	}
	for i := range c.ev.UserData {
		f := &c.ev.UserData[i]
		field, rule := userdata.Lookup(c.ev.Destination, f.Key, f.Path)
		if !rule.Hashed() {
			continue
		}
		v := strings.TrimSpace(f.Value)
		s := userdata.Classify(v)
		if !s.HexSHA256() {
			continue
		}
		var buf [64]byte
		d := userdata.Digest(v, s, &buf)
		dest := schemas.DestinationMeta
		if rule == userdata.RuleGoogleHashed {
			dest = schemas.DestinationGA4
		}
		for _, p := range plains {
			if p.field != field {
				continue
			}
			if code, why := JudgeAgainstPlain(dest, field, p.value, d); code != "" {
				sev := SevNotNormalized
				if code == CodeDouble {
					sev = SevDouble
				}
				out = c.add(out, code, sev, DetectorHashing, f.Path, f.Key+" "+why, f.Value)
				break
			}
		}
	}
	return out
}

// JudgeAgainstPlain compares a SHA-256 digest (32 raw bytes) observed for
// field with a plaintext of that field, normalised for dest. It returns ""
// when the digest is the properly normalised hash or unrelated to the
// plaintext; CodeNotNormalized when it is the hash of a wrong form (raw,
// untrimmed, not lower-cased, or the other destination's normalisation, e.g.
// a Meta ph hashed with Google's '+', a GA4 gmail address hashed with its
// dots); CodeDouble when it is the hash of the normalised hash's hex. why
// explains the verdict without the value.
func JudgeAgainstPlain(dest schemas.Destination, field userdata.Field, plain string, digest []byte) (code, why string) {
	if len(digest) != 32 {
		return "", ""
	}
	var want [32]byte
	copy(want[:], digest)
	norm, ok := userdata.Normalize(dest, field, plain)
	if ok {
		h := sha256.Sum256([]byte(norm))
		if h == want {
			return "", ""
		}
		var hx [64]byte
		hex.Encode(hx[:], h[:])
		if sha256.Sum256(hx[:]) == want {
			return CodeDouble, "is hashed twice (SHA-256 of the normalised value's SHA-256 hex)"
		}
	}
	other := schemas.DestinationGA4
	if dest == schemas.DestinationGA4 {
		other = schemas.DestinationMeta
	}
	if on, ok := userdata.Normalize(other, field, plain); ok && on != norm && sha256.Sum256([]byte(on)) == want {
		return CodeNotNormalized, "is hashed with " + string(other) + "'s normalisation, not " + string(dest) + "'s"
	}
	for _, w := range [...]string{plain, strings.TrimSpace(plain), strings.ToLower(strings.TrimSpace(plain))} {
		if w != norm && sha256.Sum256([]byte(w)) == want {
			return CodeNotNormalized, "was hashed before normalising (not trimmed, lower-cased or cleaned)"
		}
	}
	return "", ""
}

// emailsIn returns the email addresses in a URL, after up to 3 rounds of
// percent-decoding.
func emailsIn(u string) []string {
	if !urlMayHoldEmail(u) {
		return nil
	}
	s := u
	for i := 0; i < 3 && strings.Contains(s, "%"); i++ {
		d, err := url.QueryUnescape(s)
		if err != nil {
			break
		}
		s = d
	}
	var out []string
	for i := 0; i < len(s); i++ {
		if s[i] != '@' {
			continue
		}
		l := i
		for l > 0 && emailLocal(s[l-1]) {
			l--
		}
		r := i + 1
		for r < len(s) && emailDomain(s[r]) {
			r++
		}
		domain := strings.TrimRight(s[i+1:r], ".-")
		if l < i && strings.IndexByte(domain, '.') > 0 {
			out = append(out, s[l:i+1]+domain)
		}
	}
	return out
}

func emailLocal(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._%+-", c) >= 0
}

func emailDomain(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-'
}

// outsideUserData flags SHA-256 values outside the user-data fields: in GA4
// user_id, client_id and event params, and in Meta custom_data.
func (c *checker) outsideUserData(out []schemas.Finding) []schemas.Finding {
	ev := c.ev
	if ev.Destination == schemas.DestinationGA4 {
		cidPath, uidPath := "client_id", "user_id"
		if ev.Format == schemas.FormatGA4Gtag {
			cidPath, uidPath = "cid", "uid"
		}
		if looksSHA256(ev.ClientID) {
			out = c.add(out, CodeOutsideUserData, SevOutsideUserData, DetectorHashing, cidPath,
				"client_id holds a SHA-256 value: hashed PII belongs in user_data.sha256_* only", ev.ClientID)
		}
		if looksSHA256(ev.UserID) {
			out = c.add(out, CodeOutsideUserData, SevOutsideUserData, DetectorHashing, uidPath,
				"user_id holds a SHA-256 value: hashed PII belongs in user_data.sha256_* only", ev.UserID)
		}
	}
	for i := range ev.Params {
		f := &ev.Params[i]
		if f.Kind != schemas.KindString || !looksSHA256(f.Value) || c.ignoredParam(f.Key) {
			continue
		}
		where := "event params"
		if ev.Destination == schemas.DestinationMeta {
			where = "custom_data"
		}
		out = c.add(out, CodeOutsideUserData, SevOutsideUserData, DetectorHashing, f.Path,
			where+" param "+f.Key+" holds a SHA-256 value: hashed PII outside user_data", f.Value)
	}
	return out
}

func looksSHA256(v string) bool {
	if len(v) < 64 || len(v) > 70 {
		return false
	}
	return userdata.Classify(strings.TrimSpace(v)).HexSHA256()
}

func (c *checker) ignoredParam(key string) bool {
	switch key {
	case "client_id", "user_id", "cid", "uid":
		return true
	}
	if strings.HasPrefix(key, "x-ga-") || strings.HasPrefix(key, "x-sst-") {
		return true
	}
	for _, k := range c.cfg.OutsideUserDataIgnore {
		if k == key {
			return true
		}
	}
	return false
}

// clientIP flags an IP sent with a port.
func (c *checker) clientIP(out []schemas.Finding) []schemas.Finding {
	ip := c.ev.ClientIP
	if ip == "" || !IPWithPort(strings.TrimSpace(ip)) {
		return out
	}
	sev := SevIPWithPortMeta
	if c.ev.Destination == schemas.DestinationGA4 {
		sev = SevIPWithPortGA4
	}
	path := c.findPath(ip, "client_ip_address", "ip_override", "uip", "_uip")
	if path == "" {
		path = "client_ip_address"
		if c.ev.Destination == schemas.DestinationGA4 {
			path = "ip_override"
		}
	}
	return c.add(out, CodeIPWithPort, sev, DetectorClickID, path,
		"the client IP carries a port; send the bare IPv4/IPv6 address", ip)
}

// fbCookie checks the shape and creation time of fbc or fbp.
func (c *checker) fbCookie(v, key string, out []schemas.Finding) []schemas.Finding {
	if v == "" {
		return out
	}
	var notAfter int64
	if rt := c.ev.Source.RecordTime; rt > 0 {
		notAfter = rt + c.cfg.ClickIDFutureTolerance.Milliseconds()
	}
	_, _, fault := ParseFBCookie(v, notAfter)
	if fault == FBCookieOK {
		return out
	}
	path := c.findPath(v, key)
	if path == "" {
		path = key
		if c.ev.Format == schemas.FormatMetaCAPI {
			path = "user_data." + key
		}
	}
	sev, msg := SevClickIDFormat, ""
	switch fault {
	case FBCookieShape:
		msg = key + " is not fb.{subdomainIndex}.{creationTimeMs}.{value} (optionally one 2- or 8-char segment more)"
	case FBCookieSeconds:
		msg = key + " creation time has 10 digits: seconds where Meta expects milliseconds"
	case FBCookieTime:
		msg = key + " creation time is not a 13-digit millisecond timestamp"
	case FBCookieFuture:
		sev, msg = SevClickIDFuture, key+" creation time lies after the record time"
	}
	return c.add(out, CodeClickIDFormat, sev, DetectorClickID, path, msg, v)
}

// findPath returns the path of the first leaf with one of keys holding v.
func (c *checker) findPath(v string, keys ...string) string {
	for _, fs := range [...][]schemas.Field{c.ev.UserData, c.ev.Other, c.ev.Params} {
		for i := range fs {
			if fs[i].Value != v {
				continue
			}
			for _, k := range keys {
				if fs[i].Key == k {
					return fs[i].Path
				}
			}
		}
	}
	return ""
}
