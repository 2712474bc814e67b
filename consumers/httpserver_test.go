package consumers

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHTTPServerEndpoints(t *testing.T) {
	t.Parallel()
	var ready atomic.Bool
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("sstaudit_records_consumed_total{topic=\"t\"} 1\n"))
	})
	s := NewHTTPServer(HTTPConfig{Addr: "127.0.0.1:0", Metrics: metrics, Ready: func() (bool, string) {
		if ready.Load() {
			return true, ""
		}
		return false, "group: joining consumer group"
	}})
	s.Handle("GET /api/summary", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("{}")) }))
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	base := "http://" + s.Addr()
	for _, tc := range []struct {
		path, want string
		code       int
	}{
		{"/healthz", "ok\n", 200},
		{"/readyz", "not ready: group: joining consumer group\n", 503},
		{"/metrics", `sstaudit_records_consumed_total{topic="t"} 1`, 200},
		{"/api/summary", "{}", 200},
		{"/nothing", "404 page not found", 404},
	} {
		code, body := get(t, base+tc.path)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s = %d %q, want %d %q", tc.path, code, body, tc.code, tc.want)
		}
	}
	ready.Store(true)
	if code, body := get(t, base+"/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("ready: GET /readyz = %d %q", code, body)
	}
	if resp, err := http.Post(base+"/healthz", "text/plain", nil); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz = %v, %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("server still answers after Shutdown")
	}
}

func TestHTTPServerPortClashAndNoMetrics(t *testing.T) {
	t.Parallel()
	a := NewHTTPServer(HTTPConfig{Addr: "127.0.0.1:0"})
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown(context.Background())
	b := NewHTTPServer(HTTPConfig{Addr: a.Addr()})
	if err := b.Start(); err == nil || !strings.Contains(err.Error(), "listen on "+a.Addr()) {
		t.Fatalf("second Start on %s = %v", a.Addr(), err)
	}
	if err := b.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown without Start: %v", err)
	}
	if code, _ := get(t, "http://"+a.Addr()+"/metrics"); code != 404 {
		t.Errorf("/metrics without a handler = %d", code)
	}
	if code, body := get(t, "http://"+a.Addr()+"/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz without Ready = %d %q", code, body)
	}
}

// TestHTTPServerGracefulShutdown: a request in flight when Shutdown starts
// completes; Run returns once ctx is cancelled.
func TestHTTPServerGracefulShutdown(t *testing.T) {
	t.Parallel()
	started, release := make(chan struct{}), make(chan struct{})
	s := NewHTTPServer(HTTPConfig{Addr: "127.0.0.1:0", ShutdownTimeout: 10 * time.Second})
	s.Handle("GET /slow", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(started)
		<-release
		_, _ = w.Write([]byte("done"))
	}))
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	result := make(chan string, 1)
	go func() {
		_, body := get(t, "http://"+s.Addr()+"/slow")
		result <- body
	}()
	<-started
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) with a request in flight", err)
	default:
	}
	close(release)
	if body := <-result; body != "done" {
		t.Errorf("in-flight request got %q", body)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}

	r := NewHTTPServer(HTTPConfig{Addr: "127.0.0.1:0"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
