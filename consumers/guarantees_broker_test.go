package consumers

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sstaudit/sstaudit/consumers/kafkatest"
	"github.com/sstaudit/sstaudit/processors/join"
	"github.com/sstaudit/sstaudit/schemas/synth"
)

// ownBroker starts a dedicated single-node Kafka with the project's scripts
// on free loopback ports and its own data dir, so stopping it disturbs no
// other test. It returns the bootstrap address and start/stop functions.
func ownBroker(t *testing.T) (addr string, start, stop func()) {
	t.Helper()
	if _, err := exec.LookPath("java"); err != nil {
		t.Skip("java not found: a dedicated broker cannot be started")
	}
	port := func() string {
		_, p, _ := net.SplitHostPort(freePort(t))
		return p
	}
	kport, cport := port(), port()
	env := append(os.Environ(), "SSTAUDIT_KAFKA_PORT="+kport, "SSTAUDIT_KAFKA_CONTROLLER_PORT="+cport,
		"SSTAUDIT_KAFKA_DATA="+t.TempDir(), "SSTAUDIT_KAFKA_HEAP=384m")
	script := func(name string) {
		t.Helper()
		cmd := exec.Command("../deploy/kafka/" + name)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
	}
	start = func() { script("start.sh") }
	stop = func() { script("stop.sh") }
	start()
	t.Cleanup(func() {
		cmd := exec.Command("../deploy/kafka/stop.sh", "--wipe")
		cmd.Env = env
		_ = cmd.Run()
	})
	return "127.0.0.1:" + kport, start, stop
}

// TestIntegrationBrokerRestart stops the (dedicated) broker mid-stream and
// starts it again: /readyz must say not ready while it is down and ready
// after, and nothing may be lost or double counted.
func TestIntegrationBrokerRestart(t *testing.T) {
	kafkatest.Brokers(t) // integration tests only
	addr, startBroker, stopBroker := ownBroker(t)
	brokers := []string{addr}
	const partitions = 2
	names := scenarioNames(t)
	kafkatest.CreateTopics(t, brokers, partitions, names["client"], names["server"])
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	truth := generateAsync(t, ctx, brokers, names, partitions, 3000, 0, 71, synth.DefaultMix)()
	total := truth.Messages["client"] + truth.Messages["server"]

	cfg := fastConfig(t, brokers, names)
	cfg.BatchSize = 20
	p, err := New(cfg, join.Checks{})
	if err != nil {
		t.Fatal(err)
	}
	// Slow the output side so the input is still being worked on when the
	// broker goes away.
	var throttle atomic.Bool
	throttle.Store(true)
	p.produceHook = func(ctx context.Context, _ int) {
		if throttle.Load() {
			select {
			case <-ctx.Done():
			case <-time.After(40 * time.Millisecond):
			}
		}
	}
	runPipeline(t, p)
	waitFor(t, 90*time.Second, "a fifth of the input applied", func() bool { return p.Stats().Consumed.Load() > total/5 })
	if ok, why := p.Ready(); !ok {
		t.Fatalf("not ready before the outage: %s", why)
	}

	down := time.Now()
	stopBroker()
	atStop := p.Stats().Consumed.Load()
	waitFor(t, 60*time.Second, "not ready while the broker is down", func() bool { ok, _ := p.Ready(); return !ok })
	notReadyAfter := time.Since(down)
	_, why := p.Ready()
	time.Sleep(3 * time.Second)
	if ok, _ := p.Ready(); ok {
		t.Error("ready again while the broker is still down")
	}
	startBroker()
	up := time.Now()
	waitFor(t, 120*time.Second, "ready after the broker is back", func() bool { ok, _ := p.Ready(); return ok })
	readyAfter := time.Since(up)
	throttle.Store(false)
	got := waitComplete(t, ctx, brokers, names, truth, 3*time.Minute)
	checkAgainstTruth(t, got, truth)
	if atStop >= total {
		t.Errorf("the whole input was applied before the broker stopped: the test shows nothing")
	}
	t.Logf("broker down %s; not ready %s after the stop (%q), ready %s after the start; %d of %d messages applied at the stop; totals exact",
		up.Sub(down).Round(time.Millisecond), notReadyAfter.Round(time.Millisecond), why, readyAfter.Round(time.Millisecond),
		atStop, total)
	if !strings.Contains(why, ":") {
		t.Errorf("readiness reason %q names no component", why)
	}
}
