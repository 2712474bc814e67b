package params

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sstaudit/sstaudit/schemas"
)

// GA4 limits (REFERENCE §3.1, support.google.com/analytics/answer/9267744;
// MP: developers.google.com/analytics/devguides/collection/protocol/ga4/sending-events).
const (
	GA4MaxEventNameLen  = 40
	GA4MaxParams        = 25
	GA4MaxParamNameLen  = 40
	GA4MaxParamValueLen = 100
	GA4MaxMPEvents      = 25
)

// DefaultValueLengthExceptions are the commonly cited GA4 exceptions to the
// 100-character value limit (REFERENCE §3.1, unconfirmed).
func DefaultValueLengthExceptions() map[string]int {
	return map[string]int{"page_title": 300, "page_referrer": 420, "page_location": 1000}
}

// Config tunes the payload checks. Start from NewDefaultConfig; a nil
// *Config passed to Check means the defaults. The yaml keys are those of the
// config file's policy section. Platform limits are named settings so that a
// change in Google's wording is a config change; house policy defaults
// follow SPEC §5.
type Config struct {
	// CustomEventNames are the Meta custom event names the house allows
	// (case-sensitive); other non-standard names are EVENT_NAME_NONSTANDARD.
	// Default none.
	CustomEventNames []string `yaml:"custom_event_names"`
	// CustomNameSeverity is the severity of EVENT_NAME_NONSTANDARD for a
	// custom name not in CustomEventNames. Renames in transit (a standard
	// name in another case, a GA4 event name) are always fail. Default warn.
	CustomNameSeverity schemas.Severity `yaml:"custom_name_severity"`
	// BusinessMessagingEventNames are accepted on action_source
	// business_messaging, whose CAPI has its own names [3P]. Default
	// LeadSubmitted.
	BusinessMessagingEventNames []string `yaml:"business_messaging_event_names"`

	// NamespacePrefix custom params must start with (SPEC §5). Default cx_.
	NamespacePrefix string `yaml:"namespace_prefix"`
	// NamespaceSeverity is the severity of PARAM_NOT_NAMESPACED; "" turns
	// the check off. Default "" (off): the house enables it.
	NamespaceSeverity schemas.Severity `yaml:"namespace_severity"`
	// StandardParams adds, per destination, params that count as standard
	// (not custom) for PARAM_NOT_NAMESPACED.
	StandardParams map[schemas.Destination][]string `yaml:"standard_params"`

	// SchemaVersionParam names the house schema-version param, for paths and
	// messages; keep it equal to the decoder's (policy decode.schema_version_param).
	// Default cx_schema_version.
	SchemaVersionParam string `yaml:"schema_version_param"`
	// SchemaVersionSeverity is the severity of SCHEMA_VERSION_MISSING; ""
	// turns the check off. Default "" (off).
	SchemaVersionSeverity schemas.Severity `yaml:"schema_version_severity"`

	// ExtraCurrencies are accepted as valid beside ISO 4217.
	ExtraCurrencies []string `yaml:"extra_currencies"`
	// NegativeValueEvents may carry a negative value (case-insensitive).
	// Default refund.
	NegativeValueEvents []string `yaml:"negative_value_events"`
	// TransactionIDPlaceholders are extra transaction ids treated as
	// placeholders (case-insensitive) beside the built-in list.
	TransactionIDPlaceholders []string `yaml:"transaction_id_placeholders"`
	// MPSessionNote reports Measurement Protocol events without session_id or
	// engagement_time_msec as info-level PARAM_MISSING (REFERENCE §1.3,
	// §8#17). Default true.
	MPSessionNote bool `yaml:"mp_session_note"`

	// GA4 limits; defaults the GA4* constants.
	MaxEventNameLen  int `yaml:"max_event_name_len"`
	MaxParams        int `yaml:"max_params"`
	MaxParamNameLen  int `yaml:"max_param_name_len"`
	MaxParamValueLen int `yaml:"max_param_value_len"`
	MaxMPEvents      int `yaml:"max_mp_events"`
	// ValueLengthExceptions raise the value limit for named params.
	// Default DefaultValueLengthExceptions().
	ValueLengthExceptions map[string]int `yaml:"value_length_exceptions"`
}

// NewDefaultConfig returns the defaults.
func NewDefaultConfig() *Config {
	return &Config{
		CustomNameSeverity:          schemas.SeverityWarn,
		BusinessMessagingEventNames: []string{"LeadSubmitted"},
		NamespacePrefix:             "cx_",
		SchemaVersionParam:          schemas.DefaultSchemaVersionParam,
		NegativeValueEvents:         []string{"refund"},
		MPSessionNote:               true,
		MaxEventNameLen:             GA4MaxEventNameLen,
		MaxParams:                   GA4MaxParams,
		MaxParamNameLen:             GA4MaxParamNameLen,
		MaxParamValueLen:            GA4MaxParamValueLen,
		MaxMPEvents:                 GA4MaxMPEvents,
		ValueLengthExceptions:       DefaultValueLengthExceptions(),
	}
}

// Validate reports every problem with c.
func (c *Config) Validate() error {
	var errs []error
	for _, s := range []struct {
		name     string
		v        schemas.Severity
		optional bool
	}{
		{"custom_name_severity", c.CustomNameSeverity, false},
		{"namespace_severity", c.NamespaceSeverity, true},
		{"schema_version_severity", c.SchemaVersionSeverity, true},
	} {
		if (s.v == "" && !s.optional) || (s.v != "" && s.v.Rank() == 0) {
			errs = append(errs, fmt.Errorf("params: %s: unknown severity %q", s.name, s.v))
		}
	}
	if c.NamespaceSeverity != "" && c.NamespacePrefix == "" {
		errs = append(errs, errors.New("params: namespace_prefix is empty while namespace_severity enables the check"))
	}
	if c.SchemaVersionSeverity != "" && c.SchemaVersionParam == "" {
		errs = append(errs, errors.New("params: schema_version_param is empty while schema_version_severity enables the check"))
	}
	for d := range c.StandardParams {
		if d != schemas.DestinationMeta && d != schemas.DestinationGA4 {
			errs = append(errs, fmt.Errorf("params: standard_params: unknown destination %q", d))
		}
	}
	for _, cur := range c.ExtraCurrencies {
		if len(cur) != 3 || strings.ToUpper(cur) != cur {
			errs = append(errs, fmt.Errorf("params: extra currency %q is not three upper-case letters", cur))
		}
	}
	for _, l := range []struct {
		name string
		v    int
	}{
		{"max_event_name_len", c.MaxEventNameLen}, {"max_params", c.MaxParams}, {"max_param_name_len", c.MaxParamNameLen},
		{"max_param_value_len", c.MaxParamValueLen}, {"max_mp_events", c.MaxMPEvents},
	} {
		if l.v <= 0 {
			errs = append(errs, fmt.Errorf("params: %s must be positive, got %d", l.name, l.v))
		}
	}
	for k, v := range c.ValueLengthExceptions {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("params: value_length_exceptions: %s must be positive, got %d", k, v))
		}
	}
	return errors.Join(errs...)
}

var defaultConfig = NewDefaultConfig()
