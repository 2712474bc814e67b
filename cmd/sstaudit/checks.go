package main

import (
	"fmt"

	"github.com/sstaudit/sstaudit/processors/audit"
)

// buildAuditor builds every check family from the house policy of the config
// file's `policy:` section (defaults where absent) and the deployment key in
// SSTAUDIT_FINGERPRINT_KEY. A bad policy is a configuration error (exit 2).
func buildAuditor(env *Env, command string) (*audit.Auditor, error) {
	policy := audit.NewDefaultPolicy()
	if err := env.DecodePolicy(&policy); err != nil {
		return nil, err
	}
	if err := policy.Validate(); err != nil {
		return nil, &usageError{err: fmt.Errorf("%s: config %s: policy: %w", command, env.ConfigFile, err)}
	}
	a, err := audit.New(policy, []byte(env.Getenv(audit.FingerprintKeyEnv)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", command, err)
	}
	return a, nil
}
