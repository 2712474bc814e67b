package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sstaudit/sstaudit/consumers/kafkatest"
	"github.com/sstaudit/sstaudit/schemas"
)

// The -update flag rewrites golden files (STYLE.md). Another test file of
// the package may define it too: package variables are initialised before
// init runs, so registering it only when absent cannot clash.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files under testdata/")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// produceOutputs writes audit records (Avro) and window metrics (JSON) as
// the pipeline would, some of them twice (at-least-once).
func produceOutputs(t *testing.T, brokers []string, findingsTopic, metricsTopic string) {
	t.Helper()
	js, _ := schemas.NewCodecs(schemas.OutputJSON)
	av, _ := schemas.NewCodecs(schemas.OutputAvro)
	var findings, metrics []kafka.Message
	names := []string{"ViewContent", "AddToCart", "InitiateCheckout", "Purchase", "Lead", "CompleteRegistration"}
	keys := []string{"em", "ph", "external_id", "client_ip_address", "client_user_agent", "fbc", "fbp"}
	website := "website"
	for i, name := range names {
		n := 2 + i
		for j := range n {
			id := fmt.Sprintf("%s-%d", strings.ToLower(name), j)
			name := name
			side := &schemas.SideInfo{Format: "meta.capi", Topic: "tracking.server", RecordTime: 1_790_000_000_000 + int64(i*100+j),
				EventName: name, ActionSource: &website, MatchKeys: keys, ConsentState: "granted"}
			skew, aligned := int64(800), true
			r := schemas.AuditRecord{AuditID: "a-" + id, Outcome: "matched", Destination: "meta", EventID: &id, EventName: name,
				ClientEventName: &name, ServerEventName: &name, Client: side, Server: side, SkewMs: &skew, Aligned: &aligned,
				MatchKeys: &schemas.MatchKeys{Present: keys, Count: int32(len(keys)), Band: "pass", EMQEstimate: 8.5},
				Findings:  []schemas.FindingRecord{}, SchemaVersion: "1"}
			if name == "Lead" && j == 0 {
				entity := "email"
				r.Findings = append(r.Findings, schemas.FindingRecord{Code: "PII_LEAK", Severity: "critical", Side: "client",
					Path: "dl?email", Entity: &entity, Detector: "pii", Message: "email in URL"})
			}
			b, err := av.AuditRecord.Encode(r)
			if err != nil {
				t.Fatal(err)
			}
			findings = append(findings, kafka.Message{Value: b})
			if j == 0 {
				findings = append(findings, kafka.Message{Value: b}) // redelivered
			}
		}
		emq := 8.5
		m := schemas.WindowMetrics{Destination: "meta", EventName: name, WindowStart: 1_790_000_000_000, WindowEnd: 1_790_000_060_000,
			ClientEvents: int64(n), ServerEvents: int64(n), Matched: int64(n), Aligned: int64(n),
			FindingsByCode: map[string]int64{}, MatchKeysHistogram: map[string]int64{"7": int64(n)}, EMQEstimateAvg: &emq, SchemaVersion: "1"}
		if name == "Lead" {
			m.FindingsByCode["PII_LEAK"] = 1
			m.FindingsBySeverity.Critical = 1
			m.PIILeaks = 1
		}
		b, err := js.WindowMetrics.Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		metrics = append(metrics, kafka.Message{Value: b}, kafka.Message{Value: b})
	}
	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Balancer: &kafka.RoundRobin{}, BatchSize: 1, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for topic, msgs := range map[string][]kafka.Message{findingsTopic: findings, metricsTopic: metrics} {
		for i := range msgs {
			msgs[i].Topic = topic
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			t.Fatalf("produce %s: %v", topic, err)
		}
	}
}

func TestReportCommandOnFakeBroker(t *testing.T) {
	brokers := kafkatest.NewFake(t, 2, "audit.findings", "audit.metrics")
	produceOutputs(t, brokers, "audit.findings", "audit.metrics")
	dir := t.TempDir()
	out := filepath.Join(dir, "SERVER-SIDE-TRACKING-AUDIT.md")
	env := map[string]string{"SOURCE_DATE_EPOCH": "1790003600"}
	stdout, _, err := invoke(t, env, "report", "--brokers", strings.Join(brokers, ","), "--out", out, "--json",
		"--since", "2020-01-01T00:00:00Z", "--inventory", "testdata/report/inventory.yaml", "--log-level", "error")
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(filepath.Join(dir, "SERVER-SIDE-TRACKING-AUDIT.json"))
	if err != nil {
		t.Fatal(err)
	}
	stdout = strings.ReplaceAll(stdout, dir, "DIR")
	compareGolden(t, "testdata/report/stdout.golden", []byte(stdout))
	compareGolden(t, "testdata/report/report.md.golden", md)
	compareGolden(t, "testdata/report/report.json.golden", js)

	var doc struct {
		Score struct {
			Points int    `json:"points"`
			Grade  string `json:"grade"`
		} `json:"score"`
		Summary struct {
			AuditRecords int64 `json:"audit_records"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	// 27 distinct audit records (6 redelivered), and the printed score block
	// is the report's.
	if doc.Summary.AuditRecords != 27 {
		t.Errorf("audit records %d, want 27", doc.Summary.AuditRecords)
	}
	head := fmt.Sprintf("Server-Side Tracking Health Score: %d/100 (Grade: %s)\n", doc.Score.Points, doc.Score.Grade)
	if !strings.HasPrefix(stdout, head) || !bytes.Contains(md, []byte(head)) {
		t.Errorf("stdout %q and the report must start the score block with %q", stdout, head)
	}
}

func TestIntegrationReportCommand(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	findings, metrics := kafkatest.UniqueName(t, "findings"), kafkatest.UniqueName(t, "metrics")
	kafkatest.CreateTopics(t, brokers, 3, findings, metrics)
	produceOutputs(t, brokers, findings, metrics)
	out := filepath.Join(t.TempDir(), "audit.md")
	stdout, _, err := invoke(t, map[string]string{"SOURCE_DATE_EPOCH": "1790003600"}, "report", "--brokers", strings.Join(brokers, ","),
		"--findings-topic", findings, "--metrics-topic", metrics, "--out", out, "--inventory", "testdata/report/inventory.yaml")
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	// Same records as on the fake broker: the same score block.
	want, err := os.ReadFile("testdata/report/stdout.golden")
	if err != nil {
		t.Fatal(err)
	}
	block := string(want[:bytes.Index(want, []byte("\n\n"))+1])
	if !strings.HasPrefix(stdout, block) {
		t.Errorf("stdout:\n%s\nwant the score block:\n%s", stdout, block)
	}
	md, err := os.ReadFile(out)
	if err != nil || !bytes.Contains(md, []byte(block[:strings.Index(block, "\n")])) {
		t.Errorf("report %s lacks the score (err %v)", out, err)
	}
}

func TestReportCommandErrors(t *testing.T) {
	brokers := kafkatest.NewFake(t, 1, "audit.findings", "audit.metrics")
	dir := t.TempDir()
	bad := filepath.Join(dir, "inv.yaml")
	if err := os.WriteFile(bad, []byte("capi_method: pigeon\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	unknown := filepath.Join(dir, "unknown.yaml")
	if err := os.WriteFile(unknown, []byte("hostingg: stape\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bad inventory value", []string{"--inventory", bad}, 2, "capi_method"},
		{"unknown inventory key", []string{"--inventory", unknown}, 2, "hostingg"},
		{"missing inventory", []string{"--inventory", filepath.Join(dir, "none.yaml")}, 2, "none.yaml"},
		{"missing topic", []string{"--metrics-topic", "nope"}, 1, "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"report", "--brokers", strings.Join(brokers, ","), "--out", filepath.Join(dir, "r.md")}, tt.args...)
			_, _, err := invoke(t, nil, args...)
			if exitCode(err) != tt.code || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v (exit %d), want exit %d mentioning %q", err, exitCode(err), tt.code, tt.want)
			}
		})
	}
}

func TestJSONPath(t *testing.T) {
	for in, want := range map[string]string{
		"SERVER-SIDE-TRACKING-AUDIT.md": "SERVER-SIDE-TRACKING-AUDIT.json",
		"out/audit.MD":                  "out/audit.json",
		"report.txt":                    "report.txt.json",
	} {
		if got := jsonPath(in); got != want {
			t.Errorf("jsonPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// compareGolden compares got with a golden file; -update rewrites it.
func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if updating() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (rerun with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (rerun with -update and review the diff):\n%s", path, got)
	}
}
