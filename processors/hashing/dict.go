package hashing

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sstaudit/sstaudit/processors/hashing/userdata"
	"github.com/sstaudit/sstaudit/schemas"
)

// Dictionary slots: the low-cardinality Meta fields checked by dictionary.
const (
	slotGender = iota
	slotCountry
	slotState
	slotZip
	slotDOB
	slotCity
	numSlots
)

// Classes within a slot.
const (
	classValid  = 0 // sha256 of a normalised value
	classWrong  = 1 // sha256 of a wrong variant (upper case, full name, ZIP+4, YYYY-MM-DD, …)
	classDouble = 2 // sha256(hex(sha256(valid)))
	classBits   = 3
)

// DictSlot returns the dictionary slot of a field, or -1 when the field is
// not checked by dictionary.
func DictSlot(f userdata.Field) int {
	switch f {
	case userdata.FieldGender:
		return slotGender
	case userdata.FieldCountry:
		return slotCountry
	case userdata.FieldState:
		return slotState
	case userdata.FieldZip:
		return slotZip
	case userdata.FieldDOB:
		return slotDOB
	case userdata.FieldCity:
		return slotCity
	}
	return -1
}

// DictHit is the result of a dictionary lookup: per slot, whether the digest
// is a valid, wrong-variant or double-hashed value of that field.
type DictHit uint32

// Valid, Wrong and Double report the hit's class for a slot (DictSlot).
func (h DictHit) Valid(slot int) bool  { return slot >= 0 && h&(1<<(slot*classBits+classValid)) != 0 }
func (h DictHit) Wrong(slot int) bool  { return slot >= 0 && h&(1<<(slot*classBits+classWrong)) != 0 }
func (h DictHit) Double(slot int) bool { return slot >= 0 && h&(1<<(slot*classBits+classDouble)) != 0 }

// DictOptions say what a Dictionary covers. Zero fields take the defaults.
type DictOptions struct {
	FromYear       int       // first year of the db range; default 1900
	Today          time.Time // last day of the db range; default time.Now() at build
	Cities         []string  // city names as typed; default a built-in top-130 list
	ZipPlus4Sample []string  // US zips whose 10,000 ZIP+4 forms are wrong variants; default 5 zips
}

// Dictionary holds SHA-256 digests of the valid, wrong-variant and
// double-hashed forms of the low-cardinality Meta fields (ge, country, st, zp,
// db, ct; REFERENCE §6.4). Digests are kept as their first 8 bytes in a
// sorted slice: with ~0.6 million entries a random real hash collides with
// probability ~3·10⁻¹⁴. It is read-only after Build and safe for concurrent
// use; Lookup does not allocate.
type Dictionary struct {
	keys []uint64
	vals []uint32
	// first[p] is the index of the first key whose top 16 bits are ≥ p, so a
	// lookup binary-searches some ten keys instead of 0.6 million.
	first []uint32
	// BuildTime is how long Build took.
	BuildTime time.Duration
}

type dictEntry struct {
	k uint64
	v uint32
}

// BuildDictionary computes the dictionary. It takes ~0.2–0.5 s of CPU and
// holds ~7 MB; DefaultDictionary builds it once, on first use.
func BuildDictionary(o DictOptions) *Dictionary {
	start := time.Now()
	if o.FromYear <= 0 {
		o.FromYear = 1900
	}
	if o.Today.IsZero() {
		o.Today = time.Now()
	}
	if o.Cities == nil {
		o.Cities = topCities
	}
	if o.ZipPlus4Sample == nil {
		o.ZipPlus4Sample = zipPlus4Sample
	}
	es := make([]dictEntry, 0, 700_000)
	var hexBuf [64]byte
	add := func(v string, slot, class int) {
		h := sha256.Sum256([]byte(v))
		es = append(es, dictEntry{binary.BigEndian.Uint64(h[:8]), 1 << (slot*classBits + class)})
		if class == classValid {
			hex.Encode(hexBuf[:], h[:])
			d := sha256.Sum256(hexBuf[:])
			es = append(es, dictEntry{binary.BigEndian.Uint64(d[:8]), 1 << (slot*classBits + classDouble)})
		}
	}
	wrong := func(valid string, slot int, variants ...string) {
		for _, w := range variants {
			if w != valid && w != "" {
				add(w, slot, classWrong)
			}
		}
	}

	// ge
	add("f", slotGender, classValid)
	add("m", slotGender, classValid)
	wrong("", slotGender, "F", "M", "female", "male", "Female", "Male", "FEMALE", "MALE", "w", "W", "woman", "man")

	// country
	for _, c := range strings.Fields(isoCountries) {
		lc := strings.ToLower(c)
		add(lc, slotCountry, classValid)
		wrong(lc, slotCountry, c, c[:1]+lc[1:])
	}
	for _, s := range countryNames {
		p := strings.Split(s, "=")
		wrong(p[0], slotCountry, p[1], strings.ToLower(p[1]), strings.ToUpper(p[1]), p[2], strings.ToLower(p[2]))
	}

	// st
	for _, s := range userdata.USStates {
		lc := strings.ToLower(s[0])
		add(lc, slotState, classValid)
		wrong(lc, slotState, s[0], s[1], strings.ToLower(s[1]), strings.ToUpper(s[1]))
	}

	// zp: every 5-digit string, and ZIP+4 forms of the sample
	var zb [10]byte
	for z := 0; z < 100000; z++ {
		writeDigits(zb[:5], z)
		add(string(zb[:5]), slotZip, classValid)
	}
	for _, z := range o.ZipPlus4Sample {
		if len(z) != 5 {
			continue
		}
		copy(zb[:5], z)
		zb[5] = '-'
		for e := 0; e < 10000; e++ {
			writeDigits(zb[6:10], e)
			add(string(zb[:10]), slotZip, classWrong)
			add(string(zb[:5])+string(zb[6:10]), slotZip, classWrong)
		}
	}

	// db: YYYYMMDD valid; YYYY-MM-DD, DD/MM/YYYY, MM/DD/YYYY wrong
	end := o.Today.UTC()
	for d := time.Date(o.FromYear, 1, 1, 0, 0, 0, 0, time.UTC); !d.After(end); d = d.AddDate(0, 0, 1) {
		y, m, day := d.Date()
		var b [10]byte
		writeDigits(b[:4], y)
		writeDigits(b[4:6], int(m))
		writeDigits(b[6:8], day)
		add(string(b[:8]), slotDOB, classValid)
		yyyy, mm, dd := string(b[:4]), string(b[4:6]), string(b[6:8])
		add(yyyy+"-"+mm+"-"+dd, slotDOB, classWrong)
		add(dd+"/"+mm+"/"+yyyy, slotDOB, classWrong)
		if dd != mm {
			add(mm+"/"+dd+"/"+yyyy, slotDOB, classWrong)
		}
	}

	// ct
	for _, c := range o.Cities {
		v, ok := userdata.Normalize(schemas.DestinationMeta, userdata.FieldCity, c)
		if !ok {
			continue
		}
		add(v, slotCity, classValid)
		wrong(v, slotCity, c, strings.ToLower(c), strings.ToUpper(c))
	}

	slices.SortFunc(es, func(a, b dictEntry) int {
		switch {
		case a.k < b.k:
			return -1
		case a.k > b.k:
			return 1
		}
		return 0
	})
	d := &Dictionary{keys: make([]uint64, 0, len(es)), vals: make([]uint32, 0, len(es))}
	for _, e := range es {
		if n := len(d.keys); n > 0 && d.keys[n-1] == e.k {
			d.vals[n-1] |= e.v
			continue
		}
		d.keys = append(d.keys, e.k)
		d.vals = append(d.vals, e.v)
	}
	d.first = make([]uint32, 1<<16+1)
	i := 0
	for p := range 1 << 16 {
		for i < len(d.keys) && d.keys[i]>>48 < uint64(p) {
			i++
		}
		d.first[p] = uint32(i)
	}
	d.first[1<<16] = uint32(len(d.keys))
	d.BuildTime = time.Since(start)
	return d
}

func writeDigits(dst []byte, v int) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
}

// Len is the number of distinct digests.
func (d *Dictionary) Len() int { return len(d.keys) }

// Bytes is the memory the digests take.
func (d *Dictionary) Bytes() int { return cap(d.keys)*8 + cap(d.vals)*4 + cap(d.first)*4 }

// Lookup returns the hit for a 32-byte SHA-256 digest (0 when absent).
func (d *Dictionary) Lookup(digest []byte) DictHit {
	if d == nil || len(digest) != 32 {
		return 0
	}
	return d.lookupKey(binary.BigEndian.Uint64(digest[:8]))
}

// lookupKey is Lookup of a digest whose first 8 bytes are k.
func (d *Dictionary) lookupKey(k uint64) DictHit {
	lo, hi := d.first[k>>48], d.first[k>>48+1]
	i, ok := slices.BinarySearch(d.keys[lo:hi], k)
	if !ok {
		return 0
	}
	return DictHit(d.vals[int(lo)+i])
}

// CommonValues lists the normalised (Meta) values of the low-cardinality
// fields whose few hundred values make up most traffic: genders, country
// codes, US state codes and the built-in top cities. A snapshot builder can
// precompute their double-hash digests (processors.SnapshotPolicy).
func CommonValues() []string {
	out := []string{"f", "m"}
	for _, c := range strings.Fields(isoCountries) {
		out = append(out, strings.ToLower(c))
	}
	for _, s := range userdata.USStates {
		out = append(out, strings.ToLower(s[0]))
	}
	for _, c := range topCities {
		if v, ok := userdata.Normalize(schemas.DestinationMeta, userdata.FieldCity, c); ok {
			out = append(out, v)
		}
	}
	return out
}

var defaultDictionary = sync.OnceValue(func() *Dictionary { return BuildDictionary(DictOptions{}) })

// DefaultDictionary returns the dictionary with default options, built once
// on first use (time.Now() then fixes the last db date).
func DefaultDictionary() *Dictionary { return defaultDictionary() }
