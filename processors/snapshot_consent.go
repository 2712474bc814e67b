package processors

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sstaudit/sstaudit/processors/hashing/userdata"
	"github.com/sstaudit/sstaudit/schemas"
)

// TCFPurposes is a set of TCF purposes: bit p−1 is purpose p (1–24).
type TCFPurposes uint32

// Has reports whether purpose p is in the set.
func (s TCFPurposes) Has(p int) bool { return p >= 1 && p <= 24 && s&(1<<uint(p-1)) != 0 }

// NewTCFPurposes returns the set of ps; purposes outside 1–24 are ignored.
func NewTCFPurposes(ps ...int) TCFPurposes {
	var s TCFPurposes
	for _, p := range ps {
		if p >= 1 && p <= 24 {
			s |= 1 << uint(p-1)
		}
	}
	return s
}

// SnapshotPolicy is the house policy BuildSnapshot applies: which TCF
// purposes a destination needs before user data may be sent (the
// consent.tcf_purposes of the policy file, REFERENCE §5, §9). A missing one
// sets ConsentTCFDenied, which the pair check CONSENT_MISMATCH compares with
// the other side; the per-event check (processors/consent) reads the same
// policy.
type SnapshotPolicy struct {
	// TCFPurposes are, per destination, the purposes required; a
	// destination not listed needs none.
	TCFPurposes map[schemas.Destination]TCFPurposes

	doubles *doubleMemo // nil: every Double is computed
}

// doubleMemo remembers the HashDigest.Double of hashes of the
// low-cardinality fields (gender, country, state, city, zip, date of birth)
// under one Digester, keyed by their HashDigest.Value: their values repeat
// across customers (a few hundred countries, states and cities; zips and
// birth dates by the ten thousand), and a Double costs a SHA-256. It holds
// keyed digests only, and at most doubleMemoMax of them: once full it stops
// growing and the rest are computed.
type doubleMemo struct {
	of *Digester
	m  sync.Map // uint64 → uint64
	n  atomic.Int32
}

// doubleMemoMax bounds a doubleMemo (~1.5 MB when full).
const doubleMemoMax = 1 << 14

// MemoizeDoubles makes Build remember, under d, the Double digests of the
// low-cardinality fields (see doubleMemo), seeded with those of the
// normalised values in seed (hashing.CommonValues: every gender, country,
// US state and top city), so they hit from the first event. Build with
// another Digester computes as before. Call it before p is shared.
func (p *SnapshotPolicy) MemoizeDoubles(d *Digester, seed []string) {
	p.doubles = &doubleMemo{of: d}
	for _, v := range seed {
		h := sha256.Sum256([]byte(v))
		hx := hex.EncodeToString(h[:])
		p.doubles.store(d.Sum(hx), hexSHA256Digest(d, hx))
	}
}

// memoField reports a field whose Doubles a doubleMemo keeps.
func memoField(f userdata.Field) bool {
	switch f {
	case userdata.FieldGender, userdata.FieldCountry, userdata.FieldState, userdata.FieldCity, userdata.FieldZip, userdata.FieldDOB:
		return true
	}
	return false
}

func (m *doubleMemo) load(value uint64) (uint64, bool) {
	v, ok := m.m.Load(value)
	if !ok {
		return 0, false
	}
	return v.(uint64), true
}

func (m *doubleMemo) store(value, double uint64) {
	if m.n.Load() < doubleMemoMax {
		if _, loaded := m.m.LoadOrStore(value, double); !loaded {
			m.n.Add(1)
		}
	}
}

// defaultSnapshotPolicy is the house default: TCFRequiredPurposes for meta
// and ga4.
var defaultSnapshotPolicy = func() *SnapshotPolicy {
	var ps []int
	for _, p := range TCFRequiredPurposes {
		ps = append(ps, int(p))
	}
	req := NewTCFPurposes(ps...)
	return &SnapshotPolicy{TCFPurposes: map[schemas.Destination]TCFPurposes{
		schemas.DestinationMeta: req,
		schemas.DestinationGA4:  req,
	}}
}()

// tcfBitsNeeded is the number of core-segment bits up to and including
// PurposesConsent (bits 152–175, REFERENCE §5).
const tcfBitsNeeded = 176

// DecodeTCFPurposes reads the PurposesConsent field of a TCF v2 TC string:
// the core segment (before the first '.') is base64url without padding; bits
// 0–5 hold the version (2) and bits 152–175 the consent of purposes 1–24.
// ok is false for anything that is not a decodable v2 core segment (empty,
// too short, wrong alphabet, other version): such a string proves nothing.
// It accepts the standard base64 alphabet and trailing padding as well,
// which some CMPs emit, ignores surrounding blanks, and does not allocate.
func DecodeTCFPurposes(tc string) (consented TCFPurposes, ok bool) {
	tc = strings.TrimSpace(tc)
	if i := strings.IndexByte(tc, '.'); i >= 0 {
		tc = tc[:i]
	}
	const chars = (tcfBitsNeeded + 5) / 6 // 30 base64 characters
	if len(tc) < chars {
		return 0, false
	}
	var bits [chars * 6 / 8]byte // 22 bytes
	acc, nacc, nb := uint32(0), 0, 0
	for i := 0; i < chars; i++ {
		v, valid := b64(tc[i])
		if !valid {
			return 0, false
		}
		acc = acc<<6 | uint32(v)
		nacc += 6
		for nacc >= 8 && nb < len(bits) {
			nacc -= 8
			bits[nb] = byte(acc >> uint(nacc))
			nb++
		}
	}
	if bits[0]>>2 != 2 {
		return 0, false
	}
	for p := 1; p <= 24; p++ {
		i := 152 + p - 1
		if bits[i/8]&(0x80>>uint(i%8)) != 0 {
			consented |= 1 << uint(p-1)
		}
	}
	return consented, true
}

func b64(c byte) (byte, bool) {
	switch {
	case c >= 'A' && c <= 'Z':
		return c - 'A', true
	case c >= 'a' && c <= 'z':
		return c - 'a' + 26, true
	case c >= '0' && c <= '9':
		return c - '0' + 52, true
	case c == '-' || c == '+':
		return 62, true
	case c == '_' || c == '/':
		return 63, true
	}
	return 0, false
}

// tcfDenied reports whether the TC string lacks consent for a purpose of
// required. A string that is not TCF v2 gives false: no decodable denial.
func tcfDenied(tc string, required TCFPurposes) bool {
	if required == 0 {
		return false
	}
	got, ok := DecodeTCFPurposes(tc)
	return ok && required&^got != 0
}
