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
// has a record buffered, the task waits for the other unless that one is known
// to be caught up (its last record was just below the partition's high
// watermark) or it has been waiting longer than maxIdle; then it proceeds, and
// only then can the order depend on timing.

// feedState is what the merge knows about one input partition.
type feedState struct {
	head     *kafka.Message // next record, nil when none buffered
	caughtUp bool           // the last record fetched was the newest in the partition
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
func chooseNext(client, server feedState, waited, maxIdle time.Duration) mergeChoice {
	switch {
	case client.head != nil && server.head != nil:
		if server.head.Time.Before(client.head.Time) {
			return mergeServer
		}
		return mergeClient
	case client.head != nil:
		if server.caughtUp || waited >= maxIdle {
			return mergeClient
		}
	case server.head != nil:
		if client.caughtUp || waited >= maxIdle {
			return mergeServer
		}
	}
	return mergeWait
}

// isCaughtUp reports whether m was the newest record of its partition when
// it was fetched.
func isCaughtUp(m *kafka.Message) bool {
	return m.HighWaterMark > 0 && m.Offset+1 >= m.HighWaterMark
}
