// Package pair compares the two Snapshots of a matched join group — the
// browser's copy and the server's — and reports what only the pair can show:
// hashes that disagree, ids that differ, click ids and consent the server lost.
//
// The Snapshots hold keyed digests only (processors.Digester), so every
// comparison is digest equality: no value is needed and none can leak.
// Double hashing is visible because each SHA-256 HashDigest also carries the
// digest of its own double hash; an un-normalised hash is visible when one
// side sent the plaintext (Snapshot.Plain holds digests of its correct, wrong
// and double hashes).
//
// # Codes and severities
//
//	code                        severity  side    when
//	HASH_CROSS_SIDE_MISMATCH    fail      pair    same key, both sides SHA-256 hex, no value in common, neither a double of the other
//	HASH_DOUBLE                 fail      pair    one side's value is the SHA-256 of the other's hex (or of the hash of the other's plaintext)
//	HASH_NOT_NORMALIZED         fail      pair    one side's hash is the hash of a wrong form of the other side's plaintext (e.g. a Meta ph hashed with '+')
//	MATCH_FBP_MISMATCH          fail      pair    both sides carry fbp and they differ ("invalid match key parameters")
//	MATCH_EXTERNAL_ID_MISMATCH  fail      pair    both sides carry external_id and they differ (incl. hashed on one side only)
//	CLICKID_DROPPED             fail      pair    the browser had fbclid/fbc and the server neither; or the browser had gclid, gbraid or wbraid and the server not that id
//	CLICKID_FBCLID_MODIFIED     fail      client/server/pair  the URL's fbclid ≠ fbc's fbclid on one side, or the server's fbc carries another fbclid than the browser's
//	CONSENT_MISMATCH            fail      pair    the browser denied ad_user_data or the TCF purposes and the server sent user-data match keys, or denied ad_storage and the server sent cookie ids (fbc, fbp, Google click ids) — while the server itself carried no such denial
//
// CONSENT_MISMATCH is fail, not critical: gcs/gcd readings are unconfirmed
// community decodings (REFERENCE §3.7), and a denial the server itself
// carried is the per-event CONSENT_PII_WITHOUT_CONSENT's business.
// With only plaintext on one side, a hash that is none of its correct, wrong
// or double forms is not called a mismatch: the plaintext's normalisation may
// lack what the server knew (a phone's calling code).
//
// Paths name the server-side field (user_data.em,
// user_data.sha256_email_address, user_data.fbc); CLICKID_FBCLID_MODIFIED on
// one side names that side's fbc. Check(c, nil) or Check(nil, s) runs the
// per-side checks of an orphan.
package pair
