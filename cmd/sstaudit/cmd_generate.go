package main

import (
	"context"
	"fmt"
)

// runGenerate is the body of `sstaudit generate`. cfg is resolved (flag > env > file >
// default) and valid; env carries the streams, logger and house policy.
//
// It waits for the traffic generator.
func runGenerate(ctx context.Context, env *Env, cfg GenerateConfig) error {
	return fmt.Errorf("generate: %w", errNotAvailable)
}
