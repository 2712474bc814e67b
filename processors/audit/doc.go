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
//	decode      fallback_keys: the join keys used when an event has no
//	            event_id (default ga4 purchase → transaction_id)
//	params      processors/params: event names, action_source, standard
//	            params, currency, value, GA4 limits and reserved names; the
//	            house checks PARAM_NOT_NAMESPACED (prefix cx_) and
//	            SCHEMA_VERSION_MISSING (cx_schema_version, also what decoding
//	            reads) are off by default
//	time        processors/timecheck: TIME_STALE (Meta 7 days, physical_store
//	            62 days, GA4 72 h), TIME_FUTURE (60 s, house), TIME_UNIT
//	consent     processors/consent: TCF purposes per destination (1, 3, 4, 7),
//	            gcd severity (fail), requirements (none: a signal is not
//	            required, a denial must be honoured)
//	match_keys  processors/matchkeys: completeness bands (6+ pass, 4–5 warn,
//	            fewer fail; MATCH_KEYS_LOW info in band warn, warn in band
//	            fail), EMQ weights, required website fields
//	hashing     processors/hashing: hash shapes, sentinels, dictionaries,
//	            click-id and IP formats, hashes outside user_data
//	pii         processors/pii: PII_LEAK entities, IP policy per destination
//	            (house: anywhere, severity warn), decode passes (3), fixture
//	            domain allowlist (none), phone regions, card IIN table
//	pair        processors/pair: which server keys a browser's consent denial
//	            forbids (ad_user_data: the personal match keys; ad_storage: fbc
//	            and fbp)
//
// Join thresholds (match window, grace, alignment) are flags, not policy.
//
// # Order
//
// Auditor.Event appends the per-event findings of each family in this fixed
// order, so that equal events give equal findings in equal order (the join's
// exactly-once metrics and replayed audit records depend on it):
//
//  1. params (params.Check): event name, action_source, parameters
//  2. time (timecheck.Check)
//  3. consent (consent.Check)
//  4. match keys (matchkeys.Check): completeness, required website fields
//  5. hashing (hashing.Check)
//  6. pii (pii.Detector.Check)
//
// Each family appends its findings in the order of the event's fields. The
// join then adds its own (DEDUP_*, TIME_MISALIGNED) and, for matched pairs,
// the pair checks (Auditor.Pair) after both sides' per-event findings.
// Snapshot builds the processors.Snapshot with a Digester derived from the
// fingerprint key and the policy's consent.tcf_purposes (the same purposes
// the per-event consent check requires); MatchKeys is matchkeys.Summarize (band and EMQ
// estimate).
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
