package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sstaudit/sstaudit/schemas"
)

// invoke runs the dispatcher with a fake environment and buffers.
func invoke(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = runIO(context.Background(), args, mapEnv(env), strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), err
}

func TestDispatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		args      []string
		wantCode  int
		wantErr   string // substring of the error
		wantOut   string // substring of stdout
		errAbsent bool
	}{
		{name: "no command", args: nil, wantCode: 2, wantErr: "no command given"},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: 2, wantErr: `unknown command "frobnicate"`},
		{name: "flag before command", args: []string{"--brokers", "x:1", "run"}, wantCode: 2, wantErr: "flag --brokers before the command"},
		{name: "unknown flag", args: []string{"run", "--nope"}, wantCode: 2, wantErr: "run: unknown flag --nope"},
		{name: "bad value", args: []string{"run", "--match-window", "49h"}, wantCode: 2, wantErr: "match-window must be in (0, 48h]"},
		{name: "unexpected argument", args: []string{"run", "extra"}, wantCode: 2, wantErr: `run: unexpected argument "extra"`},
		{name: "check without input", args: []string{"check"}, wantCode: 2, wantErr: "no input"},
		{name: "run with a missing inventory", args: []string{"run", "--inventory", "testdata/no-such-inventory.yaml"}, wantCode: 2, wantErr: "inventory"},
		{name: "help", args: []string{"--help"}, wantCode: 0, wantOut: "Commands:"},
		{name: "-h", args: []string{"-h"}, wantCode: 0, wantOut: "Commands:"},
		{name: "help word", args: []string{"help"}, wantCode: 0, wantOut: "Commands:"},
		{name: "help for a command", args: []string{"help", "check"}, wantCode: 0, wantOut: "Usage: sstaudit check [flags] FILE... | -"},
		{name: "help for an unknown command", args: []string{"help", "nope"}, wantCode: 2, wantErr: `unknown command "nope"`},
		{name: "command --help", args: []string{"report", "--help"}, wantCode: 0, wantOut: "--since TIME"},
		{name: "command -h after flags", args: []string{"generate", "--rate", "5", "-h"}, wantCode: 0, wantOut: "--lost-server SHARE"},
		{name: "version", args: []string{"version"}, wantCode: 0, wantOut: "sstaudit "},
		{name: "--version", args: []string{"--version"}, wantCode: 0, wantOut: "sstaudit "},
		{name: "version with argument", args: []string{"version", "x"}, wantCode: 2, wantErr: "takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, _, err := invoke(t, nil, tt.args...)
			if got := exitCode(err); got != tt.wantCode {
				t.Fatalf("exit code = %d, want %d (err %v)", got, tt.wantCode, err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			if tt.wantOut != "" && !strings.Contains(out, tt.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantOut, out)
			}
		})
	}
}

// Every problem is reported, on one line.
func TestValidateJoinsEveryProblemOnOneLine(t *testing.T) {
	t.Parallel()
	_, _, err := invoke(t, map[string]string{"SSTAUDIT_TRACE_RATIO": "2"},
		"run", "--grace", "-1s", "--output-format", "xml", "--client-topic", "audit.findings", "--min-free-disk", "-1MiB")
	if exitCode(err) != 2 {
		t.Fatalf("exit code = %d, want 2 (err %v)", exitCode(err), err)
	}
	msg := err.Error()
	for _, want := range []string{
		"grace must not be negative, got -1s",
		`output-format must be json or avro, got "xml"`,
		"trace-ratio must be in [0,1], got 2",
		`client-topic and findings-topic both name topic "audit.findings"`,
		"min-free-disk must not be negative",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error spans lines: %q", msg)
	}
}

// schemas prints what schemas.Describe prints, and exits 0.
func TestSchemasCommand(t *testing.T) {
	t.Parallel()
	out, _, err := invoke(t, nil, "schemas")
	if err != nil {
		t.Fatalf("schemas: %v", err)
	}
	var want bytes.Buffer
	if err := schemas.Describe(&want); err != nil {
		t.Fatal(err)
	}
	if want.Len() == 0 || out != want.String() {
		t.Errorf("schemas printed %d bytes, want the %d bytes of schemas.Describe", len(out), want.Len())
	}
	for _, name := range []string{"AuditRecord", "WindowMetrics", "fingerprint"} {
		if !strings.Contains(out, name) {
			t.Errorf("schemas output lacks %q", name)
		}
	}
}

func TestHelpListsEveryCommandAndFlag(t *testing.T) {
	t.Parallel()
	top, _, err := invoke(t, nil, "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range commands() {
		if !strings.Contains(top, "\n  "+c.name+" ") {
			t.Errorf("top-level help lacks command %s", c.name)
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			help, _, err := invoke(t, nil, c.name, "--help")
			if err != nil {
				t.Fatal(err)
			}
			fs, _, _, _ := c.flagSet()
			fs.VisitAll(func(f *flag.Flag) {
				line := helpLine(help, "--"+f.Name)
				if line == "" {
					t.Errorf("help lacks --%s", f.Name)
					return
				}
				if strings.TrimSpace(f.Usage) == "" {
					t.Errorf("--%s has no help text", f.Name)
				}
				if !strings.Contains(line, "default") {
					t.Errorf("help of --%s does not state its default: %q", f.Name, line)
				}
			})
		})
	}
	for _, word := range []string{"version", "help", "SSTAUDIT_", "--config", "Exit status"} {
		if !strings.Contains(top, word) {
			t.Errorf("top-level help lacks %q", word)
		}
	}
}

// helpLine returns the help line that documents flag, "" if none.
func helpLine(help, flag string) string {
	for _, l := range strings.Split(help, "\n") {
		f := strings.Fields(l)
		if len(f) > 0 && f[0] == flag {
			return l
		}
	}
	return ""
}

// The documented flags of each command, from SPEC §2, §4, §7, §9 and the
// Foundation issue: a command losing one fails here.
func TestCommandFlags(t *testing.T) {
	t.Parallel()
	pipeline := []string{"brokers", "group", "client-topic", "server-topic", "findings-topic", "metrics-topic", "dlq-topic",
		"state-dir", "http", "output-format", "repartition", "match-window", "grace", "alignment", "metrics-window",
		"idle-advance", "max-message-bytes", "instance-id", "trace-ratio", "memory-limit", "min-free-disk", "inventory", "log-level", "log-format", "config"}
	want := map[string][]string{
		"run":  pipeline,
		"demo": {"serve", "events", "seed", "http", "match-window", "grace", "alignment", "metrics-window", "idle-advance"},
		"generate": {"brokers", "client-topic", "server-topic", "rate", "duration", "events", "seed", "truth", "repartition",
			"lost-server", "lost-client", "skewed", "renamed", "plaintext-pii", "double-hashed", "duplicates",
			"missing-ids", "pii-in-url", "poison", "destinations", "partitions"},
		"report":  {"brokers", "findings-topic", "metrics-topic", "since", "until", "inventory", "out", "json"},
		"check":   {"format", "lines", "fail-on", "side", "match-window", "grace", "alignment"},
		"schemas": {},
		"bench": {"brokers", "partitions", "events", "seed", "runs", "latency-duration", "latency-rate", "open-groups",
			"work-dir", "cpu-profile", "mem-profile", "memory-limit"},
	}
	for _, c := range commands() {
		fs, _, _, _ := c.flagSet()
		names, ok := want[c.name]
		if !ok {
			t.Errorf("command %s not covered by this test", c.name)
		}
		for _, n := range names {
			if fs.Lookup(n) == nil {
				t.Errorf("%s lacks --%s", c.name, n)
			}
		}
		if c.name == "schemas" {
			n := 0
			fs.VisitAll(func(*flag.Flag) { n++ })
			if n != 0 {
				t.Errorf("schemas has %d flags, want none", n)
			}
		}
	}
}

func TestBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "sstaudit")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "frobnicate")
	cmd.Env = append(os.Environ(), "SSTAUDIT_CONFIG=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("sstaudit frobnicate: err = %v, want exit status 2", err)
	}
	if got := stderr.String(); got != "sstaudit: unknown command \"frobnicate\" (run 'sstaudit --help' for the list)\n" {
		t.Errorf("stderr = %q, want one line naming the command", got)
	}
	if out, err := exec.Command(bin, "version").Output(); err != nil || !strings.HasPrefix(string(out), "sstaudit ") {
		t.Errorf("sstaudit version: %q, %v", out, err)
	}
}
