package pii

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
	"github.com/sstaudit/sstaudit/schemas"
)

// Entities reported by the detector (SPEC §5 PII row).
const (
	EntityEmail      = "email"
	EntityPhone      = "phone"
	EntityName       = "name"
	EntityAddress    = "address"
	EntityCard       = "card"
	EntityIBAN       = "iban"
	EntityIP         = "ip"
	EntityNationalID = "national_id"
	EntitySecret     = "secret"
)

// AllEntities lists every entity in a stable order.
var AllEntities = []string{EntityEmail, EntityPhone, EntityName, EntityAddress, EntityCard, EntityIBAN, EntityIP, EntityNationalID, EntitySecret}

// IPPolicy says where an IP address counts as personal data for a destination.
// IP fields (client_ip_address, ip_override, …) may always hold one.
type IPPolicy string

// IP policies (house policy, REFERENCE §7.6 and §9: Google does not count IPs
// as PII, GDPR may).
const (
	IPAnywhere IPPolicy = "anywhere" // report an IP in any leaf that is not an IP field
	IPInURLs   IPPolicy = "urls"     // report only IPs inside URLs (page URL, referrer, URL-valued leaves)
	IPOff      IPPolicy = "off"      // never report IPs
)

// IINRange is one row of the card issuer table: card numbers whose first
// len(Lo) digits lie in [Lo, Hi] (numerically) are valid with these lengths.
type IINRange struct {
	Scheme  string
	Lo, Hi  string // prefixes of equal length, e.g. "2221" and "2720"
	Lengths []int
}

// Config tunes the detector. Start from NewDefaultConfig.
type Config struct {
	// Entities enabled; default AllEntities.
	Entities []string `yaml:"entities"`
	// IPPolicy per destination; a destination not listed uses DefaultIPPolicy.
	// Default: anywhere for meta and ga4 (house policy).
	IPPolicy map[schemas.Destination]IPPolicy `yaml:"ip_policy"`
	// DefaultIPPolicy applies to destinations missing from IPPolicy. Default anywhere.
	DefaultIPPolicy IPPolicy `yaml:"default_ip_policy"`
	// IPSeverity is the severity of an ip finding. Default warn.
	IPSeverity schemas.Severity `yaml:"ip_severity"`
	// IPKeys are the keys allowed to hold an IP (compared normalised:
	// lower-case, '-' and '_' removed). Default client_ip_address, ip_override,
	// uip, _uip, ip_address, user_ip.
	IPKeys []string `yaml:"ip_keys"`
	// AllowDomains are fixture domains whose emails are not reported (exact
	// domain or any subdomain). Default none: example.com/org/net are real
	// domains in our tests and are reported.
	AllowDomains []string `yaml:"allow_domains"`
	// DecodePasses bounds percent-decoding passes (REFERENCE §7.4). Default 3.
	DecodePasses int `yaml:"decode_passes"`
	// MaxDepth bounds nested structure (URL in a parameter, base64 in JSON, …).
	// Default 4.
	MaxDepth int `yaml:"max_depth"`
	// MaxValueBytes: only this many bytes of a value are scanned. Default 128 KiB.
	MaxValueBytes int `yaml:"max_value_bytes"`
	// MaxCandidates bounds validator calls per leaf (phone parsing is costly).
	// Default 256.
	MaxCandidates int `yaml:"max_candidates"`
	// PhoneRegions are tried, in order, for national numbers (no '+') in a
	// phone-keyed leaf or free text. Default US, GB, DE, FR, ES, IT, NL, BR, IN.
	PhoneRegions []string `yaml:"phone_regions"`
	// IIN is the card issuer table (REFERENCE §7.2).
	IIN []IINRange `yaml:"iin"`
	// ServerCredentialKeys are keys whose secret value is the destination's own
	// credential in a server request (CAPI access_token, MP api_secret) and is
	// therefore not a leak. Default access_token, api_secret.
	ServerCredentialKeys []string `yaml:"server_credential_keys"`
}

// NewDefaultConfig returns the defaults documented on Config.
func NewDefaultConfig() Config {
	return Config{
		Entities:             append([]string(nil), AllEntities...),
		IPPolicy:             map[schemas.Destination]IPPolicy{schemas.DestinationMeta: IPAnywhere, schemas.DestinationGA4: IPAnywhere},
		DefaultIPPolicy:      IPAnywhere,
		IPSeverity:           schemas.SeverityWarn,
		IPKeys:               []string{"client_ip_address", "ip_override", "uip", "_uip", "ip_address", "user_ip"},
		DecodePasses:         3,
		MaxDepth:             4,
		MaxValueBytes:        128 << 10,
		MaxCandidates:        256,
		PhoneRegions:         []string{"US", "GB", "DE", "FR", "ES", "IT", "NL", "BR", "IN"},
		IIN:                  DefaultIIN(),
		ServerCredentialKeys: []string{"access_token", "api_secret"},
	}
}

// DefaultIIN is the card table of REFERENCE §7.2.
func DefaultIIN() []IINRange {
	return []IINRange{
		{"visa", "4", "4", []int{13, 16, 19}},
		{"mastercard", "51", "55", []int{16}},
		{"mastercard", "2221", "2720", []int{16}},
		{"amex", "34", "34", []int{15}},
		{"amex", "37", "37", []int{15}},
		{"discover", "6011", "6011", []int{16, 17, 18, 19}},
		{"discover", "644", "649", []int{16, 17, 18, 19}},
		{"discover", "65", "65", []int{16, 17, 18, 19}},
		{"jcb", "3528", "3589", []int{16, 17, 18, 19}},
		{"diners", "36", "36", []int{14, 15, 16, 17, 18, 19}},
		{"diners", "300", "305", []int{14, 15, 16, 17, 18, 19}},
		{"diners", "38", "39", []int{14, 15, 16, 17, 18, 19}},
		{"unionpay", "62", "62", []int{16, 17, 18, 19}},
	}
}

// Validate reports every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	known := map[string]bool{}
	for _, e := range AllEntities {
		known[e] = true
	}
	for _, e := range c.Entities {
		if !known[e] {
			errs = append(errs, fmt.Errorf("pii: unknown entity %q", e))
		}
	}
	okPolicy := func(p IPPolicy) bool { return p == IPAnywhere || p == IPInURLs || p == IPOff }
	if !okPolicy(c.DefaultIPPolicy) {
		errs = append(errs, fmt.Errorf("pii: default ip policy %q is not anywhere, urls or off", c.DefaultIPPolicy))
	}
	for d, p := range c.IPPolicy {
		if !okPolicy(p) {
			errs = append(errs, fmt.Errorf("pii: ip policy %q for %s is not anywhere, urls or off", p, d))
		}
	}
	if c.IPSeverity.Rank() == 0 {
		errs = append(errs, fmt.Errorf("pii: ip severity %q is not info, warn, fail or critical", c.IPSeverity))
	}
	if c.DecodePasses < 1 || c.DecodePasses > 8 {
		errs = append(errs, fmt.Errorf("pii: decode passes must be 1..8, got %d", c.DecodePasses))
	}
	if c.MaxDepth < 1 || c.MaxDepth > 16 {
		errs = append(errs, fmt.Errorf("pii: max depth must be 1..16, got %d", c.MaxDepth))
	}
	if c.MaxValueBytes < 1024 {
		errs = append(errs, fmt.Errorf("pii: max value bytes must be at least 1024, got %d", c.MaxValueBytes))
	}
	if c.MaxCandidates < 1 {
		errs = append(errs, fmt.Errorf("pii: max candidates must be positive, got %d", c.MaxCandidates))
	}
	for _, r := range c.PhoneRegions {
		if phonenumbers.GetCountryCodeForRegion(r) == 0 {
			errs = append(errs, fmt.Errorf("pii: unknown phone region %q (use GB, not UK)", r))
		}
	}
	for i, r := range c.IIN {
		if r.Lo == "" || len(r.Lo) != len(r.Hi) || !allDigits(r.Lo) || !allDigits(r.Hi) || r.Lo > r.Hi {
			errs = append(errs, fmt.Errorf("pii: iin[%d] (%s): prefixes must be digits of equal length with lo <= hi", i, r.Scheme))
		}
		if len(r.Lengths) == 0 {
			errs = append(errs, fmt.Errorf("pii: iin[%d] (%s): no lengths", i, r.Scheme))
		}
		for _, n := range r.Lengths {
			if n < 12 || n > 19 {
				errs = append(errs, fmt.Errorf("pii: iin[%d] (%s): length %d outside 12..19", i, r.Scheme, n))
			}
		}
	}
	for _, dom := range c.AllowDomains {
		if dom == "" || strings.ContainsAny(dom, "@/ ") {
			errs = append(errs, fmt.Errorf("pii: allow domain %q is not a domain", dom))
		}
	}
	return errors.Join(errs...)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
