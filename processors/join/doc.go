// Package join joins the browser and server copies of each conversion by
// (destination, join key) and turns the outcome into audit records and window
// metrics (SPEC §4, §6, §7). It is pure: no Kafka, no Badger, no clock other
// than the injected one; all state lives behind the State interface, which
// the caller backs with a transaction (state.Tx).
//
// # API
//
//	p, err := join.New(cfg, join.Checks{Event: …, Snapshot: …, Pair: …, MatchKeys: …})
//	out, err := p.Apply(tx, ev)    // one decoded event
//	out, err := p.Advance(tx, t)   // idle advance of stream time to t
//	more, err := p.Backlog(tx)     // due work left by the bounded close
//
// Each Output is an AuditRecord (key destination/event_id, or the audit_id
// when there is no key) or a WindowMetrics (key destination/event_name/
// window_start).
//
// # Semantics
//
// Stream time is the highest Kafka record time applied, kept in state; Advance
// moves it forward with a wall-clock-driven t when the inputs are idle, and it
// never moves back. Payload event times are measured, never used for expiry.
//
// The first event of a key opens a group at first = its record time; the
// group closes when stream time reaches first + MatchWindow + Grace. The
// second side arriving while it is open is a match, emitted at once (findings:
// both sides' event findings, the Pair findings, DEDUP_NAME_MISMATCH when the
// names differ, TIME_MISALIGNED when |server − client event time| exceeds
// Alignment). A further event of a side already present is a duplicate,
// emitted at once (DEDUP_DUPLICATE, or DEDUP_ID_REUSED when its payload digest
// or name differs from the stored event of that side); it is never a second
// match. An event with no join key is unjoinable at once (DEDUP_NO_EVENT_ID).
// A group closing with one side gives client_only (DEDUP_CLIENT_ONLY, warn) or
// server_only (DEDUP_SERVER_ONLY, info); a matched group closes silently. An
// event whose Source (topic, partition, offset, batch index) was already
// applied to its group — either side or a duplicate — is a redelivery: it
// changes nothing and emits nothing. (Unjoinable events have no group: the
// consumer's offset check is what keeps their redelivery out.)
//
// # Windows
//
// Metrics windows are tumbling windows of MetricsWindow over stream time, per
// (destination, event name, partition). A group counts in the window of its
// first record — unless that window is already due (a very late record), then
// in the first window that is not. A window starting at s is due when stream
// time reaches s + MetricsWindow + MatchWindow + Grace: every group that
// opened in it has closed by then. It is emitted once, after every due group
// has closed, and deleted. "Already due" is a function of stream time alone,
// so the assignment does not depend on how the work was split into calls or
// transactions.
//
// A group's event name is the client's when the client side exists, else the
// server's. While only the server side is present the group keeps its
// contribution to the window (events, duplicates, match keys, findings) in a
// small pending aggregate inside the group; when the client arrives the name
// is final and the pending part is folded into the client name's window, and
// from then on contributions go straight to the window. A group that closes
// server-only folds it under the server's name. Event counts are added when an
// event is applied; findings when the audit record carrying them is emitted.
//
// Counts are exact. Skew p50/p95 come from a log-linear histogram (exact
// below 32 ms, then 16 buckets per power of two: within 3.2%); the maximum
// is exact.
//
// # Determinism and durability
//
// Outputs are a function of the input sequence (events and Advance times) and
// the state: audit_id is derived from the outcome and the input coordinates,
// and only pipeline.processed_at comes from the clock. The caller writes the
// outputs to Kafka before committing the state transaction that produced
// them, and stores the input offsets in that same transaction. After a crash
// the input replays from the stored offsets against the committed state, and
// the processor re-emits the same records with the same audit_id: outputs are
// at-least-once with stable ids, state and metrics exactly-once.
//
// # Bounded work
//
// One call closes at most MaxClosesPerCall due groups (and emits at most as
// many windows), so a jump of stream time cannot make one call or one
// transaction unbounded. A due group not yet closed is closed before an event
// of its key is applied, and windows wait until no due group is left, so the
// results are those of an unbounded close. Backlog reports work left; the
// caller runs Advance(tx, 0) while it is true, committing between calls when
// the transaction is full.
//
// # State
//
// State (implemented by state.Tx) offers groups (get, open with a close
// time, put, delete), the close index scanned in (close time, key) order up
// to a time, window aggregates keyed by (start, destination/name) with the
// same ordered scan, and the clock: stream time and a watermark. The
// watermark is the stream time up to which everything due has been done; a
// call whose stream time does not exceed it scans nothing, and a late record
// that opens an already-due group lowers it. Both are state, so they commit
// and roll back with everything else.
//
// A group is encoded compactly (version byte, varints, fixed 8-byte digests):
// a side keeps its Snapshot and event findings until the match, then only the
// digests of its name, payload and source (a matched group waiting for its
// close is ~60 bytes). A server-first group's own first event is not kept in
// its pending aggregate but recomputed from the snapshot when needed. Event
// times and record times are deltas from the group's first record time; a
// snapshot's topic is a flag when it is the side's Config.ClientTopic /
// ServerTopic; a join key in lower-case UUID form is packed into 16 bytes in
// the state key. Window aggregates use the same encoding (Agg.AppendBinary).
// Every encoding starts with a version byte; a Snapshot field change needs a
// new version.
package join
