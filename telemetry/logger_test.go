package telemetry

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestNewLogger(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		cfg       LogConfig
		wantJSON  bool
		wantDebug bool
		wantInfo  bool
	}{
		{name: "zero value is json at info", cfg: LogConfig{}, wantJSON: true, wantInfo: true},
		{name: "defaults", cfg: NewDefaultLogConfig(), wantJSON: true, wantInfo: true},
		{name: "text at debug", cfg: LogConfig{Level: "debug", Format: "text"}, wantDebug: true, wantInfo: true},
		{name: "upper case accepted", cfg: LogConfig{Level: "WARN", Format: "JSON"}, wantJSON: true},
		{name: "error hides info", cfg: LogConfig{Level: "error"}, wantJSON: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			l, err := NewLogger(&buf, tt.cfg)
			if err != nil {
				t.Fatalf("NewLogger: %v", err)
			}
			l.Debug("dbg", "k", 1)
			l.Info("inf", "k", 2)
			out := buf.String()
			if got := strings.Contains(out, "dbg"); got != tt.wantDebug {
				t.Errorf("debug written = %v, want %v; output %q", got, tt.wantDebug, out)
			}
			if got := strings.Contains(out, "inf"); got != tt.wantInfo {
				t.Errorf("info written = %v, want %v; output %q", got, tt.wantInfo, out)
			}
			if out == "" {
				return
			}
			first := strings.SplitN(out, "\n", 2)[0]
			var m map[string]any
			isJSON := json.Unmarshal([]byte(first), &m) == nil
			if isJSON != tt.wantJSON {
				t.Errorf("line %q: json = %v, want %v", first, isJSON, tt.wantJSON)
			}
		})
	}
}

func TestLogConfigValidate(t *testing.T) {
	t.Parallel()
	err := LogConfig{Level: "loud", Format: "xml"}.Validate()
	if err == nil {
		t.Fatal("Validate accepted level loud and format xml")
	}
	for _, want := range []string{`log-level must be debug, info, warn or error, got "loud"`, `log-format must be json or text, got "xml"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := NewLogger(&bytes.Buffer{}, LogConfig{Level: "loud"}); err == nil {
		t.Error("NewLogger accepted level loud")
	}
}
