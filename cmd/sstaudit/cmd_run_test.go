package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sstaudit/sstaudit/consumers"
)

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// syncBuffer is a bytes.Buffer safe for the command's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runningCmd is `sstaudit run` started by a test on an embedded broker.
type runningCmd struct {
	addr   string
	stderr *syncBuffer
	done   chan error
	cancel context.CancelFunc
}

// startRun starts `sstaudit run` on a fresh two-partition embedded broker,
// with its HTTP endpoints on a free loopback port. The broker is closed
// when the test ends; stop the command with stop.
func startRun(t *testing.T) *runningCmd {
	t.Helper()
	b, err := consumers.StartEmbeddedBroker(2, "tracking.client", "tracking.server")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningCmd{addr: freeAddr(t), stderr: &syncBuffer{}, done: make(chan error, 1), cancel: cancel}
	args := []string{"run", "--brokers", b.Brokers()[0], "--state-dir", t.TempDir(), "--http", r.addr}
	go func() { r.done <- run(ctx, args, func(string) string { return "" }, io.Discard, r.stderr) }()
	return r
}

// get fetches path from the command's HTTP server; the status is 0 when the
// request failed (the body is then the error).
func (r *runningCmd) get(path string) (int, string) {
	resp, err := http.Get("http://" + r.addr + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// stop cancels the command, as SIGINT/SIGTERM do, and returns what run
// returned, or an error when it did not stop within 30s.
func (r *runningCmd) stop() error {
	r.cancel()
	select {
	case err := <-r.done:
		return err
	case <-time.After(30 * time.Second):
		return errors.New("run did not stop within 30s of cancellation")
	}
}

// TestRunServesHealthAndStopsCleanly runs `sstaudit run` on the embedded
// broker: /healthz and /metrics answer, /readyz turns ready once the group has its
// partitions, and cancelling (what SIGINT/SIGTERM do) stops it with exit 0.
func TestRunServesHealthAndStopsCleanly(t *testing.T) {
	t.Parallel()
	r := startRun(t)
	deadline := time.Now().Add(45 * time.Second)
	for {
		code, body := r.get("/readyz")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never ready: %d %q; stderr:\n%s", code, body, r.stderr.String())
		}
		select {
		case err := <-r.done:
			t.Fatalf("run returned early: %v; stderr:\n%s", err, r.stderr.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	if code, body := r.get("/healthz"); code != http.StatusOK || !strings.Contains(body, "ok") {
		t.Fatalf("/healthz = %d %q", code, body)
	}
	if code, body := r.get("/metrics"); code != http.StatusOK || !strings.Contains(body, "sstaudit_") {
		t.Fatalf("/metrics = %d, no sstaudit_ series in:\n%.500s", code, body)
	}
	if err := r.stop(); err != nil {
		t.Fatalf("run after cancel = %v, want nil (exit 0)", err)
	}
	if !strings.Contains(r.stderr.String(), "stopped cleanly") {
		t.Fatalf("no clean-stop log line; stderr:\n%s", r.stderr.String())
	}
}

// TestRunFailsFastOnUnequalPartitions: the co-partitioning check is a clear
// runtime error, not a hang.
func TestRunFailsFastOnUnequalPartitions(t *testing.T) {
	t.Parallel()
	b, err := consumers.StartEmbeddedBroker(2, "tracking.client")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	// A second topic with another partition count: generate creates it.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := consumers.Generate(ctx, consumers.GenerateConfig{Brokers: b.Brokers(), ClientTopic: "tracking.client", ServerTopic: "tracking.server", Partitions: 3, Conversions: 1}); err != nil {
		t.Fatal(err)
	}
	err = run(ctx, []string{"run", "--brokers", b.Brokers()[0], "--state-dir", t.TempDir(), "--http", freeAddr(t)}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "co-partitioned") || exitCode(err) != 1 {
		t.Fatalf("run = %v (exit %d), want a co-partitioning runtime error", err, exitCode(err))
	}
}
