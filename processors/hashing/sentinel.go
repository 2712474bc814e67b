package hashing

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"strings"
	"sync"
)

// sentinelInputs are the values a broken tag hashes instead of a customer's
// data (REFERENCE §6.2): empty and blank strings, JavaScript and Python
// nothing-values in their usual spellings, serialisation accidents and
// unresolved template or merge-tag literals. The set is built from these
// inputs at start-up; no digest is written down.
var sentinelInputs = []string{
	"", " ", "  ", "\n", "\t", "\r\n",
	"null", "NULL", "Null", "undefined", "UNDEFINED", "Undefined", "None", "none", "NONE",
	"nil", "NIL", "NaN", "nan", "NAN", "[object Object]", "false", "False", "FALSE", "true", "True", "TRUE",
	"0", "-", "n/a", "N/A", "unknown", "Unknown", "UNKNOWN", "{}", "[]", `""`, "''",
	"{{email}}", "{{ email }}", "{{Email}}", "{{email_address}}", "{{user_email}}", "{{phone}}",
	"{{phone_number}}", "{{first_name}}", "{{last_name}}", "{{city}}", "{{zip}}", "{{country}}",
	"${email}", "${phone}", "%%email%%", "*|EMAIL|*", "*|PHONE|*", "[email]", "{email}", "{{customer.email}}",
}

// SentinelInputs returns a copy of the built-in sentinel inputs.
func SentinelInputs() []string { return append([]string(nil), sentinelInputs...) }

// Sentinels is a set of digests of placeholder values. It holds, for every
// input, its MD5, SHA-1, SHA-224, SHA-256, SHA-384 and SHA-512 digests and
// the SHA-256 of its lower- and upper-case SHA-256 hex (double hashing), all
// as raw bytes, so one lookup of a decoded value covers lowercase, upper-case
// and base64 forms alike. It is read-only after construction and safe for
// concurrent use.
type Sentinels struct {
	set map[string]struct{}
	// prefix has bit p set for the first two bytes p of every digest in
	// set: one load rules out all but ~1% of real hashes before the map.
	prefix *[1 << 16 / 64]uint64
}

// NewSentinels builds the set from inputs.
func NewSentinels(inputs []string) *Sentinels {
	s := &Sentinels{set: make(map[string]struct{}, len(inputs)*8), prefix: new([1 << 16 / 64]uint64)}
	add := func(b []byte) {
		s.set[string(b)] = struct{}{}
		p := prefix16(b)
		s.prefix[p/64] |= 1 << (p % 64)
	}
	for _, in := range inputs {
		b := []byte(in)
		m := md5.Sum(b)
		add(m[:])
		s1 := sha1.Sum(b)
		add(s1[:])
		s224 := sha256.Sum224(b)
		add(s224[:])
		s384 := sha512.Sum384(b)
		add(s384[:])
		s512 := sha512.Sum512(b)
		add(s512[:])
		h := sha256.Sum256(b)
		add(h[:])
		lower := hex.EncodeToString(h[:])
		d := sha256.Sum256([]byte(lower))
		add(d[:])
		du := sha256.Sum256([]byte(strings.ToUpper(lower)))
		add(du[:])
	}
	return s
}

// Has reports whether digest (raw bytes) is a sentinel. It does not allocate.
func (s *Sentinels) Has(digest []byte) bool {
	if !s.MayHave(digest) { // every digest in the set has 16 bytes or more
		return false
	}
	_, ok := s.set[string(digest)]
	return ok
}

// MayHave reports whether a digest starting with prefix (2 bytes or more)
// may be in the set; false is certain. It does not allocate.
func (s *Sentinels) MayHave(prefix []byte) bool {
	if s == nil || len(prefix) < 2 {
		return false
	}
	p := prefix16(prefix)
	return s.prefix[p/64]&(1<<(p%64)) != 0
}

func prefix16(b []byte) uint { return uint(b[0])<<8 | uint(b[1]) }

// Len is the number of digests in the set.
func (s *Sentinels) Len() int { return len(s.set) }

var defaultSentinels = sync.OnceValue(func() *Sentinels { return NewSentinels(sentinelInputs) })

// DefaultSentinels returns the set built from the built-in inputs, built
// once on first use.
func DefaultSentinels() *Sentinels { return defaultSentinels() }
