package consumers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sstaudit/sstaudit/consumers/kafkatest"
	"github.com/sstaudit/sstaudit/schemas/synth"
	"github.com/sstaudit/sstaudit/state"
)

// dumpStores returns every entry of every partition store under the state
// dir (the stores must be closed).
func dumpStores(t *testing.T, p *Pipeline, partitions int) map[int][]string {
	t.Helper()
	out := map[int][]string{}
	for part := range partitions {
		s, err := state.Open(p.storeDir(part))
		if err != nil {
			t.Fatal(err)
		}
		err = s.Each(func(k, v []byte) error {
			out[part] = append(out[part], fmt.Sprintf("%x=%x", k, v))
			return nil
		})
		if cerr := s.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestChangelogRestoresTheCommittedStore processes traffic, then deletes
// every local store and starts again: the stores rebuilt from the changelog
// must equal the committed ones entry for entry — groups, close index,
// windows, offsets and clock — and the restored tasks must not re-apply
// any input.
func TestChangelogRestoresTheCommittedStore(t *testing.T) {
	t.Parallel()
	const partitions = 3
	brokers := kafkatest.NewFake(t, partitions)
	names := scenarioNames(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	truth, err := Generate(ctx, GenerateConfig{
		Brokers: brokers, ClientTopic: names["client"], ServerTopic: names["server"], Partitions: partitions,
		Conversions: 1500, Synth: synth.Config{Seed: 5, Mix: synth.DefaultMix, Clock: syntheticClock(5 * time.Millisecond)},
	})
	if err != nil {
		t.Fatal(err)
	}
	total := truth.Messages["client"] + truth.Messages["server"]
	cfg := fastConfig(t, brokers, names)
	// No idle advance: a restarted task must change nothing on its own.
	cfg.IdleAdvance = time.Hour

	p1, stop1 := runPipelineBG(t, cfg)
	waitFor(t, 90*time.Second, "all input applied", func() bool { return p1.Stats().Consumed.Load() >= total })
	stop1()
	before := dumpStores(t, p1, partitions)
	entries := 0
	for _, es := range before {
		entries += len(es)
	}
	if entries < 100 {
		t.Fatalf("only %d state entries: the test shows little", entries)
	}
	if err := os.RemoveAll(filepath.Join(cfg.StateDir, cfg.Group)); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	p2, stop2 := runPipelineBG(t, cfg)
	waitFor(t, 60*time.Second, "every task restored and started", func() bool {
		return p2.Stats().OpenTasks.Load() == partitions && p2.Stats().Restored.Load() > 0 && readyNow(p2)
	})
	restoreTime := time.Since(start)
	time.Sleep(500 * time.Millisecond)
	stop2()
	if n := p2.Stats().Consumed.Load(); n != 0 {
		t.Errorf("the restored tasks applied %d input messages again", n)
	}
	after := dumpStores(t, p2, partitions)
	for part := range partitions {
		if fmt.Sprint(after[part]) != fmt.Sprint(before[part]) {
			t.Errorf("partition %d: restored store has %d entries, committed store had %d (or they differ)",
				part, len(after[part]), len(before[part]))
		}
	}
	t.Logf("%d state entries in %d stores rebuilt from %d changelog records in %s", entries, partitions,
		p2.Stats().Restored.Load(), restoreTime.Round(time.Millisecond))
}

func readyNow(p *Pipeline) bool { ok, _ := p.Ready(); return ok }
