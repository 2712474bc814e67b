package userdata

import (
	"strings"
	"unicode"

	"github.com/sstaudit/sstaudit/schemas"
)

// Normalize returns raw in the form dest hashes for field f (REFERENCE §2.6,
// §3.5, §4), and false when f has no normalised form for dest or raw cannot
// be normalised (an empty result, an unknown gender, an ambiguous date).
// Normalize allocates; it is for cross-checks against a visible plaintext and
// for building dictionaries, never for the clean path.
//
// What differs between the destinations:
//   - email: Meta trims and lower-cases (dots and +tags kept); Google also
//     removes spaces and, for gmail.com / googlemail.com only, every dot of the
//     local part (the +suffix is kept: only the Data Manager API drops it);
//   - phone: Meta wants digits with the country code and no '+'; Google wants
//     E.164 with '+'. A national number without a calling code cannot be
//     completed here (see NormalizePhone);
//   - names: Meta lower-cases and drops punctuation (UTF-8 letters kept);
//     Google lower-cases and drops digits and symbols;
//   - city: Meta keeps letters only ("newyork"); Google (unhashed) drops
//     digits and symbols, keeping spaces;
//   - country, state, zip: Meta hashes lower-case ISO-2, 2-letter state and
//     the first 5 digits of a US zip; Google sends them unhashed, trimmed and
//     lower-cased;
//   - db (YYYYMMDD) and ge (f|m) exist for Meta only.
func Normalize(dest schemas.Destination, f Field, raw string) (string, bool) {
	google := dest == schemas.DestinationGA4
	var out string
	switch f {
	case FieldEmail:
		if google {
			out = googleEmail(raw)
		} else {
			out = strings.ToLower(strings.TrimSpace(raw))
		}
	case FieldPhone:
		out = NormalizePhone(raw, "", google)
	case FieldFirstName, FieldLastName:
		if google {
			out = keepRunes(raw, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsMark(r) || r == ' ' })
		} else {
			out = keepRunes(raw, func(r rune) bool { return !unicode.IsPunct(r) })
		}
	case FieldStreet:
		if !google {
			return "", false
		}
		out = keepRunes(raw, func(r rune) bool { return !unicode.IsPunct(r) && !unicode.IsSymbol(r) })
	case FieldCity:
		if google {
			out = keepRunes(raw, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsMark(r) || r == ' ' })
		} else {
			out = keepRunes(raw, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsMark(r) })
		}
	case FieldState:
		s := strings.ToLower(strings.TrimSpace(raw))
		if code, ok := usStateCode[s]; ok && !google {
			s = code
		}
		if google {
			out = s
		} else {
			out = keepRunes(s, func(r rune) bool { return unicode.IsLetter(r) })
		}
	case FieldZip:
		s := strings.ToLower(strings.TrimSpace(raw))
		if google {
			out = s
			break
		}
		s = strings.NewReplacer(" ", "", "-", "").Replace(s)
		if (len(s) == 9 || len(s) == 5) && allDigits(s) {
			s = s[:5]
		}
		out = s
	case FieldCountry:
		out = strings.ToLower(strings.TrimSpace(raw))
		if len(out) != 2 {
			return "", false
		}
	case FieldDOB:
		if google {
			return "", false
		}
		out = normalizeDOB(raw)
	case FieldGender:
		if google {
			return "", false
		}
		switch strings.ToLower(strings.TrimSpace(raw)) {
		case "f", "female", "w", "woman":
			out = "f"
		case "m", "male", "man":
			out = "m"
		}
	case FieldExternalID:
		out = strings.TrimSpace(raw)
	default:
		return "", false
	}
	return out, out != ""
}

// NormalizePhone returns the digits of a phone number with its calling code:
// Meta's form (google false: "49301234567") or E.164 (google true:
// "+49301234567"). A number written with '+' or a leading "00" is
// international; any other is national, and callingCode (e.g. "1", "49") is
// put in front of it after dropping one trunk '0'. With no callingCode a
// national number is returned as it stands — a caller that knows the
// customer's country should pass it, since "(650)555-1212" is Meta's
// "16505551212" only for a US number. Leading zeros are dropped, as Meta's
// SDK does.
func NormalizePhone(raw, callingCode string, google bool) string {
	s := strings.TrimSpace(raw)
	intl := strings.HasPrefix(s, "+")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	d := b.String()
	switch {
	case intl:
	case strings.HasPrefix(d, "00"):
		d = d[2:]
	case callingCode != "":
		d = callingCode + strings.TrimPrefix(d, "0")
	}
	d = strings.TrimLeft(d, "0")
	if d == "" {
		return ""
	}
	if google {
		return "+" + d
	}
	return d
}

// googleEmail: trim, lower-case, no spaces; gmail.com and googlemail.com lose
// every dot of the local part.
func googleEmail(raw string) string {
	s := strings.ToLower(strings.TrimSpace(raw))
	s = strings.ReplaceAll(s, " ", "")
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return s
	}
	local, domain := s[:at], s[at+1:]
	if domain == "gmail.com" || domain == "googlemail.com" {
		local = strings.ReplaceAll(local, ".", "")
	}
	return local + "@" + domain
}

// keepRunes lower-cases and trims raw and keeps the runes keep accepts,
// collapsing runs of spaces.
func keepRunes(raw string, keep func(rune) bool) string {
	s := strings.ToLower(strings.TrimSpace(raw))
	var b strings.Builder
	space := false
	for _, r := range s {
		if !keep(r) {
			continue
		}
		if r == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// normalizeDOB accepts YYYYMMDD, YYYY-MM-DD, YYYY/MM/DD and YYYY.MM.DD;
// day-month forms are ambiguous (DD/MM vs MM/DD) and give "".
func normalizeDOB(raw string) string {
	s := strings.TrimSpace(raw)
	switch {
	case len(s) == 8 && allDigits(s):
		return s
	case len(s) == 10 && (s[4] == '-' || s[4] == '/' || s[4] == '.') && s[7] == s[4]:
		d := s[:4] + s[5:7] + s[8:]
		if allDigits(d) {
			return d
		}
	}
	return ""
}
