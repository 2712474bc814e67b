package processors

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sstaudit/sstaudit/schemas"
)

// MatchKey is a bit in a set of match keys present on an event.
type MatchKey uint32

// Match keys, in the order reports list them. The set is per destination:
// Meta's user_data keys and GA4's user_data / ids map onto the same bits where
// they mean the same thing (email, phone, name, address parts, ids).
const (
	KeyEmail MatchKey = 1 << iota
	KeyPhone
	KeyFirstName
	KeyLastName
	KeyCity
	KeyState
	KeyZip
	KeyCountry
	KeyDateOfBirth
	KeyGender
	KeyExternalID
	KeyClientIP
	KeyUserAgent
	KeyFBC
	KeyFBP
	KeyClientID // GA4 client_id
	KeyUserID   // GA4 user_id
	KeyStreet
)

// MatchKeyNames names each MatchKey bit, index = bit position.
var MatchKeyNames = []string{
	"em", "ph", "fn", "ln", "ct", "st", "zp", "country", "db", "ge",
	"external_id", "client_ip_address", "client_user_agent", "fbc", "fbp",
	"client_id", "user_id", "street",
}

// Count returns the number of keys in the set.
func (k MatchKey) Count() int {
	n := 0
	for v := uint32(k); v != 0; v &= v - 1 {
		n++
	}
	return n
}

// Names lists the names of the keys in the set, in bit order.
func (k MatchKey) Names() []string {
	var out []string
	for i, name := range MatchKeyNames {
		if k&(1<<uint(i)) != 0 {
			out = append(out, name)
		}
	}
	return out
}

// ClickIDSet is a set of click ids present on an event.
type ClickIDSet uint8

// Click id bits.
const (
	ClickFBCLID ClickIDSet = 1 << iota
	ClickFBC
	ClickFBP
	ClickGCLID
	ClickGBRAID
	ClickWBRAID
)

// ConsentFlags are the consent facts the pair checks compare.
type ConsentFlags uint8

// Consent bits.
const (
	ConsentAdUserDataDenied        ConsentFlags = 1 << iota // ad_user_data denied (MP consent, gcd)
	ConsentAdStorageDenied                                  // ad_storage denied (gcs / gcd)
	ConsentAdPersonalizationDenied                          // ad_personalization denied / npa=1
	ConsentTCFDenied                                        // TC string present and a required purpose is not consented
	ConsentSignalPresent                                    // any consent signal was sent
	ConsentLDU                                              // Meta Limited Data Use
)

// HashDigest is what a Snapshot keeps of one hashed user_data value: which
// key, a digest of the value as sent, and a digest of its double hash
// (sha256 of the value's lowercase hex) so that a pair can spot double hashing
// without either value.
type HashDigest struct {
	Key    uint8  // index into MatchKeyNames
	Value  uint64 // Digester.Sum of the value as sent (lower-cased hex when it is a hash)
	Double uint64 // Digester.Sum of hex(sha256(value)) when value is a sha256 hex; 0 otherwise
}

// Snapshot is the compact record of one side of a join group: only what the
// pair checks and the audit record need. Values that are personal data or
// identifiers are kept as keyed digests, never as values. It is persisted in
// state, so field changes need a state encoding version bump.
type Snapshot struct {
	Side         schemas.Side
	Format       schemas.Format
	EventName    string
	EventTime    int64 // ms; 0 = absent
	Source       schemas.Source
	ActionSource string

	MatchKeys MatchKey
	ClickIDs  ClickIDSet
	Consent   ConsentFlags

	FBCLID     uint64 // digest of the fbclid in the page URL (or parameter)
	FBCClickID uint64 // digest of fbc's third segment (the fbclid it carries)
	FBP        uint64
	ExternalID uint64
	// Payload is a digest of what identifies the conversion beyond its id
	// (value, currency, transaction/order id): a different Payload under the
	// same join key is DEDUP_ID_REUSED.
	Payload uint64

	Hashes []HashDigest
	// Plain holds digests derived from plaintext user_data values (see
	// PlainDigest), so the pair can judge the other side's hash of them.
	// Nil on events without plaintext user data.
	Plain []PlainDigest

	// Severity counts of the per-event findings, for window metrics.
	FindingsMax schemas.Severity
	TraceID     [16]byte // the event's trace context, for span links
	SpanID      [8]byte
}

// MarshalYAML writes a key set as the list of its key names, so house
// policy files read as [em, ph, …] rather than a bit mask.
func (k MatchKey) MarshalYAML() (any, error) {
	names := k.Names()
	if names == nil {
		names = []string{}
	}
	return names, nil
}

// UnmarshalYAML reads a list of key names (see MatchKeyNames); an unknown
// name is an error. It uses yaml.v3's function form, so this package does
// not depend on a YAML library.
func (k *MatchKey) UnmarshalYAML(unmarshal func(any) error) error {
	var names []string
	if err := unmarshal(&names); err != nil {
		return err
	}
	set, err := ParseMatchKeys(names)
	if err != nil {
		return err
	}
	*k = set
	return nil
}

// ParseMatchKeys returns the set of the named match keys.
func ParseMatchKeys(names []string) (MatchKey, error) {
	var set MatchKey
	for _, n := range names {
		i := slices.Index(MatchKeyNames, n)
		if i < 0 {
			return 0, fmt.Errorf("unknown match key %q (known: %s)", n, strings.Join(MatchKeyNames, ", "))
		}
		set |= 1 << uint(i)
	}
	return set, nil
}
