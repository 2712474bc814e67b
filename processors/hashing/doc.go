// Package hashing checks how one event encodes its user data: whether the
// fields Meta and Google require hashed hold lowercase-hex SHA-256 of the
// normalised value, whether never-hash fields are left alone, and whether
// the click ids and client IP have the shape Meta expects (REFERENCE §2.6,
// §2.7, §3.5, §4, §6).
//
// Check is the entry point. Its building blocks are exported for reuse:
// userdata (key → field and rule, normalisers per destination, hash-shape
// classification), Sentinels (digests of placeholder values, built at
// start-up from their inputs), Dictionary (valid, wrong-variant and double
// hashes of the low-cardinality fields), JudgeAgainstPlain, ParseFBCookie and
// IPWithPort. Pair comparisons live in processors/pair.
//
// # Stages
//
// Meta keys (em, ph, fn, ln, ct, st, zp, country, db, ge) must be hashed in a
// CAPI body and in Pixel ud[...] alike: the JS pixel hashes in the browser.
// GA4 sha256_* keys must be hashed wherever they appear, sGTM included.
// Google's plain keys (email_address, phone_number, first_name, last_name,
// street) are normal inside sGTM — its tags hash them on the way out — and
// give no finding there; in a Measurement Protocol body, which goes straight
// to Google, they are HASH_PLAINTEXT. GA4 address city, region, postal_code
// and country must not be hashed.
//
// # Codes and severities
//
//	code                    severity  when
//	HASH_PLAINTEXT          critical  a hash-required key holds plain data (email- or phone-like, letters beyond hex, short values); MP plain user_data keys
//	HASH_FORMAT             fail      upper/mixed-case hex, base64 SHA-256, 64 decimal digits, hex of no digest length, whitespace around a hash
//	HASH_WEAK_ALGO          fail      MD5, SHA-1, SHA-224, SHA-384 or SHA-512 shape where SHA-256 is required
//	HASH_SENTINEL           fail      hash (any algorithm, case or base64) of "", null, undefined, {{email}}, … or of such a hash's hex
//	HASH_NOT_NORMALIZED     fail      dictionary wrong variant (US, Male, 94035-1234, 1997-02-16, New York), ge/country in no set, or the hash of a wrong form of plaintext visible in the event
//	HASH_DOUBLE             fail      dictionary double (sha256 of a valid value's hex), or the double hash of plaintext visible in the event
//	HASH_FORBIDDEN          fail      a never-hash key (client_ip_address, client_user_agent, fbc, fbp, subscription_id, lead_id, …) or a GA4 address city/region/postal_code/country holds a hash
//	HASH_OUTSIDE_USER_DATA  warn      a SHA-256 in GA4 client_id, user_id or event params, or in Meta custom_data (ids configured in OutsideUserDataIgnore excepted); inferred from Google's PII policy, so warn
//	IP_WITH_PORT            fail/warn client_ip_address / ip_override with a port: fail for Meta (rejected), warn for GA4 (undocumented)
//	CLICKID_FORMAT          fail/warn fbc/fbp not fb.{n}.{13-digit ms}.{value}[.{2|8}], or 10-digit seconds: fail; creation time after record time + tolerance: warn
//
// Plaintext is critical because Meta does not accept unhashed contact data
// and the value has left the site in clear. The other hashing faults each
// make the match key useless to the platform (fail) without exposing more
// than a hash.
//
// # What is and is not detectable on one event
//
// Low-cardinality fields are checked by dictionary. High-cardinality ones
// (em, ph, fn, ln, street) can be judged only against a plaintext of the same
// field: plaintext user_data in the same event (sGTM inbound beside the
// hashed field) or an email in the page URL. So a Meta ph hashed Google-style
// ("+49…") is HASH_NOT_NORMALIZED when its plaintext is visible in the event,
// or in the pair (processors/pair compares against the other side's
// plaintext digests); with no plaintext anywhere it cannot be told from the
// hash of a different number. A gmail address hashed with its dots is right
// for Meta and wrong for GA4, and the reverse; the check normalises per the
// key's destination (Meta keys the Meta way, sha256_* the Google way).
// Double hashing of a high-cardinality field is found in the pair (digest of
// the double) or against a visible plaintext.
//
// Findings carry the path and a keyed fingerprint, never the value, a masked
// excerpt or a plain hash; messages name the key and the kind of fault only.
package hashing
