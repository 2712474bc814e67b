package report

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Inventory holds the facts the streams cannot show (SPEC §8), read from
// --inventory inventory.yaml; testdata/inventory.example.yaml documents every
// field. A nil field or "" means "not stated": the checks that need it are
// not measured.
type Inventory struct {
	// Site names the audited site or property, for the report's title.
	Site string `yaml:"site" json:"site,omitempty"`
	// SGTMHosting is where server-side GTM runs: stape, cloud_run,
	// app_engine, self_hosted, other, or none (no sGTM).
	SGTMHosting string `yaml:"sgtm_hosting" json:"sgtm_hosting,omitempty"`
	// CustomDomain says whether sGTM is served from a first-party subdomain
	// of the site (e.g. sst.example.com), not the host's default domain.
	CustomDomain *bool `yaml:"custom_domain" json:"custom_domain,omitempty"`
	// CAPIMethod is how Meta CAPI events are sent: gateway (Conversions API
	// Gateway), direct (own server or sGTM tag calling the Graph API),
	// partner (a partner integration, e.g. a shop platform), or none.
	CAPIMethod string `yaml:"capi_method" json:"capi_method,omitempty"`
	// CAPIPartner names the partner integration when CAPIMethod is partner.
	CAPIPartner string `yaml:"capi_partner" json:"capi_partner,omitempty"`
	// Notes is free text printed in the report.
	Notes string `yaml:"notes" json:"notes,omitempty"`
}

// Known inventory values.
var (
	Hostings    = []string{"stape", "cloud_run", "app_engine", "self_hosted", "other", "none"}
	CAPIMethods = []string{"gateway", "direct", "partner", "none"}
)

// Validate reports every unknown value, at once.
func (inv *Inventory) Validate() error {
	if inv == nil {
		return nil
	}
	var errs []error
	if inv.SGTMHosting != "" && !slices.Contains(Hostings, inv.SGTMHosting) {
		errs = append(errs, fmt.Errorf("inventory: sgtm_hosting %q is not one of %s", inv.SGTMHosting, strings.Join(Hostings, ", ")))
	}
	if inv.CAPIMethod != "" && !slices.Contains(CAPIMethods, inv.CAPIMethod) {
		errs = append(errs, fmt.Errorf("inventory: capi_method %q is not one of %s", inv.CAPIMethod, strings.Join(CAPIMethods, ", ")))
	}
	if inv.CAPIPartner != "" && inv.CAPIMethod != "partner" {
		errs = append(errs, errors.New("inventory: capi_partner is set but capi_method is not partner"))
	}
	return errors.Join(errs...)
}
