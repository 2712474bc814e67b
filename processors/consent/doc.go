// Package consent checks that one event honours the consent it carries, and
// that it carries a signal where house policy requires one (REFERENCE §3.4,
// §3.7, §5, §9). The pair check CONSENT_MISMATCH — the server ignoring the
// browser's denial — is processors/pair's.
//
// # Codes and severities
//
//	code                         severity  when                                                                basis
//	CONSENT_PII_WITHOUT_CONSENT  critical  user-data match keys sent while MP consent.ad_user_data is DENIED   [Google] MP reference, REFERENCE §3.4
//	                             critical  … while a TCF v2 TC string (gdpr ≠ 0) lacks a purpose the policy    [IAB] TCF v2 core segment; purposes [house]
//	                                       requires for the destination (default 1, 3, 4, 7)
//	                             fail      … while only gcd reads as ad_user_data denied                       community decoding, REFERENCE §3.7
//	CONSENT_MISSING              warn      a Requirement of the policy covers the event (destination, region)  [house]; default: no requirement
//	                                       and none of its signals was sent
//
// "User data" is the set of match keys in Config.UserDataKeys: by default
// the personal ones (em, ph, fn, ln, ct, st, zp, country, db, ge,
// external_id, street, GA4 user_id, in any of their Meta, GA4 or sGTM
// spellings), not the cookie ids, IP or user agent that ad_storage governs.
// One finding per event names the first such field and counts them.
//
// # gcd is never enough for critical
//
// Google documents neither gcd's layout nor its letters; the reading used
// here (ad_user_data is the third letter; p, q, m, u mean denied) is the
// community's (processors.GCDAdUserDataIndex). A denial read from gcd alone
// is therefore reported at Config.GCDSeverity, default fail, and Validate
// rejects critical there. Only a documented carrier — MP consent (Google's
// own field) or a decodable TCF v2 string (the IAB's format) — makes the
// finding critical; when both a documented denial and gcd deny, the
// documented one sets the severity and the message names it. gcs is not
// read: it carries ad_storage and analytics_storage, not ad_user_data.
//
// # TC strings
//
// DecodePurposes reads PurposesConsent (bits 152–175 of the core segment:
// base64url, unpadded, the part before the first '.'). It is robust to
// garbage: a string that is too short, uses characters outside base64, or is
// not version 2 decodes to "not ok" and proves nothing — no denial and, for
// CONSENT_MISSING, no tcf signal. gdpr=0 says TCF does not apply and
// disables the TCF reading. GPP strings are not decoded.
//
// # Regions
//
// A Requirement may name regions (ISO-2). An event's region is read from the
// fields at Config.RegionPaths (sGTM event_location.country, MP
// user_location.country_id by default); when none is present the
// requirement applies if RequireWhenRegionUnknown (default true).
package consent
