package matchkeys

import (
	"testing"

	"github.com/sstaudit/sstaudit/processors/internal/eventtest"
	"github.com/sstaudit/sstaudit/schemas"
)

func TestPolicyYAML(t *testing.T) {
	t.Parallel()
	cfg := NewDefaultConfig()
	eventtest.DecodeYAML(t, "pass_keys: 7\nwarn_keys: 5\nfail_band_severity: fail\ndestinations: [meta, ga4]\nweights: {em: 4, zp: 0.5}\nscale: 5\n", cfg)
	if cfg.PassKeys != 7 || cfg.WarnKeys != 5 || cfg.FailBandSeverity != schemas.SeverityFail || len(cfg.Destinations) != 2 ||
		cfg.Weights["em"] != 4 || cfg.Weights["zp"] != 0.5 || cfg.Scale != 5 {
		t.Errorf("decoded %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
}
