package timecheck

import (
	"errors"
	"fmt"
	"time"
)

// Platform constants (REFERENCE §9 "Platform constants"). They are defaults
// of Config, not hard limits: their wording has changed before.
const (
	// MetaMaxAge is Meta's maximum event_time age: 7 days
	// (developers.facebook.com/docs/marketing-api/conversions-api/parameters/server-event).
	MetaMaxAge = 7 * 24 * time.Hour
	// PhysicalStoreMaxAge is Meta's limit for action_source physical_store: 62 days (same page).
	PhysicalStoreMaxAge = 62 * 24 * time.Hour
	// GA4MaxAge is the Measurement Protocol backdating limit: 72 hours
	// (developers.google.com/analytics/devguides/collection/protocol/ga4/reference;
	// also worded "3 calendar days").
	GA4MaxAge = 72 * time.Hour
	// DefaultFutureTolerance is the house tolerance for event times after the
	// record time (REFERENCE §9): Meta and Google publish none.
	DefaultFutureTolerance = 60 * time.Second
)

// Config tunes the time checks. Start from NewDefaultConfig; a nil *Config
// passed to Check means the defaults. The yaml keys are those of the config
// file's policy section.
type Config struct {
	// MetaMaxAge: Meta events older than this before the record time are
	// TIME_STALE. Default 7 days (MetaMaxAge).
	MetaMaxAge time.Duration `yaml:"meta_max_age"`
	// PhysicalStoreMaxAge replaces MetaMaxAge for action_source
	// physical_store. Default 62 days.
	PhysicalStoreMaxAge time.Duration `yaml:"physical_store_max_age"`
	// GA4MaxAge: GA4 events older than this are TIME_STALE. Default 72 h.
	GA4MaxAge time.Duration `yaml:"ga4_max_age"`
	// FutureTolerance: events later than the record time by more than this
	// are TIME_FUTURE. Default 60 s (house policy).
	FutureTolerance time.Duration `yaml:"future_tolerance"`
	// CheckClient applies TIME_STALE and TIME_FUTURE to browser events
	// (Pixel ts) too, where they reveal a wrong client clock. Default true.
	CheckClient bool `yaml:"check_client"`
}

// NewDefaultConfig returns the defaults.
func NewDefaultConfig() *Config {
	return &Config{
		MetaMaxAge:          MetaMaxAge,
		PhysicalStoreMaxAge: PhysicalStoreMaxAge,
		GA4MaxAge:           GA4MaxAge,
		FutureTolerance:     DefaultFutureTolerance,
		CheckClient:         true,
	}
}

// Validate reports every problem with c.
func (c *Config) Validate() error {
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"meta_max_age", c.MetaMaxAge},
		{"physical_store_max_age", c.PhysicalStoreMaxAge},
		{"ga4_max_age", c.GA4MaxAge},
	} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("timecheck: %s must be positive, got %s", d.name, d.v))
		}
	}
	if c.FutureTolerance < 0 {
		errs = append(errs, fmt.Errorf("timecheck: future_tolerance must not be negative, got %s", c.FutureTolerance))
	}
	return errors.Join(errs...)
}

var defaultConfig = NewDefaultConfig()
