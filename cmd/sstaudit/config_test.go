package main

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// writeConfig writes a YAML config into a fresh temp dir and returns its path.
func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sstaudit.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// resolveCommand resolves args for the named command as execute does, and
// returns its config and the resolution.
func resolveCommand(t *testing.T, name string, args []string, env map[string]string) (config, *parsed, error) {
	t.Helper()
	c := findCommand(name)
	if c == nil {
		t.Fatalf("no command %q", name)
	}
	fs, _, cfg, _ := c.flagSet()
	p, err := resolveFlags(fs, args, mapEnv(env), knownKeys())
	return cfg, p, err
}

func TestPrecedence(t *testing.T) {
	t.Parallel()
	fileGrace := "grace: 3m\nbrokers: [file-a:9092, file-b:9092]\nrepartition: true\n"
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		file       string // written to a temp file and passed with --config unless configEnv
		configEnv  bool   // pass the file through SSTAUDIT_CONFIG instead
		want       func(c *RunConfig) any
		wantValue  any
		wantSource map[string]string
	}{
		{
			name:       "default when nothing is set",
			want:       func(c *RunConfig) any { return c.Join.Grace },
			wantValue:  2 * time.Minute,
			wantSource: map[string]string{"grace": "default"},
		},
		{
			name:       "file beats default",
			file:       fileGrace,
			want:       func(c *RunConfig) any { return c.Join.Grace },
			wantValue:  3 * time.Minute,
			wantSource: map[string]string{"grace": "config"},
		},
		{
			name:       "env beats file",
			file:       fileGrace,
			env:        map[string]string{"SSTAUDIT_GRACE": "4m"},
			want:       func(c *RunConfig) any { return c.Join.Grace },
			wantValue:  4 * time.Minute,
			wantSource: map[string]string{"grace": "SSTAUDIT_GRACE"},
		},
		{
			name:       "flag beats env and file",
			file:       fileGrace,
			args:       []string{"--grace", "5m"},
			env:        map[string]string{"SSTAUDIT_GRACE": "4m"},
			want:       func(c *RunConfig) any { return c.Join.Grace },
			wantValue:  5 * time.Minute,
			wantSource: map[string]string{"grace": "flag"},
		},
		{
			name:      "flag beats file without env",
			file:      fileGrace,
			args:      []string{"-grace=6m"},
			want:      func(c *RunConfig) any { return c.Join.Grace },
			wantValue: 6 * time.Minute,
		},
		{
			name:       "env beats default without file",
			env:        map[string]string{"SSTAUDIT_MATCH_WINDOW": "90m"},
			want:       func(c *RunConfig) any { return c.Join.MatchWindow },
			wantValue:  90 * time.Minute,
			wantSource: map[string]string{"match-window": "SSTAUDIT_MATCH_WINDOW"},
		},
		{
			name:      "empty env counts as unset",
			file:      fileGrace,
			env:       map[string]string{"SSTAUDIT_GRACE": ""},
			want:      func(c *RunConfig) any { return c.Join.Grace },
			wantValue: 3 * time.Minute,
		},
		{
			name:      "config file from SSTAUDIT_CONFIG",
			file:      fileGrace,
			configEnv: true,
			want:      func(c *RunConfig) any { return c.Join.Grace },
			wantValue: 3 * time.Minute,
		},
		{
			name:      "YAML sequence sets a list flag",
			file:      fileGrace,
			want:      func(c *RunConfig) any { return c.Brokers },
			wantValue: []string{"file-a:9092", "file-b:9092"},
		},
		{
			name:      "env list beats YAML list",
			file:      fileGrace,
			env:       map[string]string{"SSTAUDIT_BROKERS": "env-a:1, env-b:2"},
			want:      func(c *RunConfig) any { return c.Brokers },
			wantValue: []string{"env-a:1", "env-b:2"},
		},
		{
			name:      "false on the command line beats true in env and file",
			file:      fileGrace,
			args:      []string{"--repartition=false"},
			env:       map[string]string{"SSTAUDIT_REPARTITION": "true"},
			want:      func(c *RunConfig) any { return c.Repartition },
			wantValue: false,
		},
		{
			name:      "bool from file",
			file:      fileGrace,
			want:      func(c *RunConfig) any { return c.Repartition },
			wantValue: true,
		},
		{
			name:      "null in the file leaves the default",
			file:      "grace:\nmatch-window: ~\n",
			want:      func(c *RunConfig) any { return []time.Duration{c.Join.Grace, c.Join.MatchWindow} },
			wantValue: []time.Duration{2 * time.Minute, time.Hour},
		},
		{
			name:      "keys of other commands are ignored",
			file:      "partitions: 12\nlost-server: 0.5\nout: x.md\ngrace: 7m\n",
			want:      func(c *RunConfig) any { return c.Join.Grace },
			wantValue: 7 * time.Minute,
		},
		{
			name:      "size with unit from env",
			env:       map[string]string{"SSTAUDIT_MAX_MESSAGE_BYTES": "512KiB"},
			want:      func(c *RunConfig) any { return c.MaxMessageBytes },
			wantValue: 512 << 10,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			for k, v := range tt.env {
				env[k] = v
			}
			args := append([]string(nil), tt.args...)
			if tt.file != "" {
				path := writeConfig(t, tt.file)
				if tt.configEnv {
					env["SSTAUDIT_CONFIG"] = path
				} else {
					args = append(args, "--config", path)
				}
			}
			cfg, p, err := resolveCommand(t, "run", args, env)
			if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			got := tt.want(cfg.(*RunConfig))
			if !reflect.DeepEqual(got, tt.wantValue) {
				t.Errorf("value = %v, want %v", got, tt.wantValue)
			}
			for flag, want := range tt.wantSource {
				if p.source[flag] != want {
					t.Errorf("source of %s = %q, want %q", flag, p.source[flag], want)
				}
			}
		})
	}
}

func TestConfigFlagBeatsConfigEnv(t *testing.T) {
	t.Parallel()
	good := writeConfig(t, "grace: 9m\n")
	bad := writeConfig(t, "no-such-key: 1\n")
	cfg, p, err := resolveCommand(t, "run", []string{"--config", good}, map[string]string{"SSTAUDIT_CONFIG": bad})
	if err != nil {
		t.Fatalf("resolve: %v", err)
	}
	if got := cfg.(*RunConfig).Join.Grace; got != 9*time.Minute {
		t.Errorf("grace = %v, want 9m from the --config file", got)
	}
	if p.file == nil || p.file.path != good {
		t.Errorf("config file = %+v, want %s", p.file, good)
	}
	// And SSTAUDIT_CONFIG alone is read: its bad key must surface.
	if _, _, err := resolveCommand(t, "run", nil, map[string]string{"SSTAUDIT_CONFIG": bad}); err == nil ||
		!strings.Contains(err.Error(), `unknown key "no-such-key"`) {
		t.Errorf("SSTAUDIT_CONFIG with a bad key: err = %v, want unknown key", err)
	}
}

func TestPositionalInterleaved(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args      []string
		wantFiles []string
		wantLines bool
	}{
		{args: []string{"a.json", "--lines", "b.json"}, wantFiles: []string{"a.json", "b.json"}, wantLines: true},
		{args: []string{"-", "--format", "meta.capi"}, wantFiles: []string{"-"}},
		{args: []string{"--lines", "--", "--not-a-flag", "x"}, wantFiles: []string{"--not-a-flag", "x"}, wantLines: true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			cfg, p, err := resolveCommand(t, "check", tt.args, nil)
			if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			if !reflect.DeepEqual(p.positional, tt.wantFiles) {
				t.Errorf("positional = %q, want %q", p.positional, tt.wantFiles)
			}
			if got := cfg.(*CheckConfig).Lines; got != tt.wantLines {
				t.Errorf("lines = %v, want %v", got, tt.wantLines)
			}
		})
	}
}

func TestDecodePolicy(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "grace: 1m\npolicy:\n  namespace_prefix: zz_\n  hit_ratio:\n    pass: [0.8, 1.2]\n")
	cf, err := loadConfigFile(path, knownKeys())
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{ConfigFile: path, Policy: cf.policy}
	type policy struct {
		NamespacePrefix string `yaml:"namespace_prefix"`
		HitRatio        struct {
			Pass []float64 `yaml:"pass"`
		} `yaml:"hit_ratio"`
	}
	var got policy
	if err := env.DecodePolicy(&got); err != nil {
		t.Fatalf("DecodePolicy: %v", err)
	}
	if got.NamespacePrefix != "zz_" || !reflect.DeepEqual(got.HitRatio.Pass, []float64{0.8, 1.2}) {
		t.Errorf("policy = %+v", got)
	}

	var strict struct {
		NamespacePrefix string `yaml:"namespace_prefix"`
	}
	err = env.DecodePolicy(&strict)
	if err == nil || !strings.Contains(err.Error(), "hit_ratio") || exitCode(err) != 2 {
		t.Errorf("strict decode of an unknown policy key: err = %v (exit %d), want a config error naming hit_ratio", err, exitCode(err))
	}

	// No policy section: the target keeps its defaults.
	keep := policy{NamespacePrefix: "cx_"}
	if err := (&Env{}).DecodePolicy(&keep); err != nil || keep.NamespacePrefix != "cx_" {
		t.Errorf("no policy: err = %v, prefix = %q, want nil and cx_", err, keep.NamespacePrefix)
	}
}

func TestFlagErrorsAreUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown flag", []string{"--brokerz", "x"}, nil, "unknown flag --brokerz"},
		{"missing value", []string{"--grace"}, nil, "flag --grace needs a value"},
		{"bad duration on the command line", []string{"--grace", "soon"}, nil, `invalid value "soon" for --grace: not a duration`},
		{"bad bool", []string{"--repartition=maybe"}, nil, `invalid value "maybe" for --repartition`},
		{"bad env value", nil, map[string]string{"SSTAUDIT_TRACE_RATIO": "lots"}, `SSTAUDIT_TRACE_RATIO: invalid value "lots" for --trace-ratio: not a number`},
		{"bad size", []string{"--max-message-bytes", "1 TB"}, nil, "not a size"},
		{"missing config file", []string{"--config", "/nonexistent/sstaudit.yaml"}, nil, "config: open /nonexistent/sstaudit.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := resolveCommand(t, "run", tt.args, tt.env)
			var u *usageError
			if !errors.As(err, &u) {
				t.Fatalf("err = %v, want a usage error", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestValueParsing(t *testing.T) {
	t.Parallel()
	var b bytesValue
	for in, want := range map[string]int{"1048576": 1 << 20, "1MiB": 1 << 20, "512kib": 512 << 10, "2M": 2 << 20, "100B": 100} {
		if err := b.Set(in); err != nil || int(b) != want {
			t.Errorf("bytes %q = %d, %v; want %d", in, int(b), err, want)
		}
	}
	for d, want := range map[time.Duration]string{time.Hour: "1h", 2 * time.Minute: "2m", 30 * time.Second: "30s", 90 * time.Minute: "1h30m", 0: "0s"} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"24h":                  now.Add(-24 * time.Hour),
		"7d":                   now.Add(-7 * 24 * time.Hour),
		"2026-11-01T00:00:00Z": time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
	} {
		tb := TimeBound{now: func() time.Time { return now }}
		if err := tb.Set(in); err != nil || !tb.At.Equal(want) {
			t.Errorf("time %q = %v, %v; want %v", in, tb.At, err, want)
		}
	}
	tb := TimeBound{}
	if err := tb.Set("yesterday"); err == nil {
		t.Error("TimeBound accepted \"yesterday\"")
	}
}
