package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
)

// Go memory limit (--memory-limit).
const (
	// defaultMemoryLimit applies without GOMEMLIMIT and without a cgroup
	// memory limit: with the state trimmer's file budget (state package) it
	// keeps RSS under SPEC §12's 1 GiB.
	defaultMemoryLimit = 512 << 20
	// minMemoryLimit: below it the garbage collector would run nearly
	// continuously.
	minMemoryLimit = 64 << 20
	// cgroupShare of a cgroup's memory limit goes to the Go runtime; the rest
	// is for resident state-file pages, the executable and the page cache.
	cgroupShare = 0.7
	// cgroupRoot is where the container's cgroup is mounted.
	cgroupRoot = "/sys/fs/cgroup"
)

func memoryLimitFlag(b *flagBuilder, p *int64) {
	b.Bytes64(p, "memory-limit", fmt.Sprintf("soft limit of the Go runtime's memory (heap, stacks, Badger's buffers; not the memory-mapped state files); 0 = GOMEMLIMIT if set, else %.0f%% of the cgroup memory limit, else %s",
		cgroupShare*100, formatBytes(defaultMemoryLimit)))
}

func validateMemoryLimit(n int64) error {
	if n != 0 && n < minMemoryLimit {
		return fmt.Errorf("memory-limit must be 0 (automatic) or at least %s, got %s", formatBytes(minMemoryLimit), formatBytes(int(n)))
	}
	return nil
}

// resolveMemoryLimit gives the limit to set and where it comes from; 0 means
// leave the runtime's (GOMEMLIMIT's) alone.
func resolveMemoryLimit(flag int64, getenv func(string) string, cgroupDir string) (limit int64, source string) {
	switch {
	case flag > 0:
		return flag, "memory-limit"
	case getenv("GOMEMLIMIT") != "":
		return 0, "GOMEMLIMIT"
	}
	if n, ok := cgroupMemoryLimit(cgroupDir); ok {
		return max(int64(float64(n)*cgroupShare), minMemoryLimit), "cgroup"
	}
	return defaultMemoryLimit, "default"
}

// applyMemoryLimit sets the Go runtime's soft memory limit from --memory-limit
// (see memoryLimitFlag) and logs it; it returns the limit in force.
func applyMemoryLimit(log *slog.Logger, getenv func(string) string, flag int64) int64 {
	limit, source := resolveMemoryLimit(flag, getenv, cgroupRoot)
	if limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	limit = debug.SetMemoryLimit(-1)
	log.Info("go memory limit", "bytes", limit, "mib", limit>>20, "source", source)
	return limit
}

// cgroupMemoryLimit reads the memory limit of the process's cgroup under
// root: cgroup v2 memory.max, else v1 memory/memory.limit_in_bytes. ok is
// false when there is none ("max", or v1's page-rounded MaxInt64).
func cgroupMemoryLimit(root string) (n int64, ok bool) {
	for _, f := range []string{"memory.max", filepath.Join("memory", "memory.limit_in_bytes")} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue
		}
		s := strings.TrimSpace(string(b))
		if s == "max" {
			return 0, false
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 || n >= 1<<62 {
			return 0, false
		}
		return n, true
	}
	return 0, false
}
