package matchkeys

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/processors/hashing/userdata"
	"github.com/sstaudit/sstaudit/schemas"
)

// Finding codes of this package.
const (
	CodeKeysLow         = "MATCH_KEYS_LOW"
	CodeRequiredMissing = "MATCH_REQUIRED_MISSING"
)

// Detector names put in findings.
const (
	DetectorKeysLow  = "matchkeys.completeness"
	DetectorRequired = "matchkeys.required"
)

// Keys returns the match keys present on ev, exactly as
// processors.BuildSnapshot counts them (a test keeps the two in step): a
// user_data key with a non-empty value, and per destination the ids (GA4
// client_id, user_id; Meta client IP, user agent, external_id, fbc, fbp). It
// does not allocate.
func Keys(ev *schemas.Event) processors.MatchKey {
	var k processors.MatchKey
	for i := range ev.UserData {
		f := &ev.UserData[i]
		if f.Kind != schemas.KindString && f.Kind != schemas.KindNumber {
			continue
		}
		if strings.TrimSpace(f.Value) == "" {
			continue
		}
		if field, _ := userdata.Lookup(ev.Destination, f.Key, f.Path); field.HasMatchKey() {
			k |= 1 << processors.MatchKey(field)
		}
	}
	if ev.Destination == schemas.DestinationGA4 {
		if ev.ClientID != "" {
			k |= processors.KeyClientID
		}
		if ev.UserID != "" {
			k |= processors.KeyUserID
		}
		return k
	}
	if ev.ClientIP != "" {
		k |= processors.KeyClientIP
	}
	if ev.UserAgent != "" {
		k |= processors.KeyUserAgent
	}
	if ev.ExternalID != "" {
		k |= processors.KeyExternalID
	}
	if ev.ClickIDs.FBC != "" {
		k |= processors.KeyFBC
	}
	if ev.ClickIDs.FBP != "" {
		k |= processors.KeyFBP
	}
	return k
}

// Band returns the completeness band of n match keys under cfg.
func Band(n int, cfg *Config) string {
	if cfg == nil {
		cfg = defaultConfig
	}
	switch {
	case n >= cfg.PassKeys:
		return BandPass
	case n >= cfg.WarnKeys:
		return BandWarn
	}
	return BandFail
}

// EMQ returns the EMQ estimate (0–10, one decimal) of a match-key set under
// cfg: 10·(1 − e^(−sum/Scale)) where sum adds the weight of every key present
// and IPUABonus when both client IP and user agent are. It is a documented
// heuristic (doc.go), not Meta's score. Adding a key never lowers it.
func EMQ(k processors.MatchKey, cfg *Config) float64 {
	if cfg == nil {
		cfg = defaultConfig
	}
	sum := 0.0
	for i, name := range processors.MatchKeyNames {
		if k&(1<<uint(i)) != 0 {
			if w := cfg.Weights[name]; w > 0 {
				sum += w
			}
		}
	}
	if k&processors.KeyClientIP != 0 && k&processors.KeyUserAgent != 0 && cfg.IPUABonus > 0 {
		sum += cfg.IPUABonus
	}
	if sum <= 0 || !(cfg.Scale > 0) {
		return 0
	}
	v := 10 * (1 - math.Exp(-sum/cfg.Scale))
	v = math.Floor(v*10) / 10 // one decimal, rounded down so it never reaches 10
	return math.Max(0, math.Min(10, v))
}

// Summarize returns the match_keys block of an audit record (SPEC §6) for
// the server-side Snapshot s: present key names, their count, the
// completeness band and the EMQ estimate. A nil s gives the zero summary
// with band fail; a nil cfg means the defaults.
func Summarize(s *processors.Snapshot, cfg *Config) schemas.MatchKeys {
	if cfg == nil {
		cfg = defaultConfig
	}
	if s == nil {
		return schemas.MatchKeys{Present: []string{}, Band: Band(0, cfg)}
	}
	n := s.MatchKeys.Count()
	names := make([]string, 0, n) // one allocation; MatchKey.Names grows its slice
	for i, name := range processors.MatchKeyNames {
		if s.MatchKeys&(1<<uint(i)) != 0 {
			names = append(names, name)
		}
	}
	return schemas.MatchKeys{
		Present:     names,
		Count:       int32(n),
		Band:        Band(n, cfg),
		EMQEstimate: EMQ(s.MatchKeys, cfg),
	}
}

// Check runs MATCH_KEYS_LOW and MATCH_REQUIRED_MISSING on a server event and
// appends its findings to out. A nil cfg means NewDefaultConfig(). Browser
// events are not checked: the Pixel carries the website fields implicitly
// and completeness is a server measure. It is pure, safe for concurrent use
// and does not allocate unless it reports a finding.
func Check(ev *schemas.Event, cfg *Config, out []schemas.Finding) []schemas.Finding {
	if ev == nil || ev.Side != schemas.SideServer {
		return out
	}
	if cfg == nil {
		cfg = defaultConfig
	}
	if ev.Destination == schemas.DestinationMeta {
		out = required(ev, cfg, out)
	}
	if !slices.Contains(cfg.Destinations, ev.Destination) {
		return out
	}
	n := Keys(ev).Count()
	var sev schemas.Severity
	var what string
	switch Band(n, cfg) {
	case BandWarn:
		sev, what = cfg.WarnBandSeverity, "band warn"
	case BandFail:
		sev, what = cfg.FailBandSeverity, "band fail"
	}
	if sev == "" {
		return out
	}
	path := prefix(ev) + "user_data"
	return append(out, schemas.Finding{
		Code: CodeKeysLow, Severity: sev, Side: schemas.FindingServer, Path: path, Detector: DetectorKeysLow,
		Message: "the server event carries " + strconv.Itoa(n) + " match keys (" + what + "; house policy: pass at " +
			strconv.Itoa(cfg.PassKeys) + " or more, warn from " + strconv.Itoa(cfg.WarnKeys) + "); add em, ph, external_id, fbc/fbp or IP and user agent",
	})
}

// required reports the website fields Meta requires (REFERENCE §2.2):
// client_user_agent and event_source_url on action_source website; and
// action_source itself when it is missing on an event that otherwise looks
// like a web event (page URL, user agent or Meta cookies). A missing
// action_source on any other event is params' EVENT_ACTION_SOURCE: one fault,
// one finding.
func required(ev *schemas.Event, cfg *Config, out []schemas.Finding) []schemas.Finding {
	if cfg.RequiredSeverity == "" {
		return out
	}
	sgtm := ev.Format == schemas.FormatSGTM
	as := strings.TrimSpace(ev.ActionSource)
	if as == "" {
		if sgtm || !LooksLikeWeb(ev) {
			// Inbound sGTM event data has no action_source: the Meta tag
			// sets it (website) on the way out.
			return out
		}
		path := ev.ActionSourcePath
		if path == "" {
			path = prefix(ev) + "action_source"
		}
		out = append(out, schemas.Finding{
			Code: CodeRequiredMissing, Severity: cfg.RequiredSeverity, Side: schemas.FindingServer, Path: path,
			Detector: DetectorRequired,
			Message:  "a web event (page URL, user agent or Meta cookies present) has no action_source; Meta requires it and web events must say website",
		})
		return out
	}
	if as != "website" {
		return out
	}
	if strings.TrimSpace(ev.UserAgent) == "" {
		path := prefix(ev) + "user_data.client_user_agent"
		if sgtm {
			path = "user_agent"
		}
		out = append(out, schemas.Finding{
			Code: CodeRequiredMissing, Severity: cfg.RequiredSeverity, Side: schemas.FindingServer, Path: path,
			Detector: DetectorRequired,
			Message:  "website event without client_user_agent; Meta requires it for action_source website",
		})
	}
	if strings.TrimSpace(ev.URL) == "" {
		path := ev.URLPath
		if path == "" {
			path = prefix(ev) + "event_source_url"
			if sgtm {
				path = "page_location"
			}
		}
		out = append(out, schemas.Finding{
			Code: CodeRequiredMissing, Severity: cfg.RequiredSeverity, Side: schemas.FindingServer, Path: path,
			Detector: DetectorRequired,
			Message:  "website event without event_source_url; Meta requires it for action_source website",
		})
	}
	return out
}

// LooksLikeWeb reports whether a Meta server event carries what only a web
// event has: a page URL, a browser user agent, or the _fbp/_fbc cookies.
func LooksLikeWeb(ev *schemas.Event) bool {
	return strings.TrimSpace(ev.URL) != "" || strings.TrimSpace(ev.UserAgent) != "" ||
		ev.ClickIDs.FBP != "" || ev.ClickIDs.FBC != ""
}

// prefix returns the batch prefix of ev's paths ("data[3]." in a CAPI batch,
// "" for a single event object), read from the paths the decoder recorded.
// MP user_data sits at the body's top level, so GA4 paths need none.
func prefix(ev *schemas.Event) string {
	for _, p := range [...]string{ev.EventNamePath, ev.EventTimePath, ev.EventIDPath, ev.ActionSourcePath, ev.URLPath} {
		if pre, ok := batchPrefix(p); ok {
			return pre
		}
	}
	for _, fs := range [...][]schemas.Field{ev.UserData, ev.Params} {
		if len(fs) > 0 {
			if pre, ok := batchPrefix(fs[0].Path); ok {
				return pre
			}
		}
	}
	return ""
}

func batchPrefix(p string) (string, bool) {
	if strings.HasPrefix(p, "data[") {
		if i := strings.Index(p, "]."); i > 0 {
			return p[:i+2], true
		}
	}
	return "", false
}
