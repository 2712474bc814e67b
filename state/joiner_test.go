package state

import (
	"testing"

	"github.com/sstaudit/sstaudit/processors/join"
	"github.com/sstaudit/sstaudit/schemas"
)

// TestJoiner: a pair matches at once, an orphan closes only at CloseAll, and
// CloseAll drains every window even when the join bounds closes per call.
func TestJoiner(t *testing.T) {
	forEachMode(t, func(t *testing.T, s *Store) {
		cfg := join.NewDefaultConfig()
		cfg.MaxClosesPerCall = 1
		proc, err := join.New(cfg, join.Checks{})
		if err != nil {
			t.Fatal(err)
		}
		j := NewJoiner(s, proc)
		const t0 = int64(1_772_446_500_000)
		ev := func(side schemas.Side, key string, off int64) *schemas.Event {
			return &schemas.Event{Side: side, Destination: schemas.DestinationMeta, EventName: "Purchase", JoinKey: key,
				Source: schemas.Source{Topic: "tracking." + string(side), Offset: off, RecordTime: t0 + off}}
		}
		outcomes := map[string]int{}
		windows := 0
		count := func(outs []join.Output, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range outs {
				if o.Audit != nil {
					outcomes[o.Audit.Outcome]++
				}
				if o.Metrics != nil {
					windows++
				}
			}
		}
		count(j.Apply(ev(schemas.SideClient, "a", 1)))
		count(j.Apply(ev(schemas.SideServer, "a", 2)))
		count(j.Apply(ev(schemas.SideClient, "b", 3)))
		count(j.Apply(ev(schemas.SideClient, "c", 4)))
		if outcomes["matched"] != 1 || outcomes["client_only"] != 0 {
			t.Fatalf("before CloseAll: %v", outcomes)
		}
		count(j.CloseAll(t0 + 100*3_600_000))
		if outcomes["client_only"] != 2 || windows != 1 {
			t.Fatalf("after CloseAll: %v, %d windows", outcomes, windows)
		}
	})
}
