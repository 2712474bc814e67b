package hashing

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes the hashing checks. Start from NewDefaultConfig; a nil *Config
// passed to Check means the defaults.
type Config struct {
	// Dictionaries enables the low-cardinality dictionary checks (ge,
	// country, st, zp, db, ct). Default true. The dictionary is built once,
	// on first use (see BuildDictionary for its cost).
	Dictionaries bool `yaml:"dictionaries"`
	// Dictionary to use; nil means DefaultDictionary().
	Dictionary *Dictionary `yaml:"-"`
	// FlagDictionaryMiss reports a hashed ge or country that is in no set at
	// all (those sets are complete) as HASH_NOT_NORMALIZED. Default true.
	FlagDictionaryMiss bool `yaml:"flag_dictionary_miss"`
	// Sentinels to use; nil means DefaultSentinels().
	Sentinels *Sentinels `yaml:"-"`
	// OutsideUserDataIgnore are param keys whose 64-hex values are ids, not
	// hashed PII (checked case-sensitively against Field.Key). Default:
	// event_id, transaction_id, order_id.
	OutsideUserDataIgnore []string `yaml:"outside_user_data_ignore"`
	// ClickIDFutureTolerance is how far an fbc/fbp creation time may lie
	// after the record time before it is CLICKID_FORMAT. Default 60 s
	// (the house future tolerance, REFERENCE §9).
	ClickIDFutureTolerance time.Duration `yaml:"click_id_future_tolerance"`
	// CrossCheckPlaintext compares hashed values with plaintext of the same
	// field visible in the same event (sGTM inbound user_data, an email in
	// the page URL) to find un-normalised and double hashes. Default true.
	CrossCheckPlaintext bool `yaml:"cross_check_plaintext"`
}

// NewDefaultConfig returns the defaults.
func NewDefaultConfig() *Config {
	return &Config{
		Dictionaries:           true,
		FlagDictionaryMiss:     true,
		OutsideUserDataIgnore:  []string{"event_id", "transaction_id", "order_id"},
		ClickIDFutureTolerance: 60 * time.Second,
		CrossCheckPlaintext:    true,
	}
}

// Validate reports every problem with c.
func (c *Config) Validate() error {
	var errs []error
	if c.ClickIDFutureTolerance < 0 {
		errs = append(errs, fmt.Errorf("hashing: click id future tolerance must not be negative, got %s", c.ClickIDFutureTolerance))
	}
	for i, k := range c.OutsideUserDataIgnore {
		if k == "" {
			errs = append(errs, fmt.Errorf("hashing: outside-user-data ignore key %d is empty", i))
		}
	}
	return errors.Join(errs...)
}

var defaultConfig = NewDefaultConfig()
