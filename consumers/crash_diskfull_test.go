package consumers

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"context"

	"github.com/sstaudit/sstaudit/consumers/kafkatest"
	"github.com/sstaudit/sstaudit/schemas/synth"
)

// fillDisk writes path until the file system is full.
func fillDisk(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		if errors.Is(err, syscall.ENOSPC) {
			return 0
		}
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 256<<10)
	var n int64
	for {
		m, err := f.Write(buf)
		n += int64(m)
		if err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return n
		}
	}
}

// TestIntegrationDiskFull runs `sstaudit run` with its state on a small
// tmpfs and fills the file system mid-stream: the process must stay up,
// report not ready and stop committing; once the space is freed it resumes
// and the outputs end exact. (Should it die anyway, the test restarts it as
// a supervisor would, and reports it.) Needs root (mount).
func TestIntegrationDiskFull(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=320m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })
	bin := sstauditBinary(t)
	const partitions = 2
	names := scenarioNames(t)
	kafkatest.CreateTopics(t, brokers, partitions, names["client"], names["server"])
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	wait := generateAsync(t, ctx, brokers, names, partitions, 5000, 200, 81, synth.DefaultMix)

	dir := t.TempDir()
	stateDir := filepath.Join(mnt, "state")
	args := runArgs(brokers, names, stateDir, "diskfull")
	life := 0
	start := func() *child {
		life++
		return startChild(t, bin, args, filepath.Join(dir, fmt.Sprintf("life-%d.log", life)))
	}
	c := start()
	waitFor(t, 60*time.Second, "tasks started", func() bool { return len(logLines(t, c.log, "task started")) >= partitions })
	time.Sleep(3 * time.Second)

	filler := filepath.Join(mnt, "filler")
	filled := fillDisk(t, filler)
	var notReady, deaths int
	var exits []string
	client := &http.Client{Timeout: time.Second}
	full := time.Now()
	for time.Since(full) < 12*time.Second {
		select {
		case <-c.done:
			deaths++
			exits = append(exits, fmt.Sprint(c.err))
			if deaths == 1 {
				t.Logf("first death (%v): %s", c.err, fatalLine(c.log))
			}
			time.Sleep(500 * time.Millisecond)
			c = start()
		default:
		}
		if resp, err := client.Get("http://" + c.http + "/readyz"); err == nil {
			if resp.StatusCode != http.StatusOK {
				notReady++
			}
			_ = resp.Body.Close()
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.done:
		deaths++
		exits = append(exits, fmt.Sprint(c.err))
		c = start()
	default:
	}
	truth := wait()
	got := waitComplete(t, ctx, brokers, names, truth, 3*time.Minute)
	c.stop(t, 30*time.Second)
	checkAgainstTruth(t, got, truth)
	// The free-space guard (Config.MinFreeDisk) stops commits before Badger
	// writes into its memory-mapped log on a full disk, which would kill
	// the process with SIGBUS.
	if notReady == 0 {
		t.Error("the disk was full for 12s and /readyz never said not ready")
	}
	if deaths > 0 {
		t.Errorf("the process died %d times on the full disk: %v", deaths, exits)
	}
	t.Logf("filled %d MiB; while full: %d not-ready answers, %d process deaths %v; %d lives; totals exact over %d conversions",
		filled>>20, notReady, deaths, exits, life, truth.Conversions)
}

// fatalLine returns the Go runtime's fatal error line of a crashed
// process's log (e.g. SIGBUS on an mmap'd file of a full disk), and the
// goroutine frame that took it.
func fatalLine(path string) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "fatal error:") || strings.HasPrefix(l, "panic:") || strings.HasPrefix(l, "unexpected fault") {
			return strings.Join(lines[i:min(i+12, len(lines))], " | ")
		}
	}
	return "no fatal error in the log"
}
