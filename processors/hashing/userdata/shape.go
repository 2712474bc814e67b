package userdata

// Shape is the form of a value found in a hash field (REFERENCE §6.1).
type Shape uint8

// Shapes.
const (
	ShapeEmpty        Shape = iota // "" (after trimming)
	ShapeSHA256                    // 64 lowercase hex: the only form Meta and GA4 accept
	ShapeSHA256Upper               // 64 hex, some upper case
	ShapeSHA256Base64              // 32 bytes in base64 (43 chars + "=") or base64url (43 chars, "=" optional)
	ShapeDigits64                  // 64 decimal digits: hex by charset, but (10/16)^64 ≈ 9e-14 for a real hash
	ShapeMD5                       // 32 hex
	ShapeSHA1                      // 40 hex
	ShapeSHA224                    // 56 hex
	ShapeSHA384                    // 96 hex
	ShapeSHA512                    // 128 hex
	ShapePlaintext                 // plain data: '@', spaces, '+digits', letters beyond a–f, short values
	ShapeOther                     // hex or base64-like of no known digest length (truncated, padded)
)

var shapeNames = [...]string{"empty", "sha256", "sha256_upper", "sha256_base64", "digits64",
	"md5", "sha1", "sha224", "sha384", "sha512", "plaintext", "other"}

func (s Shape) String() string {
	if int(s) < len(shapeNames) {
		return shapeNames[s]
	}
	return "unknown"
}

// Weak reports whether s is a digest of an algorithm other than SHA-256.
func (s Shape) Weak() bool { return s >= ShapeMD5 && s <= ShapeSHA512 }

// HexSHA256 reports whether s is 64 hex characters of either case.
func (s Shape) HexSHA256() bool { return s == ShapeSHA256 || s == ShapeSHA256Upper }

// Classify returns the shape of v, which the caller has trimmed (TrimSpace).
// It does not allocate.
func Classify(v string) Shape {
	n := len(v)
	if n == 0 {
		return ShapeEmpty
	}
	if hexOnly, letters, upper := ScanHex(v); hexOnly {
		switch n {
		case 64:
			if !letters {
				return ShapeDigits64
			}
			if upper {
				return ShapeSHA256Upper
			}
			return ShapeSHA256
		case 32:
			return ShapeMD5
		case 40:
			return ShapeSHA1
		case 56:
			return ShapeSHA224
		case 96:
			return ShapeSHA384
		case 128:
			return ShapeSHA512
		}
		if n > 32 {
			return ShapeOther
		}
		return ShapePlaintext // short hex-only values: "de", "f", "19970216", "94035"
	}
	if isBase64SHA256(v) {
		return ShapeSHA256Base64
	}
	if n >= 40 && base64Like(v) {
		return ShapeOther
	}
	return ShapePlaintext
}

// SWAR constants: a byte lane's high bit is its verdict.
const (
	lanes01 = 0x0101010101010101
	lanes80 = 0x8080808080808080
)

// inRange sets the high bit of each lane of x (every lane < 0x80) that lies
// in [lo, hi): lane+0x80−lo has its high bit set iff lane ≥ lo, and no lane
// carries into the next.
func inRange(x uint64, lo, hi byte) uint64 {
	return (x + lanes01*uint64(0x80-lo)) &^ (x + lanes01*uint64(0x80-hi)) & lanes80
}

// ScanHex reports whether v is hex only (0–9, a–f, A–F), and if so whether
// it has letters and upper-case letters. It tests eight bytes at a time: a
// classification runs on every user_data value of every event.
func ScanHex(v string) (hexOnly, letters, upper bool) {
	var lower, up uint64
	for ; len(v) >= 8; v = v[8:] {
		x := uint64(v[0]) | uint64(v[1])<<8 | uint64(v[2])<<16 | uint64(v[3])<<24 |
			uint64(v[4])<<32 | uint64(v[5])<<40 | uint64(v[6])<<48 | uint64(v[7])<<56
		if x&lanes80 != 0 {
			return false, false, false
		}
		l, u := inRange(x, 'a', 'f'+1), inRange(x, 'A', 'F'+1)
		if l|u|inRange(x, '0', '9'+1) != lanes80 {
			return false, false, false
		}
		lower |= l
		up |= u
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'f':
			lower = 1
		case c >= 'A' && c <= 'F':
			up = 1
		default:
			return false, false, false
		}
	}
	return true, lower|up != 0, up != 0
}

func base64Like(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '+' || c == '/' || c == '-' || c == '_' || c == '=') {
			return false
		}
	}
	return true
}

func isBase64SHA256(v string) bool {
	switch {
	case len(v) == 44 && v[43] == '=':
		v = v[:43]
	case len(v) == 43:
	default:
		return false
	}
	std, url := false, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
		case c == '+' || c == '/':
			std = true
		case c == '-' || c == '_':
			url = true
		default:
			return false
		}
	}
	if std && url {
		return false
	}
	// 43 chars carry 258 bits: the last char's low 2 bits must be zero for a 32-byte value.
	return base64Index(v[42])&3 == 0
}

func base64Index(c byte) byte {
	switch {
	case c >= 'A' && c <= 'Z':
		return c - 'A'
	case c >= 'a' && c <= 'z':
		return c - 'a' + 26
	case c >= '0' && c <= '9':
		return c - '0' + 52
	case c == '+' || c == '-':
		return 62
	}
	return 63
}

// Digest decodes a value of shape s into dst and returns the digest bytes:
// hex of any case, or a base64 / base64url SHA-256. It returns nil for shapes
// that are not digests. dst must hold 64 bytes; Digest does not allocate.
func Digest(v string, s Shape, dst *[64]byte) []byte {
	switch s {
	case ShapeSHA256, ShapeSHA256Upper, ShapeDigits64, ShapeMD5, ShapeSHA1, ShapeSHA224, ShapeSHA384, ShapeSHA512:
		if len(v)%2 != 0 || len(v) > 2*len(dst) {
			return nil
		}
		bad := byte(0)
		for i := 0; i < len(v); i += 2 {
			hi, lo := hexValue[v[i]], hexValue[v[i+1]]
			bad |= hi | lo
			dst[i/2] = hi<<4 | lo&0x0f
		}
		if bad&0xf0 != 0 {
			return nil
		}
		return dst[:len(v)/2]
	case ShapeSHA256Base64:
		if len(v) == 44 {
			v = v[:43]
		}
		// 43 chars → 32 bytes, decoded by hand so nothing escapes.
		var acc uint32
		bits, n := 0, 0
		for i := 0; i < len(v); i++ {
			acc = acc<<6 | uint32(base64Index(v[i]))
			bits += 6
			if bits >= 8 {
				bits -= 8
				dst[n] = byte(acc >> uint(bits))
				n++
			}
		}
		if n != 32 {
			return nil
		}
		return dst[:n]
	}
	return nil
}

// PlainKind sub-classifies a plaintext value for messages: it says what the
// value looks like, never what it is.
func PlainKind(v string) string {
	at, digits, letters, other := false, 0, 0, 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '@':
			at = true
		case c >= '0' && c <= '9':
			digits++
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80:
			letters++
		case c == '+' || c == ' ' || c == '-' || c == '(' || c == ')' || c == '.':
		default:
			other++
		}
	}
	switch {
	case at:
		return "email-like"
	case letters == 0 && other == 0 && digits >= 7 && digits <= 15:
		return "phone-like"
	case letters == 0 && digits > 0:
		return "numeric"
	}
	return "text"
}

// hexValue maps a hex digit of either case to its value and any other byte
// to 0xff.
var hexValue = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c - '0'
	}
	for c := byte('a'); c <= 'f'; c++ {
		t[c] = c - 'a' + 10
		t[c-'a'+'A'] = c - 'a' + 10
	}
	return t
}()
