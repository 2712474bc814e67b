package pii

import (
	"strings"
)

// text runs the key rules and the value detectors over decoded text t.
func (s *scanner) text(l loc, kc keyClass, t string, depth int, inURL bool) {
	if t == "" {
		return
	}
	s.keyRules(l, kc, t, inURL)
	pathMode := kc == kcURLPath
	numbers := kc&(kID|kTime|kUA) == 0 || kc&(kPhone|kFreeText) != 0

	// One pass gathers what the detectors need: digit count, IBAN-like
	// starts, the longest mixed-case base64 run, and the classes present.
	// The rarer cues ('@', eyJ, "Bearer ", '.' and ':' counts) are then
	// searched only when their bytes occur and their detector runs.
	//
	// The inner loop runs over one base64 run; a run counts for b64max when
	// it holds both cases. hist keeps the classes of the last four bytes:
	// upper, upper, digit, digit is an IBAN-like start.
	const ibanStart = uint32(cUpper)<<24 | uint32(cUpper)<<16 | uint32(cDigit)<<8 | uint32(cDigit)
	var hist uint32
	var ibanCand bool
	digits, b64max := 0, 0
	var classes uint8
	for i := 0; i < len(t); {
		c := t[i]
		f := byteClass[c]
		classes |= f
		digits += int(f & cDigit) // cDigit is bit 0
		hist = hist<<8 | uint32(f)
		i++
		if f&cB64 == 0 || (pathMode && c == '/') {
			continue
		}
		start, mix := i-1, f
		for ; i < len(t); i++ {
			c = t[i]
			f = byteClass[c]
			if f&cB64 == 0 || (pathMode && c == '/') {
				break
			}
			classes |= f
			digits += int(f & cDigit)
			mix |= f
			hist = hist<<8 | uint32(f)
			if hist&ibanStart == ibanStart {
				ibanCand = true
			}
		}
		if mix&(cUpper|cLower) == cUpper|cLower && i-start > b64max {
			b64max = i - start
		}
	}
	rare := classes&cRare != 0
	if rare && s.mask&mEmail != 0 && strings.IndexByte(t, '@') >= 0 {
		s.emails(l, t, inURL)
	}
	var masked spans
	if ibanCand && s.mask&(mIBAN|mCard|mPhone) != 0 {
		s.ibans(l, t, inURL, &masked)
	}
	if rare && s.mask&mSecret != 0 && hasJWTStart(t) {
		s.jwts(l, t, depth, inURL, &masked)
	}
	if rare && s.mask&mSecret != 0 && len(t) > 7 && strings.Contains(t[:len(t)-1], "Bearer ") { // a token follows
		s.bearers(l, t, inURL)
	}
	if s.mask&mIP != 0 && kc&kUA == 0 {
		if digits >= 4 && classes&cDot != 0 && strings.Count(t, ".") >= 3 {
			s.ipv4s(l, t, inURL)
		}
		if rare && strings.Count(t, ":") >= 2 {
			s.ipv6s(l, t, inURL)
		}
	}
	if numbers && digits >= 7 && s.mask&(mCard|mPhone|mNationalID) != 0 {
		s.digitRuns(l, kc, t, inURL, &masked)
	}
	if b64max >= 16 && depth < s.d.cfg.MaxDepth {
		s.base64Tokens(l, t, depth, inURL, &masked)
	}
}

// hasJWTStart reports "eyJ" (base64 of `{"`) in t. It looks for the rare
// 'J' first: strings.Contains would stop at every 'e'.
func hasJWTStart(t string) bool {
	for i := 2; i < len(t); {
		j := strings.IndexByte(t[i:], 'J')
		if j < 0 {
			return false
		}
		i += j
		if t[i-2] == 'e' && t[i-1] == 'y' {
			return true
		}
		i++
	}
	return false
}

// keyRules: names, addresses, SSNs and phones judged by the leaf's key.
func (s *scanner) keyRules(l loc, kc keyClass, t string, inURL bool) {
	if kc == 0 || kc == kcURLPath {
		return
	}
	switch {
	case kc&kName != 0 && nameShape(t, false),
		kc&kNameBare != 0 && nameShape(t, true),
		kc&kUsername != 0 && (nameShape(t, false) || handleShape(t)):
		s.report(l, EntityName, mName, "name.key", 0.6, strings.ToLower(t), inURL)
	case kc&kStreet != 0 && streetShape(t),
		kc&kCity != 0 && nameShape(t, false),
		kc&kZip != 0 && zipShape(t),
		kc&kDOB != 0 && dateShape(t):
		s.report(l, EntityAddress, mAddress, "address.key", 0.6, strings.ToLower(t), inURL)
	}
	if kc&kSSN != 0 && s.mask&mNationalID != 0 {
		dg := s.scratch[:0]
		for i := 0; i < len(t); i++ {
			if isDigit(t[i]) && len(dg) < 10 {
				dg = append(dg, t[i])
			} else if t[i] != '-' && t[i] != ' ' {
				dg = dg[:0]
				break
			}
		}
		if validSSN(dg) {
			s.report(l, EntityNationalID, mNationalID, "national_id.ssn+key", 0.85, string(dg), inURL)
		}
	}
	if kc&kPhone != 0 && s.mask&mPhone != 0 {
		v := strings.TrimPrefix(t, "tel:")
		intl := strings.HasPrefix(v, "+")
		dg := s.scratch[:0]
		for i := 0; i < len(v); i++ {
			c := v[i]
			switch {
			case isDigit(c):
				if len(dg) < 16 {
					dg = append(dg, c)
				}
			case c == ' ' || c == '-' || c == '(' || c == ')' || c == '.' || c == '/' || (c == '+' && i == 0):
			default:
				return
			}
		}
		if !intl && len(dg) > 2 && dg[0] == '0' && dg[1] == '0' {
			dg, intl = dg[2:], true
		}
		s.budget--
		if e164, ok := s.d.phoneValid(dg, intl, !intl); ok {
			s.report(l, EntityPhone, mPhone, "phone.libphonenumber+key", 0.9, e164, inURL)
		}
	}
}

func (s *scanner) emails(l loc, t string, inURL bool) {
	for i := 0; i < len(t) && s.budget > 0; i++ {
		if t[i] != '@' {
			continue
		}
		s.budget--
		if st, end, ok := s.d.emailAt(t, i); ok {
			s.report(l, EntityEmail, mEmail, "email.regex+psl", 0.95, strings.ToLower(t[st:end]), inURL)
			i = end - 1
		}
	}
}

// spans records byte ranges already claimed by a detector (an IBAN's digit
// groups are not cards or phones). A fixed array keeps it off the heap.
type spans struct {
	n  int
	ab [8][2]int
}

func (m *spans) add(a, b int) {
	if m.n < len(m.ab) {
		m.ab[m.n] = [2]int{a, b}
		m.n++
	}
}

func (m *spans) overlaps(a, b int) bool {
	for i := 0; i < m.n; i++ {
		if a < m.ab[i][1] && b > m.ab[i][0] {
			return true
		}
	}
	return false
}

func (s *scanner) ibans(l loc, t string, inURL bool, masked *spans) {
	for i := 0; i+15 <= len(t) && s.budget > 0; i++ {
		if !isUpper(t[i]) || (i > 0 && isAlnum(t[i-1])) {
			continue
		}
		if end, b, ok := ibanAt(t, i, s.scratch[:0]); ok {
			s.budget--
			s.report(l, EntityIBAN, mIBAN, "iban.mod97", 0.97, string(b), inURL)
			masked.add(i, end)
			i = end - 1
		}
	}
}

// ipPrevOK: an IP may not follow a letter, digit, '.', '/', '_', '-' or 'v'
// (Chrome/124.0.0.0, v2.1.1.108, build-1.2.3.4).
func ipPrevOK(t string, i int) bool {
	if i == 0 {
		return true
	}
	p := t[i-1]
	return !isAlnum(p) && p != '.' && p != '/' && p != '_' && p != '-' && p != '\\' && p != '%'
}

func (s *scanner) ipv4s(l loc, t string, inURL bool) {
	for i := 0; i < len(t) && s.budget > 0; i++ {
		if !isDigit(t[i]) || !ipPrevOK(t, i) {
			continue
		}
		end, a, ok := ipv4At(t, i)
		if ok && !versionBefore(t, i) {
			s.budget--
			s.report(l, EntityIP, mIP, "ip.netip", 0.9, a.String(), inURL)
		}
		if end > i {
			i = end - 1
		}
	}
}

// versionBefore: "version 4.12.0.3", "build 1.2.3.4", "ver. 2.1.1.108".
func versionBefore(t string, i int) bool {
	j := i
	for j > 0 && (t[j-1] == ' ' || t[j-1] == ':' || t[j-1] == '=' || t[j-1] == '.' || t[j-1] == '#') {
		j--
	}
	k := j
	for k > 0 && isAlpha(t[k-1]) && j-k < 12 {
		k--
	}
	w := strings.ToLower(t[k:j])
	switch w {
	case "v", "ver", "version", "build", "release", "rev", "revision", "firmware", "fw", "sdk", "app", "os":
		return true
	}
	return false
}

func (s *scanner) ipv6s(l loc, t string, inURL bool) {
	for i := 0; i < len(t) && s.budget > 0; i++ {
		c := t[i]
		if !(isHex(c) || (c == ':' && i+1 < len(t) && t[i+1] == ':')) || !ipPrevOK(t, i) || (i > 0 && t[i-1] == ':') {
			continue
		}
		end, a, ok := ipv6At(t, i)
		if ok {
			s.budget--
			s.report(l, EntityIP, mIP, "ip.netip", 0.9, a.String(), inURL)
		}
		if end > i {
			i = end - 1
		}
	}
}

// runStartOK: a digit run may not continue a word, a float, an id or a price.
func runStartOK(t string, i int) bool {
	if i == 0 {
		return true
	}
	p := t[i-1]
	if isAlnum(p) || p == '_' || p == '.' || p == ',' || p == '%' || p == '$' || p == '*' || p == '#' || p == '&' || p == '\\' {
		return false
	}
	if p == '-' && i >= 2 && isAlnum(t[i-2]) {
		return false
	}
	return !(p == '+' || p == '(') || i == 1 || runStartOK(t, i-1)
}

// digitRuns finds digit runs (with single spaces, hyphens and parentheses as
// separators) and tests them as SSN, card and phone.
func (s *scanner) digitRuns(l loc, kc keyClass, t string, inURL bool, masked *spans) {
	for i := 0; i < len(t) && s.budget > 0; i++ {
		c := t[i]
		start := i
		if c == '+' || c == '(' {
			if i+1 >= len(t) || !isDigit(t[i+1]) {
				continue
			}
		} else if !isDigit(c) {
			continue
		}
		if !runStartOK(t, i) {
			for i < len(t) && (isAlnum(t[i]) || t[i] == '.' || t[i] == '-' || t[i] == '_') {
				i++
			}
			continue
		}
		dg := s.scratch[:0]
		j := i
		if t[j] == '+' || t[j] == '(' {
			j++
		}
		paren, seps, dashes, spaces, long := t[start] == '(', 0, 0, 0, false
		for j < len(t) {
			c := t[j]
			if isDigit(c) {
				if len(dg) < 20 {
					dg = append(dg, c)
				} else {
					long = true
				}
				j++
				continue
			}
			if c == ' ' || c == '-' || c == '(' || c == ')' {
				k := j + 1
				if k < len(t) && (t[k] == ' ' || t[k] == '(') && c != t[k] {
					k++
				}
				if k < len(t) && isDigit(t[k]) {
					seps++
					switch c {
					case '-':
						dashes++
					case ' ':
						spaces++
					default:
						paren = true
					}
					j = k
					continue
				}
				if c == ')' && paren {
					j++
				}
			}
			break
		}
		i = j - 1
		if long || len(dg) < 7 {
			continue
		}
		if j < len(t) {
			q := t[j]
			if isAlpha(q) || q == '_' || q == '@' || q == '%' ||
				((q == '.' || q == ',' || q == '-') && j+1 < len(t) && isAlnum(t[j+1])) {
				continue
			}
		}
		run := t[start:j]
		if masked.overlaps(start, j) {
			continue
		}
		s.budget--
		// SSN: ddd-dd-dddd
		if len(run) == 11 && run[3] == '-' && run[6] == '-' && dashes == 2 {
			if validSSN(dg) {
				s.report(l, EntityNationalID, mNationalID, "national_id.ssn", 0.8, string(dg), inURL)
			}
			continue // SSN-shaped: never a card or phone
		}
		plus := t[start] == '+'
		if !plus && !paren && s.d.isCard(dg) && (seps == 0 || seps == 3 || (len(dg) == 15 && seps == 2)) {
			s.report(l, EntityCard, mCard, "card.luhn+iin", 0.95, string(dg), inURL)
			continue
		}
		if s.mask&mPhone == 0 {
			continue
		}
		switch {
		case plus:
			if e164, ok := s.d.phoneValid(dg, true, false); ok {
				s.report(l, EntityPhone, mPhone, "phone.libphonenumber+intl", 0.85, e164, inURL)
			}
		case kc&(kPhone|kFreeText) != 0 && seps > 0 && len(dg) >= 9 && !dateRun(run):
			intl := len(dg) > 10 && dg[0] == '0' && dg[1] == '0'
			d := dg
			if intl {
				d = dg[2:]
			}
			if e164, ok := s.d.phoneValid(d, intl, !intl); ok {
				s.report(l, EntityPhone, mPhone, "phone.libphonenumber+key", 0.8, e164, inURL)
			}
		}
	}
}

// dateRun: 2024-05-01 12 style runs are dates, not phones.
func dateRun(run string) bool {
	return len(run) >= 10 && isDigit(run[0]) && isDigit(run[3]) && run[4] == '-' && run[7] == '-'
}

func (s *scanner) jwts(l loc, t string, depth int, inURL bool, masked *spans) {
	for i := strings.Index(t, "eyJ"); i >= 0 && s.budget > 0; {
		j := i
		for j < len(t) && (isAlnum(t[j]) || t[j] == '-' || t[j] == '_' || t[j] == '.') {
			j++
		}
		if i == 0 || !isB64Char(t[i-1]) {
			tok := t[i:j]
			parts := strings.SplitN(tok, ".", 4)
			if len(parts) == 3 && len(parts[0]) >= 10 && len(parts[1]) >= 4 {
				s.budget--
				var hb [256]byte
				if h, ok := b64Decode(parts[0], hb[:0]); ok && strings.Contains(string(h), `"alg"`) {
					s.report(l, EntitySecret, mSecret, "secret.jwt", 0.95, tok, inURL)
					masked.add(i, j)
					if p, ok := b64Decode(parts[1], nil); ok && printableText(p) && depth < s.d.cfg.MaxDepth {
						s.value(l.child("→", "jwt"), 0, string(p), depth+1, false, inURL)
					}
				}
			}
		}
		k := strings.Index(t[j:], "eyJ")
		if k < 0 {
			return
		}
		i = j + k
	}
}

func (s *scanner) bearers(l loc, t string, inURL bool) {
	for i := strings.Index(t, "Bearer "); i >= 0; {
		j := i + 7
		k := j
		for k < len(t) && (isB64Char(t[k]) || t[k] == '.' || t[k] == '=' || t[k] == '~') {
			k++
		}
		if k-j >= 16 {
			s.report(l, EntitySecret, mSecret, "secret.bearer", 0.9, t[j:k], inURL)
			return
		}
		n := strings.Index(t[k:], "Bearer ")
		if n < 0 {
			return
		}
		i = k + n
	}
}

// base64Tokens decodes plausible base64/base64url tokens and rescans the
// text they hold (Klaviyo's data param, ESP ids, magic links).
func (s *scanner) base64Tokens(l loc, t string, depth int, inURL bool, masked *spans) {
	for i := 0; i < len(t) && s.budget > 0; i++ {
		if !isB64Char(t[i]) {
			continue
		}
		j := i
		var mix uint8
		for j < len(t) && isB64Char(t[j]) {
			switch c := t[j]; {
			case isUpper(c):
				mix |= 1
			case isLower(c):
				mix |= 2
			}
			j++
		}
		for j < len(t) && t[j] == '=' && j-i < 1<<20 {
			j++
		}
		tok := t[i:j]
		if masked != nil && masked.overlaps(i, j) {
			i = j
			continue
		}
		i = j
		if len(tok) < 16 || mix != 3 || isIdentifier(tok) || strings.HasPrefix(tok, "eyJ") && strings.Count(tok, ".") == 2 {
			continue
		}
		s.budget--
		var buf [512]byte
		b, ok := b64Decode(tok, buf[:0])
		if !ok || !printableText(b) {
			continue
		}
		dv := string(b)
		if strings.IndexByte(dv, '@') < 0 && !strings.ContainsAny(dv, "0123456789:{=") {
			continue
		}
		if dv[0] == '{' || dv[0] == '[' {
			s.value(l, 0, dv, depth+1, false, inURL)
			continue
		}
		s.value(l.child("→", "base64"), 0, dv, depth+1, false, inURL)
	}
}
