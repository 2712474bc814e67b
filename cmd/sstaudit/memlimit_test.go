package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveMemoryLimit(t *testing.T) {
	t.Parallel()
	v2 := t.TempDir()
	if err := os.WriteFile(filepath.Join(v2, "memory.max"), []byte("1073741824\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	unlimited := t.TempDir()
	if err := os.WriteFile(filepath.Join(unlimited, "memory.max"), []byte("max\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	v1 := t.TempDir()
	if err := os.MkdirAll(filepath.Join(v1, "memory"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(v1, "memory", "memory.limit_in_bytes"), []byte("9223372036854771712\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	noEnv := func(string) string { return "" }
	goEnv := func(k string) string {
		if k == "GOMEMLIMIT" {
			return "300MiB"
		}
		return ""
	}
	tests := []struct {
		name       string
		flag       int64
		getenv     func(string) string
		dir        string
		want       int64
		wantSource string
	}{
		{"flag wins", 512 << 20, goEnv, v2, 512 << 20, "memory-limit"},
		{"GOMEMLIMIT is kept", 0, goEnv, v2, 0, "GOMEMLIMIT"},
		{"share of the cgroup v2 limit", 0, noEnv, v2, 751619276, "cgroup"},
		{"cgroup v2 without a limit", 0, noEnv, unlimited, defaultMemoryLimit, "default"},
		{"cgroup v1 without a limit", 0, noEnv, v1, defaultMemoryLimit, "default"},
		{"no cgroup", 0, noEnv, filepath.Join(v2, "absent"), defaultMemoryLimit, "default"},
	}
	for _, tt := range tests {
		got, source := resolveMemoryLimit(tt.flag, tt.getenv, tt.dir)
		if got != tt.want || source != tt.wantSource {
			t.Errorf("%s: got %d from %s, want %d from %s", tt.name, got, source, tt.want, tt.wantSource)
		}
	}
}

func TestMemoryLimitConfig(t *testing.T) {
	t.Parallel()
	file := writeConfig(t, "memory-limit: 1GiB\n")
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want int64
	}{
		{"default", nil, nil, 0},
		{"config file", []string{"--config", file}, nil, 1 << 30},
		{"env beats the file", []string{"--config", file}, map[string]string{"SSTAUDIT_MEMORY_LIMIT": "3GiB"}, 3 << 30},
		{"flag beats env", []string{"--memory-limit", "900MiB"}, map[string]string{"SSTAUDIT_MEMORY_LIMIT": "3GiB"}, 900 << 20},
	} {
		cfg, _, err := resolveCommand(t, "run", tt.args, tt.env)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := cfg.(*RunConfig).MemoryLimit; got != tt.want {
			t.Errorf("%s: memory limit %d, want %d", tt.name, got, tt.want)
		}
	}
	for _, bad := range []struct{ arg, want string }{
		{"lots", "not a size"},
		{"10MiB", "memory-limit must be 0 (automatic) or at least 64MiB, got 10MiB"},
		{"-1GiB", "memory-limit must be 0 (automatic) or at least 64MiB"},
	} {
		_, _, err := resolveAndValidate(t, "run", []string{"--memory-limit", bad.arg})
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("--memory-limit %s: err = %v, want %q", bad.arg, err, bad.want)
		}
	}
}
