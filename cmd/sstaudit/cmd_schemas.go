package main

import (
	"context"
	"fmt"
)

// runSchemas is the body of `sstaudit schemas`.
//
// It waits for schemas.Describe (schemas/describe.go), which prints the
// embedded Avro schemas and their fingerprints.
func runSchemas(ctx context.Context, env *Env, cfg SchemasConfig) error {
	return fmt.Errorf("schemas: %w", errNotAvailable)
}
