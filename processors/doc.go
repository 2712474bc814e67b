// Package processors holds what every check family and the join share: the
// keyed Fingerprinter that stands in for values in findings, the keyed
// Digester that lets state compare values without storing them, and the
// compact Snapshot of one side of a join group.
//
// Everything under processors/ is pure: no Kafka, no Badger, no OTel, no I/O.
// Check families live in sub-packages (hashing, pii, params, consent, …) and
// the join in processors/join.
package processors
