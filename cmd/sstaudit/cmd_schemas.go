package main

import (
	"context"
	"fmt"

	"github.com/sstaudit/sstaudit/schemas"
)

// runSchemas is the body of `sstaudit schemas`: it prints every embedded Avro
// schema with its version, sstaudit-schema header value and CRC-64-AVRO
// fingerprint (schemas.Describe).
func runSchemas(_ context.Context, env *Env, _ SchemasConfig) error {
	if err := schemas.Describe(env.Stdout); err != nil {
		return fmt.Errorf("schemas: %w", err)
	}
	return nil
}
