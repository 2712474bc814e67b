package consumers

import (
	"context"
	"testing"
	"time"

	"github.com/sstaudit/sstaudit/consumers/kafkatest"
	"github.com/sstaudit/sstaudit/processors/audit"
)

func benchChecks(t *testing.T) *audit.Auditor {
	t.Helper()
	a, err := audit.New(audit.NewDefaultPolicy(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %g, want %g", c.in, got, c.want)
		}
	}
}

// TestBenchOpenGroupsSmall runs the open-groups mode on a few thousand
// groups: every group lands on disk and the figures are filled in.
func TestBenchOpenGroupsSmall(t *testing.T) {
	a := benchChecks(t)
	res, err := BenchOpenGroups(context.Background(), OpenGroupsConfig{
		Groups: 3000, Seed: 1, Dir: t.TempDir(), Checks: a.Checks(), Decode: a.DecodeOptions(0),
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Groups != 3000 || res.DiskBytes <= 0 || res.PeakRSS <= 0 || res.Elapsed <= 0 {
		t.Fatalf("result %+v", res)
	}
}

// TestIntegrationBench runs `sstaudit bench` end to end on a tiny scenario
// against the real broker: both phases consume every input message, and the
// latency phase sees matched records.
func TestIntegrationBench(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	a := benchChecks(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := Bench(ctx, BenchConfig{
		Brokers: brokers, Events: 2000, Partitions: 2, Seed: 7, Runs: 1, WorkDir: t.TempDir(),
		Prefix: kafkatest.UniqueName(t, "bench"), LatencyDuration: 2 * time.Second, LatencyRate: 400,
		Checks: a.Checks(), Decode: a.DecodeOptions(0),
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Messages < 2000 || len(rep.Runs) != 1 {
		t.Fatalf("report %+v", rep)
	}
	run := rep.Runs[0]
	if run.Raw.Messages != rep.Messages || run.Pipeline.Messages != rep.Messages {
		t.Errorf("raw consumed %d, pipeline %d, want %d each", run.Raw.Messages, run.Pipeline.Messages, rep.Messages)
	}
	if run.StateBytes <= 0 || rep.OpenGroups <= 0 {
		t.Errorf("state %d bytes for %d groups", run.StateBytes, rep.OpenGroups)
	}
	if rep.Latency == nil || rep.Latency.Matched == 0 || rep.Latency.P99 < rep.Latency.P50 {
		t.Errorf("latency %+v", rep.Latency)
	}
}
