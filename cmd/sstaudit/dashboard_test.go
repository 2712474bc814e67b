package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sstaudit/sstaudit/processors/report/dashboard"
)

// chromiumFlags are the headless flags known to work in containers
// (no sandbox, no GPU, nothing reaching out to the network).
var chromiumFlags = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"}

// findChromium returns the browser, or skips: a missing Chromium is a
// failure only under CI (where .ci/run installs it).
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "" {
		t.Skip("chromium not installed (apt-get install chromium); skipped because CI is unset — with CI=true this test fails instead")
	}
	t.Fatal("CI is set but chromium is not installed: the dashboard's browser test cannot run")
	return ""
}

// chromium runs the browser once on url with args and a fresh profile, and
// returns its stdout and its console messages (Chromium logs every
// console message, from scripts or from blocked resources and CSP
// violations, as a CONSOLE line).
func chromium(t *testing.T, bin, url string, args ...string) (stdout string, console []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	all := append(append([]string{}, chromiumFlags...), "--user-data-dir="+t.TempDir(), "--enable-logging=stderr", "--v=0")
	all = append(append(all, args...), url)
	cmd := exec.CommandContext(ctx, bin, all...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, errb.String())
	}
	for _, line := range strings.Split(errb.String(), "\n") {
		if strings.Contains(line, ":CONSOLE") || strings.Contains(line, "Refused to") {
			console = append(console, line)
		}
	}
	return out.String(), console
}

// artefactDir is where the browser test leaves its screenshot:
// $SSTAUDIT_ARTEFACTS, else the test's temporary directory.
func artefactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SSTAUDIT_ARTEFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDashboardInChromium runs `sstaudit demo --serve` (embedded broker,
// generated traffic with planted faults, the real pipeline and checks),
// loads the dashboard in headless Chromium, and checks the rendered DOM
// shows the score of /api/summary and non-empty charts, with no console
// message (the page has no scripts; a blocked style or resource would log
// one). It saves a screenshot.
func TestDashboardInChromium(t *testing.T) {
	bin := findChromium(t)
	t.Parallel()

	// The console scan must see what it is meant to catch: a page with a
	// CSP violation and a console.error.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Security-Policy", "style-src 'none'")
		_, _ = io.WriteString(w, `<!DOCTYPE html><style>p{color:red}</style><p>x</p><script>console.error("planted")</script>`)
	}))
	defer bad.Close()
	if _, console := chromium(t, bin, bad.URL, "--dump-dom"); len(console) < 2 {
		t.Fatalf("the console scan missed a CSP violation and a console.error: %q", console)
	}

	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--serve", "--events", "1500", "--http", addr},
			func(string) string { return "" }, &stdout, &stderr)
	}()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("demo --serve after cancel = %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("demo --serve did not stop within 30s of cancellation")
		}
	}()
	deadline := time.After(4 * time.Minute)
	for !strings.Contains(stdout.String(), "dashboard at http://"+addr+"/") {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("demo returned before serving: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
		case <-deadline:
			t.Fatalf("demo did not announce the dashboard; stdout:\n%s", stdout.String())
		case <-time.After(200 * time.Millisecond):
		}
	}
	url := "http://" + addr + "/"

	resp, err := http.Get(url + "api/summary")
	if err != nil {
		t.Fatal(err)
	}
	var v dashboard.View
	err = json.NewDecoder(resp.Body).Decode(&v)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if v.Score.Points == nil || v.Summary.AuditRecords == 0 || len(v.Series) == 0 || v.Pipeline == nil || !v.Pipeline.Stopped {
		t.Fatalf("/api/summary without real data: points %v, records %d, series %d, pipeline %+v",
			v.Score.Points, v.Summary.AuditRecords, len(v.Series), v.Pipeline)
	}
	if v.Pipeline.Events != v.Summary.Total.ClientEvents+v.Summary.Total.ServerEvents {
		t.Errorf("pipeline applied %d events, the windows count %d", v.Pipeline.Events, v.Summary.Total.ClientEvents+v.Summary.Total.ServerEvents)
	}

	dom, console := chromium(t, bin, url, "--dump-dom")
	if len(console) > 0 {
		t.Errorf("console messages on the dashboard:\n%s", strings.Join(console, "\n"))
	}
	for _, want := range []string{
		`id="score-points">` + strconv.Itoa(*v.Score.Points) + `<`, `id="grade">` + v.Score.Grade + `<`,
		"sGTM Pipeline (20%)", "Hash Quality &amp; PII (15%)", "meta · Purchase", "PII_LEAK", "CompleteRegistration",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered DOM lacks %q", want)
		}
	}
	if n := len(regexp.MustCompile(`<polyline class="line \w+" points="[\d.]+,[\d.]+ [\d.]+,[\d.]+`).FindAllString(dom, -1)); n < 8 {
		t.Errorf("%d hit-ratio lines of two or more points in the DOM, want ≥ 8", n)
	}
	if !regexp.MustCompile(`<rect class="pass" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[1-9][\d.]*"`).MatchString(dom) {
		t.Error("no non-empty skew bar in the DOM")
	}

	shot := filepath.Join(artefactDir(t), "dashboard.png")
	chromium(t, bin, url, "--screenshot="+shot, "--window-size=1440,1000")
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 10_000 {
		t.Fatalf("screenshot %s: %v (size %v)", shot, err, fi)
	}
	t.Logf("dashboard screenshot: %s", shot)
	if t.Failed() {
		t.Logf("DOM:\n%.4000s", dom)
	}
}

// TestRunServesDashboard: `sstaudit run` mounts the dashboard on --http
// beside /healthz: / is the page, /api/summary its figures with the
// pipeline's readiness and totals.
func TestRunServesDashboard(t *testing.T) {
	t.Parallel()
	r := startRun(t)
	defer func() {
		if err := r.stop(); err != nil {
			t.Errorf("run after cancel = %v", err)
		}
	}()
	var v dashboard.View
	deadline := time.Now().Add(45 * time.Second)
	for {
		resp, err := http.Get("http://" + r.addr + "/api/summary")
		if err == nil {
			v = dashboard.View{}
			err = json.NewDecoder(resp.Body).Decode(&v)
			resp.Body.Close()
		}
		if err == nil && v.Pipeline != nil && v.Pipeline.Ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/api/summary never reported a ready pipeline: %v %+v; stderr:\n%s", err, v.Pipeline, r.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if v.Pipeline.Stopped || v.Pipeline.OpenTasks != 2 || len(v.Score.Sections) != 6 || v.Score.Points != nil {
		t.Fatalf("idle run: pipeline %+v, %d sections, points %v", v.Pipeline, len(v.Score.Sections), v.Score.Points)
	}
	if code, body := r.get("/"); code != http.StatusOK || !strings.Contains(body, `id="readiness">ready<`) || !strings.Contains(body, "Score by section") {
		t.Fatalf("GET / = %d:\n%.2000s", code, body)
	}
}
