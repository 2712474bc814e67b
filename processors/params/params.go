package params

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sstaudit/sstaudit/schemas"
)

// Finding codes of this package.
const (
	CodeActionSource        = "EVENT_ACTION_SOURCE"
	CodeNameNonstandard     = "EVENT_NAME_NONSTANDARD"
	CodeNameInvalid         = "EVENT_NAME_INVALID"
	CodeParamMissing        = "PARAM_MISSING"
	CodeCurrencyInvalid     = "PARAM_CURRENCY_INVALID"
	CodeValueInvalid        = "PARAM_VALUE_INVALID"
	CodeParamReserved       = "PARAM_RESERVED"
	CodeParamLimit          = "PARAM_LIMIT"
	CodeNotNamespaced       = "PARAM_NOT_NAMESPACED"
	CodeSchemaVersion       = "SCHEMA_VERSION_MISSING"
	CodeTransactionIDEmpty  = "GA4_TRANSACTION_ID_EMPTY"
	metaActionSourceWebsite = "website"
)

// Detector names put in findings.
const (
	DetectorActionSource  = "params.action_source"
	DetectorEventName     = "params.event_name"
	DetectorRequired      = "params.required"
	DetectorCurrency      = "params.currency"
	DetectorValue         = "params.value"
	DetectorReserved      = "params.reserved"
	DetectorLimit         = "params.limit"
	DetectorNamespace     = "params.namespace"
	DetectorSchemaVersion = "params.schema_version"
	DetectorTransactionID = "params.transaction_id"
)

// Severities of the platform rules; doc.go explains each. House-policy
// severities are in Config.
const (
	SevActionSource        = schemas.SeverityFail
	SevActionSourceNotWeb  = schemas.SeverityWarn
	SevNameRenamed         = schemas.SeverityFail
	SevNameInvalid         = schemas.SeverityFail
	SevRequired            = schemas.SeverityFail
	SevRecommended         = schemas.SeverityWarn
	SevMPSessionNote       = schemas.SeverityInfo
	SevCurrencyInvalid     = schemas.SeverityFail
	SevCurrencyCase        = schemas.SeverityWarn
	SevValueInvalid        = schemas.SeverityFail
	SevReserved            = schemas.SeverityFail
	SevLimitDropped        = schemas.SeverityFail // params or events beyond the limit, over-long names: dropped
	SevLimitTruncated      = schemas.SeverityWarn // over-long values: truncated
	SevTransactionIDHolder = schemas.SeverityFail
)

// metaActionSources are Meta's action_source values (REFERENCE §2.3).
var metaActionSources = []string{"email", "website", "app", "phone_call", "chat", "physical_store",
	"system_generated", "business_messaging", "other"}

type checker struct {
	ev   *schemas.Event
	cfg  *Config
	side schemas.FindingSide
	out  []schemas.Finding
}

func (c *checker) add(code string, sev schemas.Severity, det, path, msg string) {
	c.out = append(c.out, schemas.Finding{Code: code, Severity: sev, Side: c.side, Path: path, Detector: det, Message: msg})
}

// Check runs the event and parameter checks on ev and appends its findings
// to out. A nil cfg means NewDefaultConfig(). It is pure, safe for
// concurrent use and does not allocate unless it reports a finding.
// Findings carry the path of the offending (or missing) field and never its
// value.
func Check(ev *schemas.Event, cfg *Config, out []schemas.Finding) []schemas.Finding {
	if ev == nil {
		return out
	}
	if cfg == nil {
		cfg = defaultConfig
	}
	c := checker{ev: ev, cfg: cfg, side: schemas.FindingServer, out: out}
	if ev.Side == schemas.SideClient {
		c.side = schemas.FindingClient
	}
	switch ev.Destination {
	case schemas.DestinationMeta:
		c.actionSource()
		c.metaName()
		c.metaParams()
	case schemas.DestinationGA4:
		c.ga4Name()
		c.ga4Params()
		c.transactionID()
		c.mpBatch()
	}
	c.namespace()
	c.schemaVersion()
	return c.out
}

// ---- Meta -----------------------------------------------------------------

// actionSource checks a Meta server event's action_source (REFERENCE §2.3).
// A missing action_source on an event that looks like a web event is
// matchkeys' MATCH_REQUIRED_MISSING (one fault, one finding).
func (c *checker) actionSource() {
	ev := c.ev
	if ev.Side != schemas.SideServer {
		return
	}
	if ev.Format == schemas.FormatSGTM && ev.ActionSource == "" {
		return // inbound sGTM event data: the Meta tag sets action_source on the way out
	}
	path := ev.ActionSourcePath
	if path == "" {
		path = c.batchPrefix("data[") + "action_source"
	}
	as := ev.ActionSource
	if as == "" {
		if looksLikeWeb(ev) {
			return
		}
		c.add(CodeActionSource, SevActionSource, DetectorActionSource, path,
			"action_source is missing; Meta requires it on every server event")
		return
	}
	if !slices.Contains(metaActionSources, as) {
		msg := "action_source is not one of Meta's values (email, website, app, phone_call, chat, physical_store, system_generated, business_messaging, other)"
		for _, v := range metaActionSources {
			if strings.EqualFold(strings.TrimSpace(as), v) {
				msg = "action_source is a Meta value in the wrong case or with blanks; the values are lower case and compared exactly"
				break
			}
		}
		c.add(CodeActionSource, SevActionSource, DetectorActionSource, path, msg)
		return
	}
	if as != metaActionSourceWebsite && ev.URL != "" && (ev.UserAgent != "" || ev.ClickIDs.FBP != "" || ev.ClickIDs.FBC != "") {
		c.add(CodeActionSource, SevActionSourceNotWeb, DetectorActionSource, path,
			"a web event (page URL with browser user agent or Meta cookies) says another action_source than website; web events must say website to deduplicate with the Pixel")
	}
}

// looksLikeWeb is matchkeys.LooksLikeWeb: a page URL, a user agent or Meta
// cookies.
func looksLikeWeb(ev *schemas.Event) bool {
	return strings.TrimSpace(ev.URL) != "" || strings.TrimSpace(ev.UserAgent) != "" ||
		ev.ClickIDs.FBP != "" || ev.ClickIDs.FBC != ""
}

// metaName checks a Meta event name against the standard list and the house
// allowlist (REFERENCE §2.4).
func (c *checker) metaName() {
	ev := c.ev
	name := ev.EventName
	path := c.namePath()
	if name == "" {
		c.add(CodeNameNonstandard, SevNameRenamed, DetectorEventName, path, "event_name is missing; Meta requires it")
		return
	}
	if _, ok := metaStandardEvents[name]; ok || slices.Contains(c.cfg.CustomEventNames, name) {
		return
	}
	if _, ok := ga4ToMeta[name]; ok && ev.Format == schemas.FormatSGTM {
		return // inbound sGTM event data carries GA4 names; the Meta tag maps them
	}
	if ev.ActionSource == "business_messaging" && slices.Contains(c.cfg.BusinessMessagingEventNames, name) {
		return
	}
	for std := range metaStandardEvents {
		if strings.EqualFold(name, std) {
			c.add(CodeNameNonstandard, SevNameRenamed, DetectorEventName, path,
				"the event name is Meta's standard "+std+" in another case; Meta compares names case-sensitively, so it counts as a custom event and will not deduplicate with "+std+": renamed in transit")
			return
		}
	}
	if std, ok := ga4ToMeta[name]; ok {
		c.add(CodeNameNonstandard, SevNameRenamed, DetectorEventName, path,
			"the event name is GA4's name for Meta's standard "+std+": renamed in transit (a GA4 name copied into a Meta tag); send "+std)
		return
	}
	if snakeCase(name) {
		c.add(CodeNameNonstandard, c.cfg.CustomNameSeverity, DetectorEventName, path,
			"a GA4-style snake_case event name on a Meta event, neither standard nor in the house allowlist of custom names: renamed in transit?")
		return
	}
	c.add(CodeNameNonstandard, c.cfg.CustomNameSeverity, DetectorEventName, path,
		"custom event name that is neither one of Meta's standard events nor in the house allowlist of custom names")
}

// snakeCase reports a lower-case name with an underscore (GA4 style).
func snakeCase(s string) bool {
	under := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '_':
			under = true
		case c >= 'A' && c <= 'Z':
			return false
		}
	}
	return under
}

// metaParams checks value and currency of a Meta event (REFERENCE §2.5).
func (c *checker) metaParams() {
	value, currency := c.top("value"), c.top("currency")
	name := c.ev.EventName
	if c.ev.Format == schemas.FormatSGTM {
		if std, ok := ga4ToMeta[name]; ok {
			name = std
		}
	}
	if name == "Purchase" {
		if value == nil {
			c.add(CodeParamMissing, SevRequired, DetectorRequired, c.paramPath("value"),
				"Purchase without value; Meta requires value and currency on Purchase")
		}
		if currency == nil {
			c.add(CodeParamMissing, SevRequired, DetectorRequired, c.paramPath("currency"),
				"Purchase without currency; Meta requires value and currency on Purchase")
		}
	} else {
		if value != nil && currency == nil {
			c.add(CodeParamMissing, SevRecommended, DetectorRequired, c.paramPath("currency"),
				"value without currency (Meta diagnostic \"Send valid currencies\"); send an ISO 4217 currency with every value")
		}
		if currency != nil && value == nil {
			c.add(CodeParamMissing, SevRecommended, DetectorRequired, c.paramPath("value"),
				"currency without value (Meta diagnostic \"Send valid currencies\"); send the value with its currency")
		}
	}
	if currency != nil {
		c.currency(currency, false)
	}
	if value != nil {
		c.value(value)
	}
}

// ---- GA4 ------------------------------------------------------------------

// ga4Name checks a GA4 event name (REFERENCE §3.1, §3.2). Reserved names are
// not flagged on gtag hits nor on sGTM events the GA4 client built from them:
// Google's own tag sends page_view, scroll, session_start and the like.
func (c *checker) ga4Name() {
	ev := c.ev
	name := ev.EventName
	path := c.namePath()
	switch {
	case name == "":
		c.add(CodeNameInvalid, SevNameInvalid, DetectorEventName, path, "event name is missing")
		return
	case utf8.RuneCountInString(name) > c.cfg.MaxEventNameLen:
		c.add(CodeNameInvalid, SevNameInvalid, DetectorEventName, path,
			"event name is longer than GA4's limit of "+strconv.Itoa(c.cfg.MaxEventNameLen)+" characters")
		return
	case !ga4Charset(name):
		c.add(CodeNameInvalid, SevNameInvalid, DetectorEventName, path,
			"event name must start with a letter and hold only letters, digits and underscores (GA4 naming rules)")
		return
	}
	var reserved map[string]struct{}
	switch ev.Format {
	case schemas.FormatGA4Gtag:
		return
	case schemas.FormatGA4MP:
		reserved = ga4ReservedMP
	case schemas.FormatSGTM:
		if !c.viaGA4Client() {
			reserved = ga4ReservedWeb
		}
	default:
		if ev.Side == schemas.SideClient {
			return
		}
		reserved = ga4ReservedWeb
	}
	if _, ok := reserved[name]; ok {
		c.add(CodeNameInvalid, SevNameInvalid, DetectorEventName, path,
			"event name is reserved by GA4 for its own events; a server-built event must use another name")
		return
	}
	for _, p := range ga4ReservedEventPrefixes {
		if strings.HasPrefix(name, p) {
			c.add(CodeNameInvalid, SevNameInvalid, DetectorEventName, path,
				"event name starts with a prefix GA4 reserves (_, firebase_, ga_, google_, gtag., query_id)")
			return
		}
	}
}

// ga4Charset: a letter, then letters, digits and underscores.
func ga4Charset(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if i == 0 && !letter {
			return false
		}
		if !letter && c != '_' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// viaGA4Client reports an sGTM event built by the GA4 client from a gtag
// hit: it carries the measurement id or the x-ga-* protocol keys.
func (c *checker) viaGA4Client() bool {
	if strings.HasPrefix(c.ev.PixelID, "G-") {
		return true
	}
	for i := range c.ev.Other {
		if strings.HasPrefix(c.ev.Other[i].Key, "x-ga-") {
			return true
		}
	}
	return false
}

// ga4Params walks the params once: reserved names, limits; then the
// required params of purchase, currency and value, and the MP session note.
func (c *checker) ga4Params() {
	ev, cfg := c.ev, c.cfg
	mp := ev.Format == schemas.FormatGA4MP
	sgtm := ev.Format == schemas.FormatSGTM
	var value, currency, session, engagement *schemas.Field
	prev, n := "", 0
	for i := range ev.Params {
		f := &ev.Params[i]
		name, top := topName(c.rest(f.Path))
		if top && f.Kind != schemas.KindNull {
			switch name {
			case "value":
				value = first(value, f)
			case "currency":
				currency = first(currency, f)
			case "session_id":
				session = first(session, f)
			case "engagement_time_msec":
				engagement = first(engagement, f)
			}
		}
		if i == 0 || name != prev {
			prev = name
			n++
			if n == cfg.MaxParams+1 {
				c.add(CodeParamLimit, SevLimitDropped, DetectorLimit, f.Path,
					"the event has more than "+strconv.Itoa(cfg.MaxParams)+" parameters; GA4 drops the excess")
			}
			if len(name) > cfg.MaxParamNameLen && utf8.RuneCountInString(name) > cfg.MaxParamNameLen {
				c.add(CodeParamLimit, SevLimitDropped, DetectorLimit, f.Path,
					"parameter name longer than GA4's limit of "+strconv.Itoa(cfg.MaxParamNameLen)+" characters")
			}
			if reservedParam(name) && !((mp || sgtm) && (name == "session_id" || name == "engagement_time_msec")) {
				c.add(CodeParamReserved, SevReserved, DetectorReserved, f.Path,
					"parameter name is reserved by GA4 (engagement_time_msec, gclid, session_id, session_number, or prefix _, firebase_, ga_, google_, gtag.)")
			}
		}
		if f.Kind == schemas.KindString && len(f.Value) > cfg.MaxParamValueLen {
			limit := cfg.MaxParamValueLen
			if l, ok := cfg.ValueLengthExceptions[name]; ok {
				limit = l
			}
			if utf8.RuneCountInString(f.Value) > limit {
				c.add(CodeParamLimit, SevLimitTruncated, DetectorLimit, f.Path,
					"parameter value longer than GA4's limit of "+strconv.Itoa(limit)+" characters; GA4 truncates it")
			}
		}
	}

	if currency == nil && ev.Format == schemas.FormatGA4Gtag {
		currency = otherField(ev.Other, "cu")
	}
	if ev.EventName == "purchase" {
		if !ev.HasTransactionID {
			c.add(CodeParamMissing, SevRequired, DetectorRequired, c.paramPath("transaction_id"),
				"purchase without transaction_id; GA4 requires it and deduplicates purchases by it")
		}
		if value == nil {
			c.add(CodeParamMissing, SevRecommended, DetectorRequired, c.paramPath("value"),
				"purchase without value; GA4 records no revenue for it")
		}
		if currency == nil {
			sev := SevRecommended
			if value != nil {
				sev = SevRequired
			}
			c.add(CodeParamMissing, sev, DetectorRequired, c.paramPath("currency"),
				"purchase without currency; GA4 requires currency whenever value is set")
		}
	} else if value != nil && currency == nil {
		c.add(CodeParamMissing, SevRecommended, DetectorRequired, c.paramPath("currency"),
			"value without currency; GA4 ignores a value it has no currency for")
	}
	if mp && cfg.MPSessionNote {
		if session == nil {
			c.add(CodeParamMissing, SevMPSessionNote, DetectorRequired, c.paramPath("session_id"),
				"Measurement Protocol event without session_id: it is not attributed to a session and does not show in Realtime")
		}
		if engagement == nil {
			c.add(CodeParamMissing, SevMPSessionNote, DetectorRequired, c.paramPath("engagement_time_msec"),
				"Measurement Protocol event without engagement_time_msec: it does not count towards engagement and may not show in Realtime")
		}
	}
	if currency != nil {
		c.currency(currency, true)
	}
	if value != nil {
		c.value(value)
	}
}

func reservedParam(name string) bool {
	if name == "" {
		return false
	}
	switch name[0] { // every reserved name and prefix starts with one of these
	case '_', 'e', 'f', 'g', 's':
	default:
		return false
	}
	if _, ok := ga4ReservedParams[name]; ok {
		return true
	}
	for _, p := range ga4ReservedParamPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// transactionID reports a GA4 transaction_id that is present but empty or a
// placeholder (REFERENCE §3.4): GA4 merges every purchase carrying it.
func (c *checker) transactionID() {
	ev := c.ev
	if !ev.HasTransactionID || !c.placeholder(ev.TransactionID) {
		return
	}
	path := c.paramPath("transaction_id")
	if f := c.top("transaction_id"); f != nil {
		path = f.Path
	}
	c.add(CodeTransactionIDEmpty, SevTransactionIDHolder, DetectorTransactionID, path,
		"transaction_id is empty or a placeholder ((not set), undefined, null, an unresolved template, …); GA4 deduplicates purchases by it and merges every purchase carrying it into one")
}

func (c *checker) placeholder(id string) bool {
	v := strings.TrimSpace(id)
	if v == "" {
		return true
	}
	if len(v) >= 4 && (strings.HasPrefix(v, "{{") && strings.HasSuffix(v, "}}") ||
		strings.HasPrefix(v, "${") && strings.HasSuffix(v, "}") ||
		strings.HasPrefix(v, "[[") && strings.HasSuffix(v, "]]") ||
		strings.HasPrefix(v, "<%") && strings.HasSuffix(v, "%>") ||
		v[0] == '%' && v[len(v)-1] == '%') {
		return true
	}
	for _, p := range placeholderTransactionIDs {
		if len(p) == len(v) && strings.EqualFold(v, p) {
			return true
		}
	}
	for _, p := range c.cfg.TransactionIDPlaceholders {
		if strings.EqualFold(v, strings.TrimSpace(p)) {
			return true
		}
	}
	return false
}

// mpBatch reports a Measurement Protocol request with more events than the
// limit, once, on its first event.
func (c *checker) mpBatch() {
	s := c.ev.Source
	if c.ev.Format == schemas.FormatGA4MP && s.BatchIndex == 0 && int(s.BatchSize) > c.cfg.MaxMPEvents {
		c.add(CodeParamLimit, SevLimitDropped, DetectorLimit, "events",
			"the Measurement Protocol request holds more than "+strconv.Itoa(c.cfg.MaxMPEvents)+" events; Google drops such requests")
	}
}

// ---- both -----------------------------------------------------------------

// currency checks a currency param: a string holding an ISO 4217 code. Meta
// takes either case; GA4 documents upper case (ga4), so lower case is warn.
func (c *checker) currency(f *schemas.Field, ga4 bool) {
	v := strings.TrimSpace(f.Value)
	var code [3]byte
	ok := f.Kind == schemas.KindString && len(v) == 3
	lower := false
	if ok {
		for i := 0; i < 3; i++ {
			ch := v[i]
			switch {
			case ch >= 'a' && ch <= 'z':
				lower = true
				ch -= 'a' - 'A'
			case ch < 'A' || ch > 'Z':
				ok = false
			}
			code[i] = ch
		}
	}
	if ok {
		_, ok = currencies[code]
		if !ok {
			for _, x := range c.cfg.ExtraCurrencies {
				if len(x) == 3 && x[0] == code[0] && x[1] == code[1] && x[2] == code[2] {
					ok = true
					break
				}
			}
		}
	}
	switch {
	case !ok:
		c.add(CodeCurrencyInvalid, SevCurrencyInvalid, DetectorCurrency, f.Path,
			"currency is not an ISO 4217 three-letter code (e.g. EUR, USD)")
	case ga4 && lower:
		c.add(CodeCurrencyInvalid, SevCurrencyCase, DetectorCurrency, f.Path,
			"currency is in lower case; GA4 documents upper-case ISO 4217 codes")
	}
}

// value checks a value param: a plain decimal number, not negative (except
// on NegativeValueEvents).
func (c *checker) value(f *schemas.Field) {
	num, neg := false, false
	if f.Kind == schemas.KindString || f.Kind == schemas.KindNumber {
		num, neg = decimal(strings.TrimSpace(f.Value))
	}
	if !num {
		c.add(CodeValueInvalid, SevValueInvalid, DetectorValue, f.Path,
			"value is not a number; send a plain decimal (84.5), without currency symbols, thousands separators or a decimal comma")
		return
	}
	if neg {
		for _, e := range c.cfg.NegativeValueEvents {
			if strings.EqualFold(e, c.ev.EventName) {
				return
			}
		}
		c.add(CodeValueInvalid, SevValueInvalid, DetectorValue, f.Path, "value is negative")
	}
}

// decimal parses [+-]digits[.digits][(e|E)[+-]digits] without allocating;
// neg is true for a negative non-zero value.
func decimal(s string) (ok, neg bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	digits, nonzero := 0, false
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
		nonzero = nonzero || s[i] != '0'
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
			nonzero = nonzero || s[i] != '0'
		}
	}
	if digits == 0 {
		return false, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 {
			return false, false
		}
	}
	if i != len(s) {
		return false, false
	}
	return true, neg && nonzero
}

// namespace reports custom params without the house prefix (when enabled).
// A param is custom when it is neither standard for the destination
// (metaStandardParams, ga4StandardParams, Config.StandardParams) nor the
// schema-version param.
func (c *checker) namespace() {
	sev, prefix := c.cfg.NamespaceSeverity, c.cfg.NamespacePrefix
	if sev == "" || prefix == "" {
		return
	}
	std := ga4StandardParams
	if c.ev.Destination == schemas.DestinationMeta {
		std = metaStandardParams
	}
	extra := c.cfg.StandardParams[c.ev.Destination]
	prev := ""
	for i := range c.ev.Params {
		f := &c.ev.Params[i]
		name, _ := topName(c.rest(f.Path))
		if i > 0 && name == prev {
			continue
		}
		prev = name
		if strings.HasPrefix(name, prefix) || name == c.cfg.SchemaVersionParam || slices.Contains(extra, name) {
			continue
		}
		if _, ok := std[name]; ok {
			continue
		}
		c.add(CodeNotNamespaced, sev, DetectorNamespace, f.Path,
			"custom parameter without the house prefix "+prefix+" (house policy)")
	}
}

// schemaVersion reports a missing house schema-version param (when enabled).
func (c *checker) schemaVersion() {
	if c.cfg.SchemaVersionSeverity == "" || strings.TrimSpace(c.ev.SchemaVersion) != "" {
		return
	}
	c.add(CodeSchemaVersion, c.cfg.SchemaVersionSeverity, DetectorSchemaVersion, c.paramPath(c.cfg.SchemaVersionParam),
		"the house schema-version parameter "+c.cfg.SchemaVersionParam+" is missing (house policy)")
}

// ---- paths ----------------------------------------------------------------

// rest strips the params container from a param path: custom_data. (CAPI),
// params. (MP), cd[…] / cd. (Pixel), ep. / epn. (gtag); sGTM params sit at
// the top level.
func (c *checker) rest(path string) string {
	switch c.ev.Format {
	case schemas.FormatMetaPixel:
		return pixelRest(path)
	case schemas.FormatGA4Gtag:
		return gtagRest(path)
	case schemas.FormatMetaCAPI:
		return after(path, "custom_data.")
	case schemas.FormatGA4MP:
		return after(path, "params.")
	case schemas.FormatSGTM:
		return path
	}
	if r := after(path, "custom_data."); len(r) != len(path) {
		return r
	}
	if r := after(path, "params."); len(r) != len(path) {
		return r
	}
	if r := pixelRest(path); len(r) != len(path) {
		return r
	}
	return gtagRest(path)
}

func pixelRest(path string) string {
	switch {
	case strings.HasPrefix(path, "cd["):
		r := path[3:]
		if i := strings.IndexByte(r, ']'); i == len(r)-1 {
			return r[:i]
		}
		return r
	case strings.HasPrefix(path, "cd."):
		return path[3:]
	}
	return path
}

func gtagRest(path string) string {
	switch {
	case strings.HasPrefix(path, "ep."):
		return path[3:]
	case strings.HasPrefix(path, "epn."):
		return path[4:]
	}
	return path
}

// after returns what follows container in path, where container starts the
// path or follows a '.'; path itself when it does not occur.
func after(path, container string) string {
	for from := 0; ; {
		i := strings.Index(path[from:], container)
		if i < 0 {
			return path
		}
		i += from
		if i == 0 || path[i-1] == '.' {
			return path[i+len(container):]
		}
		from = i + 1
	}
}

// topName returns the top-level param name of a stripped path and whether
// the path is that param itself (a scalar), not an element inside it.
func topName(rest string) (string, bool) {
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; c == '.' || c == '[' || c == ']' {
			return rest[:i], false
		}
	}
	return rest, true
}

// top returns the top-level scalar param named key (JSON null counts as
// absent), nil when there is none.
func (c *checker) top(key string) *schemas.Field {
	for i := range c.ev.Params {
		f := &c.ev.Params[i]
		if f.Key != key || f.Kind == schemas.KindNull {
			continue
		}
		if name, top := topName(c.rest(f.Path)); top && name == key {
			return f
		}
	}
	return nil
}

// first returns have when set, else f.
func first(have, f *schemas.Field) *schemas.Field {
	if have != nil {
		return have
	}
	return f
}

func otherField(fs []schemas.Field, path string) *schemas.Field {
	for i := range fs {
		if fs[i].Path == path && fs[i].Kind != schemas.KindNull {
			return &fs[i]
		}
	}
	return nil
}

// namePath is the event name's path, or where it belongs when missing.
func (c *checker) namePath() string {
	if c.ev.EventNamePath != "" {
		return c.ev.EventNamePath
	}
	switch c.ev.Format {
	case schemas.FormatMetaPixel:
		return "ev"
	case schemas.FormatGA4Gtag:
		return "en"
	case schemas.FormatGA4MP:
		return c.batchPrefix("events[") + "name"
	case schemas.FormatMetaCAPI:
		return c.batchPrefix("data[") + "event_name"
	}
	return "event_name"
}

// paramPath is where param name belongs in ev's format, for findings about a
// missing param.
func (c *checker) paramPath(name string) string {
	switch c.ev.Format {
	case schemas.FormatMetaPixel:
		return "cd[" + name + "]"
	case schemas.FormatGA4Gtag:
		switch name {
		case "currency":
			return "cu"
		case "value":
			return "epn.value"
		}
		return "ep." + name
	case schemas.FormatMetaCAPI:
		return c.batchPrefix("data[") + "custom_data." + name
	case schemas.FormatGA4MP:
		return c.batchPrefix("events[") + "params." + name
	}
	return name
}

// batchPrefix returns "data[i]." / "events[i]." as read from the paths the
// decoder recorded for ev, "" for a single event object.
func (c *checker) batchPrefix(container string) string {
	ev := c.ev
	cands := [...]string{ev.EventNamePath, ev.EventIDPath, ev.ActionSourcePath, ev.EventTimePath, ev.URLPath, "", ""}
	if len(ev.Params) > 0 {
		cands[5] = ev.Params[0].Path
	}
	if len(ev.UserData) > 0 {
		cands[6] = ev.UserData[0].Path
	}
	for _, p := range cands {
		if strings.HasPrefix(p, container) {
			if i := strings.Index(p, "]."); i > 0 {
				return p[:i+2]
			}
		}
	}
	return ""
}
