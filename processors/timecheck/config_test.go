package timecheck

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// TestPolicyYAML: the config decodes strictly from the policy section's
// snake_case keys, and keys left out keep their defaults.
func TestPolicyYAML(t *testing.T) {
	t.Parallel()
	cfg := NewDefaultConfig()
	dec := yaml.NewDecoder(strings.NewReader("future_tolerance: 2m\nga4_max_age: 48h\ncheck_client: false\n"))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.FutureTolerance != 2*time.Minute || cfg.GA4MaxAge != 48*time.Hour || cfg.CheckClient || cfg.MetaMaxAge != MetaMaxAge {
		t.Errorf("decoded %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
	dec = yaml.NewDecoder(strings.NewReader("futureTolerance: 2m\n"))
	dec.KnownFields(true)
	if err := dec.Decode(NewDefaultConfig()); err == nil {
		t.Error("camelCase key accepted")
	}
}
