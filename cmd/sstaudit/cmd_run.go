package main

import (
	"context"
	"fmt"
)

// runPipeline is the body of `sstaudit run`. cfg is resolved (flag > env > file >
// default) and valid; env carries the streams, logger and house policy.
//
// It waits for the pipeline (consumers/, processors/, state/).
func runPipeline(ctx context.Context, env *Env, cfg RunConfig) error {
	return fmt.Errorf("run: %w", errNotAvailable)
}
