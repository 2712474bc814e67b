package consumers

import (
	"time"

	"github.com/segmentio/kafka-go"
)

// A task reads partition p of two topics and must apply their records in an
// order that does not depend on fetch timing: after a crash the task resumes
// from its stored offsets and must make the same decisions as a run that never
// stopped (exactly-once metrics rest on it). So the two inputs are merged by
// record timestamp, as Kafka Streams does: the record with the smaller
// timestamp goes first (client before server on a tie). When only one input
// has a record buffered, the task proceeds at once if the other is known to
// be caught up (its last record was at the partition's high watermark, or the
// task found it at its end offset on start). If the other is known to have
// records still to fetch, the task waits for them, up to maxLagWait (a broker
// outage must not stall the partition forever); if nothing is known of it, up
// to maxIdle. Only when a wait runs out can the order depend on timing.

// feedState is what the merge knows about one input partition.
type feedState struct {
	head     *kafka.Message // next record, nil when none buffered
	known    bool           // caughtUp is known
	caughtUp bool           // nothing more was in the partition when last seen
}

// mergeChoice is the merge's decision.
type mergeChoice int

const (
	mergeWait   mergeChoice = iota // nothing to apply yet
	mergeClient                    // apply the client head
	mergeServer                    // apply the server head
)

// chooseNext decides which buffered record to apply next. waited is how long
// the merge has been holding a head back for the other input.
func chooseNext(client, server feedState, waited, maxIdle, maxLagWait time.Duration) mergeChoice {
	switch {
	case client.head != nil && server.head != nil:
		if server.head.Time.Before(client.head.Time) {
			return mergeServer
		}
		return mergeClient
	case client.head != nil:
		if mayPass(server, waited, maxIdle, maxLagWait) {
			return mergeClient
		}
	case server.head != nil:
		if mayPass(client, waited, maxIdle, maxLagWait) {
			return mergeServer
		}
	}
	return mergeWait
}

// mayPass reports whether the merge may apply the other input's head while
// f has none buffered.
func mayPass(f feedState, waited, maxIdle, maxLagWait time.Duration) bool {
	switch {
	case f.known && f.caughtUp:
		return true
	case f.known:
		return waited >= maxLagWait
	}
	return waited >= maxIdle
}

// isCaughtUp reports whether m was the newest record of its partition when
// it was fetched.
func isCaughtUp(m *kafka.Message) bool {
	return m.HighWaterMark > 0 && m.Offset+1 >= m.HighWaterMark
}
