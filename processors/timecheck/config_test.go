package timecheck

import (
	"testing"
	"time"

	"github.com/sstaudit/sstaudit/processors/internal/eventtest"
)

// TestPolicyYAML: the config decodes strictly from the policy section's
// snake_case keys, and keys left out keep their defaults.
func TestPolicyYAML(t *testing.T) {
	t.Parallel()
	cfg := NewDefaultConfig()
	eventtest.DecodeYAML(t, "future_tolerance: 2m\nga4_max_age: 48h\ncheck_client: false\n", cfg)
	if cfg.FutureTolerance != 2*time.Minute || cfg.GA4MaxAge != 48*time.Hour || cfg.CheckClient || cfg.MetaMaxAge != MetaMaxAge {
		t.Errorf("decoded %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
	if err := eventtest.StrictYAML("futureTolerance: 2m\n", NewDefaultConfig()); err == nil {
		t.Error("camelCase key accepted")
	}
}
