package consent

import (
	"slices"
	"strings"
	"testing"

	"github.com/sstaudit/sstaudit/schemas"
	"gopkg.in/yaml.v3"
)

func TestPolicyYAML(t *testing.T) {
	t.Parallel()
	cfg := NewDefaultConfig()
	dec := yaml.NewDecoder(strings.NewReader(`
tcf_purposes: {meta: [1, 3, 4], ga4: [1, 7]}
gcd_severity: warn
requirements:
  - destinations: [ga4]
    regions: [DE, FR]
    signals: [ad_user_data, gcd, tcf]
    severity: fail
require_when_region_unknown: false
`))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.TCFPurposes[schemas.DestinationMeta], []int{1, 3, 4}) || cfg.GCDSeverity != schemas.SeverityWarn ||
		len(cfg.Requirements) != 1 || cfg.Requirements[0].Severity != schemas.SeverityFail || cfg.RequireWhenRegionUnknown ||
		len(cfg.UserDataKeys) == 0 {
		t.Errorf("decoded %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
}
