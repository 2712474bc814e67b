package consent

import (
	"slices"
	"testing"

	"github.com/sstaudit/sstaudit/processors/internal/eventtest"
	"github.com/sstaudit/sstaudit/schemas"
)

func TestPolicyYAML(t *testing.T) {
	t.Parallel()
	cfg := NewDefaultConfig()
	eventtest.DecodeYAML(t, `
tcf_purposes: {meta: [1, 3, 4], ga4: [1, 7]}
gcd_severity: warn
requirements:
  - destinations: [ga4]
    regions: [DE, FR]
    signals: [ad_user_data, gcd, tcf]
    severity: fail
require_when_region_unknown: false
`, cfg)
	if !slices.Equal(cfg.TCFPurposes[schemas.DestinationMeta], []int{1, 3, 4}) || cfg.GCDSeverity != schemas.SeverityWarn ||
		len(cfg.Requirements) != 1 || cfg.Requirements[0].Severity != schemas.SeverityFail || cfg.RequireWhenRegionUnknown ||
		len(cfg.UserDataKeys) == 0 {
		t.Errorf("decoded %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
}
