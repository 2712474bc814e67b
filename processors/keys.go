package processors

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// Fingerprinter computes finding fingerprints: HMAC-SHA256 with the
// deployment key (SSTAUDIT_FINGERPRINT_KEY), truncated to 16 hex characters.
// A nil Fingerprinter, or one without a key, returns "": no key, no
// fingerprint. It is safe for concurrent use.
type Fingerprinter struct {
	key []byte
}

// NewFingerprinter returns a Fingerprinter for key; an empty key gives one that
// always returns "".
func NewFingerprinter(key []byte) *Fingerprinter {
	if len(key) == 0 {
		return &Fingerprinter{}
	}
	return &Fingerprinter{key: append([]byte(nil), key...)}
}

// Sum returns the fingerprint of value, or "" when there is no key.
func (f *Fingerprinter) Sum(value string) string {
	if f == nil || len(f.key) == 0 {
		return ""
	}
	m := hmac.New(sha256.New, f.key)
	m.Write([]byte(value))
	var sum [sha256.Size]byte
	return hex.EncodeToString(m.Sum(sum[:0])[:8])
}

// Digester maps values to keyed 64-bit digests so that state can test two
// values for equality without holding either. The key is derived from the
// deployment key; with none configured a fixed built-in key is used, which
// still keeps plain values out of state but does not stop a dictionary attack
// by someone who can read the state — configure SSTAUDIT_FINGERPRINT_KEY.
// A Digester is safe for concurrent use and must be stable across restarts:
// digests are persisted.
type Digester struct {
	prefix [32]byte
}

// NewDigester derives a Digester from the deployment key (may be empty).
func NewDigester(key []byte) *Digester {
	m := hmac.New(sha256.New, append([]byte("sstaudit-state-digest-v1:"), key...))
	m.Write([]byte("digest"))
	d := &Digester{}
	copy(d.prefix[:], m.Sum(nil))
	return d
}

// digestStackBytes is the longest value Digester.Sum hashes without a heap
// allocation.
const digestStackBytes = 480

// Sum returns the digest of value; the empty string digests to 0, so 0 means
// "absent". Values up to digestStackBytes do not allocate.
func (d *Digester) Sum(value string) uint64 {
	if value == "" {
		return 0
	}
	var sum [sha256.Size]byte
	if len(value) <= digestStackBytes {
		// The common case (ids, hex hashes, URLs) hashes prefix||value from a
		// stack buffer: sha256.New would put the hasher on the heap.
		var buf [len(d.prefix) + digestStackBytes]byte
		n := copy(buf[:], d.prefix[:])
		n += copy(buf[n:], value)
		sum = sha256.Sum256(buf[:n])
	} else {
		h := sha256.New()
		h.Write(d.prefix[:])
		h.Write([]byte(value))
		h.Sum(sum[:0])
	}
	v := binary.BigEndian.Uint64(sum[:])
	if v == 0 {
		v = 1
	}
	return v
}
