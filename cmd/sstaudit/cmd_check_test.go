package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sstaudit/sstaudit/schemas"
	"github.com/sstaudit/sstaudit/schemas/synth"
)

// checkFixture copies testdata/check/name into dir with its time
// placeholders filled in from now, so the payloads are never stale:
// {{NOW_S}} and {{NOW_MS}} (event time), {{FBP_MS}} (an fbp cookie created a
// day earlier).
func checkFixture(t *testing.T, dir, name string, now time.Time) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "check", name))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.NewReplacer(
		"{{NOW_S}}", strconv.FormatInt(now.Unix(), 10),
		"{{NOW_MS}}", strconv.FormatInt(now.UnixMilli(), 10),
		"{{FBP_MS}}", strconv.FormatInt(now.Add(-24*time.Hour).UnixMilli(), 10),
	).Replace(string(data))
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runChecked runs `sstaudit check args...` with stdin and returns the audit
// records printed, stderr and the error.
func runChecked(t *testing.T, env map[string]string, stdin string, args ...string) ([]schemas.AuditRecord, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := runIO(context.Background(), append([]string{"check"}, args...), mapEnv(env), strings.NewReader(stdin), &out, &errb)
	var recs []schemas.AuditRecord
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if line == "" {
			continue
		}
		var r schemas.AuditRecord
		if jerr := json.Unmarshal([]byte(line), &r); jerr != nil {
			t.Fatalf("stdout line is not an audit record: %v\n%s", jerr, line)
		}
		recs = append(recs, r)
	}
	return recs, errb.String(), err
}

func findingsAtLeast(r schemas.AuditRecord, sev schemas.Severity) []schemas.FindingRecord {
	var out []schemas.FindingRecord
	for _, f := range r.Findings {
		if schemas.Severity(f.Severity).Rank() >= sev.Rank() {
			out = append(out, f)
		}
	}
	return out
}

func TestCheckCleanPairMatches(t *testing.T) {
	t.Parallel()
	dir, now := t.TempDir(), time.Now()
	pixel := checkFixture(t, dir, "pixel_purchase.txt", now)
	capi := checkFixture(t, dir, "capi_purchase.json", now)
	recs, stderr, err := runChecked(t, nil, "", "--fail-on", "warn", pixel, capi)
	if err != nil {
		t.Fatalf("check: %v\nstderr: %s\nrecords: %+v", err, stderr, recs)
	}
	if len(recs) != 1 {
		t.Fatalf("got %d records, want 1 matched: %+v", len(recs), recs)
	}
	r := recs[0]
	if r.Outcome != string(schemas.OutcomeMatched) || r.Destination != "meta" || r.EventID == nil || *r.EventID != "ORD-CHK-0001" {
		t.Errorf("record = %s %s %v, want matched meta ORD-CHK-0001", r.Outcome, r.Destination, r.EventID)
	}
	if r.Client == nil || r.Server == nil || r.Client.Format != "meta.pixel" || r.Server.Format != "meta.capi" {
		t.Errorf("sides = %+v / %+v", r.Client, r.Server)
	}
	if r.Aligned == nil || !*r.Aligned {
		t.Errorf("aligned = %v, want true", r.Aligned)
	}
	if fs := findingsAtLeast(r, schemas.SeverityWarn); len(fs) > 0 {
		t.Errorf("clean pair has findings at warn or above: %+v", fs)
	}
}

func TestCheckPlantedFault(t *testing.T) {
	t.Parallel()
	dir, now := t.TempDir(), time.Now()
	pixel := checkFixture(t, dir, "pixel_purchase.txt", now)
	capi := checkFixture(t, dir, "capi_purchase_plaintext.json", now)
	recs, stderr, err := runChecked(t, map[string]string{"SSTAUDIT_FINGERPRINT_KEY": "test-key"}, "", pixel, capi)
	if err != nil {
		t.Fatalf("check: %v\nstderr: %s", err, stderr)
	}
	if len(recs) != 1 || recs[0].Outcome != string(schemas.OutcomeMatched) {
		t.Fatalf("records = %+v, want one matched", recs)
	}
	var got *schemas.FindingRecord
	for i, f := range recs[0].Findings {
		if f.Code == "HASH_PLAINTEXT" {
			got = &recs[0].Findings[i]
		}
	}
	if got == nil {
		t.Fatalf("no HASH_PLAINTEXT among %+v", recs[0].Findings)
	}
	if got.Path != "data[0].user_data.em[0]" || got.Side != "server" || got.Severity != "critical" {
		t.Errorf("HASH_PLAINTEXT = %+v, want server critical at data[0].user_data.em[0]", got)
	}
	if got.Fingerprint == nil || len(*got.Fingerprint) != 16 {
		t.Errorf("fingerprint = %v, want 16 hex characters with a key set", got.Fingerprint)
	}
	// Findings never carry the value.
	raw, _ := json.Marshal(recs)
	for _, v := range []string{"Marie.Dubois", "marie.dubois@example.org"} {
		if bytes.Contains(bytes.ToLower(raw), bytes.ToLower([]byte(v))) {
			t.Errorf("output carries the value %q", v)
		}
	}
}

func TestCheckFailOn(t *testing.T) {
	t.Parallel()
	dir, now := t.TempDir(), time.Now()
	pixel := checkFixture(t, dir, "pixel_purchase.txt", now)
	clean := checkFixture(t, dir, "capi_purchase.json", now)
	plain := checkFixture(t, dir, "capi_purchase_plaintext.json", now)
	bad := checkFixture(t, dir, "truncated.json", now)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"clean, none", []string{pixel, clean}, 0, ""},
		{"clean, warn", []string{"--fail-on", "warn", pixel, clean}, 0, ""},
		{"plaintext, none", []string{pixel, plain}, 0, ""},
		{"plaintext, critical", []string{"--fail-on", "critical", pixel, plain}, 1, "at critical or above"},
		{"plaintext, fail", []string{"--fail-on", "fail", pixel, plain}, 1, "at fail or above"},
		{"undecodable, none", []string{bad}, 0, ""},
		{"undecodable, critical", []string{"--fail-on", "critical", pixel, clean, bad}, 1, "1 undecodable message"},
		{"bad severity", []string{"--fail-on", "info", pixel}, 2, "fail-on must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := runChecked(t, nil, "", tt.args...)
			if got := exitCode(err); got != tt.wantCode {
				t.Fatalf("exit code = %d, want %d (err %v)", got, tt.wantCode, err)
			}
			if tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// Undecodable input is reported on stderr with its DLQ reason, and the
// content is not repeated.
func TestCheckUndecodableOnStderr(t *testing.T) {
	t.Parallel()
	dir, now := t.TempDir(), time.Now()
	bad := checkFixture(t, dir, "truncated.json", now)
	recs, stderr, err := runChecked(t, nil, "", bad)
	if err != nil || len(recs) != 0 {
		t.Fatalf("err = %v, records = %+v", err, recs)
	}
	if !strings.Contains(stderr, bad+": undecodable (syntax, tried ") {
		t.Errorf("stderr = %q, want the file and reason syntax", stderr)
	}
	if strings.Contains(stderr, "Purchase") || strings.Contains(stderr, "17724") {
		t.Errorf("stderr repeats the content: %q", stderr)
	}
}

// With --lines each line of standard input is one message; blank lines are
// skipped; the pair on two lines is matched.
func TestCheckStdinLines(t *testing.T) {
	t.Parallel()
	dir, now := t.TempDir(), time.Now()
	data, err := os.ReadFile(checkFixture(t, dir, "pair_lines.txt", now))
	if err != nil {
		t.Fatal(err)
	}
	stdin := string(data) + "\nnot a tracking payload {\n"
	recs, stderr, err := runChecked(t, nil, stdin, "--lines", "-")
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	if len(recs) != 1 || recs[0].Outcome != string(schemas.OutcomeMatched) {
		t.Fatalf("records = %+v, want one matched", recs)
	}
	if recs[0].Client.Topic != stdinName || recs[0].Client.Offset != 1 || recs[0].Server.Offset != 3 {
		t.Errorf("coordinates = %s/%d and %d, want stdin lines 1 and 3", recs[0].Client.Topic, recs[0].Client.Offset, recs[0].Server.Offset)
	}
	if !strings.Contains(stderr, "stdin:5: undecodable") {
		t.Errorf("stderr = %q, want line 5 undecodable", stderr)
	}
}

// A lone side closes at the end of input as an orphan; the same input given
// as a server event only is server_only.
func TestCheckOrphansCloseAtEnd(t *testing.T) {
	t.Parallel()
	dir, now := t.TempDir(), time.Now()
	pixel := checkFixture(t, dir, "pixel_purchase.txt", now)
	capi := checkFixture(t, dir, "capi_purchase.json", now)
	for _, tt := range []struct {
		file, outcome string
	}{{pixel, "client_only"}, {capi, "server_only"}} {
		recs, _, err := runChecked(t, nil, "", tt.file)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1 || recs[0].Outcome != tt.outcome {
			t.Errorf("%s: records = %+v, want one %s", tt.file, recs, tt.outcome)
		}
	}
}

// The house policy comes from the config file's policy section: an unknown
// key there is a configuration error.
func TestCheckPolicyFromConfig(t *testing.T) {
	t.Parallel()
	dir, now := t.TempDir(), time.Now()
	pixel := checkFixture(t, dir, "pixel_purchase.txt", now)
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("policy:\n  hashing:\n    nosuch: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := runChecked(t, nil, "", "--config", bad, pixel)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("err = %v (exit %d), want a configuration error naming the key", err, exitCode(err))
	}
	invalid := filepath.Join(dir, "invalid.yaml")
	if err := os.WriteFile(invalid, []byte("policy:\n  pii:\n    decode_passes: 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = runChecked(t, nil, "", "--config", invalid, pixel)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "decode passes") {
		t.Errorf("err = %v (exit %d), want an invalid-policy error", err, exitCode(err))
	}
}

// writeSynth writes n synth conversions as two --lines files, one per side,
// and returns their paths and what was planted.
func writeSynth(t *testing.T, dir string, seed uint64, mix synth.Mix, n int) (clientFile, serverFile string, truth *synth.Truth) {
	t.Helper()
	g, err := synth.New(synth.Config{Seed: seed, Mix: mix})
	if err != nil {
		t.Fatal(err)
	}
	var c, s bytes.Buffer
	for range n {
		for _, r := range g.Next() {
			if bytes.ContainsAny(r.Value, "\r\n") {
				t.Fatalf("a %s message spans lines", r.Format)
			}
			b := &c
			if r.Side == schemas.SideServer {
				b = &s
			}
			b.Write(r.Value)
			b.WriteByte('\n')
		}
	}
	clientFile, serverFile = filepath.Join(dir, "client.txt"), filepath.Join(dir, "server.txt")
	if err := os.WriteFile(clientFile, c.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(serverFile, s.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return clientFile, serverFile, g.Truth()
}

// Done when: check on mixed browser and server payloads (every format)
// reports nothing at warn or above on clean traffic...
func TestCheckSynthClean(t *testing.T) {
	t.Parallel()
	cf, sf, truth := writeSynth(t, t.TempDir(), 5, synth.Mix{}, 300)
	recs, stderr, err := runChecked(t, nil, "", "--lines", "--fail-on", "warn", cf, sf)
	if err != nil {
		t.Fatalf("check: %v\nstderr: %s", err, stderr)
	}
	if int64(len(recs)) != truth.Conversions {
		t.Errorf("%d records for %d conversions", len(recs), truth.Conversions)
	}
	for _, r := range recs {
		if r.Outcome != string(schemas.OutcomeMatched) {
			t.Errorf("outcome %s for %v", r.Outcome, r.EventID)
		}
	}
}

// ... and every planted fault with its code, on exactly as many conversions
// as were planted (per conversion, with paths, in processors/audit).
func TestCheckSynthFaults(t *testing.T) {
	t.Parallel()
	mix := synth.Mix{LostServer: 0.05, Skewed: 0.05, Renamed: 0.05, PlaintextPII: 0.05, DoubleHashed: 0.08,
		Duplicates: 0.05, PIIInURL: 0.05}
	cf, sf, truth := writeSynth(t, t.TempDir(), 9, mix, 400)
	recs, _, err := runChecked(t, nil, "", "--lines", "--fail-on", "critical", cf, sf)
	if exitCode(err) != 1 {
		t.Fatalf("exit code %d with planted plaintext (err %v)", exitCode(err), err)
	}
	ids := map[string]map[string]bool{} // code → event ids
	for _, r := range recs {
		if r.EventID == nil {
			t.Fatalf("record without event_id: no conversion lacks ids here")
		}
		for _, f := range r.Findings {
			if ids[f.Code] == nil {
				ids[f.Code] = map[string]bool{}
			}
			ids[f.Code][*r.EventID] = true
		}
	}
	for fault, code := range map[string]string{
		"lost_server": "DEDUP_CLIENT_ONLY", "skewed": "TIME_MISALIGNED", "renamed": "DEDUP_NAME_MISMATCH",
		"plaintext_pii": "HASH_PLAINTEXT", "double_hashed": "HASH_DOUBLE", "duplicates": "DEDUP_DUPLICATE", "pii_in_url": "PII_LEAK",
	} {
		if got, want := int64(len(ids[code])), truth.Faults[fault]; got != want || want == 0 {
			t.Errorf("%s: %s on %d conversions, planted on %d", fault, code, got, want)
		}
	}
}
