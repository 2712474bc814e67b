package consumers

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sstaudit/sstaudit/schemas"
	"github.com/sstaudit/sstaudit/schemas/synth"
)

// Helpers of the delivery-guarantee tests (guarantees*_test.go,
// crash*_test.go): the real binary as a child process, and outputs read back
// deduplicated the way a downstream consumer would.

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// sstauditBinary builds cmd/sstaudit once per test process.
func sstauditBinary(t *testing.T) string {
	t.Helper()
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sstaudit-bin-")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "sstaudit")
		cmd := exec.Command("go", "build", "-o", binaryPath, "../cmd/sstaudit")
		if out, err := cmd.CombinedOutput(); err != nil {
			binaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// child is one `sstaudit run` process.
type child struct {
	cmd  *exec.Cmd
	log  string // its stderr (JSON log lines)
	http string
	done chan struct{}
	err  error
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// runArgs are the flags of a child on the test's topics, with short windows.
func runArgs(brokers []string, names map[string]string, stateDir, instance string) []string {
	return []string{"run",
		"--brokers", strings.Join(brokers, ","), "--group", names["group"],
		"--client-topic", names["client"], "--server-topic", names["server"],
		"--findings-topic", names["findings"], "--metrics-topic", names["metrics"], "--dlq-topic", names["dlq"],
		"--state-dir", stateDir, "--instance-id", instance,
		"--match-window", "3s", "--grace", "1s", "--metrics-window", "1s", "--idle-advance", "5s",
		"--session-timeout", "3s", "--log-level", "info", "--log-format", "json",
	}
}

func startChild(t *testing.T, bin string, args []string, logPath string) *child {
	t.Helper()
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	c := &child{log: logPath, http: freePort(t), done: make(chan struct{})}
	c.cmd = exec.Command(bin, append(args, "--http", c.http)...)
	c.cmd.Stdout, c.cmd.Stderr = f, f
	if err := c.cmd.Start(); err != nil {
		_ = f.Close()
		t.Fatal(err)
	}
	go func() {
		c.err = c.cmd.Wait()
		_ = f.Close()
		close(c.done)
	}()
	t.Cleanup(func() { c.kill() })
	return c
}

// kill sends SIGKILL and waits for the process to be gone.
func (c *child) kill() {
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// stop sends SIGTERM and waits up to d for a clean exit.
func (c *child) stop(t *testing.T, d time.Duration) {
	t.Helper()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		if c.err != nil {
			t.Errorf("sstaudit run exited with %v (log %s)", c.err, c.log)
		}
	case <-time.After(d):
		c.kill()
		t.Errorf("sstaudit run did not stop within %s after SIGTERM", d)
	}
}

// logLines returns the JSON log records of a log file with the given msg.
func logLines(t *testing.T, path, msg string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// outputs is what a downstream consumer keeps of the output topics after
// deduplicating: metrics by window key, audit records by audit_id, DLQ
// records by source coordinates.
type outputs struct {
	windows  map[string]synth.Counts // destination/event_name/window_start/partition
	totals   map[string]*synth.Counts
	audits   map[string]string // audit_id → outcome
	dlq      map[string]dlqRecord
	records  [3]int // raw records read: metrics, findings, dlq
	conflict []string
}

type dlqRecord struct {
	reason, tried string
	key, value    []byte
}

func readDeduped(t *testing.T, ctx context.Context, brokers []string, names map[string]string, format schemas.OutputFormat) outputs {
	t.Helper()
	codecs, err := schemas.NewCodecs(format)
	if err != nil {
		t.Fatal(err)
	}
	o := outputs{windows: map[string]synth.Counts{}, totals: map[string]*synth.Counts{}, audits: map[string]string{}, dlq: map[string]dlqRecord{}}
	ms := readAll(t, ctx, brokers, names["metrics"])
	o.records[0] = len(ms)
	for _, m := range ms {
		wm, err := codecs.WindowMetrics.Decode(m.Value)
		if err != nil {
			t.Fatalf("decode metrics record: %v", err)
		}
		id := fmt.Sprintf("%s/%s/%d/%d", wm.Destination, wm.EventName, wm.WindowStart, wm.Partition)
		c := synth.Counts{ClientEvents: wm.ClientEvents, ServerEvents: wm.ServerEvents, Matched: wm.Matched,
			ClientOnly: wm.ClientOnly, ServerOnly: wm.ServerOnly, Duplicates: wm.Duplicates, Unjoinable: wm.Unjoinable, Aligned: wm.Aligned}
		if prev, ok := o.windows[id]; ok {
			if prev != c {
				o.conflict = append(o.conflict, fmt.Sprintf("window %s emitted as %+v and as %+v", id, prev, c))
			}
			continue
		}
		o.windows[id] = c
		k := wm.Destination + "/" + wm.EventName
		if o.totals[k] == nil {
			o.totals[k] = &synth.Counts{}
		}
		o.totals[k].Add(c)
	}
	fs := readAll(t, ctx, brokers, names["findings"])
	o.records[1] = len(fs)
	for _, m := range fs {
		ar, err := codecs.AuditRecord.Decode(m.Value)
		if err != nil {
			t.Fatalf("decode audit record: %v", err)
		}
		if prev, ok := o.audits[ar.AuditID]; ok && prev != ar.Outcome {
			o.conflict = append(o.conflict, fmt.Sprintf("audit %s emitted as %s and as %s", ar.AuditID, prev, ar.Outcome))
		}
		o.audits[ar.AuditID] = ar.Outcome
	}
	ds := readAll(t, ctx, brokers, names["dlq"])
	o.records[2] = len(ds)
	for _, m := range ds {
		src := headerValue(m.Headers, HeaderSource)
		o.dlq[src] = dlqRecord{reason: headerValue(m.Headers, HeaderError), tried: headerValue(m.Headers, HeaderFormat), key: m.Key, value: m.Value}
	}
	return o
}

// sum adds up the deduplicated metrics.
func (o outputs) sum() synth.Counts {
	var s synth.Counts
	for _, c := range o.totals {
		s.Add(*c)
	}
	return s
}

// complete reports whether every planted event sits in an emitted window
// and every poison message in the DLQ.
func (o outputs) complete(truth *synth.Truth) bool {
	s, want := o.sum(), truth.Sum()
	return s.ClientEvents == want.ClientEvents && s.ServerEvents == want.ServerEvents && int64(len(o.dlq)) >= truth.Poison
}

// waitComplete reads the outputs until they are complete or d passes.
func waitComplete(t *testing.T, ctx context.Context, brokers []string, names map[string]string, truth *synth.Truth, d time.Duration) outputs {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		o := readDeduped(t, ctx, brokers, names, schemas.OutputJSON)
		if o.complete(truth) {
			return o
		}
		if time.Now().After(deadline) {
			t.Fatalf("outputs incomplete after %s: metrics %+v, want %+v; dlq %d, want %d", d, o.sum(), truth.Sum(), len(o.dlq), truth.Poison)
		}
		time.Sleep(time.Second)
	}
}

// checkAgainstTruth compares deduplicated outputs with the planted truth,
// exactly, per destination/event name and per outcome.
func checkAgainstTruth(t *testing.T, o outputs, truth *synth.Truth) {
	t.Helper()
	for _, c := range o.conflict {
		t.Error(c)
	}
	for _, k := range truth.Keys() {
		want, got := *truth.Totals[k], synth.Counts{}
		if c := o.totals[k]; c != nil {
			got = *c
		}
		if got != want {
			t.Errorf("%s: metrics %+v\n\twant %+v", k, got, want)
		}
	}
	for k := range o.totals {
		if truth.Totals[k] == nil {
			t.Errorf("%s: metrics for a key the generator never planted", k)
		}
	}
	sum := truth.Sum()
	outcomes := map[string]int64{}
	for _, oc := range o.audits {
		outcomes[oc]++
	}
	for oc, n := range map[string]int64{"matched": sum.Matched, "client_only": sum.ClientOnly, "server_only": sum.ServerOnly,
		"duplicate": sum.Duplicates, "unjoinable": sum.Unjoinable} {
		if outcomes[oc] != n {
			t.Errorf("audit records %s = %d, want %d", oc, outcomes[oc], n)
		}
	}
	if int64(len(o.dlq)) != truth.Poison {
		t.Errorf("DLQ holds %d distinct inputs, planted poison %d", len(o.dlq), truth.Poison)
	}
}

// syntheticClock gives record times step apart from now on, so a scenario's
// join outcomes do not depend on how fast it is generated or processed.
func syntheticClock(step time.Duration) func() time.Time {
	base := time.Now()
	n := 0
	return func() time.Time {
		n++
		return base.Add(time.Duration(n) * step)
	}
}
