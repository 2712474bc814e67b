// Package synth generates realistic tracking traffic in every input format of
// SPEC §3, with a configurable mix of planted faults and the exact ground
// truth of what the join must report for it.
//
// A conversion is one user action seen by one destination (Meta or GA4). The
// browser copy is a Pixel or gtag hit; the server copy a Conversions API
// body, a Measurement Protocol body or server-side GTM event data. Personal
// data is invented, hashed the way each destination wants it (REFERENCE.md
// §4), and the faults are the ones users hit in the field: lost copies,
// skewed clocks, renamed events, plaintext and double-hashed identifiers,
// double sends, missing ids, PII in URLs, and undecodable messages.
//
// Generation is deterministic for a seed, except for record times, which
// follow the Clock (wall clock by default).
package synth
