package pii

import (
	"html"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// hasPctEscape reports whether s holds a valid %XX escape.
func hasPctEscape(s string) bool {
	for i := 0; i+2 < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		if _, ok := unhex(s[i+1]); ok {
			if _, ok := unhex(s[i+2]); ok {
				return true
			}
		}
	}
	return false
}

// pctDecode decodes valid %XX escapes (invalid ones are kept) and, when plus
// is set, '+' as a space (query values).
func pctDecode(s string, plus bool) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) {
			h, ok1 := unhex(s[i+1])
			l, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b.WriteByte(h<<4 | l)
				i += 2
				continue
			}
		}
		if c == '+' && plus {
			c = ' '
		}
		b.WriteByte(c)
	}
	return b.String()
}

func hasHTMLEntity(s string) bool {
	for i := strings.IndexByte(s, '&'); i >= 0; {
		rest := s[i+1:]
		if strings.HasPrefix(rest, "#") || strings.HasPrefix(rest, "amp;") || strings.HasPrefix(rest, "commat;") ||
			strings.HasPrefix(rest, "period;") || strings.HasPrefix(rest, "plus;") || strings.HasPrefix(rest, "quot;") {
			return true
		}
		j := strings.IndexByte(rest, '&')
		if j < 0 {
			return false
		}
		i += j + 1
	}
	return false
}

func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

// needsDecode reports whether the decode cascade could change s.
func needsDecode(s string, query bool) bool {
	if query && strings.IndexByte(s, '+') >= 0 {
		return true
	}
	// Skip eight bytes at a time while none is non-ASCII, '%' or '&'.
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if x := load64(s[i:]); x&lanes80 != 0 || hasLane(x, '%') || hasLane(x, '&') {
			break
		}
	}
	amp := false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 0x80:
			return true
		case c == '%':
			if i+2 < len(s) && byteClass[s[i+1]]&(cDigit|cHexLetter) != 0 && byteClass[s[i+2]]&(cDigit|cHexLetter) != 0 {
				return true
			}
		case c == '&':
			amp = true
		}
	}
	return amp && hasHTMLEntity(s)
}

// decodeCascade runs REFERENCE §7.4 steps 1–4 on s: percent-decoding up to
// passes times ('+' is a space in the first pass of a query value), HTML
// entities, zero-width removal and NFKC. It allocates only when it changes s.
func decodeCascade(s string, query bool, passes int) string {
	for p := 0; p < passes; p++ {
		plus := query && p == 0 && strings.IndexByte(s, '+') >= 0
		if !plus && !hasPctEscape(s) {
			break
		}
		s = pctDecode(s, plus)
	}
	if hasHTMLEntity(s) {
		s = html.UnescapeString(s)
		if hasPctEscape(s) {
			s = pctDecode(s, false)
		}
	}
	if hasNonASCII(s) {
		s = stripZeroWidth(s)
		if !utf8.ValidString(s) {
			s = strings.ToValidUTF8(s, " ")
		}
		s = norm.NFKC.String(s)
	}
	return s
}

// stripZeroWidth removes U+200B–U+200D and U+FEFF (and the soft hyphen and
// word joiner, which hide text the same way).
func stripZeroWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '\u200b', '\u200c', '\u200d', '\ufeff', '\u00ad', '\u2060':
			return -1
		}
		return r
	}, s)
}
