package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sstaudit/sstaudit/telemetry"
)

// BenchConfig configures `sstaudit bench`, the end-to-end benchmark of SPEC
// §12 against a real broker.
type BenchConfig struct {
	Brokers    []string
	Events     int64
	Partitions int
	Seed       int64
	Runs       int
	WorkDir    string
	Prefix     string
	// LatencyDuration is how long the latency phase produces pairs; 0 skips it.
	LatencyDuration time.Duration
	// LatencyRate is its input messages/s; 0 = half the measured maximum.
	LatencyRate float64
	KeepTopics  bool
	// OpenGroups, when positive, runs only the memory/state mode: that many
	// open join groups over a disk store, no Kafka.
	OpenGroups      int64
	MaxMessageBytes int
	CPUProfile      string
	MemProfile      string
	// MemoryLimit: as RunConfig's, applied with --open-groups.
	MemoryLimit int64
	Log         telemetry.LogConfig
}

// NewDefaultBenchConfig returns the benchmark's defaults.
func NewDefaultBenchConfig() BenchConfig {
	log := telemetry.NewDefaultLogConfig()
	return BenchConfig{
		Brokers:         []string{"127.0.0.1:29092"},
		Events:          5_000_000,
		Partitions:      2,
		Seed:            1,
		Runs:            3,
		WorkDir:         filepath.Join(os.TempDir(), "sstaudit-bench"),
		Prefix:          "sstaudit-bench",
		LatencyDuration: 30 * time.Second,
		Log:             log,
	}
}

func (c *BenchConfig) flags(b *flagBuilder) {
	b.Section("Kafka")
	b.List(&c.Brokers, "brokers", "HOST:PORT,...", "Kafka bootstrap brokers (a real broker, e.g. make kafka-up)")
	b.Int(&c.Partitions, "partitions", "N", "partitions of the scenario topics (tasks in parallel)")
	b.String(&c.Prefix, "prefix", "NAME", "prefix of every topic and group the benchmark creates")
	b.Bool(&c.KeepTopics, "keep-topics", "keep the scenario topics so the next run with the same seed, events and partitions reuses them")
	b.Section("Scenario")
	b.Int64(&c.Events, "events", "N", "input messages of the throughput scenario (synth's default mix)")
	b.Int64(&c.Seed, "seed", "N", "random seed of the scenario")
	b.Int(&c.Runs, "runs", "N", "raw and pipeline measurements each; the table gives medians")
	b.Duration(&c.LatencyDuration, "latency-duration", "how long the latency phase produces pairs at a controlled rate; 0 skips it")
	b.Float(&c.LatencyRate, "latency-rate", "MSG/S", "input messages/s of the latency phase; 0 = half the median pipeline throughput")
	b.Bytes(&c.MaxMessageBytes, "max-message-bytes", "largest input message decoded (0 = default 1 MiB)")
	b.Section("Modes")
	b.Int64(&c.OpenGroups, "open-groups", "N", "instead: memory and state with N open join groups over a disk store (no Kafka)")
	b.String(&c.WorkDir, "work-dir", "DIR", "state directories and the scenario cache")
	b.String(&c.CPUProfile, "cpu-profile", "FILE", "write a CPU profile of the whole benchmark to FILE (default: none)")
	b.String(&c.MemProfile, "mem-profile", "FILE", "with --open-groups: write a heap profile to FILE once every group is written (default: none)")
	memoryLimitFlag(b, &c.MemoryLimit)
	logFlags(b, &c.Log)
}

// Validate reports every problem with c.
func (c BenchConfig) Validate() error {
	errs := []error{validateBrokers(c.Brokers), validateMemoryLimit(c.MemoryLimit), c.Log.Validate()}
	if c.Events < 1 {
		errs = append(errs, fmt.Errorf("events must be positive, got %d", c.Events))
	}
	if c.Partitions < 1 {
		errs = append(errs, fmt.Errorf("partitions must be at least 1, got %d", c.Partitions))
	}
	if c.Runs < 1 {
		errs = append(errs, fmt.Errorf("runs must be at least 1, got %d", c.Runs))
	}
	if c.LatencyDuration < 0 || !(c.LatencyRate >= 0) {
		errs = append(errs, errors.New("latency-duration and latency-rate must not be negative"))
	}
	if c.OpenGroups < 0 || c.MaxMessageBytes < 0 {
		errs = append(errs, errors.New("open-groups and max-message-bytes must not be negative"))
	}
	if c.WorkDir == "" || c.Prefix == "" {
		errs = append(errs, errors.New("work-dir and prefix must not be empty"))
	}
	return errors.Join(errs...)
}

func (c *BenchConfig) logConfig() telemetry.LogConfig { return c.Log }

func benchCommand() *command {
	return define(command{
		name:    "bench",
		summary: "measure the pipeline end to end against a raw passthrough (SPEC §12)",
		about: `Produces a realistic mixed scenario (synth's default fault mix) to a real
broker once, then measures in the same run: a raw passthrough (the same
kafka-go readers and writer, one output record per input, no processing) and
the real pipeline with the production checks, --runs times each; then the
latency from the second side's append to the matched record's append while
pairs are produced at half the measured maximum rate. Prints a table with the
medians, the ratio pipeline/raw, peak RSS, state bytes per open join group
and the load average. With --open-groups N it measures instead RSS and disk
bytes with N open join groups over a disk state store.`,
	}, NewDefaultBenchConfig, runBench)
}
