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
	"github.com/sstaudit/sstaudit/state"
)

// fillDisk writes path until the file system has at most leave bytes free
// (0: until it is full).
func fillDisk(t *testing.T, path string, leave int64) int64 {
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
		if leave > 0 {
			free, err := state.FreeSpace(filepath.Dir(path))
			if err != nil {
				t.Fatal(err)
			}
			if free <= leave {
				return n
			}
		}
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
// tmpfs and fills the file system mid-stream, first nearly (below
// MinFreeDisk: the process must stay up, not ready, committing nothing),
// then completely (Badger may die of SIGBUS in its memory-mapped files; the
// test restarts it as a supervisor would). Once the space is freed the
// outputs must end exact. Needs root (mount).
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

	var deaths, deathsNearlyFull int
	var exits []string
	client := &http.Client{Timeout: time.Second}
	// watch restarts the process whenever it dies, as a supervisor would,
	// and counts /readyz answers other than 200.
	watch := func(d time.Duration) (notReady int) {
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
			select {
			case <-c.done:
				deaths++
				exits = append(exits, fmt.Sprint(c.err))
				t.Logf("process died (%v): %s", c.err, fatalLine(c.log))
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
		}
		return notReady
	}

	// Nearly full (below the 128 MiB MinFreeDisk default, with room left
	// for Badger's own writes): the guard stops commits; the process stays
	// up and not ready.
	filler := filepath.Join(mnt, "filler")
	filled := fillDisk(t, filler, 48<<20)
	notReadyNearlyFull := watch(10 * time.Second)
	deathsNearlyFull = deaths
	if notReadyNearlyFull == 0 {
		t.Error("the disk was nearly full for 10s and /readyz never said not ready")
	}
	if deathsNearlyFull > 0 {
		t.Errorf("the process died %d times on a nearly full disk: %v", deathsNearlyFull, exits)
	}
	// Completely full: writes already under way in Badger's memory-mapped
	// files may kill the process with SIGBUS; it is restarted, and must
	// lose nothing.
	filled += fillDisk(t, filler+"2", 0)
	notReadyFull := watch(6 * time.Second)
	for _, f := range []string{filler, filler + "2"} {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
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
	t.Logf("filled %d MiB; nearly full: %d not-ready answers, %d deaths; full: %d not-ready answers, %d deaths %v; %d lives; totals exact over %d conversions",
		filled>>20, notReadyNearlyFull, deathsNearlyFull, notReadyFull, deaths-deathsNearlyFull, exits, life, truth.Conversions)
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
