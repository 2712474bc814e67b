package consumers

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sstaudit/sstaudit/consumers/kafkatest"
	"github.com/sstaudit/sstaudit/schemas/synth"
)

// TestIntegrationCrashKill9 runs `sstaudit run` as a child process and
// SIGKILLs it at random moments while traffic streams in — some lives after
// its state directory was deleted, some killed in the middle of restoring
// from the changelog — then lets one instance finish. The deduplicated
// metrics must equal the planted truth and an uninterrupted run exactly, and
// the audit records must be the uninterrupted run's (same audit_ids).
func TestIntegrationCrashKill9(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	bin := sstauditBinary(t)
	const partitions = 4
	names := scenarioNames(t)
	kafkatest.CreateTopics(t, brokers, partitions, names["client"], names["server"])
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	type genResult struct {
		truth *synth.Truth
		err   error
	}
	genc := make(chan genResult, 1)
	go func() {
		truth, err := Generate(ctx, GenerateConfig{
			Brokers: brokers, ClientTopic: names["client"], ServerTopic: names["server"], Partitions: partitions,
			Conversions: 6000, Rate: 200,
			Synth: synth.Config{Seed: 42, Mix: synth.DefaultMix, Clock: syntheticClock(5 * time.Millisecond)},
		})
		genc <- genResult{truth, err}
	}()

	dir := t.TempDir()
	stateDir := filepath.Join(dir, "state")
	rng := rand.New(rand.NewPCG(7, 7))
	var (
		truth                             *synth.Truth
		kills, wipes, duringRestore, life int
		restores, restoredRecords         int
		uninterrupted                     *child
		refNames                          map[string]string
	)
	start := time.Now()
	for kills < 22 || truth == nil {
		if time.Since(start) > 5*time.Minute {
			t.Fatalf("kill loop still running after %s: %d kills, generator done %v", time.Since(start), kills, truth != nil)
		}
		select {
		case g := <-genc:
			if g.err != nil {
				t.Fatalf("generate: %v", g.err)
			}
			truth = g.truth
			// The reference: an uninterrupted run over the same input.
			refNames = scenarioNames(t)
			refNames["client"], refNames["server"] = names["client"], names["server"]
			uninterrupted = startChild(t, bin, runArgs(brokers, refNames, filepath.Join(dir, "ref-state"), "reference"),
				filepath.Join(dir, "reference.log"))
		default:
		}
		life++
		wiped := life%4 == 0
		if wiped {
			if err := os.RemoveAll(stateDir); err != nil {
				t.Fatal(err)
			}
			wipes++
		}
		logPath := filepath.Join(dir, fmt.Sprintf("life-%02d.log", life))
		c := startChild(t, bin, runArgs(brokers, names, stateDir, "crash"), logPath)
		if wiped && life%8 == 0 {
			// Kill it while it restores: as soon as a restore starts.
			deadline := time.Now().Add(20 * time.Second)
			for len(logLines(t, logPath, "restoring state")) == 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(time.Duration(rng.IntN(50)) * time.Millisecond)
		} else {
			// Kill it while it works: once its tasks have started, at a
			// random moment of the next 2.5s.
			deadline := time.Now().Add(20 * time.Second)
			for len(logLines(t, logPath, "task started")) == 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(time.Duration(rng.IntN(2500)) * time.Millisecond)
		}
		c.kill()
		kills++
		begun, finished := len(logLines(t, logPath, "restoring state")), logLines(t, logPath, "state restored")
		if begun > len(finished) {
			duringRestore++
		}
		for _, r := range finished {
			restores++
			if n, ok := r["records"].(float64); ok {
				restoredRecords += int(n)
			}
		}
	}
	t.Logf("%d kills in %s (%d with a deleted state dir, %d during a restore); %d restores completed, %d changelog records restored",
		kills, time.Since(start).Round(time.Second), wipes, duringRestore, restores, restoredRecords)
	if duringRestore == 0 {
		t.Error("no kill landed during a restore")
	}
	if restoredRecords == 0 {
		t.Error("no state was restored from the changelog")
	}

	final := startChild(t, bin, runArgs(brokers, names, stateDir, "crash"), filepath.Join(dir, "final.log"))
	got := waitComplete(t, ctx, brokers, names, truth, 2*time.Minute)
	ref := waitComplete(t, ctx, brokers, refNames, truth, 2*time.Minute)
	final.stop(t, 30*time.Second)
	uninterrupted.stop(t, 30*time.Second)
	t.Logf("crashed run: %d metrics, %d findings, %d DLQ records read (%d windows, %d audit ids, %d DLQ inputs after dedup); reference: %d/%d/%d",
		got.records[0], got.records[1], got.records[2], len(got.windows), len(got.audits), len(got.dlq),
		ref.records[0], ref.records[1], ref.records[2])

	checkAgainstTruth(t, got, truth)
	checkAgainstTruth(t, ref, truth)
	for id, c := range ref.windows {
		if got.windows[id] != c {
			t.Errorf("window %s: %+v after crashes, %+v uninterrupted", id, got.windows[id], c)
		}
	}
	if len(got.windows) != len(ref.windows) {
		t.Errorf("%d windows after crashes, %d uninterrupted", len(got.windows), len(ref.windows))
	}
	missing := 0
	for id, oc := range ref.audits {
		if got.audits[id] != oc {
			missing++
		}
	}
	if missing > 0 || len(got.audits) != len(ref.audits) {
		t.Errorf("audit ids: %d of the uninterrupted run's %d missing or different; %d after crashes", missing, len(ref.audits), len(got.audits))
	}
}
