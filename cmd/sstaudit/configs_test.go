package main

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/sstaudit/sstaudit/consumers"
	"github.com/sstaudit/sstaudit/processors/audit"
)

type invalidCase struct {
	Name    string            `yaml:"name"`
	Command string            `yaml:"command"`
	Args    []string          `yaml:"args"`
	Env     map[string]string `yaml:"env"`
	File    *string           `yaml:"file"`
	Error   string            `yaml:"error"`
}

func TestInvalidConfigs(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/invalid_configs.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cases []invalidCase
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&cases); err != nil {
		t.Fatalf("testdata/invalid_configs.yaml: %v", err)
	}
	if len(cases) < 10 {
		t.Fatalf("only %d cases read", len(cases))
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		if tc.Name == "" || tc.Command == "" || tc.Error == "" || seen[tc.Name] {
			t.Fatalf("case %+v: needs a unique name, a command and an error", tc)
		}
		seen[tc.Name] = true
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{tc.Command}, tc.Args...)
			if tc.File != nil {
				args = append(args, "--config", writeConfig(t, *tc.File))
			}
			_, _, err := invoke(t, tc.Env, args...)
			if got := exitCode(err); got != 2 {
				t.Fatalf("exit code = %d, want 2 (err %v)", got, err)
			}
			if !strings.Contains(err.Error(), tc.Error) {
				t.Errorf("error %q does not contain %q", err, tc.Error)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

// Each command's defaults are valid on their own, and a full valid config
// file is accepted by every command.
func TestDefaultsAreValid(t *testing.T) {
	t.Parallel()
	for _, c := range commands() {
		_, _, cfg, _ := c.flagSet()
		if pt, ok := cfg.(positionalTaker); ok {
			pt.setPositional([]string{"-"})
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s defaults: %v", c.name, err)
		}
	}
	path := writeConfig(t, `
brokers: [k1:9092, k2:9092]
group: audit
output-format: avro
match-window: 24h
grace: 5m
trace-ratio: 0.5
events: 500
lost-server: 0.2
destinations: [meta]
since: 2026-11-01T00:00:00Z
format: meta.capi
fail-on: critical
policy:
  custom_param_prefix: cx_
`)
	for _, args := range [][]string{{"run"}, {"demo"}, {"generate"}, {"report"}, {"check", "-"}} {
		_, _, err := resolveAndValidate(t, args[0], append(args[1:], "--config", path))
		if err != nil {
			t.Errorf("%s with a valid shared file: %v", args[0], err)
		}
	}
}

func resolveAndValidate(t *testing.T, name string, args []string) (config, *parsed, error) {
	t.Helper()
	cfg, p, err := resolveCommand(t, name, args, nil)
	if err != nil {
		return nil, nil, err
	}
	if pt, ok := cfg.(positionalTaker); ok {
		pt.setPositional(p.positional)
	}
	return cfg, p, cfg.Validate()
}

func TestEnvName(t *testing.T) {
	t.Parallel()
	for flag, want := range map[string]string{
		"brokers":           "SSTAUDIT_BROKERS",
		"match-window":      "SSTAUDIT_MATCH_WINDOW",
		"max-message-bytes": "SSTAUDIT_MAX_MESSAGE_BYTES",
		"config":            "SSTAUDIT_CONFIG",
	} {
		if got := envName(flag); got != want {
			t.Errorf("envName(%q) = %q, want %q", flag, got, want)
		}
	}
}

// --min-free-disk reaches the pipeline's disk guard; its default is the
// pipeline's own, and 0 turns the guard off.
func TestMinFreeDiskReachesThePipeline(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want int64
	}{
		{nil, consumers.NewDefaultConfig().MinFreeDisk},
		{[]string{"--min-free-disk", "1GiB"}, 1 << 30},
		{[]string{"--min-free-disk", "0"}, 0},
	} {
		cfg, _, err := resolveAndValidate(t, "run", tt.args)
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		rc := *cfg.(*RunConfig)
		a, err := audit.New(audit.NewDefaultPolicy(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := pipelineConfig(&Env{}, rc, a).MinFreeDisk; got != tt.want {
			t.Errorf("%v: MinFreeDisk = %d, want %d", tt.args, got, tt.want)
		}
	}
}
