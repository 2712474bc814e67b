package telemetry

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Log formats.
const (
	LogFormatJSON = "json"
	LogFormatText = "text"
)

// LogConfig selects the logger's level and format. The zero value means the
// defaults: level info, format json.
type LogConfig struct {
	// Level is the lowest level written: debug, info, warn or error
	// (default info).
	Level string
	// Format is json (one object per line, the default) or text
	// (slog's key=value lines, for people at a terminal).
	Format string
}

// NewDefaultLogConfig returns the defaults: info, json.
func NewDefaultLogConfig() LogConfig {
	return LogConfig{Level: "info", Format: LogFormatJSON}
}

// Validate reports every problem with c.
func (c LogConfig) Validate() error {
	var errs []error
	if _, err := ParseLevel(c.Level); err != nil {
		errs = append(errs, err)
	}
	switch strings.ToLower(c.Format) {
	case "", LogFormatJSON, LogFormatText:
	default:
		errs = append(errs, fmt.Errorf("log-format must be json or text, got %q", c.Format))
	}
	return errors.Join(errs...)
}

// ParseLevel reads a level name (debug, info, warn, error; any case). The
// empty string is info.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "", "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("log-level must be debug, info, warn or error, got %q", s)
}

// NewLogger builds a logger writing to w at c's level and format. It sets no
// process-wide default; the caller passes the logger on.
func NewLogger(w io.Writer, c LogConfig) (*slog.Logger, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	level, _ := ParseLevel(c.Level)
	opts := &slog.HandlerOptions{Level: level}
	if strings.ToLower(c.Format) == LogFormatText {
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return slog.New(slog.NewJSONHandler(w, opts)), nil
}
