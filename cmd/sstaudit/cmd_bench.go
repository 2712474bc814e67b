package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sstaudit/sstaudit/consumers"
)

// runBench is the body of `sstaudit bench`.
func runBench(ctx context.Context, env *Env, cfg BenchConfig) error {
	aud, err := buildAuditor(env, "bench")
	if err != nil {
		return err
	}
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	w := env.Stdout
	progress := func(s string) { fmt.Fprintf(w, "# %s %s\n", time.Now().Format("15:04:05"), s) }
	fmt.Fprintf(w, "# machine: %s\n", machine())
	if cfg.OpenGroups > 0 {
		applyMemoryLimit(env.Logger, env.Getenv, cfg.MemoryLimit)
		dir := filepath.Join(cfg.WorkDir, "open-groups-"+strconv.FormatInt(time.Now().UnixNano(), 36))
		defer os.RemoveAll(dir)
		res, err := consumers.BenchOpenGroups(ctx, consumers.OpenGroupsConfig{
			Groups: cfg.OpenGroups, Seed: uint64(cfg.Seed), Dir: dir, Checks: aud.Checks(),
			Decode: aud.DecodeOptions(cfg.MaxMessageBytes), Progress: progress,
			AtEnd: func() {
				if cfg.MemProfile == "" {
					return
				}
				if f, err := os.Create(cfg.MemProfile); err == nil {
					runtime.GC()
					_ = pprof.WriteHeapProfile(f)
					_ = f.Close()
				}
			},
		})
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		writeOpenGroups(w, res)
		return nil
	}
	rep, err := consumers.Bench(ctx, consumers.BenchConfig{
		Brokers: cfg.Brokers, Events: cfg.Events, Partitions: cfg.Partitions, Seed: uint64(cfg.Seed), Runs: cfg.Runs,
		WorkDir: cfg.WorkDir, Prefix: cfg.Prefix, LatencyDuration: cfg.LatencyDuration, LatencyRate: cfg.LatencyRate,
		KeepTopics: cfg.KeepTopics, Checks: aud.Checks(), Decode: aud.DecodeOptions(cfg.MaxMessageBytes),
		Logger: env.Logger, Progress: progress,
	})
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	writeBench(w, rep)
	return nil
}

// machine describes the host: cores, CPU model, Go version.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	load := "unknown"
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return fmt.Sprintf("%d cores (GOMAXPROCS %d), %s, %s, load average %s", runtime.NumCPU(), runtime.GOMAXPROCS(0), model, runtime.Version(), load)
}

func writeBench(w io.Writer, r *consumers.BenchReport) {
	fmt.Fprintf(w, "\nscenario: %d input messages (%d events, %.3f events/message), %d conversions, %d open join groups, %d partitions, reused %v\n",
		r.Messages, r.Events, r.EventsPerMessage(), r.Conversions, r.OpenGroups, r.Partitions, r.Reused)
	fmt.Fprintf(w, "load average: %s at start, %s at end\n\n", r.LoadStart, r.LoadEnd)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\traw msg/s\tpipeline msg/s\tpipeline events/s\tratio\traw CPU µs/msg\tpipeline CPU µs/msg\traw peak RSS MiB\tpipeline peak RSS MiB\tstate B/open group\t")
	epm := r.EventsPerMessage()
	perGroup := func(run consumers.BenchRun) float64 {
		if r.OpenGroups == 0 {
			return 0
		}
		return float64(run.StateBytes) / float64(r.OpenGroups)
	}
	for i, run := range r.Runs {
		fmt.Fprintf(tw, "%d\t%.0f\t%.0f\t%.0f\t%.3f\t%.1f\t%.1f\t%d\t%d\t%.1f\t\n", i+1, run.Raw.Rate(), run.Pipeline.Rate(), run.Pipeline.Rate()*epm,
			run.Pipeline.Rate()/run.Raw.Rate(), us(run.Raw.CPUPerMessage()), us(run.Pipeline.CPUPerMessage()), run.Raw.PeakRSS>>20, run.Pipeline.PeakRSS>>20, perGroup(run))
	}
	med := r.Median
	fmt.Fprintf(tw, "median\t%.0f\t%.0f\t%.0f\t%.3f\t%.1f\t%.1f\t%.0f\t%.0f\t%.1f\t\n",
		med(func(b consumers.BenchRun) float64 { return b.Raw.Rate() }),
		med(func(b consumers.BenchRun) float64 { return b.Pipeline.Rate() }),
		med(func(b consumers.BenchRun) float64 { return b.Pipeline.Rate() * epm }),
		med(func(b consumers.BenchRun) float64 { return b.Pipeline.Rate() / b.Raw.Rate() }),
		med(func(b consumers.BenchRun) float64 { return us(b.Raw.CPUPerMessage()) }),
		med(func(b consumers.BenchRun) float64 { return us(b.Pipeline.CPUPerMessage()) }),
		med(func(b consumers.BenchRun) float64 { return float64(b.Raw.PeakRSS >> 20) }),
		med(func(b consumers.BenchRun) float64 { return float64(b.Pipeline.PeakRSS >> 20) }),
		med(perGroup))
	_ = tw.Flush()
	if l := r.Latency; l != nil {
		fmt.Fprintf(w, "\nlatency (second side appended → matched record appended, broker LogAppendTime): rate %.0f msg/s asked, %.0f achieved, %d messages, %d matched\n",
			l.Rate, l.Achieved, l.Messages, l.Matched)
		fmt.Fprintf(w, "  p50 %s   p99 %s   max %s\n", l.P50.Round(time.Millisecond), l.P99.Round(time.Millisecond), l.Max.Round(time.Millisecond))
	}
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func writeOpenGroups(w io.Writer, r *consumers.OpenGroupsResult) {
	fmt.Fprintf(w, "\nopen join groups: %d in %s (%.0f groups/s); load average %s at start, %s at end\n",
		r.Groups, r.Elapsed.Round(time.Second), float64(r.Groups)/r.Elapsed.Seconds(), r.LoadStart, r.LoadEnd)
	fmt.Fprintf(w, "peak RSS %d MiB; RSS at end %d MiB = %d MiB anonymous + %d MiB file-backed (executable and memory-mapped state); Go heap in use %d MiB (memory limit %d MiB)\n",
		r.PeakRSS>>20, r.RSS>>20, r.RSSAnon>>20, r.RSSFile>>20, r.HeapInuse>>20, r.MemoryLimit>>20)
	fmt.Fprintf(w, "resident table pages trimmed %d times (%d mappings, %d MiB mapped)\n", r.Trim.Trims, r.Trim.Mappings, r.Trim.Bytes>>20)
	fmt.Fprintf(w, "state on disk %d MiB = %.1f bytes per open group\n", r.DiskBytes>>20, float64(r.DiskBytes)/float64(r.Groups))
}
