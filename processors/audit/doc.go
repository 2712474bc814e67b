// Package audit runs every check family under one house policy: it is what
// the join calls (join.Checks) in `sstaudit run`, `demo` and `check`.
//
// # Policy
//
// Policy is the config file's `policy:` section: each family's Config under
// its own key. NewDefaultPolicy gives every default; decode the file onto it
// (strictly: an unknown key is an error) and keys the file leaves out keep
// their defaults. testdata/policy.yaml holds every key at its default and is
// tested to be exactly NewDefaultPolicy. The sections:
//
//	decode    house choices of decoding: schema_version_param (default
//	          cx_schema_version) and fallback_keys, the join keys used when an
//	          event has no event_id (default ga4 purchase → transaction_id)
//	time      processors/timecheck: TIME_STALE (Meta 7 days, physical_store
//	          62 days, GA4 72 h), TIME_FUTURE (60 s, house), TIME_UNIT
//	hashing   processors/hashing: hash shapes, sentinels, dictionaries,
//	          click-id and IP formats, hashes outside user_data
//	pii       processors/pii: PII_LEAK entities, IP policy per destination
//	          (house: anywhere, severity warn), decode passes (3), fixture
//	          domain allowlist (none), phone regions, card IIN table
//	pair      processors/pair: which server keys a browser's consent denial
//	          forbids (ad_user_data: the personal match keys; ad_storage: fbc
//	          and fbp)
//
// Join thresholds (match window, grace, alignment) are flags, not policy.
//
// # Order
//
// Auditor.Event appends the per-event findings of each family in this fixed
// order, so that equal events give equal findings in equal order (the join's
// exactly-once metrics and replayed audit records depend on it):
//
//  1. time (timecheck.Check)
//  2. hashing (hashing.Check)
//  3. pii (pii.Detector.Check)
//
// Each family appends its findings in the order of the event's fields. The
// join then adds its own (DEDUP_*, TIME_MISALIGNED) and, for matched pairs,
// the pair checks (Auditor.Pair) after both sides' per-event findings.
// Snapshot is processors.BuildSnapshot with a Digester derived from the
// fingerprint key; MatchKeys is join.DefaultMatchKeys.
//
// # Keys
//
// New takes the deployment key (SSTAUDIT_FINGERPRINT_KEY, FingerprintKeyEnv).
// Findings carry HMAC-SHA256 fingerprints under it (none when it is empty);
// state digests are derived from it. Findings never carry values.
//
// An Auditor prepares everything once (the PII tables, the hash dictionary
// and the sentinel set) and is then read-only: one serves every task.
package audit
