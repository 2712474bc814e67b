package pii

// Byte classes for the pre-filters: one table lookup per byte keeps the clean
// path cheap.
const (
	cDigit uint8 = 1 << iota
	cUpper
	cLower
	cHexLetter
	cB64  // alnum, '+', '/', '-', '_'
	cHigh // non-ASCII byte
	cRare // '@', ':', 'B', 'J': a byte some text detector starts from
	cDot  // '.'
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
		case '@', ':', 'B', 'J':
			t[c] |= cRare
		case '.':
			t[c] |= cDot
		}
	}
	return t
}()

// SWAR (eight bytes in a uint64) pre-filters; a lane's high bit is its verdict.
const (
	lanes01 = 0x0101010101010101
	lanes80 = 0x8080808080808080
)

// load64 reads s[0:8] little-endian; s has at least 8 bytes.
func load64(s string) uint64 {
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// hasLane reports whether a lane of x equals b (the any-zero-byte test on
// x^b, exact for "any").
func hasLane(x uint64, b byte) bool {
	v := x ^ lanes01*uint64(b)
	return (v-lanes01)&^v&lanes80 != 0
}
