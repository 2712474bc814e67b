package matchkeys

import (
	"strings"
	"testing"

	"github.com/sstaudit/sstaudit/schemas"
	"gopkg.in/yaml.v3"
)

func TestPolicyYAML(t *testing.T) {
	t.Parallel()
	cfg := NewDefaultConfig()
	dec := yaml.NewDecoder(strings.NewReader("pass_keys: 7\nwarn_keys: 5\nfail_band_severity: fail\ndestinations: [meta, ga4]\nweights: {em: 4, zp: 0.5}\nscale: 5\n"))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.PassKeys != 7 || cfg.WarnKeys != 5 || cfg.FailBandSeverity != schemas.SeverityFail || len(cfg.Destinations) != 2 ||
		cfg.Weights["em"] != 4 || cfg.Weights["zp"] != 0.5 || cfg.Scale != 5 {
		t.Errorf("decoded %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
}
