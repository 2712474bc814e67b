package main

import (
	"context"
	"fmt"
)

// runCheck is the body of `sstaudit check`. cfg is resolved (flag > env > file >
// default) and valid; env carries the streams, logger and house policy.
//
// It waits for decoding, checks and the join over files.
func runCheck(ctx context.Context, env *Env, cfg CheckConfig) error {
	return fmt.Errorf("check: %w", errNotAvailable)
}
