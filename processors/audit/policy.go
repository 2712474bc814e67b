package audit

import (
	"errors"
	"fmt"

	"github.com/sstaudit/sstaudit/processors/hashing"
	"github.com/sstaudit/sstaudit/processors/pair"
	"github.com/sstaudit/sstaudit/processors/pii"
	"github.com/sstaudit/sstaudit/processors/timecheck"
	"github.com/sstaudit/sstaudit/schemas"
)

// FingerprintKeyEnv names the environment variable holding the deployment key
// of finding fingerprints and state digests (SPEC §5). Without it findings
// carry no fingerprint.
const FingerprintKeyEnv = "SSTAUDIT_FINGERPRINT_KEY"

// Policy is the whole house policy (SPEC §5, REFERENCE §9): every check
// family's configuration under its own key, as the config file's `policy:`
// section holds it. Start from NewDefaultPolicy and decode the file onto it,
// so keys the file leaves out keep their defaults.
type Policy struct {
	// Decode holds the decoding choices that are house policy.
	Decode DecodePolicy `yaml:"decode"`
	// Time tunes the per-event time checks (processors/timecheck).
	Time timecheck.Config `yaml:"time"`
	// Hashing tunes the hashing and click-id checks (processors/hashing).
	Hashing hashing.Config `yaml:"hashing"`
	// PII tunes the PII_LEAK detector (processors/pii).
	PII pii.Config `yaml:"pii"`
	// Pair tunes the pair checks of matched client and server copies
	// (processors/pair).
	Pair pair.Config `yaml:"pair"`
}

// DecodePolicy is the part of decoding that is house policy.
type DecodePolicy struct {
	// SchemaVersionParam is the custom param carrying the house schema
	// version (SPEC §5). Default cx_schema_version.
	SchemaVersionParam string `yaml:"schema_version_param"`
	// FallbackKeys lists, per destination, the params used as join key when
	// an event has no event_id (SPEC §4). Default: ga4 purchase →
	// transaction_id.
	FallbackKeys map[schemas.Destination][]FallbackKey `yaml:"fallback_keys"`
}

// FallbackKey is one fallback join key: a param, and the event names it
// applies to (compared case-insensitively; none = every event).
type FallbackKey struct {
	Param  string   `yaml:"param"`
	Events []string `yaml:"events"`
}

// NewDefaultPolicy returns every family's defaults.
func NewDefaultPolicy() Policy {
	return Policy{
		Decode: DecodePolicy{
			SchemaVersionParam: schemas.DefaultSchemaVersionParam,
			FallbackKeys: map[schemas.Destination][]FallbackKey{
				schemas.DestinationGA4: {{Param: "transaction_id", Events: []string{"purchase"}}},
			},
		},
		Time:    *timecheck.NewDefaultConfig(),
		Hashing: *hashing.NewDefaultConfig(),
		PII:     pii.NewDefaultConfig(),
		Pair:    *pair.NewDefaultConfig(),
	}
}

// Validate reports every problem of every family at once.
func (p *Policy) Validate() error {
	var errs []error
	if p.Decode.SchemaVersionParam == "" {
		errs = append(errs, errors.New("decode: schema version param is empty"))
	}
	for dest, keys := range p.Decode.FallbackKeys {
		if dest != schemas.DestinationMeta && dest != schemas.DestinationGA4 {
			errs = append(errs, fmt.Errorf("decode: fallback keys for unknown destination %q", dest))
		}
		for i, k := range keys {
			if k.Param == "" {
				errs = append(errs, fmt.Errorf("decode: fallback key %d of %s has no param", i, dest))
			}
		}
	}
	errs = append(errs, p.Time.Validate(), p.Hashing.Validate(), p.PII.Validate(), p.Pair.Validate())
	return errors.Join(errs...)
}

// DecodeOptions returns the decoding options of the policy; maxBytes is the
// --max-message-bytes limit (0 for the default).
func (p *Policy) DecodeOptions(maxBytes int) schemas.DecodeOptions {
	o := schemas.DecodeOptions{MaxBytes: maxBytes, SchemaVersionParam: p.Decode.SchemaVersionParam}
	if p.Decode.FallbackKeys != nil {
		o.FallbackKeys = make(map[schemas.Destination][]schemas.FallbackKey, len(p.Decode.FallbackKeys))
		for d, ks := range p.Decode.FallbackKeys {
			out := make([]schemas.FallbackKey, len(ks))
			for i, k := range ks {
				out[i] = schemas.FallbackKey{Param: k.Param, Events: append([]string(nil), k.Events...)}
			}
			o.FallbackKeys[d] = out
		}
	}
	return o
}
