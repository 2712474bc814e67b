package processors

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/sstaudit/sstaudit/processors/hashing/userdata"
	"github.com/sstaudit/sstaudit/schemas"
)

// PlainDigest is what a Snapshot keeps of a plaintext value in a user_data
// field that should have been hashed (Pixel ud[em] in clear) or is plaintext
// by design (sGTM user_data.email_address): digests of the hashes the other
// side might have sent for it, so the pair can tell a correct hash from an
// un-normalised or double one without the plaintext.
//
//   - Norm: Digester.Sum(hex(sha256(normalised for the event's destination)));
//   - Double: Digester.Sum(hex(sha256(hex(sha256(normalised)))));
//   - Wrong: Digester.Sum(hex(sha256(w))) for the wrong forms w: the other
//     destination's normalisation, the trimmed lower-cased raw value, the raw
//     value (0 where a form equals the normalised one).
type PlainDigest struct {
	Key    uint8 // index into MatchKeyNames
	Norm   uint64
	Double uint64
	Wrong  [3]uint64
}

// GCSAdStorageIndex is the byte of a gcs value ("G1xy") read as ad_storage.
// The digit order is unconfirmed; the majority community reading is x =
// ad_storage, y = analytics_storage (REFERENCE §3.7), so index 2. A stape
// maintainer reads the last digit instead; change it here once a live hit with
// a known consent state says otherwise.
const GCSAdStorageIndex = 2

// GCD letter positions (REFERENCE §3.7, community-decoded, unconfirmed): after
// a 2-digit prefix, letter+digit pairs for ad_storage, analytics_storage,
// ad_user_data and ad_personalization.
const (
	GCDAdStorageIndex         = 2
	GCDAdUserDataIndex        = 6
	GCDAdPersonalizationIndex = 8
)

// gcdDenied reports a gcd letter whose final state is denied: p (denied by
// default), q (denied by default and update), m (denied by update), u
// (granted by default, denied by update). l is "not set".
func gcdDenied(c byte) bool { return c == 'p' || c == 'q' || c == 'm' || c == 'u' }

// TCFRequiredPurposes are the house default of the TCF purposes whose
// missing consent sets ConsentTCFDenied, for meta and ga4: 1 (storage), 3
// and 4 (personalised ads), 7 (measurement). Which purposes a destination
// needs is a legal decision (REFERENCE §5, §9): policy overrides it through
// SnapshotPolicy (consent.tcf_purposes).
var TCFRequiredPurposes = [...]uint8{1, 3, 4, 7}

// BuildSnapshot distils ev into the compact Snapshot the join keeps and the
// pair checks compare. Identifiers and hashes are kept as d digests only.
// Match keys count a key when it is present and non-empty. Hashes holds one
// entry per hashed user_data value (SHA-256 of any case or base64, lower-case
// hex digested; other digests by value, Double 0); Plain one per plaintext
// user_data value of a hashable field. It applies the default policy
// (TCFRequiredPurposes); SnapshotPolicy.Build applies another. It allocates
// the Hashes slice (and Plain when there is plaintext) and nothing else.
func BuildSnapshot(ev *schemas.Event, d *Digester) Snapshot {
	return defaultSnapshotPolicy.Build(ev, d)
}

// Build is BuildSnapshot under policy p.
func (p *SnapshotPolicy) Build(ev *schemas.Event, d *Digester) Snapshot {
	s := Snapshot{
		Side:         ev.Side,
		Format:       ev.Format,
		EventName:    ev.EventName,
		EventTime:    ev.EventTime,
		Source:       ev.Source,
		ActionSource: ev.ActionSource,
	}

	// One pass over the user data; the digests collect in stack buffers and
	// are copied out once, at their final size.
	var hbuf [16]HashDigest
	var pbuf [8]PlainDigest
	hashes, plain := hbuf[:0], pbuf[:0]
	for i := range ev.UserData {
		f := &ev.UserData[i]
		if f.Kind != schemas.KindString && f.Kind != schemas.KindNumber {
			continue
		}
		v := strings.TrimSpace(f.Value)
		if v == "" {
			continue
		}
		field, rule := userdata.Lookup(ev.Destination, f.Key, f.Path)
		if field.HasMatchKey() {
			s.MatchKeys |= 1 << MatchKey(field)
		}
		if rule != userdata.RuleMetaHashed && rule != userdata.RuleGoogleHashed && rule != userdata.RuleGooglePlain {
			continue
		}
		if shape := userdata.Classify(v); shape == userdata.ShapePlaintext {
			dest := schemas.DestinationMeta
			if rule != userdata.RuleMetaHashed {
				dest = schemas.DestinationGA4
			}
			plain = append(plain, plainDigest(d, dest, field, f.Value))
		} else if rule != userdata.RuleGooglePlain {
			hashes = append(hashes, p.hashDigest(d, field, v, shape))
		}
	}
	if len(hashes) > 0 {
		s.Hashes = slices.Clone(hashes)
	}
	if len(plain) > 0 {
		s.Plain = slices.Clone(plain)
	}

	switch ev.Destination {
	case schemas.DestinationGA4:
		if ev.ClientID != "" {
			s.MatchKeys |= KeyClientID
		}
		if ev.UserID != "" {
			s.MatchKeys |= KeyUserID
		}
	default:
		if ev.ClientIP != "" {
			s.MatchKeys |= KeyClientIP
		}
		if ev.UserAgent != "" {
			s.MatchKeys |= KeyUserAgent
		}
		if ev.ExternalID != "" {
			s.MatchKeys |= KeyExternalID
		}
		if ev.ClickIDs.FBC != "" {
			s.MatchKeys |= KeyFBC
		}
		if ev.ClickIDs.FBP != "" {
			s.MatchKeys |= KeyFBP
		}
	}

	c := &ev.ClickIDs
	if c.FBCLID != "" {
		s.ClickIDs |= ClickFBCLID
		s.FBCLID = d.Sum(c.FBCLID)
	}
	if c.FBC != "" {
		s.ClickIDs |= ClickFBC
		if id := fbcClickID(c.FBC); id != "" {
			s.FBCClickID = d.Sum(id)
		}
	}
	if c.FBP != "" {
		s.ClickIDs |= ClickFBP
		s.FBP = d.Sum(strings.TrimSpace(c.FBP))
	}
	if c.GCLID != "" {
		s.ClickIDs |= ClickGCLID
	}
	if c.GBRAID != "" {
		s.ClickIDs |= ClickGBRAID
	}
	if c.WBRAID != "" {
		s.ClickIDs |= ClickWBRAID
	}
	if ev.ExternalID != "" {
		s.ExternalID = d.Sum(strings.TrimSpace(ev.ExternalID))
	}
	s.Payload = payloadDigest(ev, d)
	s.Consent = consentFlags(&ev.Consent, p.TCFPurposes[ev.Destination])
	s.TraceID, s.SpanID = parseTraceParent(ev.TraceParent)
	return s
}

// sumBytes digests b without copying it into a string: Digester.Sum does not
// retain its argument.
func sumBytes(d *Digester, b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	return d.Sum(unsafe.String(&b[0], len(b)))
}

func (p *SnapshotPolicy) hashDigest(d *Digester, field userdata.Field, v string, shape userdata.Shape) HashDigest {
	h := HashDigest{Key: uint8(field)}
	var lower [64]byte
	switch shape {
	case userdata.ShapeSHA256:
		h.Value = d.Sum(v)
		copy(lower[:], v)
	case userdata.ShapeSHA256Upper:
		for i := 0; i < 64; i++ {
			c := v[i]
			if c >= 'A' && c <= 'F' {
				c += 'a' - 'A'
			}
			lower[i] = c
		}
		h.Value = sumBytes(d, lower[:])
	case userdata.ShapeSHA256Base64:
		var raw [64]byte
		dg := userdata.Digest(v, shape, &raw)
		if dg == nil {
			h.Value = d.Sum(v)
			return h
		}
		hex.Encode(lower[:], dg)
		h.Value = sumBytes(d, lower[:])
	default:
		h.Value = d.Sum(strings.ToLower(v))
		return h
	}
	memo := p.doubles
	if memo == nil || memo.of != d || !memoField(field) {
		memo = nil
	} else if dbl, ok := memo.load(h.Value); ok {
		h.Double = dbl
		return h
	}
	sum := sha256.Sum256(lower[:])
	var dbl [64]byte
	hex.Encode(dbl[:], sum[:])
	h.Double = sumBytes(d, dbl[:])
	if memo != nil {
		memo.store(h.Value, h.Double)
	}
	return h
}

// hexSHA256Digest is Digester.Sum(hex(sha256(v))).
func hexSHA256Digest(d *Digester, v string) uint64 {
	sum := sha256.Sum256([]byte(v))
	var hx [64]byte
	hex.Encode(hx[:], sum[:])
	return sumBytes(d, hx[:])
}

func plainDigest(d *Digester, dest schemas.Destination, field userdata.Field, raw string) PlainDigest {
	p := PlainDigest{Key: uint8(field)}
	norm, ok := userdata.Normalize(dest, field, raw)
	if ok {
		p.Norm = hexSHA256Digest(d, norm)
		sum := sha256.Sum256([]byte(norm))
		p.Double = hexSHA256Digest(d, hex.EncodeToString(sum[:]))
	}
	other := schemas.DestinationGA4
	if dest == schemas.DestinationGA4 {
		other = schemas.DestinationMeta
	}
	wrong := [3]string{"", strings.ToLower(strings.TrimSpace(raw)), raw}
	if on, ok := userdata.Normalize(other, field, raw); ok {
		wrong[0] = on
	}
	for i, w := range wrong {
		if w != "" && w != norm {
			p.Wrong[i] = hexSHA256Digest(d, w)
		}
	}
	return p
}

// fbcClickID returns fbc's fourth dot-separated segment (fb.{n}.{ms}.{fbclid}),
// "" when there is none.
func fbcClickID(fbc string) string {
	fbc = strings.TrimSpace(fbc)
	n := 0
	for i := 0; i < len(fbc); i++ {
		if fbc[i] != '.' {
			continue
		}
		n++
		if n == 3 {
			rest := fbc[i+1:]
			if j := strings.IndexByte(rest, '.'); j >= 0 {
				rest = rest[:j]
			}
			return rest
		}
	}
	return ""
}

// payloadDigest digests value, currency and transaction/order id as sent:
// value as a number (84.50 = 84.5: the float64's bits, tagged 'n'; text that
// is no number verbatim, tagged 's'), currency upper-cased, the id verbatim.
// It is 0 when the event carries none of them.
func payloadDigest(ev *schemas.Event, d *Digester) uint64 {
	value, _ := topParam(ev.Params, "value")
	currency, _ := topParam(ev.Params, "currency")
	id := ev.TransactionID
	if !ev.HasTransactionID || id == "" {
		id, _ = topParam(ev.Params, "order_id")
	}
	if value == "" && currency == "" && id == "" {
		return 0
	}
	var buf [256]byte
	b := append(buf[:0], "v="...)
	if f, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
		b = binary.LittleEndian.AppendUint64(append(b, 'n'), math.Float64bits(f))
	} else {
		b = append(append(b, 's'), value...)
	}
	b = append(b, "|c="...)
	for i := 0; i < len(currency); i++ {
		c := currency[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != ' ' {
			b = append(b, c)
		}
	}
	b = append(b, "|t="...)
	b = append(b, id...) // a very long id moves b to the heap
	return sumBytes(d, b)
}

// topParam returns the shallowest param named key (fewest '.' and '['), so
// items[0].price never stands in for the event's own value.
func topParam(params []schemas.Field, key string) (string, bool) {
	best, bestDepth := -1, 0
	for i := range params {
		if params[i].Key != key {
			continue
		}
		depth := strings.Count(params[i].Path, ".") + strings.Count(params[i].Path, "[")
		if best < 0 || depth < bestDepth {
			best, bestDepth = i, depth
		}
	}
	if best < 0 {
		return "", false
	}
	return params[best].Value, true
}

func consentFlags(c *schemas.Consent, tcfRequired TCFPurposes) ConsentFlags {
	if c.GCS == "" && c.GCD == "" && c.NPA == "" && c.AdUserData == "" && c.AdPersonalization == "" &&
		c.TCString == "" && c.DataProcessing == "" && c.GDPR == "" {
		return 0 // no signal, so no denial either
	}
	f := ConsentSignalPresent
	if strings.EqualFold(strings.TrimSpace(c.AdUserData), "denied") {
		f |= ConsentAdUserDataDenied
	}
	if strings.EqualFold(strings.TrimSpace(c.AdPersonalization), "denied") || strings.TrimSpace(c.NPA) == "1" {
		f |= ConsentAdPersonalizationDenied
	}
	if gcs := strings.TrimSpace(c.GCS); len(gcs) > GCSAdStorageIndex && gcs[0] == 'G' && gcs[GCSAdStorageIndex] == '0' {
		f |= ConsentAdStorageDenied
	}
	if gcd := strings.TrimSpace(c.GCD); len(gcd) > GCDAdStorageIndex {
		if gcdDenied(gcd[GCDAdStorageIndex]) {
			f |= ConsentAdStorageDenied
		}
		if len(gcd) > GCDAdUserDataIndex && gcdDenied(gcd[GCDAdUserDataIndex]) {
			f |= ConsentAdUserDataDenied
		}
		if len(gcd) > GCDAdPersonalizationIndex && gcdDenied(gcd[GCDAdPersonalizationIndex]) {
			f |= ConsentAdPersonalizationDenied
		}
	}
	if strings.TrimSpace(c.GDPR) != "0" && tcfDenied(c.TCString, tcfRequired) {
		f |= ConsentTCFDenied
	}
	if containsFold(c.DataProcessing, "LDU") {
		f |= ConsentLDU
	}
	return f
}

func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// parseTraceParent reads a W3C traceparent (version-traceid-spanid-flags);
// invalid or all-zero ids give zero arrays.
func parseTraceParent(tp string) (tid [16]byte, sid [8]byte) {
	if len(tp) < 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-' {
		return
	}
	if tp[0] == 'f' && tp[1] == 'f' {
		return
	}
	var t [16]byte
	var s [8]byte
	if !decodeHexLower(t[:], tp[3:35]) || !decodeHexLower(s[:], tp[36:52]) {
		return
	}
	if t == ([16]byte{}) || s == ([8]byte{}) {
		return
	}
	return t, s
}

func decodeHexLower(dst []byte, s string) bool {
	for i := 0; i < len(dst); i++ {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func fromHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
