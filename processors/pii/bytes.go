package pii

// Byte classes for the pre-filters: one table lookup per byte keeps the clean
// path cheap.
const (
	cDigit uint8 = 1 << iota
	cUpper
	cLower
	cHexLetter
	cB64 // alnum, '+', '/', '-', '_'
	cSpecial
	cHigh // non-ASCII byte
)

var byteClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		switch {
		case b >= '0' && b <= '9':
			t[c] = cDigit | cB64
		case b >= 'A' && b <= 'Z':
			t[c] = cUpper | cB64
		case b >= 'a' && b <= 'z':
			t[c] = cLower | cB64
		case b >= 0x80:
			t[c] = cHigh
		}
		if (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F') {
			t[c] |= cHexLetter
		}
		switch b {
		case '+', '/', '-', '_':
			t[c] |= cB64
		}
		switch b {
		case '@', '.', ':', '%', '&', 'e', 'B':
			t[c] |= cSpecial
		}
	}
	return t
}()
