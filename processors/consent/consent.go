package consent

import (
	"slices"
	"strconv"
	"strings"

	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/processors/hashing/userdata"
	"github.com/sstaudit/sstaudit/schemas"
)

// Finding codes of this package. CONSENT_MISMATCH is a pair check
// (processors/pair).
const (
	CodePIIWithoutConsent = "CONSENT_PII_WITHOUT_CONSENT"
	CodeMissing           = "CONSENT_MISSING"
)

// Detector names put in findings.
const (
	DetectorDenied  = "consent.denied"
	DetectorMissing = "consent.missing"
)

// SevDocumentedDenial is the severity of CONSENT_PII_WITHOUT_CONSENT when a
// documented signal denies: MP consent.ad_user_data DENIED [Google] or a TCF
// v2 string without a required purpose [IAB].
const SevDocumentedDenial = schemas.SeverityCritical

// GCD letter meaning (REFERENCE §3.7, community-decoded): the final state of
// the signal is denied for p (default), q (default and update), m (update)
// and u (granted by default, denied by update).
func gcdDenied(c byte) bool { return c == 'p' || c == 'q' || c == 'm' || c == 'u' }

// denial is what denied the sending of user data on one event.
type denial struct {
	sev    schemas.Severity
	signal string // which carrier said so, for the message
}

// Check runs the per-event consent checks on ev and appends its findings to
// out. A nil cfg means NewDefaultConfig(). It is pure, safe for concurrent
// use and does not allocate unless it reports a finding.
//
// CONSENT_PII_WITHOUT_CONSENT is reported once per event, at the path of the
// first user-data field the denial forbids; its message says how many such
// fields there are and which signal denied. CONSENT_MISSING is reported once
// per unmet Requirement.
func Check(ev *schemas.Event, cfg *Config, out []schemas.Finding) []schemas.Finding {
	if ev == nil {
		return out
	}
	if cfg == nil {
		cfg = defaultConfig
	}
	side := schemas.FindingServer
	if ev.Side == schemas.SideClient {
		side = schemas.FindingClient
	}
	if d := denied(ev, cfg); d.sev != "" {
		if path, n := forbidden(ev, cfg); n > 0 {
			out = append(out, schemas.Finding{
				Code: CodePIIWithoutConsent, Severity: d.sev, Side: side, Path: path, Detector: DetectorDenied,
				Message: strconv.Itoa(n) + " user-data field(s) sent although " + d.signal +
					"; drop user_data and ids (or do not send the event) when consent is denied",
			})
		}
	}
	for i := range cfg.Requirements {
		r := &cfg.Requirements[i]
		if !applies(ev, cfg, r) || satisfied(&ev.Consent, r) {
			continue
		}
		sev := r.Severity
		if sev == "" {
			sev = schemas.SeverityWarn
		}
		out = append(out, schemas.Finding{
			Code: CodeMissing, Severity: sev, Side: side, Path: signalPath(ev), Detector: DetectorMissing,
			Message: "house policy requires a consent signal for this destination and region (" + signalList(r) + "); none was sent",
		})
	}
	return out
}

// denied returns the strongest denial of sending user data on ev. Only
// documented carriers (MP consent, TCF) give critical; a gcd reading alone
// gives cfg.GCDSeverity (never critical), and a documented denial beside it
// wins.
func denied(ev *schemas.Event, cfg *Config) denial {
	c := &ev.Consent
	if strings.EqualFold(strings.TrimSpace(c.AdUserData), "denied") {
		return denial{SevDocumentedDenial, "consent.ad_user_data is DENIED"}
	}
	if c.TCString != "" && strings.TrimSpace(c.GDPR) != "0" {
		if ps := cfg.TCFPurposes[ev.Destination]; len(ps) > 0 {
			if got, ok := DecodePurposes(c.TCString); ok {
				for _, p := range ps {
					if !got.Has(p) {
						return denial{SevDocumentedDenial, "the TCF consent string lacks purpose " + strconv.Itoa(p) + ", which house policy requires for this destination"}
					}
				}
			}
		}
	}
	if cfg.GCDSeverity != "" {
		if gcd := strings.TrimSpace(c.GCD); len(gcd) > processors.GCDAdUserDataIndex && gcdDenied(gcd[processors.GCDAdUserDataIndex]) {
			return denial{cfg.GCDSeverity, "gcd reads as ad_user_data denied (community decoding of gcd, unconfirmed by Google)"}
		}
	}
	return denial{}
}

// forbidden returns the path of the first user-data value the denial
// forbids and how many there are.
func forbidden(ev *schemas.Event, cfg *Config) (string, int) {
	first, n := "", 0
	for i := range ev.UserData {
		f := &ev.UserData[i]
		if (f.Kind != schemas.KindString && f.Kind != schemas.KindNumber) || strings.TrimSpace(f.Value) == "" {
			continue
		}
		field, _ := userdata.Lookup(ev.Destination, f.Key, f.Path)
		if !field.HasMatchKey() || !slices.Contains(cfg.UserDataKeys, processors.MatchKeyNames[field]) {
			continue
		}
		if n == 0 {
			first = f.Path
		}
		n++
	}
	if ev.Destination == schemas.DestinationGA4 && strings.TrimSpace(ev.UserID) != "" && slices.Contains(cfg.UserDataKeys, "user_id") {
		if n == 0 {
			first = pathOf(ev.Other, "user_id", "uid")
		}
		n++
	}
	if ev.Destination != schemas.DestinationGA4 && n == 0 && strings.TrimSpace(ev.ExternalID) != "" && slices.Contains(cfg.UserDataKeys, "external_id") {
		// external_id outside UserData (canonical events): count it once.
		first, n = "external_id", 1
	}
	return first, n
}

// pathOf returns the path of the first field whose key is one of keys, else
// the first key.
func pathOf(fs []schemas.Field, keys ...string) string {
	for i := range fs {
		if slices.Contains(keys, fs[i].Key) {
			return fs[i].Path
		}
	}
	return keys[0]
}

// applies reports whether Requirement r covers ev.
func applies(ev *schemas.Event, cfg *Config, r *Requirement) bool {
	if len(r.Destinations) > 0 && !slices.Contains(r.Destinations, ev.Destination) {
		return false
	}
	if len(r.Regions) == 0 {
		return true
	}
	region := regionOf(ev, cfg)
	if region == "" {
		return cfg.RequireWhenRegionUnknown
	}
	for _, reg := range r.Regions {
		if strings.EqualFold(reg, region) {
			return true
		}
	}
	return false
}

// regionOf reads the event's region (ISO-2 as sent) from cfg.RegionPaths.
func regionOf(ev *schemas.Event, cfg *Config) string {
	for _, p := range cfg.RegionPaths {
		for _, fs := range [...][]schemas.Field{ev.Other, ev.UserData} {
			for i := range fs {
				if fs[i].Path == p {
					if v := strings.TrimSpace(fs[i].Value); len(v) == 2 {
						return v
					}
				}
			}
		}
	}
	return ""
}

// satisfied reports whether ev's consent carries a signal r accepts.
func satisfied(c *schemas.Consent, r *Requirement) bool {
	has := func(s string) bool {
		switch s {
		case SignalAdUserData:
			return strings.TrimSpace(c.AdUserData) != ""
		case SignalGCS:
			return strings.TrimSpace(c.GCS) != ""
		case SignalGCD:
			return strings.TrimSpace(c.GCD) != ""
		case SignalTCF:
			_, ok := DecodePurposes(c.TCString)
			return ok
		case SignalNPA:
			return strings.TrimSpace(c.NPA) != ""
		case SignalDPO:
			return strings.TrimSpace(c.DataProcessing) != ""
		}
		return false
	}
	if len(r.Signals) == 0 {
		for _, s := range allSignals {
			if has(s) {
				return true
			}
		}
		return strings.TrimSpace(c.AdPersonalization) != ""
	}
	for _, s := range r.Signals {
		if has(s) {
			return true
		}
	}
	return false
}

// signalPath is where a consent signal would be carried in ev's format.
func signalPath(ev *schemas.Event) string {
	switch ev.Format {
	case schemas.FormatGA4MP:
		return "consent"
	case schemas.FormatGA4Gtag:
		return "gcd"
	case schemas.FormatSGTM:
		return "x-ga-gcd"
	case schemas.FormatMetaPixel:
		return "gdpr_consent"
	case schemas.FormatMetaCAPI:
		if strings.HasPrefix(ev.EventNamePath, "data[") {
			if i := strings.Index(ev.EventNamePath, "]."); i > 0 {
				return ev.EventNamePath[:i+2] + "data_processing_options"
			}
		}
		return "data_processing_options"
	}
	return "consent"
}

func signalList(r *Requirement) string {
	if len(r.Signals) == 0 {
		return "any signal"
	}
	return "one of " + strings.Join(r.Signals, ", ")
}
