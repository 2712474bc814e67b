package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sstaudit/sstaudit/consumers"
	"github.com/sstaudit/sstaudit/processors/report"
)

// runReport is the body of `sstaudit report` (SPEC §8): it reads the findings
// and metrics topics once (all, or --since/--until), scores them with the
// optional inventory, writes --out (Markdown) and, with --json, its JSON twin
// beside it, and prints the score block.
//
// The report's clock is the wall clock, or SOURCE_DATE_EPOCH (Unix seconds)
// when set, for reproducible reports.
func runReport(ctx context.Context, env *Env, cfg ReportConfig) error {
	inv, err := loadInventory(cfg.Inventory)
	if err != nil {
		return err
	}
	now, err := reportClock(env.Getenv)
	if err != nil {
		return err
	}

	agg := report.NewAggregator()
	var skipped int
	err = consumers.ReadOutputs(ctx, cfg.Brokers, cfg.FindingsTopic, cfg.MetricsTopic, cfg.Since.At, cfg.Until.At,
		agg.Add, agg.AddMetrics,
		consumers.WithSkipped(func(topic string, partition int, offset int64, err error) {
			if skipped == 0 {
				env.Logger.Warn("skipping undecodable output record", "topic", topic, "partition", partition, "offset", offset, "error", err)
			}
			skipped++
		}))
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if skipped > 0 {
		env.Logger.Warn("undecodable output records skipped", "count", skipped)
	}

	r := report.Build(agg.Summary(), inv, report.Options{Now: now, Since: cfg.Since.At, Until: cfg.Until.At})
	var md bytes.Buffer
	if err := report.WriteMarkdown(&md, r); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := writeFileAtomic(cfg.Out, md.Bytes()); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	written := []string{cfg.Out}
	if cfg.JSON {
		var js bytes.Buffer
		if err := report.WriteJSON(&js, r); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		path := jsonPath(cfg.Out)
		if err := writeFileAtomic(path, js.Bytes()); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		written = append(written, path)
	}

	if err := report.WriteScoreBlock(env.Stdout, r.Score); err != nil {
		return err
	}
	s := &r.Summary
	_, err = fmt.Fprintf(env.Stdout, "\n%d audit records, %d window metrics read; report written to %s\n",
		s.AuditRecords, s.WindowMetrics, strings.Join(written, " and "))
	return err
}

// loadInventory reads the --inventory file strictly (an unknown key is an
// error) and validates it. "" means no inventory.
func loadInventory(path string) (*report.Inventory, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("inventory: %v", err)
	}
	var inv report.Inventory
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&inv); err != nil && !errors.Is(err, io.EOF) {
		return nil, usageErrorf("inventory %s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if err := inv.Validate(); err != nil {
		return nil, usageErrorf("%s: %v", path, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return &inv, nil
}

// reportClock returns SOURCE_DATE_EPOCH when set, else the wall clock.
func reportClock(getenv func(string) string) (time.Time, error) {
	v := getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return time.Now().UTC(), nil
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, usageErrorf("SOURCE_DATE_EPOCH %q is not Unix seconds", v)
	}
	return time.Unix(sec, 0).UTC(), nil
}

// jsonPath is where --json writes the twin of the Markdown report at out:
// out with .md replaced by .json (SERVER-SIDE-TRACKING-AUDIT.json), or out
// plus .json when out does not end in .md.
func jsonPath(out string) string {
	if ext := filepath.Ext(out); strings.EqualFold(ext, ".md") {
		return strings.TrimSuffix(out, ext) + ".json"
	}
	return out + ".json"
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, so a reader never sees half a report.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
