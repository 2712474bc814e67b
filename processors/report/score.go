package report

import (
	"fmt"
	"math"
	"strconv"
)

// Verdict is a check's outcome.
type Verdict string

// Verdicts. A not-measured check had no data and counts in no mean.
const (
	Pass        Verdict = "pass"
	Warn        Verdict = "warn"
	Fail        Verdict = "fail"
	NotMeasured Verdict = "not_measured"
)

// Points is a verdict's score (SPEC §8): PASS 100, WARN 50, FAIL 0.
func (v Verdict) Points() (float64, bool) {
	switch v {
	case Pass:
		return 100, true
	case Warn:
		return 50, true
	case Fail:
		return 0, true
	}
	return 0, false
}

// Check is one scored check: what it measured, and the verdict.
type Check struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Source string `json:"source"` // "streams" or "inventory"
	// Figure is the measured figure for people ("92.3% (1,200 of 1,300)");
	// Value is the same figure for machines (a share in [0,1], a count or an
	// EMQ), nil when not measured.
	Figure  string   `json:"figure"`
	Value   *float64 `json:"value"`
	Verdict Verdict  `json:"verdict"`
	// Thresholds states the bands; HousePolicy says they are sstaudit's own
	// (REFERENCE §9), not a Meta or Google rule.
	Thresholds  string `json:"thresholds"`
	HousePolicy bool   `json:"house_policy"`
	// Advice says what to do when the verdict is warn or fail.
	Advice string `json:"advice"`
}

// Section is one of the six score sections.
type Section struct {
	ID     string  `json:"id"`
	Title  string  `json:"title"`
	Weight int     `json:"weight"` // percent
	Checks []Check `json:"checks"`
	// Score is the mean of the measured checks' points; nil when no check
	// was measured.
	Score *float64 `json:"score"`
}

// Score is the health score (SPEC §8).
type Score struct {
	Sections []Section `json:"sections"`
	// Total is the weighted sum of the measured sections' scores, their
	// weights rescaled to sum to 100 (doc.go); nil when nothing was measured.
	Total *float64 `json:"total"`
	// Points is Total rounded down, as printed; Grade is Total's grade.
	Points         *int   `json:"points"`
	Grade          string `json:"grade"`
	MeasuredWeight int    `json:"measured_weight"` // percent of the weights whose sections were measured
}

// Grade returns the SPEC §8 grade of a total: A ≥ 90, B ≥ 80, C ≥ 70,
// D ≥ 60, F below.
func Grade(total float64) string {
	switch {
	case total >= 90:
		return "A"
	case total >= 80:
		return "B"
	case total >= 70:
		return "C"
	case total >= 60:
		return "D"
	}
	return "F"
}

// Section weights (SPEC §8).
const (
	WeightSGTM      = 20
	WeightCAPI      = 25
	WeightDedup     = 15
	WeightHitRatio  = 15
	WeightTestEvent = 10
	WeightHashPII   = 15
)

// Evaluate scores a summary and an inventory (nil: none given). It is pure.
func Evaluate(s Summary, inv *Inventory) Score {
	if inv == nil {
		inv = &Inventory{}
	}
	sections := []Section{
		{ID: "sgtm", Title: "sGTM Pipeline", Weight: WeightSGTM, Checks: sgtmChecks(&s, inv)},
		{ID: "capi", Title: "CAPI", Weight: WeightCAPI, Checks: capiChecks(&s, inv)},
		{ID: "dedup", Title: "Deduplication", Weight: WeightDedup, Checks: dedupChecks(&s)},
		{ID: "hit_ratio", Title: "Server-Side Hit Ratio", Weight: WeightHitRatio, Checks: hitRatioChecks(&s)},
		{ID: "test_events", Title: "Test Events (6)", Weight: WeightTestEvent, Checks: testEventChecks(&s)},
		{ID: "hash_pii", Title: "Hash Quality & PII", Weight: WeightHashPII, Checks: hashChecks(&s)},
	}
	return score(sections)
}

// score computes section means and the total of checked sections.
func score(sections []Section) Score {
	var sum float64
	weights := 0
	for i := range sections {
		sec := &sections[i]
		var pts float64
		n := 0
		for _, c := range sec.Checks {
			if p, ok := c.Verdict.Points(); ok {
				pts += p
				n++
			}
		}
		if n == 0 {
			continue
		}
		mean := pts / float64(n)
		sec.Score = &mean
		sum += mean * float64(sec.Weight)
		weights += sec.Weight
	}
	sc := Score{Sections: sections, MeasuredWeight: weights}
	if weights > 0 {
		total := sum / float64(weights)
		points := int(math.Floor(total + 1e-9))
		sc.Total, sc.Points, sc.Grade = &total, &points, Grade(total)
	}
	return sc
}

// ---- helpers ----

func notMeasured(c Check, why string) Check {
	c.Verdict, c.Figure, c.Value = NotMeasured, why, nil
	return c
}

func measured(c Check, v float64, figure string, verdict Verdict) Check {
	c.Value, c.Figure, c.Verdict = &v, figure, verdict
	return c
}

// bandHigh grades a figure where higher is better.
func bandHigh(v, pass, warn float64) Verdict {
	switch {
	case v >= pass:
		return Pass
	case v >= warn:
		return Warn
	}
	return Fail
}

// bandRate grades a count of faults per event: none passes, up to warnShare
// warns, more fails.
func bandRate(n, of int64, warnShare float64) Verdict {
	switch {
	case n == 0:
		return Pass
	case float64(n) <= warnShare*float64(of):
		return Warn
	}
	return Fail
}

func pct(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" }

func share(n, of int64) string {
	return fmt.Sprintf("%s (%s of %s)", pct(float64(n)/float64(of)), count(n), count(of))
}

// count prints n with thousands separators.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

func codeCount(c *Counts, codes ...string) int64 {
	var n int64
	for _, code := range codes {
		n += c.FindingsByCode[code]
	}
	return n
}

func events(c *Counts) int64 { return c.ClientEvents + c.ServerEvents }

// ---- sections ----

func sgtmChecks(s *Summary, inv *Inventory) []Check {
	var out []Check

	c := Check{ID: "sgtm.custom_domain", Title: "sGTM on a first-party custom domain", Source: "inventory",
		Thresholds: "yes pass, no fail",
		Advice:     "Serve the sGTM container from a subdomain of the site (e.g. sst.example.com) so its cookies are first-party."}
	switch {
	case inv.CustomDomain == nil:
		out = append(out, notMeasured(c, "not stated in the inventory"))
	case *inv.CustomDomain:
		out = append(out, measured(c, 1, "yes", Pass))
	default:
		out = append(out, measured(c, 0, "no", Fail))
	}

	c = Check{ID: "sgtm.hosting", Title: "sGTM hosting", Source: "inventory",
		Thresholds: "stape, cloud_run, self_hosted, other pass; app_engine warn; none fail", HousePolicy: true,
		Advice: "Run server-side GTM on managed hosting (Cloud Run, a managed host such as Stape, or your own cluster)."}
	switch inv.SGTMHosting {
	case "":
		out = append(out, notMeasured(c, "not stated in the inventory"))
	case "none":
		out = append(out, measured(c, 0, "none", Fail))
	case "app_engine":
		out = append(out, measured(c, 0.5, "app_engine", Warn))
	default:
		out = append(out, measured(c, 1, inv.SGTMHosting, Pass))
	}

	c = Check{ID: "sgtm.ga4_server_side", Title: "GA4 events arriving server-side", Source: "streams",
		Thresholds: "GA4 server ÷ client events ≥ 80% pass, 50–79% warn, < 50% fail", HousePolicy: true,
		Advice: "Route GA4 hits through the sGTM container so every browser event reaches the server side."}
	g := s.Destination("ga4")
	switch {
	case g == nil || events(g) == 0:
		out = append(out, notMeasured(c, "no GA4 events"))
	case g.ClientEvents == 0:
		out = append(out, measured(c, 1, fmt.Sprintf("%s server events, no browser events", count(g.ServerEvents)), Pass))
	default:
		r := *g.HitRatio
		out = append(out, measured(c, r, share(g.ServerEvents, g.ClientEvents), bandHigh(r, 0.8, 0.5)))
	}

	c = Check{ID: "sgtm.click_ids", Title: "Click ids preserved (no CLICKID_DROPPED, CLICKID_FBCLID_MODIFIED)", Source: "streams",
		Thresholds: "none pass, ≤ 1% of matched pairs warn, more fail", HousePolicy: true,
		Advice: "Forward gclid/gbraid/wbraid/fbclid and fbc unchanged from the browser to the server events."}
	if s.Total.Matched == 0 {
		out = append(out, notMeasured(c, "no matched pairs"))
	} else {
		n := codeCount(&s.Total, "CLICKID_DROPPED", "CLICKID_FBCLID_MODIFIED")
		out = append(out, measured(c, float64(n), fmt.Sprintf("%s findings in %s matched pairs", count(n), count(s.Total.Matched)),
			bandRate(n, s.Total.Matched, 0.01)))
	}

	c = Check{ID: "sgtm.ip_ua", Title: "IP and user agent preserved (Meta server events with both)", Source: "streams",
		Thresholds: "≥ 95% pass, 80–94% warn, < 80% fail", HousePolicy: true,
		Advice: "Pass the visitor's client_ip_address and client_user_agent (not the server's) on every CAPI event."}
	if r := s.Roadmap("meta"); r == nil || r.ServerEvents == 0 {
		out = append(out, notMeasured(c, "no Meta server events in the audit records"))
	} else {
		v := float64(r.IPAndUA) / float64(r.ServerEvents)
		out = append(out, measured(c, v, share(r.IPAndUA, r.ServerEvents), bandHigh(v, 0.95, 0.8)))
	}

	c = Check{ID: "sgtm.no_server_pii", Title: "No PII leaving the server (server-side PII_LEAK)", Source: "streams",
		Thresholds: "none pass, any fail",
		Advice:     "Strip PII from server-side URLs and custom parameters before they leave the sGTM container."}
	if s.AuditRecords == 0 {
		out = append(out, notMeasured(c, "no audit records"))
	} else {
		var n int64
		for _, l := range s.PIILeaks {
			if l.Side == "server" {
				n += l.Count
			}
		}
		v := Pass
		if n > 0 {
			v = Fail
		}
		out = append(out, measured(c, float64(n), count(n)+" leaks", v))
	}
	return out
}

func capiChecks(s *Summary, inv *Inventory) []Check {
	var out []Check
	m := s.Destination("meta")

	c := Check{ID: "capi.present", Title: "Meta Conversions API present", Source: "streams",
		Thresholds: "Meta server events pass; browser events without any server event fail",
		Advice:     "Send Meta events server-side through the Conversions API as well as the Pixel."}
	switch {
	case m != nil && m.ServerEvents > 0:
		out = append(out, measured(c, float64(m.ServerEvents), count(m.ServerEvents)+" server events", Pass))
	case m != nil && m.ClientEvents > 0:
		out = append(out, measured(c, 0, fmt.Sprintf("no server events (%s Pixel events)", count(m.ClientEvents)), Fail))
	case inv.CAPIMethod == "none":
		out = append(out, measured(c, 0, "none (inventory)", Fail))
	default:
		out = append(out, notMeasured(c, "no Meta events"))
	}

	c = Check{ID: "capi.method", Title: "CAPI method (gateway / direct / partner)", Source: "inventory",
		Thresholds: "gateway, direct or partner pass; none fail",
		Advice:     "Choose a CAPI method: the Conversions API Gateway, a direct integration (sGTM Meta tag) or a partner integration."}
	switch inv.CAPIMethod {
	case "":
		out = append(out, notMeasured(c, "not stated in the inventory"))
	case "none":
		out = append(out, measured(c, 0, "none", Fail))
	default:
		f := inv.CAPIMethod
		if inv.CAPIPartner != "" {
			f += " (" + inv.CAPIPartner + ")"
		}
		out = append(out, measured(c, 1, f, Pass))
	}

	c = Check{ID: "capi.major_events", Title: "All major events server-side", Source: "streams",
		Thresholds: "every major Meta event seen also server-side pass, at least half warn, fewer fail", HousePolicy: true,
		Advice: "Send every major event (ViewContent, AddToCart, InitiateCheckout, Purchase, Lead, CompleteRegistration) through CAPI too."}
	var seen, server int64
	for _, name := range metaTestEvents {
		if e := s.Event("meta", name); e != nil && events(e) > 0 {
			seen++
			if e.ServerEvents > 0 {
				server++
			}
		}
	}
	if seen == 0 {
		out = append(out, notMeasured(c, "no major Meta events"))
	} else {
		v := float64(server) / float64(seen)
		out = append(out, measured(c, v, fmt.Sprintf("%d of %d event names", server, seen), bandHigh(v, 1, 0.5)))
	}

	c = Check{ID: "capi.emq_purchase", Title: "EMQ estimate, Purchase", Source: "streams",
		Thresholds: "≥ 8.0 pass, 6.0–7.9 warn, < 6.0 fail (sstaudit's heuristic estimate; Meta publishes no weights)", HousePolicy: true,
		Advice: "Raise Purchase match quality: add hashed em and ph, fbc/fbp and external_id (see the EMQ roadmap)."}
	switch e := s.Event("meta", "Purchase"); {
	case e == nil || e.EMQEstimateAvg == nil:
		out = append(out, notMeasured(c, "no Meta Purchase server events"))
	case *e.EMQEstimateAvg == 0 && e.MatchKeysAvg != nil && *e.MatchKeysAvg > 0:
		// Match keys present yet an estimate of exactly 0: the pipeline ran
		// without an EMQ estimator, so there is no figure to grade.
		out = append(out, notMeasured(c, "no EMQ estimate in the records (estimator not configured)"))
	default:
		v := *e.EMQEstimateAvg
		out = append(out, measured(c, v, strconv.FormatFloat(v, 'f', 1, 64)+" / 10", bandHigh(v, 8.0, 6.0)))
	}

	c = Check{ID: "capi.completeness", Title: "Match-key completeness (mean keys per Meta server event)", Source: "streams",
		Thresholds: "≥ 6 pass, 4–5 warn, < 4 fail", HousePolicy: true,
		Advice: "Send more customer-information keys on each server event (see the EMQ roadmap)."}
	if m == nil || m.MatchKeysAvg == nil {
		out = append(out, notMeasured(c, "no Meta server events with match keys"))
	} else {
		v := *m.MatchKeysAvg
		out = append(out, measured(c, v, strconv.FormatFloat(v, 'f', 1, 64)+" keys", bandHigh(v, 6, 4)))
	}

	c = Check{ID: "capi.action_source", Title: "action_source set and valid on Meta server events", Source: "streams",
		Thresholds: "≥ 99% pass, 90–98% warn, < 90% fail", HousePolicy: true,
		Advice: "Set action_source (\"website\" for web events) on every CAPI event."}
	if r := s.Roadmap("meta"); r == nil || r.ServerEvents == 0 {
		out = append(out, notMeasured(c, "no Meta server events in the audit records"))
	} else {
		v := float64(r.ActionSource) / float64(r.ServerEvents)
		out = append(out, measured(c, v, share(r.ActionSource, r.ServerEvents), bandHigh(v, 0.99, 0.9)))
	}
	return out
}

func dedupChecks(s *Summary) []Check {
	var out []Check
	t := &s.Total

	c := Check{ID: "dedup.rate", Title: "Dedup rate (matched ÷ server events)", Source: "streams",
		Thresholds: "≥ 90% pass, 70–89% warn, < 70% fail",
		Advice:     "Send the same event_id and event_name from browser and server for every event."}
	if t.DedupRate == nil {
		out = append(out, notMeasured(c, "no server events"))
	} else {
		out = append(out, measured(c, *t.DedupRate, share(t.Matched, t.ServerEvents), bandHigh(*t.DedupRate, 0.9, 0.7)))
	}

	c = Check{ID: "dedup.event_id_coverage", Title: "event_id coverage (lower of the two sides)", Source: "streams",
		Thresholds: "≥ 99% pass, 90–98% warn, < 90% fail", HousePolicy: true,
		Advice: "Give every browser and server event an event_id (an order id or a shared random value)."}
	switch cl, sv := t.EventIDCoverageClient, t.EventIDCoverageServer; {
	case cl == nil && sv == nil:
		out = append(out, notMeasured(c, "no events"))
	default:
		v, side, n, of := 2.0, "", int64(0), int64(0)
		if cl != nil && *cl < v {
			v, side, n, of = *cl, "browser", t.ClientEvents-t.EventIDMissingClient, t.ClientEvents
		}
		if sv != nil && *sv < v {
			v, side, n, of = *sv, "server", t.ServerEvents-t.EventIDMissingServer, t.ServerEvents
		}
		out = append(out, measured(c, v, side+" "+share(n, of), bandHigh(v, 0.99, 0.9)))
	}

	c = Check{ID: "dedup.alignment", Title: "Alignment rate (matched pairs within 5 min)", Source: "streams",
		Thresholds: "≥ 95% pass, 80–94% warn, < 80% fail", HousePolicy: true,
		Advice: "Send server events as they happen (not in delayed batches) and use the browser's event time."}
	if t.AlignmentRate == nil {
		out = append(out, notMeasured(c, "no matched pairs"))
	} else {
		out = append(out, measured(c, *t.AlignmentRate, share(t.Aligned, t.Matched), bandHigh(*t.AlignmentRate, 0.95, 0.8)))
	}

	c = Check{ID: "dedup.name_consistency", Title: "Name consistency (DEDUP_NAME_MISMATCH)", Source: "streams",
		Thresholds: "none pass, ≤ 1% of matched pairs warn, more fail", HousePolicy: true,
		Advice: "Use identical, case-sensitive event names on both sides (Purchase, not purchase)."}
	if t.Matched == 0 {
		out = append(out, notMeasured(c, "no matched pairs"))
	} else {
		n := codeCount(t, "DEDUP_NAME_MISMATCH")
		out = append(out, measured(c, float64(n), fmt.Sprintf("%s of %s matched pairs", count(n), count(t.Matched)), bandRate(n, t.Matched, 0.01)))
	}
	return out
}

// hitRatioEvents are the events the hit-ratio section scores.
var hitRatioEvents = []struct{ dest, name string }{
	{"meta", "Purchase"}, {"meta", "Lead"}, {"ga4", "purchase"}, {"ga4", "generate_lead"},
}

// HitRatioVerdict grades a hit ratio (SPEC §8, house policy): 80–120% pass,
// > 120% warn (double send?), 50–79% warn, < 50% fail.
func HitRatioVerdict(r float64) Verdict {
	switch {
	case r > 1.2:
		return Warn
	case r >= 0.8:
		return Pass
	case r >= 0.5:
		return Warn
	}
	return Fail
}

func hitRatioChecks(s *Summary) []Check {
	var out []Check
	for _, he := range hitRatioEvents {
		c := Check{ID: "hit_ratio." + he.dest + "." + he.name, Title: fmt.Sprintf("Hit ratio, %s %s", he.dest, he.name), Source: "streams",
			Thresholds: "80–120% pass, > 120% warn (double send?), 50–79% warn, < 50% fail", HousePolicy: true,
			Advice: "Make every browser " + he.name + " produce exactly one server event with the same event_id."}
		e := s.Event(he.dest, he.name)
		switch {
		case e == nil || events(e) == 0:
			out = append(out, notMeasured(c, "no events"))
		case e.ClientEvents == 0:
			out = append(out, measured(c, math.Inf(1), fmt.Sprintf("%s server events, no browser events", count(e.ServerEvents)), Warn))
			out[len(out)-1].Value = nil // JSON has no infinity
		default:
			r := *e.HitRatio
			out = append(out, measured(c, r, fmt.Sprintf("%s (%s server ÷ %s browser)", pct(r), count(e.ServerEvents), count(e.ClientEvents)), HitRatioVerdict(r)))
		}
	}
	return out
}

// TestEventsVerdict grades the number of validated test events (SPEC §8):
// 6 pass, 3–5 warn, fewer fail.
func TestEventsVerdict(n int) Verdict {
	switch {
	case n >= 6:
		return Pass
	case n >= 3:
		return Warn
	}
	return Fail
}

func testEventChecks(s *Summary) []Check {
	c := Check{ID: "test_events.validated", Title: "Test events validated end-to-end", Source: "streams",
		Thresholds: "6 pass, 3–5 warn, < 3 fail",
		Advice:     "Fire each standard event once from the browser with the same event_id and name on the server, free of fail findings."}
	if s.AuditRecords == 0 {
		return []Check{notMeasured(c, "no audit records")}
	}
	n := 0
	for _, t := range s.TestEvents {
		if t.Validated {
			n++
		}
	}
	return []Check{measured(c, float64(n), fmt.Sprintf("%d of 6", n), TestEventsVerdict(n))}
}

// hashQualityCodes are the hashing codes the hash-quality check counts
// (plaintext and double hashing have checks of their own).
var hashQualityCodes = []string{"HASH_FORMAT", "HASH_WEAK_ALGO", "HASH_SENTINEL", "HASH_NOT_NORMALIZED",
	"HASH_CROSS_SIDE_MISMATCH", "HASH_FORBIDDEN", "HASH_OUTSIDE_USER_DATA"}

func hashChecks(s *Summary) []Check {
	t := &s.Total
	n := events(t)
	checks := []Check{
		{ID: "hash.quality", Title: "Hash quality (format, algorithm, sentinel, normalisation, forbidden)", Source: "streams",
			Thresholds: "none pass, ≤ 1% of events warn, more fail", HousePolicy: true,
			Advice: "Normalise, then SHA-256 to lowercase hex; never hash ip, user agent, fbc or fbp."},
		{ID: "hash.plaintext", Title: "No plaintext in hash-required fields (HASH_PLAINTEXT)", Source: "streams",
			Thresholds: "none pass, any fail",
			Advice:     "Hash em, ph, fn, ln, ct, st, zp, country, db and ge before sending."},
		{ID: "hash.double", Title: "No double hashing (HASH_DOUBLE)", Source: "streams",
			Thresholds: "none pass, ≤ 1% of events warn, more fail", HousePolicy: true,
			Advice: "Hash once: skip values that are already 64-char lowercase hex."},
		{ID: "hash.consent", Title: "Consent honoured (CONSENT_PII_WITHOUT_CONSENT, CONSENT_MISMATCH)", Source: "streams",
			Thresholds: "none pass, mismatches only warn, PII without consent fail",
			Advice:     "Drop match keys and PII server-side when the browser denied ad_user_data."},
		{ID: "hash.pii_leaks", Title: "No PII leaks (PII_LEAK)", Source: "streams",
			Thresholds: "none pass, any fail",
			Advice:     "Remove PII from URLs, custom parameters and free text (see PII leaks)."},
	}
	if n == 0 {
		for i := range checks {
			checks[i] = notMeasured(checks[i], "no events")
		}
		return checks
	}
	q := codeCount(t, hashQualityCodes...)
	checks[0] = measured(checks[0], float64(q), fmt.Sprintf("%s findings in %s events", count(q), count(n)), bandRate(q, n, 0.01))
	p := codeCount(t, "HASH_PLAINTEXT")
	checks[1] = measured(checks[1], float64(p), count(p)+" findings", bandRate(p, n, 0))
	d := codeCount(t, "HASH_DOUBLE")
	checks[2] = measured(checks[2], float64(d), fmt.Sprintf("%s findings in %s events", count(d), count(n)), bandRate(d, n, 0.01))
	without, mismatch := codeCount(t, "CONSENT_PII_WITHOUT_CONSENT"), codeCount(t, "CONSENT_MISMATCH")
	v := Pass
	switch {
	case without > 0:
		v = Fail
	case mismatch > 0:
		v = Warn
	}
	checks[3] = measured(checks[3], float64(without+mismatch),
		fmt.Sprintf("%s without consent, %s mismatches", count(without), count(mismatch)), v)
	l := t.PIILeaks
	checks[4] = measured(checks[4], float64(l), count(l)+" leaks", bandRate(l, n, 0))
	return checks
}
