package main

import (
	"context"
	"fmt"
)

// runDemo is the body of `sstaudit demo`. cfg is resolved (flag > env > file >
// default) and valid; env carries the streams, logger and house policy.
//
// It waits for the embedded broker, generator, pipeline and report.
func runDemo(ctx context.Context, env *Env, cfg DemoConfig) error {
	return fmt.Errorf("demo: %w", errNotAvailable)
}
