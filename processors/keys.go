package processors

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math/bits"
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
//
// The digest is SipHash-2-4 (Aumasson and Bernstein's keyed PRF, 128-bit key,
// 64-bit output) under a key derived from the deployment key with HMAC-SHA256.
// It replaced a truncated SHA-256 of key‖value (derivation label v1) because
// a snapshot digests every hashed user_data value twice: SipHash of a 64-byte
// hex is ~35 ns where SHA-256 took ~140 ns, and it needs no buffer, so no
// value of any length allocates. Changing what Sum computes changes every
// stored digest: bump the derivation label and the join's group encoding
// version together.
type Digester struct {
	k0, k1 uint64
}

// digestLabel names the digest derivation; see Digester.
const digestLabel = "sstaudit-state-digest-v2:"

// NewDigester derives a Digester from the deployment key (may be empty).
func NewDigester(key []byte) *Digester {
	m := hmac.New(sha256.New, append([]byte(digestLabel), key...))
	m.Write([]byte("digest"))
	k := m.Sum(nil)
	return &Digester{k0: binary.LittleEndian.Uint64(k[0:8]), k1: binary.LittleEndian.Uint64(k[8:16])}
}

// Sum returns the digest of value; the empty string digests to 0, so 0 means
// "absent". It does not allocate.
func (d *Digester) Sum(value string) uint64 {
	if value == "" {
		return 0
	}
	if v := sipHash24(d.k0, d.k1, value); v != 0 {
		return v
	}
	return 1
}

// sipHash24 is SipHash-2-4 of m under the key (k0, k1), the two little-endian
// halves of the 16-byte key, as in the reference implementation.
func sipHash24(k0, k1 uint64, m string) uint64 {
	v0 := k0 ^ 0x736f6d6570736575
	v1 := k1 ^ 0x646f72616e646f6d
	v2 := k0 ^ 0x6c7967656e657261
	v3 := k1 ^ 0x7465646279746573
	n := len(m)
	for ; len(m) >= 8; m = m[8:] {
		x := uint64(m[0]) | uint64(m[1])<<8 | uint64(m[2])<<16 | uint64(m[3])<<24 |
			uint64(m[4])<<32 | uint64(m[5])<<40 | uint64(m[6])<<48 | uint64(m[7])<<56
		v3 ^= x
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0 ^= x
	}
	x := uint64(n) << 56 // the last block: the tail bytes and the length mod 256
	for i := range len(m) {
		x |= uint64(m[i]) << (8 * i)
	}
	v3 ^= x
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0 ^= x
	v2 ^= 0xff
	for range 4 {
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	}
	return v0 ^ v1 ^ v2 ^ v3
}

func sipRound(v0, v1, v2, v3 uint64) (uint64, uint64, uint64, uint64) {
	v0 += v1
	v1 = bits.RotateLeft64(v1, 13)
	v1 ^= v0
	v0 = bits.RotateLeft64(v0, 32)
	v2 += v3
	v3 = bits.RotateLeft64(v3, 16)
	v3 ^= v2
	v0 += v3
	v3 = bits.RotateLeft64(v3, 21)
	v3 ^= v0
	v2 += v1
	v1 = bits.RotateLeft64(v1, 17)
	v1 ^= v2
	v2 = bits.RotateLeft64(v2, 32)
	return v0, v1, v2, v3
}
