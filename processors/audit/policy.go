package audit

import (
	"errors"
	"fmt"

	"github.com/sstaudit/sstaudit/processors/consent"
	"github.com/sstaudit/sstaudit/processors/hashing"
	"github.com/sstaudit/sstaudit/processors/matchkeys"
	"github.com/sstaudit/sstaudit/processors/pair"
	"github.com/sstaudit/sstaudit/processors/params"
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
	// Params tunes the event-name and parameter checks (processors/params);
	// its schema_version_param is also the param decoding reads.
	Params params.Config `yaml:"params"`
	// Time tunes the per-event time checks (processors/timecheck).
	Time timecheck.Config `yaml:"time"`
	// Consent tunes the per-event consent checks (processors/consent).
	Consent consent.Config `yaml:"consent"`
	// MatchKeys tunes completeness bands, the EMQ estimate and the required
	// website fields (processors/matchkeys).
	MatchKeys matchkeys.Config `yaml:"match_keys"`
	// Hashing tunes the hashing and click-id checks (processors/hashing).
	Hashing hashing.Config `yaml:"hashing"`
	// PII tunes the PII_LEAK detector (processors/pii).
	PII pii.Config `yaml:"pii"`
	// Pair tunes the pair checks of matched client and server copies
	// (processors/pair).
	Pair pair.Config `yaml:"pair"`
}

// DecodePolicy is the part of decoding that is house policy. (The
// schema-version param is params.schema_version_param.)
type DecodePolicy struct {
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
			FallbackKeys: map[schemas.Destination][]FallbackKey{
				schemas.DestinationGA4: {{Param: "transaction_id", Events: []string{"purchase"}}},
			},
		},
		Params:    *params.NewDefaultConfig(),
		Time:      *timecheck.NewDefaultConfig(),
		Consent:   *consent.NewDefaultConfig(),
		MatchKeys: *matchkeys.NewDefaultConfig(),
		Hashing:   *hashing.NewDefaultConfig(),
		PII:       pii.NewDefaultConfig(),
		Pair:      *pair.NewDefaultConfig(),
	}
}

// Validate reports every problem of every family at once.
func (p *Policy) Validate() error {
	var errs []error
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
	errs = append(errs, p.Params.Validate(), p.Time.Validate(), p.Consent.Validate(), p.MatchKeys.Validate(), p.Hashing.Validate(), p.PII.Validate(), p.Pair.Validate())
	return errors.Join(errs...)
}

// DecodeOptions returns the decoding options of the policy; maxBytes is the
// --max-message-bytes limit (0 for the default).
func (p *Policy) DecodeOptions(maxBytes int) schemas.DecodeOptions {
	o := schemas.DecodeOptions{MaxBytes: maxBytes, SchemaVersionParam: p.Params.SchemaVersionParam}
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
