package matchkeys

import (
	"errors"
	"fmt"
	"slices"

	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/schemas"
)

// Bands of match-key completeness (SPEC §8).
const (
	BandPass = "pass"
	BandWarn = "warn"
	BandFail = "fail"
)

// Config tunes the match-key checks and the summary. Start from
// NewDefaultConfig; a nil *Config means the defaults. The yaml keys are those
// of the config file's policy section. Everything here is house policy
// (REFERENCE §9): Meta publishes neither completeness bands nor EMQ weights.
type Config struct {
	// PassKeys: a server event with at least this many match keys is in
	// band pass. Default 6.
	PassKeys int `yaml:"pass_keys"`
	// WarnKeys: at least this many (and fewer than PassKeys) is band warn;
	// fewer is band fail. Default 4.
	WarnKeys int `yaml:"warn_keys"`
	// WarnBandSeverity is the severity of MATCH_KEYS_LOW for band warn;
	// "" reports nothing for that band. Default info.
	WarnBandSeverity schemas.Severity `yaml:"warn_band_severity"`
	// FailBandSeverity is the severity of MATCH_KEYS_LOW for band fail;
	// "" reports nothing. Default warn.
	FailBandSeverity schemas.Severity `yaml:"fail_band_severity"`
	// Destinations whose server events MATCH_KEYS_LOW applies to. Default
	// meta: the completeness band is a CAPI measure (SPEC §8), and most GA4
	// events legitimately carry no user data.
	Destinations []schemas.Destination `yaml:"destinations"`
	// RequiredSeverity is the severity of MATCH_REQUIRED_MISSING. Default
	// fail: Meta requires the fields for website events.
	RequiredSeverity schemas.Severity `yaml:"required_severity"`
	// Weights are the EMQ-estimate weights per match key name
	// (processors.MatchKeyNames); a name left out weighs 0. Default: the
	// table in doc.go.
	Weights map[string]float64 `yaml:"weights"`
	// IPUABonus is added when client_ip_address and client_user_agent are
	// both present: the pair matches much better than either alone
	// (REFERENCE §2.8). Default 0.75.
	IPUABonus float64 `yaml:"ip_ua_bonus"`
	// Scale shapes the estimate: emq = 10·(1 − e^(−sum/Scale)), so the
	// score rises fast for the first strong keys and saturates below 10.
	// Default 4.
	Scale float64 `yaml:"scale"`
}

// DefaultWeights are the default EMQ weights (doc.go explains them).
func DefaultWeights() map[string]float64 {
	return map[string]float64{
		"em": 3, "ph": 3,
		"external_id": 1.5, "fbc": 1.5, "fbp": 1, "user_id": 1.5, "client_id": 1,
		"client_ip_address": 0.25, "client_user_agent": 0.25,
		"fn": 0.25, "ln": 0.25, "ct": 0.25, "st": 0.25, "zp": 0.25, "country": 0.25,
		"db": 0.25, "ge": 0.25, "street": 0.25,
	}
}

// NewDefaultConfig returns the defaults.
func NewDefaultConfig() *Config {
	return &Config{
		PassKeys:         6,
		WarnKeys:         4,
		WarnBandSeverity: schemas.SeverityInfo,
		FailBandSeverity: schemas.SeverityWarn,
		Destinations:     []schemas.Destination{schemas.DestinationMeta},
		RequiredSeverity: schemas.SeverityFail,
		Weights:          DefaultWeights(),
		IPUABonus:        0.75,
		Scale:            4,
	}
}

// Validate reports every problem with c.
func (c *Config) Validate() error {
	var errs []error
	if c.WarnKeys < 0 || c.PassKeys < c.WarnKeys {
		errs = append(errs, fmt.Errorf("matchkeys: need 0 ≤ warn_keys ≤ pass_keys, got warn_keys %d, pass_keys %d", c.WarnKeys, c.PassKeys))
	}
	for _, s := range []struct {
		name string
		v    schemas.Severity
	}{{"warn_band_severity", c.WarnBandSeverity}, {"fail_band_severity", c.FailBandSeverity}, {"required_severity", c.RequiredSeverity}} {
		if s.v != "" && s.v.Rank() == 0 {
			errs = append(errs, fmt.Errorf("matchkeys: %s: unknown severity %q", s.name, s.v))
		}
	}
	for _, d := range c.Destinations {
		if d != schemas.DestinationMeta && d != schemas.DestinationGA4 {
			errs = append(errs, fmt.Errorf("matchkeys: unknown destination %q", d))
		}
	}
	for name, w := range c.Weights {
		if !slices.Contains(processors.MatchKeyNames, name) {
			errs = append(errs, fmt.Errorf("matchkeys: weight for unknown match key %q", name))
		}
		if w < 0 || w != w {
			errs = append(errs, fmt.Errorf("matchkeys: weight of %s must be ≥ 0, got %v", name, w))
		}
	}
	if c.IPUABonus < 0 || c.IPUABonus != c.IPUABonus {
		errs = append(errs, fmt.Errorf("matchkeys: ip_ua_bonus must be ≥ 0, got %v", c.IPUABonus))
	}
	if !(c.Scale > 0) {
		errs = append(errs, fmt.Errorf("matchkeys: scale must be positive, got %v", c.Scale))
	}
	return errors.Join(errs...)
}

var defaultConfig = NewDefaultConfig()
