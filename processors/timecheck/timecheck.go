package timecheck

import (
	"strconv"
	"strings"

	"github.com/sstaudit/sstaudit/schemas"
)

// Finding codes of this package.
const (
	CodeStale  = "TIME_STALE"
	CodeFuture = "TIME_FUTURE"
	CodeUnit   = "TIME_UNIT"
)

// Detector names put in findings.
const (
	DetectorStale  = "timecheck.stale"
	DetectorFuture = "timecheck.future"
	DetectorUnit   = "timecheck.unit"
)

// Severities of the codes; doc.go explains them.
const (
	SevUnit        = schemas.SeverityFail
	SevStale       = schemas.SeverityFail // server events: the platform drops them
	SevStaleClient = schemas.SeverityWarn // browser events: a wrong client clock
	SevFuture      = schemas.SeverityWarn
)

// Units as Event.EventTimeUnit spells them, plus nanoseconds for the
// classification of raw values.
const (
	unitNone = ""
	unitS    = "s"
	unitMS   = "ms"
	unitUS   = "us"
	unitNS   = "ns"
)

// UnitOfDigits classifies a Unix timestamp by the number of digits of its
// integer part: 10 seconds, 13 milliseconds, 16 microseconds, 19
// nanoseconds (true for every date from 2001-09-09 to 2286); "" for any other
// count.
func UnitOfDigits(n int) string {
	switch n {
	case 10:
		return unitS
	case 13:
		return unitMS
	case 16:
		return unitUS
	case 19:
		return unitNS
	}
	return unitNone
}

// rawDigits returns the number of significant digits of the integer part of a
// non-negative decimal timestamp as sent ("1772446500", "1772446500.25",
// "1.7724465e9"), or -1 when raw is not such a number. It does not allocate.
func rawDigits(raw string) int {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return -1
	}
	if strings.ContainsAny(raw, "eE") {
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || f < 1 || f >= 1e30 {
			return -1
		}
		n := 0
		for f >= 1 {
			f /= 10
			n++
		}
		return n
	}
	i := 0
	if raw[0] == '+' {
		i = 1
	}
	for i < len(raw)-1 && raw[i] == '0' {
		i++
	}
	n := 0
	for ; i < len(raw); i++ {
		c := raw[i]
		if c == '.' {
			break
		}
		if c < '0' || c > '9' {
			return -1
		}
		n++
	}
	for i++; i < len(raw); i++ {
		if c := raw[i]; c < '0' || c > '9' {
			return -1
		}
	}
	return n
}

// Check runs the time checks on ev and appends its findings to out. A nil
// cfg means NewDefaultConfig(). It is pure, safe for concurrent use and does
// not allocate unless it reports a finding. Findings carry the path of the
// timestamp (event_time, data[0].event_time, ts, timestamp_micros,
// timestamp), never its value.
func Check(ev *schemas.Event, cfg *Config, out []schemas.Finding) []schemas.Finding {
	if ev == nil || ev.EventTimeRaw == "" {
		return out // no payload timestamp (gtag): nothing to measure
	}
	if cfg == nil {
		cfg = defaultConfig
	}
	side := schemas.FindingServer
	if ev.Side == schemas.SideClient {
		side = schemas.FindingClient
	}
	path := ev.EventTimePath
	if path == "" {
		path = "event_time"
	}

	if got := UnitOfDigits(rawDigits(ev.EventTimeRaw)); got != unitNone && ev.EventTimeUnit != "" && got != ev.EventTimeUnit {
		return append(out, schemas.Finding{
			Code: CodeUnit, Severity: SevUnit, Side: side, Path: path, Detector: DetectorUnit,
			Message: path + " holds a " + digitsOf(got) + "-digit value (Unix " + unitName(got) +
				") where Unix " + unitName(ev.EventTimeUnit) + " are expected; stale/future checks skipped for the misread time",
		})
	}

	rec := ev.Source.RecordTime
	if rec <= 0 || ev.EventTime == 0 {
		return out
	}
	if side == schemas.FindingClient && !cfg.CheckClient {
		return out
	}
	age := rec - ev.EventTime // ms
	if maxAge, platform := maxAgeOf(ev, cfg); maxAge > 0 && age > maxAge {
		sev := SevStale
		if side == schemas.FindingClient {
			sev = SevStaleClient
		}
		return append(out, schemas.Finding{
			Code: CodeStale, Severity: sev, Side: side, Path: path, Detector: DetectorStale,
			Message: path + " is older than " + platform + " accepts (" + formatAge(maxAge) + " before the record time)",
		})
	}
	if tol := cfg.FutureTolerance.Milliseconds(); -age > tol {
		return append(out, schemas.Finding{
			Code: CodeFuture, Severity: SevFuture, Side: side, Path: path, Detector: DetectorFuture,
			Message: path + " lies more than " + formatAge(tol) + " after the record time (house tolerance); a skewed clock or a wrong unit",
		})
	}
	return out
}

// maxAgeOf returns the maximum age in ms for ev's destination and a name for
// the rule; 0 when none applies.
func maxAgeOf(ev *schemas.Event, cfg *Config) (int64, string) {
	switch ev.Destination {
	case schemas.DestinationMeta:
		if ev.ActionSource == "physical_store" {
			return cfg.PhysicalStoreMaxAge.Milliseconds(), "Meta (physical_store events)"
		}
		return cfg.MetaMaxAge.Milliseconds(), "Meta"
	case schemas.DestinationGA4:
		return cfg.GA4MaxAge.Milliseconds(), "GA4"
	}
	return 0, ""
}

func unitName(u string) string {
	switch u {
	case unitS:
		return "seconds"
	case unitMS:
		return "milliseconds"
	case unitUS:
		return "microseconds"
	case unitNS:
		return "nanoseconds"
	}
	return u
}

func digitsOf(u string) string {
	switch u {
	case unitS:
		return "10"
	case unitMS:
		return "13"
	case unitUS:
		return "16"
	}
	return "19"
}

// formatAge renders a duration in ms as days, hours or seconds.
func formatAge(ms int64) string {
	const day, hour, sec = 24 * 3600 * 1000, 3600 * 1000, 1000
	switch {
	case ms >= day && ms%day == 0:
		return strconv.FormatInt(ms/day, 10) + " days"
	case ms >= hour && ms%hour == 0:
		return strconv.FormatInt(ms/hour, 10) + " h"
	}
	return strconv.FormatInt(ms/sec, 10) + " s"
}
