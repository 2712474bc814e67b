package consent

import (
	"errors"
	"fmt"
	"slices"

	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/schemas"
)

// Signal kinds a Requirement can ask for.
const (
	SignalAdUserData = "ad_user_data"            // MP consent.ad_user_data
	SignalGCS        = "gcs"                     // gtag gcs / sGTM x-ga-gcs
	SignalGCD        = "gcd"                     // gtag gcd / sGTM x-ga-gcd
	SignalTCF        = "tcf"                     // a TC string that decodes as TCF v2
	SignalNPA        = "npa"                     // npa / x-ga-npa / MP non_personalized_ads
	SignalDPO        = "data_processing_options" // Meta data_processing_options
)

var allSignals = []string{SignalAdUserData, SignalGCS, SignalGCD, SignalTCF, SignalNPA, SignalDPO}

// Requirement is one house rule of CONSENT_MISSING: events for these
// destinations, from these regions, must carry one of these signals.
type Requirement struct {
	// Destinations it applies to; empty = every destination.
	Destinations []schemas.Destination `yaml:"destinations"`
	// Regions (ISO 3166-1 alpha-2, case-insensitive) it applies to; empty =
	// everywhere. An event's region is read from Config.RegionPaths.
	Regions []string `yaml:"regions"`
	// Signals any one of which satisfies it (ad_user_data, gcs, gcd, tcf,
	// npa, data_processing_options); empty = any consent signal.
	Signals []string `yaml:"signals"`
	// Severity of the finding; default warn.
	Severity schemas.Severity `yaml:"severity"`
}

// Config tunes the consent checks. Start from NewDefaultConfig; a nil
// *Config means the defaults. The yaml keys are those of the config file's
// policy section. Which purposes and signals are required is a legal
// decision (REFERENCE §5, §9), so it is all configuration.
type Config struct {
	// UserDataKeys are the match keys (processors.MatchKeyNames) that a
	// denial forbids. Default: em, ph, fn, ln, ct, st, zp, country, db, ge,
	// external_id, street, user_id — the personal ones; cookie ids, IP and
	// user agent are not user-provided data.
	UserDataKeys []string `yaml:"user_data_keys"`
	// TCFPurposes are, per destination, the TCF purposes whose missing
	// consent forbids user data. Default 1, 3, 4, 7 for meta and ga4 (the
	// house default of processors.TCFRequiredPurposes). A destination not
	// listed needs none.
	TCFPurposes map[schemas.Destination][]int `yaml:"tcf_purposes"`
	// GCDSeverity is the severity of CONSENT_PII_WITHOUT_CONSENT when the
	// only denial is a gcd reading (community-decoded, REFERENCE §3.7);
	// never critical. "" ignores gcd. Default fail.
	GCDSeverity schemas.Severity `yaml:"gcd_severity"`
	// Requirements of CONSENT_MISSING. Default none: a signal is not
	// required (SPEC §5), but a denial must be honoured.
	Requirements []Requirement `yaml:"requirements"`
	// RegionPaths are the Field paths (UserData or Other) read, in order,
	// for an event's region. Default event_location.country (sGTM),
	// user_location.country_id (MP).
	RegionPaths []string `yaml:"region_paths"`
	// RequireWhenRegionUnknown applies a regional Requirement to events
	// whose region cannot be read. Default true (fail safe).
	RequireWhenRegionUnknown bool `yaml:"require_when_region_unknown"`
}

// NewDefaultConfig returns the defaults.
func NewDefaultConfig() *Config {
	return &Config{
		UserDataKeys: []string{"em", "ph", "fn", "ln", "ct", "st", "zp", "country", "db", "ge", "external_id", "street", "user_id"},
		TCFPurposes: map[schemas.Destination][]int{
			schemas.DestinationMeta: defaultPurposes(),
			schemas.DestinationGA4:  defaultPurposes(),
		},
		GCDSeverity:              schemas.SeverityFail,
		RegionPaths:              []string{"event_location.country", "user_location.country_id"},
		RequireWhenRegionUnknown: true,
	}
}

func defaultPurposes() []int {
	out := make([]int, len(processors.TCFRequiredPurposes))
	for i, p := range processors.TCFRequiredPurposes {
		out[i] = int(p)
	}
	return out
}

// Validate reports every problem with c.
func (c *Config) Validate() error {
	var errs []error
	for _, k := range c.UserDataKeys {
		if !slices.Contains(processors.MatchKeyNames, k) {
			errs = append(errs, fmt.Errorf("consent: user_data_keys: unknown match key %q", k))
		}
	}
	for d, ps := range c.TCFPurposes {
		if d != schemas.DestinationMeta && d != schemas.DestinationGA4 {
			errs = append(errs, fmt.Errorf("consent: tcf_purposes: unknown destination %q", d))
		}
		for _, p := range ps {
			if p < 1 || p > 24 {
				errs = append(errs, fmt.Errorf("consent: tcf_purposes of %s: purpose %d outside 1–24", d, p))
			}
		}
	}
	switch c.GCDSeverity {
	case "", schemas.SeverityInfo, schemas.SeverityWarn, schemas.SeverityFail:
	case schemas.SeverityCritical:
		errs = append(errs, errors.New("consent: gcd_severity must not be critical: gcd readings are unconfirmed (REFERENCE §3.7)"))
	default:
		errs = append(errs, fmt.Errorf("consent: gcd_severity: unknown severity %q", c.GCDSeverity))
	}
	for i, r := range c.Requirements {
		for _, d := range r.Destinations {
			if d != schemas.DestinationMeta && d != schemas.DestinationGA4 {
				errs = append(errs, fmt.Errorf("consent: requirement %d: unknown destination %q", i, d))
			}
		}
		for _, reg := range r.Regions {
			if len(reg) != 2 {
				errs = append(errs, fmt.Errorf("consent: requirement %d: region %q is not an ISO 3166-1 alpha-2 code", i, reg))
			}
		}
		for _, s := range r.Signals {
			if !slices.Contains(allSignals, s) {
				errs = append(errs, fmt.Errorf("consent: requirement %d: unknown signal %q (want one of %v)", i, s, allSignals))
			}
		}
		if r.Severity != "" && r.Severity.Rank() == 0 {
			errs = append(errs, fmt.Errorf("consent: requirement %d: unknown severity %q", i, r.Severity))
		}
	}
	for i, p := range c.RegionPaths {
		if p == "" {
			errs = append(errs, fmt.Errorf("consent: region path %d is empty", i))
		}
	}
	return errors.Join(errs...)
}

var defaultConfig = NewDefaultConfig()
