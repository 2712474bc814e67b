// Package userdata knows the user-data fields of Meta and Google payloads:
// which key means which field, which keys must be hashed, may be hashed or must
// never be hashed, how each destination normalises a value before hashing, and
// what shape a value has (SHA-256 hex, base64, MD5, plaintext, …).
//
// It is a leaf package (it imports only schemas and the standard library) so
// that both the per-event hashing checks (processors/hashing) and the
// snapshot builder (processors) can use it without an import cycle.
//
// Nothing here logs or returns values other than to its caller; values may be
// personal data.
package userdata

import (
	"strings"

	"github.com/sstaudit/sstaudit/schemas"
)

// Field is a user-data field, whatever key carries it. Its value is the bit
// position of the matching processors.MatchKey and the index into
// processors.MatchKeyNames (a test keeps the two in step), so a Field converts
// to a MatchKey as 1<<Field and to HashDigest.Key as uint8(Field).
type Field uint8

// Fields.
const (
	FieldEmail Field = iota
	FieldPhone
	FieldFirstName
	FieldLastName
	FieldCity
	FieldState
	FieldZip
	FieldCountry
	FieldDOB
	FieldGender
	FieldExternalID
	FieldClientIP
	FieldUserAgent
	FieldFBC
	FieldFBP
	FieldClientID
	FieldUserID
	FieldStreet

	// FieldOtherID is one of Meta's other never-hash ids (subscription_id,
	// lead_id, madid, …); it has no match-key bit.
	FieldOtherID Field = 254
	// FieldNone is a key that is not a user-data field.
	FieldNone Field = 255
)

// HasMatchKey reports whether f has a match-key bit.
func (f Field) HasMatchKey() bool { return f <= FieldStreet }

// Rule says how a key's value must be encoded.
type Rule uint8

// Rules.
const (
	RuleNone           Rule = iota // not a user-data key we check
	RuleMetaHashed                 // Meta: SHA-256 lowercase hex required (em, ph, fn, ln, ct, st, zp, country, db, ge)
	RuleMetaOptional               // Meta external_id: hashing recommended, not required
	RuleNeverHash                  // Meta: client_ip_address, client_user_agent, fbc, fbp and other ids: never hashed
	RuleGoogleHashed               // Google sha256_*: SHA-256 lowercase hex required
	RuleGooglePlain                // Google email_address, phone_number, first_name, last_name, street: plaintext (sGTM inbound)
	RuleGoogleUnhashed             // Google address city, region, postal_code, country: must not be hashed
)

// Lookup classifies a user_data key (Field.Key) for a destination. path
// (Field.Path) decides the one ambiguous key, country: under a GA4 address, or
// on a GA4 event, it is Google's unhashed country; otherwise Meta's hashed
// one. Lookup does not allocate.
func Lookup(dest schemas.Destination, key, path string) (Field, Rule) {
	switch key {
	case "em":
		return FieldEmail, RuleMetaHashed
	case "ph":
		return FieldPhone, RuleMetaHashed
	case "fn":
		return FieldFirstName, RuleMetaHashed
	case "ln":
		return FieldLastName, RuleMetaHashed
	case "ct":
		return FieldCity, RuleMetaHashed
	case "st":
		return FieldState, RuleMetaHashed
	case "zp":
		return FieldZip, RuleMetaHashed
	case "db":
		return FieldDOB, RuleMetaHashed
	case "ge":
		return FieldGender, RuleMetaHashed
	case "country":
		if dest == schemas.DestinationGA4 || strings.Contains(path, "address") {
			return FieldCountry, RuleGoogleUnhashed
		}
		return FieldCountry, RuleMetaHashed
	case "external_id":
		return FieldExternalID, RuleMetaOptional
	case "client_ip_address":
		return FieldClientIP, RuleNeverHash
	case "client_user_agent":
		return FieldUserAgent, RuleNeverHash
	case "fbc":
		return FieldFBC, RuleNeverHash
	case "fbp":
		return FieldFBP, RuleNeverHash
	case "subscription_id", "fb_login_id", "lead_id", "anon_id", "madid", "page_id",
		"page_scoped_user_id", "ctwa_clid", "ig_account_id", "ig_sid":
		return FieldOtherID, RuleNeverHash
	case "sha256_email_address":
		return FieldEmail, RuleGoogleHashed
	case "sha256_phone_number":
		return FieldPhone, RuleGoogleHashed
	case "sha256_first_name":
		return FieldFirstName, RuleGoogleHashed
	case "sha256_last_name":
		return FieldLastName, RuleGoogleHashed
	case "sha256_street":
		return FieldStreet, RuleGoogleHashed
	case "email_address":
		return FieldEmail, RuleGooglePlain
	case "phone_number":
		return FieldPhone, RuleGooglePlain
	case "first_name":
		return FieldFirstName, RuleGooglePlain
	case "last_name":
		return FieldLastName, RuleGooglePlain
	case "street":
		return FieldStreet, RuleGooglePlain
	case "city":
		return FieldCity, RuleGoogleUnhashed
	case "region":
		return FieldState, RuleGoogleUnhashed
	case "postal_code":
		return FieldZip, RuleGoogleUnhashed
	}
	return FieldNone, RuleNone
}

// Hashed reports whether values under r are meant to be SHA-256 hashes.
func (r Rule) Hashed() bool { return r == RuleMetaHashed || r == RuleGoogleHashed }

// GoogleFieldName is the GA4 user_data key of a hashed field, "" for none.
func GoogleFieldName(f Field) string {
	switch f {
	case FieldEmail:
		return "sha256_email_address"
	case FieldPhone:
		return "sha256_phone_number"
	case FieldFirstName:
		return "address.sha256_first_name"
	case FieldLastName:
		return "address.sha256_last_name"
	case FieldStreet:
		return "address.sha256_street"
	case FieldCity:
		return "address.city"
	case FieldState:
		return "address.region"
	case FieldZip:
		return "address.postal_code"
	case FieldCountry:
		return "address.country"
	}
	return ""
}
