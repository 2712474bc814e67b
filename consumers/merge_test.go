package consumers

import (
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

func TestChooseNext(t *testing.T) {
	t.Parallel()
	at := func(ms int64) *kafka.Message { return &kafka.Message{Time: time.UnixMilli(ms)} }
	const idle, lagWait = 500 * time.Millisecond, 30 * time.Second
	lagging := feedState{known: true}
	for _, tc := range []struct {
		name           string
		client, server feedState
		waited         time.Duration
		want           mergeChoice
	}{
		{"both, client older", feedState{head: at(1)}, feedState{head: at(2)}, 0, mergeClient},
		{"both, server older", feedState{head: at(5)}, feedState{head: at(2)}, 0, mergeServer},
		{"both, tie goes to client", feedState{head: at(5)}, feedState{head: at(5)}, 0, mergeClient},
		{"client only, server unknown", feedState{head: at(1)}, feedState{}, 0, mergeWait},
		{"client only, server unknown, waited out", feedState{head: at(1)}, feedState{}, idle, mergeClient},
		{"client only, server caught up", feedState{head: at(1)}, feedState{known: true, caughtUp: true}, 0, mergeClient},
		{"client only, server lagging", feedState{head: at(1)}, lagging, idle, mergeWait},
		{"client only, server lagging, waited out", feedState{head: at(1)}, lagging, lagWait, mergeClient},
		{"server only, client unknown", feedState{}, feedState{head: at(1)}, idle - 1, mergeWait},
		{"server only, client lagging", lagging, feedState{head: at(1)}, lagWait - 1, mergeWait},
		{"server only, client caught up", feedState{known: true, caughtUp: true}, feedState{head: at(1)}, 0, mergeServer},
		{"nothing", feedState{known: true, caughtUp: true}, feedState{known: true, caughtUp: true}, time.Hour, mergeWait},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := chooseNext(tc.client, tc.server, tc.waited, idle, lagWait); got != tc.want {
				t.Fatalf("chooseNext = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestIsCaughtUp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		offset, hwm int64
		want        bool
	}{{9, 10, true}, {8, 10, false}, {0, 0, false}, {0, 1, true}} {
		if got := isCaughtUp(&kafka.Message{Offset: tc.offset, HighWaterMark: tc.hwm}); got != tc.want {
			t.Errorf("isCaughtUp(offset %d, hwm %d) = %v", tc.offset, tc.hwm, got)
		}
	}
}
