// Package pii finds personal data where it must not be: the PII_LEAK check
// (SPEC §5, REFERENCE §7).
//
// A Detector is built once from a Config (tables, key groups, IIN ranges,
// allowlists) and is then read-only, so one Detector serves every goroutine.
// Check walks every leaf of an event (UserData, Params, Other and the page
// URL and referrer) and judges each value in its context: the destination,
// the format (which also says the pipeline stage: plaintext user_data is
// normal inside sGTM and a leak in an outgoing request), the section and the
// leaf's key. Values that hash-required user_data keys hold are the hashing
// checker's business and are not scanned here.
//
// Scanning a value runs, in order:
//
//  1. structure: URLs and query strings are split into their parameters and
//     each parameter is judged with its own key (path "dl?email"); JSON
//     strings are walked with their keys; base64 and JWT payloads that decode
//     to text are rescanned (path "dl?data→$email");
//  2. the bounded decode cascade: percent-decoding up to Config.DecodePasses
//     passes ("+" is a space in query values), HTML entities, removal of
//     zero-width characters and NFKC (full-width "＠");
//  3. identifiers first: hex hashes, UUIDs, fbp/fbc, click ids, ESP ids and
//     timestamps are recognised and masked before any number detector runs;
//  4. validators: email with an ICANN TLD, phone through libphonenumber with
//     key context, card by Luhn + IIN + length, IBAN by mod-97 and per-country
//     length, IP through net/netip with boundary rules, SSN by its structure,
//     JWTs, bearer tokens and secret keys; names and addresses by key only.
//
// A detection never carries the value it found: findings hold a keyed
// fingerprint (processors.Fingerprinter) of the normalised value, and
// Detection has no value at all. Work per value is bounded (MaxValueBytes,
// MaxCandidates, decode depth), and the clean path (hashes, ids, URLs without
// PII) does not allocate.
package pii

//go:generate go run ./corpusgen -out testdata/corpus.jsonl
