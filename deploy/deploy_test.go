// Package deploy holds the runtime manifests; its tests validate them
// statically (no Docker, no cluster): every file parses, references are
// consistent, names and ports match the code, and every metric that the
// alerts and the dashboard use is one sstaudit registers.
package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/sstaudit/sstaudit/telemetry"
)

// yamlDocs parses every document of a YAML file.
func yamlDocs(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var docs []map[string]any
	for {
		var d map[string]any
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if d != nil {
			docs = append(docs, d)
		}
	}
}

func m(v any) map[string]any { r, _ := v.(map[string]any); return r }
func l(v any) []any          { r, _ := v.([]any); return r }
func s(v any) string         { r, _ := v.(string); return r }
func path(v any, ks ...string) any {
	for _, k := range ks {
		v = m(v)[k]
	}
	return v
}

// flagNames are the command-line flags the CLI defines (cmd/sstaudit).
func flagNames(t *testing.T) map[string]bool {
	t.Helper()
	files, _ := filepath.Glob("../cmd/sstaudit/*.go")
	re := regexp.MustCompile(`b\.[A-Z][A-Za-z]*\(&[^,]+, "([a-z0-9-]+)"`)
	names := map[string]bool{"config": true}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, _ := os.ReadFile(f)
		for _, mm := range re.FindAllSubmatch(b, -1) {
			names[string(mm[1])] = true
		}
	}
	if len(names) < 10 {
		t.Fatalf("found only %d flags in cmd/sstaudit: the pattern no longer matches the code", len(names))
	}
	return names
}

func envToFlag(k string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(k, "SSTAUDIT_")), "_", "-")
}

func TestEveryFileParses(t *testing.T) {
	err := filepath.WalkDir(".", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() && p == "kafka" {
			return err
		}
		switch filepath.Ext(p) {
		case ".yaml", ".yml":
			if len(yamlDocs(t, p)) == 0 {
				t.Errorf("%s: no documents", p)
			}
		case ".json":
			b, _ := os.ReadFile(p)
			if !json.Valid(b) {
				t.Errorf("%s: invalid JSON", p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	yamlDocs(t, "../docker-compose.yml")
}

func TestCompose(t *testing.T) {
	c := yamlDocs(t, "../docker-compose.yml")[0]
	flags := flagNames(t)
	services := m(c["services"])
	volumes := m(c["volumes"])
	hostPorts := map[string]string{}
	var sstaudits []string
	for name, sv := range services {
		svc := m(sv)
		for _, dep := range l(svc["depends_on"]) {
			if services[s(dep)] == nil {
				t.Errorf("%s depends on unknown service %v", name, dep)
			}
		}
		for _, v := range l(svc["volumes"]) {
			src := strings.SplitN(s(v), ":", 2)[0]
			if strings.HasPrefix(src, ".") {
				if _, err := os.Stat(filepath.Join("..", src)); err != nil {
					t.Errorf("%s mounts missing %s", name, src)
				}
			} else if _, ok := volumes[src]; !ok {
				t.Errorf("%s uses undeclared volume %s", name, src)
			}
		}
		for _, p := range l(svc["ports"]) {
			host := strings.SplitN(s(p), ":", 2)[0]
			if other, dup := hostPorts[host]; dup {
				t.Errorf("host port %s used by %s and %s", host, other, name)
			}
			hostPorts[host] = name
		}
		env := m(svc["environment"])
		if path(svc, "build", "dockerfile") == "deploy/Dockerfile" {
			sstaudits = append(sstaudits, name)
			for k := range env {
				if strings.HasPrefix(k, "SSTAUDIT_") && !flags[envToFlag(k)] {
					t.Errorf("%s: %s names no flag (--%s)", name, k, envToFlag(k))
				}
			}
			if !strings.HasSuffix(s(env["SSTAUDIT_HTTP"]), ":8080") {
				t.Errorf("%s: SSTAUDIT_HTTP %v, want port 8080 (Dockerfile EXPOSE, Prometheus targets)", name, env["SSTAUDIT_HTTP"])
			}
			if ep := s(env["OTEL_EXPORTER_OTLP_ENDPOINT"]); ep != "" && services[strings.Split(strings.TrimPrefix(ep, "http://"), ":")[0]] == nil {
				t.Errorf("%s: OTLP endpoint %s is no service", name, ep)
			}
		}
	}
	if len(sstaudits) != 2 {
		t.Fatalf("want two sstaudit instances, got %v", sstaudits)
	}
	state := map[string]string{}
	for _, n := range sstaudits {
		for _, v := range l(m(services[n])["volumes"]) {
			if strings.HasSuffix(s(v), ":/var/lib/sstaudit") {
				src := strings.SplitN(s(v), ":", 2)[0]
				if other, dup := state[src]; dup {
					t.Errorf("%s and %s share state volume %s", n, other, src)
				}
				state[src] = n
			}
		}
	}
	if len(state) != 2 {
		t.Errorf("state volumes: %v", state)
	}
	for _, want := range []string{"kafka", "otel-collector", "jaeger", "prometheus", "grafana"} {
		if services[want] == nil {
			t.Errorf("service %s missing", want)
		}
	}
	prom := yamlDocs(t, "prometheus/prometheus.yml")[0]
	for _, sc := range l(prom["scrape_configs"]) {
		for _, st := range l(m(sc)["static_configs"]) {
			for _, tg := range l(m(st)["targets"]) {
				host := strings.Split(s(tg), ":")[0]
				if services[host] == nil {
					t.Errorf("prometheus scrapes unknown service %s", tg)
				}
			}
		}
	}
	df, _ := os.ReadFile("Dockerfile")
	for _, want := range []string{"CGO_ENABLED=0", "EXPOSE 8080", "USER 65532", "distroless/static", "SSTAUDIT_STATE_DIR=/var/lib/sstaudit"} {
		if !bytes.Contains(df, []byte(want)) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}

func TestKubernetes(t *testing.T) {
	flags := flagNames(t)
	files, _ := filepath.Glob("k8s/*.yaml")
	byKind := map[string][]map[string]any{}
	for _, f := range files {
		for _, d := range yamlDocs(t, f) {
			for _, k := range []string{"apiVersion", "kind"} {
				if s(d[k]) == "" {
					t.Errorf("%s: a document lacks %s", f, k)
				}
			}
			if s(path(d, "metadata", "name")) == "" {
				t.Errorf("%s: %s lacks metadata.name", f, d["kind"])
			}
			if d["kind"] != "ConfigMap" && d["spec"] == nil {
				t.Errorf("%s: %s lacks spec", f, d["kind"])
			}
			byKind[s(d["kind"])] = append(byKind[s(d["kind"])], d)
		}
	}
	for _, k := range []string{"StatefulSet", "Service", "PodDisruptionBudget", "ConfigMap"} {
		if len(byKind[k]) == 0 {
			t.Fatalf("no %s", k)
		}
	}
	sts := byKind["StatefulSet"][0]
	spec := m(sts["spec"])
	podLabels := m(path(spec, "template", "metadata", "labels"))
	matches := func(sel map[string]any) bool {
		for k, v := range sel {
			if podLabels[k] != v {
				return false
			}
		}
		return len(sel) > 0
	}
	if !matches(m(path(spec, "selector", "matchLabels"))) {
		t.Error("StatefulSet selector does not match its pod labels")
	}
	headless := false
	for _, svc := range byKind["Service"] {
		if !matches(m(path(svc, "spec", "selector"))) {
			t.Errorf("Service %v selects no sstaudit pod", path(svc, "metadata", "name"))
		}
		if path(svc, "spec", "clusterIP") == "None" && path(svc, "metadata", "name") == spec["serviceName"] {
			headless = true
		}
	}
	if !headless {
		t.Errorf("serviceName %v is not a headless Service", spec["serviceName"])
	}
	if !matches(m(path(byKind["PodDisruptionBudget"][0], "spec", "selector", "matchLabels"))) {
		t.Error("PodDisruptionBudget selects no sstaudit pod")
	}
	vcts := l(spec["volumeClaimTemplates"])
	if len(vcts) == 0 {
		t.Fatal("StatefulSet has no volumeClaimTemplates")
	}
	claim := s(path(vcts[0], "metadata", "name"))
	pod := m(path(spec, "template", "spec"))
	grace, _ := pod["terminationGracePeriodSeconds"].(int)
	// Pipeline shutdown: produce retries up to 15 s, then telemetry flush.
	if min := 15 + int(telemetry.ShutdownTimeout.Seconds()) + 5; grace < min {
		t.Errorf("terminationGracePeriodSeconds %d, want ≥ %d", grace, min)
	}
	c := m(l(pod["containers"])[0])
	port := 0
	for _, p := range l(c["ports"]) {
		if s(m(p)["name"]) == "http" {
			port, _ = m(p)["containerPort"].(int)
		}
	}
	if port != 8080 {
		t.Errorf("container http port %d, want 8080", port)
	}
	for probe, want := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
		if got := s(path(c, probe, "httpGet", "path")); got != want {
			t.Errorf("%s path %q, want %q", probe, got, want)
		}
	}
	mounted := map[string]string{}
	for _, vm := range l(c["volumeMounts"]) {
		mounted[s(m(vm)["name"])] = s(m(vm)["mountPath"])
	}
	cm := byKind["ConfigMap"][0]
	var conf map[string]any
	if err := yaml.Unmarshal([]byte(s(path(cm, "data", "sstaudit.yaml"))), &conf); err != nil || len(conf) == 0 {
		t.Fatalf("ConfigMap sstaudit.yaml: %v", err)
	}
	for k := range conf {
		if !flags[k] {
			t.Errorf("sstaudit.yaml key %q is no flag", k)
		}
	}
	if mounted[claim] != s(conf["state-dir"]) {
		t.Errorf("state claim %s mounted at %q, config state-dir %v", claim, mounted[claim], conf["state-dir"])
	}
	if !strings.HasSuffix(s(conf["http"]), ":8080") {
		t.Errorf("config http %v, want port 8080", conf["http"])
	}
	for _, e := range l(c["env"]) {
		if k := s(m(e)["name"]); strings.HasPrefix(k, "SSTAUDIT_") && !flags[envToFlag(k)] {
			t.Errorf("env %s names no flag", k)
		}
	}
}

var metricRe = regexp.MustCompile(`\bsstaudit_[a-z_]+`)

// knownSamples are the sample names sstaudit exposes on /metrics.
func knownSamples() map[string]bool {
	known := map[string]bool{}
	for _, names := range telemetry.MetricNames {
		for _, n := range names {
			known[n] = true
		}
	}
	return known
}

func balanced(expr string) bool {
	var stack []rune
	pairs := map[rune]rune{')': '(', ']': '[', '}': '{'}
	inStr := false
	for _, r := range expr {
		switch {
		case r == '"':
			inStr = !inStr
		case inStr:
		case r == '(' || r == '[' || r == '{':
			stack = append(stack, r)
		case pairs[r] != 0:
			if len(stack) == 0 || stack[len(stack)-1] != pairs[r] {
				return false
			}
			stack = stack[:len(stack)-1]
		}
	}
	return len(stack) == 0 && !inStr
}

func TestAlertRules(t *testing.T) {
	known := knownSamples()
	doc := yamlDocs(t, "prometheus/alerts.yml")[0]
	n := 0
	for _, g := range l(doc["groups"]) {
		for _, r := range l(m(g)["rules"]) {
			rule := m(r)
			n++
			name := s(rule["alert"])
			for _, k := range []string{"alert", "expr", "for"} {
				if s(rule[k]) == "" {
					t.Errorf("rule %q lacks %s", name, k)
				}
			}
			if s(path(rule, "labels", "severity")) == "" || s(path(rule, "annotations", "summary")) == "" {
				t.Errorf("rule %q lacks labels.severity or annotations.summary", name)
			}
			expr := s(rule["expr"])
			if !balanced(expr) {
				t.Errorf("rule %q: unbalanced expression %s", name, expr)
			}
			for _, metric := range metricRe.FindAllString(expr, -1) {
				if !known[metric] {
					t.Errorf("rule %q uses %s, which sstaudit does not expose", name, metric)
				}
			}
		}
	}
	if n < 5 {
		t.Errorf("only %d rules", n)
	}
}

func TestDashboard(t *testing.T) {
	known := knownSamples()
	b, err := os.ReadFile("grafana/sstaudit-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			if !balanced(tg.Expr) {
				t.Errorf("panel %q: unbalanced %s", p.Title, tg.Expr)
			}
			for _, metric := range metricRe.FindAllString(tg.Expr, -1) {
				used[metric] = true
				if !known[metric] {
					t.Errorf("panel %q uses %s, which sstaudit does not expose", p.Title, metric)
				}
			}
		}
	}
	for _, must := range []string{"sstaudit_records_consumed_total", "sstaudit_findings_total", "sstaudit_dlq_records_total", "sstaudit_consumer_lag", "sstaudit_process_duration_seconds_bucket", "sstaudit_groups_open"} {
		if !used[must] {
			t.Errorf("dashboard shows no %s", must)
		}
	}
	prov := yamlDocs(t, "grafana/provisioning/dashboards/dashboards.yaml")[0]
	if s(path(l(prov["providers"])[0], "options", "path")) != "/var/lib/grafana/dashboards" {
		t.Error("dashboard provider path does not match the compose mount")
	}
}
