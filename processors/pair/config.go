package pair

import (
	"errors"
	"fmt"

	"github.com/sstaudit/sstaudit/processors"
)

// Config tunes the pair checks. Start from NewDefaultConfig; a nil *Config
// passed to Check means the defaults.
type Config struct {
	// UserDataKeys are the server keys that a browser's ad_user_data or TCF
	// denial forbids. Default: em, ph, fn, ln, ct, st, zp, country, db, ge,
	// external_id, street, user_id. Zero disables that half of
	// CONSENT_MISMATCH.
	UserDataKeys processors.MatchKey `yaml:"user_data_keys"`
	// AdStorageKeys are the server keys that a browser's ad_storage denial
	// forbids (ad-cookie ids). Default: fbc, fbp; Google click ids are
	// checked too when this is non-zero.
	AdStorageKeys processors.MatchKey `yaml:"ad_storage_keys"`
}

const allKeys = processors.KeyStreet<<1 - 1

// NewDefaultConfig returns the defaults.
func NewDefaultConfig() *Config {
	return &Config{
		UserDataKeys: processors.KeyEmail | processors.KeyPhone | processors.KeyFirstName | processors.KeyLastName |
			processors.KeyCity | processors.KeyState | processors.KeyZip | processors.KeyCountry |
			processors.KeyDateOfBirth | processors.KeyGender | processors.KeyExternalID | processors.KeyStreet |
			processors.KeyUserID,
		AdStorageKeys: processors.KeyFBC | processors.KeyFBP,
	}
}

// Validate reports every problem with c.
func (c *Config) Validate() error {
	var errs []error
	if c.UserDataKeys&^allKeys != 0 {
		errs = append(errs, fmt.Errorf("pair: user-data keys hold unknown bits %#x", uint32(c.UserDataKeys&^allKeys)))
	}
	if c.AdStorageKeys&^allKeys != 0 {
		errs = append(errs, fmt.Errorf("pair: ad-storage keys hold unknown bits %#x", uint32(c.AdStorageKeys&^allKeys)))
	}
	return errors.Join(errs...)
}

var defaultConfig = NewDefaultConfig()
