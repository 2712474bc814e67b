package pii

import (
	"encoding/base64"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"github.com/sstaudit/sstaudit/processors/hashing/userdata"
	"golang.org/x/net/publicsuffix"
)

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isAlpha(c byte) bool { return isLower(c) || isUpper(c) }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }
func isHex(c byte) bool   { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') }

// ---- identifiers (REFERENCE §7.1, §7.3) ----

// isHexID: a hex token of 16+ chars (hashes, trace ids, msclkid) with at
// least one letter or 32+ chars.
func isHexID(s string) bool {
	if len(s) < 16 {
		return false
	}
	hexOnly, letters, _ := userdata.ScanHex(s)
	return hexOnly && (letters || len(s) >= 32)
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
		} else if !isHex(c) {
			return false
		}
	}
	return true
}

// isFBCookie matches fbp/fbc: fb.<n>.<ms>.<rest>.
func isFBCookie(s string) bool {
	if len(s) < 10 || s[:3] != "fb." || !isDigit(s[3]) || s[4] != '.' {
		return false
	}
	n := 0
	for i := 5; i < len(s) && isDigit(s[i]); i++ {
		n++
	}
	return n >= 10 && 5+n < len(s) && s[5+n] == '.'
}

// isGAClientID matches 1388405713.1771574400 and GA1.1.x.y cookies.
func isGAClientID(s string) bool {
	if len(s) >= 4 && s[0] == 'G' && (s[:4] == "GA1." || s[:4] == "GS1." || s[:4] == "GS2.") {
		return true
	}
	// The dot at 5–12 and ten digits after it: 16 to 23 bytes, so longer
	// values are not searched for their first dot.
	if len(s) < 16 || len(s) > 23 {
		return false
	}
	dot := strings.IndexByte(s, '.')
	if dot < 5 || dot > 12 || len(s)-dot-1 != 10 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if i != dot && !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// isIdentifier reports whether the whole value is a known non-PII token shape.
func isIdentifier(s string) bool {
	return isHexID(s) || isUUID(s) || isFBCookie(s) || isGAClientID(s)
}

// ---- email ----

func isLocalChar(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '\''
}

func isDomainChar(c byte) bool { return isAlnum(c) || c == '.' || c == '-' }

// emailAt validates the address around the '@' at t[at]. It returns the
// span of the address.
func (d *Detector) emailAt(t string, at int) (start, end int, ok bool) {
	start = at
	for start > 0 && isLocalChar(t[start-1]) && at-start < 64 {
		start--
	}
	for start < at && (t[start] == '.' || t[start] == '\'' || t[start] == '%' || t[start] == '+') {
		start++
	}
	if start == at || t[at-1] == '.' {
		return 0, 0, false
	}
	end = at + 1
	for end < len(t) && isDomainChar(t[end]) && end-at < 255 {
		end++
	}
	for end > at+1 && (t[end-1] == '.' || t[end-1] == '-') {
		end--
	}
	dom := t[at+1 : end]
	dot := strings.LastIndexByte(dom, '.')
	if dot <= 0 {
		return 0, 0, false
	}
	// labels
	prev := -1
	for i := 0; i <= len(dom); i++ {
		if i == len(dom) || dom[i] == '.' {
			l := dom[prev+1 : i]
			if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
				return 0, 0, false
			}
			prev = i
		}
	}
	tld := dom[dot+1:]
	if len(tld) < 2 {
		return 0, 0, false
	}
	if !strings.HasPrefix(tld, "xn--") {
		for i := 0; i < len(tld); i++ {
			if !isAlpha(tld[i]) {
				return 0, 0, false
			}
		}
	}
	if !d.icannTLD(tld) || d.allowedDomain(dom) {
		return 0, 0, false
	}
	return start, end, true
}

// icannTLD tests the last label alone (REFERENCE §7.2): PublicSuffix("x."+tld)
// with the icann flag, false for png, local, invalid.
func (d *Detector) icannTLD(tld string) bool {
	var buf [72]byte
	if len(tld) > 64 {
		return false
	}
	b := append(buf[:0], "x."...)
	for i := 0; i < len(tld); i++ {
		c := tld[i]
		if isUpper(c) {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	ps, icann := publicsuffix.PublicSuffix(string(b))
	return icann && len(ps) == len(b)-2
}

func (d *Detector) allowedDomain(dom string) bool {
	for _, a := range d.allow {
		if len(dom) >= len(a) && strings.EqualFold(dom[len(dom)-len(a):], a) &&
			(len(dom) == len(a) || dom[len(dom)-len(a)-1] == '.') {
			return true
		}
	}
	return false
}

// ---- card ----

func luhn(d []byte) bool {
	sum, alt := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if alt {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		alt = !alt
	}
	return sum%10 == 0
}

type iinRow struct {
	lo, hi  string
	lengths []int
}

// isCard: 13–19 digits, not 1\d{12} (ms timestamps), not one repeated digit,
// Luhn, then an IIN range whose lengths include len(d).
func (d *Detector) isCard(dg []byte) bool {
	n := len(dg)
	if n < 13 || n > 19 || dg[0] == '1' || dg[0] == '0' {
		return false
	}
	same := true
	for i := 1; i < n; i++ {
		if dg[i] != dg[0] {
			same = false
			break
		}
	}
	if same || !luhn(dg) {
		return false
	}
	for _, r := range d.iin {
		p := string(dg[:len(r.lo)])
		if p < r.lo || p > r.hi {
			continue
		}
		for _, l := range r.lengths {
			if l == n {
				return true
			}
		}
	}
	return false
}

// ---- IBAN ----

var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "CH": 21, "CR": 22,
	"CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22,
	"GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30,
	"KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31,
	"MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24,
	"SI": 19, "SK": 24, "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
}

// ibanAt tries an IBAN starting at t[i] (two upper-case letters, two digits),
// compact or in space-separated groups of four. It returns the end of the
// match and the compact form in buf.
// maxIBANLen is the longest IBAN of ibanLengths.
var maxIBANLen = func() int {
	n := 0
	for _, l := range ibanLengths {
		n = max(n, l)
	}
	return n
}()

func ibanAt(t string, i int, buf []byte) (end int, compact []byte, ok bool) {
	if i+4 > len(t) || !isUpper(t[i]) || !isUpper(t[i+1]) || !isDigit(t[i+2]) || !isDigit(t[i+3]) {
		return 0, nil, false
	}
	want, known := ibanLengths[t[i:i+2]]
	if !known {
		return 0, nil, false
	}
	b := buf[:0]
	j := i
	for j < len(t) && len(b) < want {
		c := t[j]
		switch {
		case isUpper(c) || isDigit(c):
			b = append(b, c)
			j++
		case c == ' ' && len(b)%4 == 0 && len(b) > 0 && j+1 < len(t) && isAlnum(t[j+1]):
			j++
		default:
			return 0, nil, false
		}
	}
	if len(b) != want || (j < len(t) && isAlnum(t[j])) {
		return 0, nil, false
	}
	// mod 97 over BBAN + country + check
	rem := 0
	for k := 0; k < len(b); k++ {
		c := b[(k+4)%len(b)]
		if isDigit(c) {
			rem = (rem*10 + int(c-'0')) % 97
		} else {
			v := int(c-'A') + 10
			rem = (rem*100 + v) % 97
		}
	}
	return j, b, rem == 1
}

// ---- IP ----

// ipv4At tries an IPv4 address starting at t[i]. prev must already be checked.
func ipv4At(t string, i int) (end int, addr netip.Addr, ok bool) {
	j, dots, run := i, 0, 0
	for j < len(t) && (isDigit(t[j]) || t[j] == '.') {
		if t[j] == '.' {
			if run == 0 || run > 3 {
				return j, addr, false
			}
			dots++
			run = 0
		} else {
			run++
		}
		j++
	}
	if dots != 3 || run == 0 || run > 3 {
		return j, addr, false
	}
	if j < len(t) && (isAlpha(t[j]) || t[j] == '_' || (t[j] == '-' && j+1 < len(t) && isAlnum(t[j+1]))) {
		return j, addr, false
	}
	a, err := netip.ParseAddr(t[i:j])
	if err != nil || a.IsUnspecified() || a.IsLoopback() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return j, addr, false
	}
	return j, a, true
}

// ipv6At tries an IPv6 address starting at t[i].
func ipv6At(t string, i int) (end int, addr netip.Addr, ok bool) {
	j, colons, dbl := i, 0, false
	for j < len(t) && (isHex(t[j]) || t[j] == ':' || t[j] == '.') {
		if t[j] == ':' {
			colons++
			if j > i && t[j-1] == ':' {
				dbl = true
			}
		}
		j++
	}
	for j > i && (t[j-1] == '.' || (t[j-1] == ':' && !(j-2 >= i && t[j-2] == ':'))) {
		j--
	}
	if colons < 2 || (!dbl && colons < 7) || j-i < 3 {
		return j, addr, false
	}
	if j < len(t) && (isAlpha(t[j]) || t[j] == '_') {
		return j, addr, false
	}
	s := t[i:j]
	if j < len(t) && t[j] == '%' { // zone
		k := j + 1
		for k < len(t) && isAlnum(t[k]) {
			k++
		}
		if k > j+1 {
			s = t[i:k]
			j = k
		}
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() || a.IsUnspecified() || a.IsLoopback() {
		return j, addr, false
	}
	return j, a, true
}

// ---- SSN ----

// validSSN applies the area/group/serial rules to 9 digits.
func validSSN(d []byte) bool {
	if len(d) != 9 {
		return false
	}
	area := int(d[0]-'0')*100 + int(d[1]-'0')*10 + int(d[2]-'0')
	group := int(d[3]-'0')*10 + int(d[4]-'0')
	serial := int(d[5]-'0')*1000 + int(d[6]-'0')*100 + int(d[7]-'0')*10 + int(d[8]-'0')
	if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
		return false
	}
	return string(d) != "078051120" && string(d) != "219099999" && string(d) != "123456789"
}

// ---- phone ----

// phoneValid parses digits as a phone number: with '+' (intl) through region
// ZZ; otherwise, with key context, as Meta's ph (country code, no '+'), then
// in each configured region. It returns the E.164 form.
func (d *Detector) phoneValid(dg []byte, intl, national bool) (string, bool) {
	if len(dg) < 7 || len(dg) > 15 {
		return "", false
	}
	var buf [20]byte
	plus := append(append(buf[:0], '+'), dg...)
	if intl || national {
		if n, err := phonenumbers.Parse(string(plus), "ZZ"); err == nil && phonenumbers.IsValidNumber(n) {
			return phonenumbers.Format(n, phonenumbers.E164), true
		}
	}
	if !national || intl {
		return "", false
	}
	for _, r := range d.cfg.PhoneRegions {
		if n, err := phonenumbers.Parse(string(dg), r); err == nil && phonenumbers.IsValidNumber(n) {
			return phonenumbers.Format(n, phonenumbers.E164), true
		}
	}
	return "", false
}

// ---- JWT, base64 ----

func isB64Char(c byte) bool {
	return isAlnum(c) || c == '+' || c == '/' || c == '-' || c == '_'
}

// b64Decode decodes std or url base64, padded or raw, into dst (grown as
// needed). ok is false when s is not base64.
func b64Decode(s string, dst []byte) ([]byte, bool) {
	s = strings.TrimRight(s, "=")
	if len(s)%4 == 1 {
		return nil, false
	}
	enc := base64.RawStdEncoding
	if strings.ContainsAny(s, "-_") {
		if strings.ContainsAny(s, "+/") {
			return nil, false
		}
		enc = base64.RawURLEncoding
	}
	n := enc.DecodedLen(len(s))
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	m, err := enc.Decode(dst[:n], []byte(s))
	if err != nil {
		return nil, false
	}
	return dst[:m], true
}

// printableText reports whether b is UTF-8 text: at least 6 bytes, at least
// 90 % printable runes and at least one letter.
func printableText(b []byte) bool {
	if len(b) < 6 || !utf8.Valid(b) {
		return false
	}
	total, good, letters := 0, 0, 0
	for _, r := range string(b) {
		total++
		if unicode.IsPrint(r) || r == '\n' || r == '\t' {
			good++
		}
		if unicode.IsLetter(r) {
			letters++
		}
	}
	return letters > 0 && good*10 >= total*9
}

// ---- names and addresses (by key only) ----

var notAName = map[string]bool{
	"null": true, "undefined": true, "none": true, "true": true, "false": true, "guest": true, "anonymous": true,
	"unknown": true, "n/a": true, "na": true, "test": true, "user": true, "customer": true, "admin": true, "nan": true,
	"purchase": true, "pageview": true, "page_view": true, "lead": true, "default": true,
}

// nameShape: letters, spaces, apostrophes, hyphens and dots; 2–64 bytes; at
// most five words; two words each starting upper-case when twoWords.
func nameShape(v string, twoWords bool) bool {
	if len(v) < 2 || len(v) > 64 || notAName[strings.ToLower(v)] {
		return false
	}
	words, letters, upperStarts := 0, 0, 0
	inWord := false
	for _, r := range v {
		switch {
		case unicode.IsLetter(r):
			letters++
			if !inWord {
				words++
				if unicode.IsUpper(r) {
					upperStarts++
				}
			}
			inWord = true
		case r == ' ':
			inWord = false
		case r == '\'' || r == '-' || r == '.' || r == '’':
		default:
			return false
		}
	}
	if letters < 2 || words > 5 {
		return false
	}
	if twoWords {
		return words >= 2 && words <= 4 && upperStarts == words
	}
	return true
}

// handleShape: a username such as ana_lima92 (not an id, number or hash).
func handleShape(v string) bool {
	if len(v) < 3 || len(v) > 40 || notAName[strings.ToLower(v)] || isIdentifier(v) {
		return false
	}
	letters, digits := 0, 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case isAlpha(c):
			letters++
		case isDigit(c):
			digits++
		case c == '.' || c == '_' || c == '-':
		default:
			return false
		}
	}
	return letters >= 2 && digits <= letters
}

// streetShape: words with letters, usually a house number.
func streetShape(v string) bool {
	if len(v) < 5 || len(v) > 160 || notAName[strings.ToLower(v)] || isIdentifier(v) {
		return false
	}
	letters, digits, spaces := 0, 0, 0
	for _, r := range v {
		switch {
		case unicode.IsLetter(r):
			letters++
		case unicode.IsDigit(r):
			digits++
		case r == ' ':
			spaces++
		case strings.ContainsRune(".,-'/#’", r):
		default:
			return false
		}
	}
	return letters >= 3 && spaces >= 1
}

// zipShape: 3–10 characters, digits with optional letters, one space or hyphen.
func zipShape(v string) bool {
	if len(v) < 3 || len(v) > 10 {
		return false
	}
	digits, seps := 0, 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case isDigit(c):
			digits++
		case isAlpha(c):
		case c == ' ' || c == '-':
			seps++
		default:
			return false
		}
	}
	return digits >= 2 && seps <= 1
}

// dateShape: 1990-05-17, 17.05.1990, 05/17/1990, 19900517.
func dateShape(v string) bool {
	if len(v) < 8 || len(v) > 10 {
		return false
	}
	digits := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case isDigit(c):
			digits++
		case c == '-' || c == '.' || c == '/':
		default:
			return false
		}
	}
	return digits >= 6
}
