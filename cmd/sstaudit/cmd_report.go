package main

import (
	"context"
	"fmt"
)

// runReport is the body of `sstaudit report`. cfg is resolved (flag > env > file >
// default) and valid; env carries the streams, logger and house policy.
//
// It waits for the report builder.
func runReport(ctx context.Context, env *Env, cfg ReportConfig) error {
	return fmt.Errorf("report: %w", errNotAvailable)
}
