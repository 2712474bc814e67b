package consumers

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sstaudit/sstaudit/consumers/kafkatest"
	"github.com/sstaudit/sstaudit/schemas/synth"
)

// restoredRecords sums the records of the "state restored" log lines of a
// child's log.
func restoredRecords(t *testing.T, path string) (restores, records int) {
	for _, r := range logLines(t, path, "state restored") {
		restores++
		if n, ok := r["records"].(float64); ok {
			records += int(n)
		}
	}
	return restores, records
}

// TestIntegrationScaleOneTwoOne runs two `sstaudit run` processes (own state
// dirs and instance ids, one group) while traffic streams in: A alone, then A
// and B, then B alone (A stopped), then A again (its old stores are behind),
// then A alone. State must move both ways through the changelog, and the
// metrics equal the planted truth exactly.
func TestIntegrationScaleOneTwoOne(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	bin := sstauditBinary(t)
	const partitions = 4
	names := scenarioNames(t)
	kafkatest.CreateTopics(t, brokers, partitions, names["client"], names["server"])
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	wait := generateAsync(t, ctx, brokers, names, partitions, 9000, 200, 61, synth.DefaultMix)

	dir := t.TempDir()
	dirA, dirB := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	logA1, logB1, logA2 := filepath.Join(dir, "a1.log"), filepath.Join(dir, "b1.log"), filepath.Join(dir, "a2.log")
	started := func(path string, n int) func() bool {
		return func() bool { return len(logLines(t, path, "task started")) >= n }
	}
	phase := func(what string) { t.Logf("%s: %s", time.Now().Format("15:04:05.000"), what) }

	phase("A alone")
	a := startChild(t, bin, runArgs(brokers, names, dirA, "instance-a"), logA1)
	waitFor(t, 60*time.Second, "A's tasks", started(logA1, partitions))
	time.Sleep(5 * time.Second)

	phase("A and B")
	b := startChild(t, bin, runArgs(brokers, names, dirB, "instance-b"), logB1)
	waitFor(t, 60*time.Second, "B's tasks", started(logB1, 1))
	time.Sleep(6 * time.Second)
	bRestores, bRecords := restoredRecords(t, logB1)
	if bRecords == 0 {
		t.Errorf("B took partitions without restoring their state (%d restores)", bRestores)
	}

	phase("B alone")
	a.stop(t, 30*time.Second)
	waitFor(t, 60*time.Second, "B to take every partition", func() bool {
		r, _ := restoredRecords(t, logB1)
		return r >= partitions
	})
	time.Sleep(5 * time.Second)
	// The restores show in B's metrics, as sstaudit.state.restore.records.
	_, recs := restoredRecords(t, logB1)
	if got := scrapeCounter(t, b.http, "sstaudit_state_restore_records_total"); got != float64(recs) {
		t.Errorf("B's /metrics: sstaudit_state_restore_records_total = %v, its log says %d records restored", got, recs)
	}

	phase("A and B again")
	a = startChild(t, bin, runArgs(brokers, names, dirA, "instance-a"), logA2)
	waitFor(t, 60*time.Second, "A's tasks", started(logA2, 1))
	time.Sleep(6 * time.Second)

	phase("A alone again")
	b.stop(t, 30*time.Second)
	truth := wait()
	got := waitComplete(t, ctx, brokers, names, truth, 3*time.Minute)
	a.stop(t, 30*time.Second)
	checkAgainstTruth(t, got, truth)

	bRestores, bRecords = restoredRecords(t, logB1)
	aRestores, aRecords := restoredRecords(t, logA2)
	if aRecords == 0 {
		t.Errorf("A came back without catching up from the changelog (%d restores)", aRestores)
	}
	t.Logf("A→B: %d restores, %d records; B→A: %d restores, %d records; %d conversions, %d windows, %d audit ids, totals exact",
		bRestores, bRecords, aRestores, aRecords, truth.Conversions, len(got.windows), len(got.audits))
}

// scrapeCounter returns the sum of a metric's samples on a child's /metrics.
func scrapeCounter(t *testing.T, addr, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scrape %s: %v", addr, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, name+" ") && !strings.HasPrefix(line, name+"{") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			t.Fatalf("bad sample %q", line)
		}
		sum += v
	}
	return sum
}
