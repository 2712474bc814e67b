package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// Report is everything the audit report shows; WriteMarkdown and WriteJSON
// render it. Build it with Build.
type Report struct {
	Title       string     `json:"title"`
	GeneratedAt time.Time  `json:"generated_at"`
	Since       *time.Time `json:"since"` // nil: from the start of the topics
	Until       *time.Time `json:"until"` // nil: to their end when the report started
	Inventory   *Inventory `json:"inventory"`
	Score       Score      `json:"score"`
	Summary     Summary    `json:"summary"`
	Checklist   []Item     `json:"checklist"`
}

// Item is one pre-launch checklist entry.
type Item struct {
	Text string `json:"text"`
	// Status is pass, warn, fail or not_measured: the worst verdict of the
	// checks it rests on (not_measured only when none was measured).
	Status Verdict  `json:"status"`
	Checks []string `json:"checks"` // the check ids it rests on; empty for manual items
	// Fix lists the advice of the failing or warning checks.
	Fix []string `json:"fix,omitempty"`
}

// Options are what Build needs besides the data.
type Options struct {
	Now          time.Time // the report's clock (injected so reports are deterministic)
	Since, Until time.Time // zero: unbounded
}

// Build scores s with inv (nil: no inventory) and assembles the report.
func Build(s Summary, inv *Inventory, o Options) Report {
	r := Report{
		Title:       "Server-Side Tracking Audit",
		GeneratedAt: o.Now.UTC(),
		Inventory:   inv,
		Score:       Evaluate(s, inv),
		Summary:     s,
	}
	if inv != nil && inv.Site != "" {
		r.Title += ": " + inv.Site
	}
	if !o.Since.IsZero() {
		t := o.Since.UTC()
		r.Since = &t
	}
	if !o.Until.IsZero() {
		t := o.Until.UTC()
		r.Until = &t
	}
	r.Checklist = checklist(r.Score)
	return r
}

// standardItems are the pre-launch checklist, each resting on checks.
var standardItems = []struct {
	text   string
	checks []string
}{
	{"sGTM runs on managed hosting, on a first-party custom domain", []string{"sgtm.hosting", "sgtm.custom_domain"}},
	{"GA4 events reach the server side, with click ids, IP and user agent preserved", []string{"sgtm.ga4_server_side", "sgtm.click_ids", "sgtm.ip_ua"}},
	{"Meta CAPI is live (gateway, direct or partner) for every major event", []string{"capi.present", "capi.method", "capi.major_events"}},
	{"Every CAPI event carries action_source and enough match keys (EMQ roadmap)", []string{"capi.action_source", "capi.completeness", "capi.emq_purchase"}},
	{"Browser and server send the same event_id and case-sensitive event_name", []string{"dedup.event_id_coverage", "dedup.name_consistency", "dedup.rate"}},
	{"Server events are sent within 5 minutes of the browser's", []string{"dedup.alignment"}},
	{"Purchase and Lead hit ratios within 80–120% (house policy)", []string{"hit_ratio.meta.Purchase", "hit_ratio.meta.Lead", "hit_ratio.ga4.purchase", "hit_ratio.ga4.generate_lead"}},
	{"The six standard test events validated end-to-end (also in Meta's Test Events tool)", []string{"test_events.validated"}},
	{"Customer information normalised and SHA-256 hashed once; ip, user agent, fbc, fbp unhashed", []string{"hash.quality", "hash.plaintext", "hash.double"}},
	{"Consent denials honoured server-side; no PII in URLs or custom parameters", []string{"hash.consent", "hash.pii_leaks", "sgtm.no_server_pii"}},
	{"Findings and metrics topics monitored (dashboard or alerts) after launch", nil},
}

func checklist(sc Score) []Item {
	byID := map[string]Check{}
	for _, sec := range sc.Sections {
		for _, c := range sec.Checks {
			byID[c.ID] = c
		}
	}
	rank := map[Verdict]int{NotMeasured: 0, Pass: 1, Warn: 2, Fail: 3}
	out := make([]Item, 0, len(standardItems))
	for _, si := range standardItems {
		it := Item{Text: si.text, Status: NotMeasured, Checks: []string{}}
		if si.checks != nil {
			it.Checks = slices.Clone(si.checks)
		}
		for _, id := range si.checks {
			c, ok := byID[id]
			if !ok {
				continue
			}
			if rank[c.Verdict] > rank[it.Status] {
				it.Status = c.Verdict
			}
			if (c.Verdict == Warn || c.Verdict == Fail) && !slices.Contains(it.Fix, c.Advice) {
				it.Fix = append(it.Fix, c.Advice)
			}
		}
		out = append(out, it)
	}
	return out
}

// WriteJSON writes r as indented JSON: the machine-readable twin of the
// Markdown report.
func WriteJSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// Render writes the full Markdown report to a terminal (or anything): the
// same text as WriteMarkdown.
func Render(w io.Writer, r Report) error { return WriteMarkdown(w, r) }

// scoreLabels are the score block's labels, short enough for a 21-column
// label field (SPEC §8's sample line).
var scoreLabels = map[string]string{
	"sgtm": "sGTM Pipeline:", "capi": "CAPI:", "dedup": "Deduplication:",
	"hit_ratio": "Hit Ratio:", "test_events": "Test Events:", "hash_pii": "Hash Quality & PII:",
}

// WriteScoreBlock writes the score lines of SPEC §8:
//
//	Server-Side Tracking Health Score: 72/100 (Grade: C)
//	sGTM Pipeline:        80/100 ████████░░ (20%)
func WriteScoreBlock(w io.Writer, sc Score) error {
	var b strings.Builder
	if sc.Points == nil {
		b.WriteString("Server-Side Tracking Health Score: n/a (nothing measured)\n")
	} else {
		fmt.Fprintf(&b, "Server-Side Tracking Health Score: %d/100 (Grade: %s)\n", *sc.Points, sc.Grade)
	}
	for _, sec := range sc.Sections {
		label := scoreLabels[sec.ID]
		if label == "" {
			label = sec.Title + ":"
		}
		if sec.Score == nil {
			fmt.Fprintf(&b, "%-21s%3s/100 %s (%d%%, not measured)\n", label, "n/a", strings.Repeat("░", 10), sec.Weight)
			continue
		}
		pts := int(math.Floor(*sec.Score + 1e-9))
		fmt.Fprintf(&b, "%-21s%3d/100 %s (%d%%)\n", label, pts, bar(pts), sec.Weight)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func bar(pts int) string {
	n := max(0, min(10, pts/10))
	return strings.Repeat("█", n) + strings.Repeat("░", 10-n)
}

var verdictText = map[Verdict]string{Pass: "PASS", Warn: "WARN", Fail: "FAIL", NotMeasured: "not measured"}

var checkMark = map[Verdict]string{Pass: "[x]", Warn: "[ ]", Fail: "[ ]", NotMeasured: "[ ]"}

// WriteMarkdown writes the report as SERVER-SIDE-TRACKING-AUDIT.md.
func WriteMarkdown(w io.Writer, r Report) error {
	var b strings.Builder
	s := &r.Summary
	fmt.Fprintf(&b, "# %s\n\n", r.Title)
	fmt.Fprintf(&b, "Generated %s by sstaudit. Period: %s to %s.\n", r.GeneratedAt.Format(time.RFC3339), bound(r.Since, "the start of the topics"), bound(r.Until, "their end"))
	fmt.Fprintf(&b, "Read %s audit records (%s redelivered, dropped) and %s window metrics (%s redelivered, dropped).\n\n",
		count(s.AuditRecords), count(s.DuplicateAuditRecords), count(s.WindowMetrics), count(s.DuplicateWindowMetrics+s.LateWindowMetrics))

	b.WriteString("```\n")
	_ = WriteScoreBlock(&b, r.Score)
	b.WriteString("```\n\n")
	if r.Score.Points != nil && r.Score.MeasuredWeight < 100 {
		fmt.Fprintf(&b, "Sections not measured carry no points; the total rescales the weights of the measured sections (%d%% of the weight) to 100.\n\n", r.Score.MeasuredWeight)
	}
	b.WriteString("Grades: A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, F below. A check scores PASS 100, WARN 50, FAIL 0; a section is the mean of its measured checks. " +
		"Thresholds marked *house policy* are sstaudit's defaults, not Meta or Google rules.\n\n")

	b.WriteString("## Totals\n\n")
	t := &s.Total
	b.WriteString("| | browser events | server events | matched | client only | server only | duplicates | unjoinable | hit ratio | dedup rate | alignment rate |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, d := range s.Destinations {
		countsRow(&b, d.Destination, &d.Counts)
	}
	countsRow(&b, "**all**", t)
	fmt.Fprintf(&b, "\nevent_id coverage: browser %s, server %s. Findings: %s critical, %s fail, %s warn, %s info.\n\n",
		optPct(t.EventIDCoverageClient), optPct(t.EventIDCoverageServer),
		count(t.FindingsBySeverity.Critical), count(t.FindingsBySeverity.Fail), count(t.FindingsBySeverity.Warn), count(t.FindingsBySeverity.Info))

	b.WriteString("## Checks\n")
	for _, sec := range r.Score.Sections {
		score := "not measured"
		if sec.Score != nil {
			score = fmt.Sprintf("%d/100", int(math.Floor(*sec.Score+1e-9)))
		}
		fmt.Fprintf(&b, "\n### %s — %s (weight %d%%)\n\n", sec.Title, score, sec.Weight)
		b.WriteString("| check | measured | verdict | thresholds |\n|---|---|---|---|\n")
		for _, c := range sec.Checks {
			th := c.Thresholds
			if c.HousePolicy {
				th += " (*house policy*)"
			}
			src := ""
			if c.Source == "inventory" {
				src = " (inventory)"
			}
			fmt.Fprintf(&b, "| %s%s | %s | %s | %s |\n", cell(c.Title), src, cell(c.Figure), verdictText[c.Verdict], cell(th))
		}
	}

	b.WriteString("\n## Top findings\n\n")
	if len(s.Findings) == 0 {
		b.WriteString("No findings.\n")
	} else {
		b.WriteString("| code | severity | count | example event_ids |\n|---|---|---:|---|\n")
		for i, f := range s.Findings {
			if i == 20 {
				fmt.Fprintf(&b, "\n%d more codes in the JSON report.\n", len(s.Findings)-20)
				break
			}
			sev := f.Severity
			if sev == "" {
				sev = "—"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", f.Code, sev, count(f.Count), examples(f.ExampleIDs))
		}
	}

	b.WriteString("\n## PII leaks\n\n")
	if len(s.PIILeaks) == 0 {
		b.WriteString("No PII_LEAK findings in the audit records.\n")
	} else {
		b.WriteString("Values are never shown; paths have array indices replaced by `[*]`.\n\n")
		b.WriteString("| entity | side | path | count |\n|---|---|---|---:|\n")
		for _, l := range s.PIILeaks {
			fmt.Fprintf(&b, "| %s | %s | `%s` | %s |\n", l.Entity, l.Side, cell(l.Path), count(l.Count))
		}
	}

	b.WriteString("\n## Hit ratio per event\n\n")
	b.WriteString("Bands (*house policy*): 80–120% pass, > 120% warn (double send?), 50–79% warn, < 50% fail.\n\n")
	if len(s.Events) == 0 {
		b.WriteString("No window metrics.\n")
	} else {
		b.WriteString("| destination | event | browser | server | hit ratio | band | dedup rate | alignment | skew p50 / p95 / max | EMQ |\n")
		b.WriteString("|---|---|---:|---:|---:|---|---:|---:|---|---:|\n")
		for _, e := range s.Events {
			band := "—"
			switch {
			case e.HitRatio != nil:
				band = verdictText[HitRatioVerdict(*e.HitRatio)]
			case e.ServerEvents > 0:
				band = "no browser events"
			}
			emq := "—"
			if e.EMQEstimateAvg != nil {
				emq = fmt.Sprintf("%.1f", *e.EMQEstimateAvg)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %s |\n", e.Destination, cell(e.EventName),
				count(e.ClientEvents), count(e.ServerEvents), optPct(e.HitRatio), band, optPct(e.DedupRate), optPct(e.AlignmentRate),
				optMs(e.SkewMsP50), optMs(e.SkewMsP95), optMs(e.SkewMsMax), emq)
		}
	}

	b.WriteString("\n## Test-event validation log\n\n")
	b.WriteString("An event validates when one pair is matched on both sides with the same event_id and name and carries no fail or critical finding.\n\n")
	b.WriteString("| event | status | first validated | example event_id | per destination |\n|---|---|---|---|---|\n")
	for _, te := range s.TestEvents {
		status, when, ex := "not validated", "—", "—"
		if te.Validated {
			status, when, ex = "validated", te.FirstValidatedAt.Format(time.RFC3339), "`"+te.ExampleEventID+"`"
		}
		var per []string
		for _, sd := range te.Sides {
			p := fmt.Sprintf("%s `%s`: %s seen, %s matched, %s validated", sd.Destination, sd.EventName, count(sd.Seen), count(sd.Matched), count(sd.Validated))
			if len(sd.Blockers) > 0 {
				p += fmt.Sprintf("; blocked by %s (%s)", sd.Blockers[0].Reason, count(sd.Blockers[0].Count))
			}
			per = append(per, p)
		}
		if len(per) == 0 {
			per = []string{"never seen"}
		}
		fmt.Fprintf(&b, "| %s / %s | %s | %s | %s | %s |\n", te.Name, te.GA4Name, status, when, ex, cell(strings.Join(per, "<br>")))
	}

	b.WriteString("\n## EMQ improvement roadmap\n\n")
	if len(s.Roadmaps) == 0 {
		b.WriteString("No server events with match keys in the audit records.\n")
	}
	for i, rm := range s.Roadmaps {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "### %s (%s server events)\n\n", rm.Destination, count(rm.ServerEvents))
		if rm.Destination == "meta" {
			b.WriteString("Ordered by the usual third-party ranking of match keys (1 em, ph; 2 fbc, fbp, external_id; 3 IP + UA; 4 the rest) — Meta publishes no weights — then by events lacking the key.\n\n")
			b.WriteString("| priority | key | coverage | events lacking it |\n|---:|---|---:|---:|\n")
			for _, k := range rm.Keys {
				fmt.Fprintf(&b, "| %d | `%s` | %s | %s |\n", k.Priority, k.Key, pct(k.Coverage), count(k.Missing))
			}
		} else {
			b.WriteString("| key | coverage | events lacking it |\n|---|---:|---:|\n")
			for _, k := range rm.Keys {
				fmt.Fprintf(&b, "| `%s` | %s | %s |\n", k.Key, pct(k.Coverage), count(k.Missing))
			}
		}
	}

	b.WriteString("\n## Pre-launch checklist\n\n")
	var fixes []Check
	for _, sec := range r.Score.Sections {
		for _, c := range sec.Checks {
			if c.Verdict == Fail || c.Verdict == Warn {
				fixes = append(fixes, c)
			}
		}
	}
	slices.SortStableFunc(fixes, func(x, y Check) int { return cmp.Compare(rankFix(x.Verdict), rankFix(y.Verdict)) })
	if len(fixes) > 0 {
		b.WriteString("Fix first:\n\n")
		for _, c := range fixes {
			fmt.Fprintf(&b, "- [ ] **%s** %s — %s (measured: %s)\n", verdictText[c.Verdict], c.Title, c.Advice, c.Figure)
		}
		b.WriteString("\nStandard items:\n\n")
	}
	for _, it := range r.Checklist {
		note := ""
		switch it.Status {
		case NotMeasured:
			note = " — not measured: verify by hand"
		case Warn, Fail:
			note = " — " + verdictText[it.Status]
		}
		fmt.Fprintf(&b, "- %s %s%s\n", checkMark[it.Status], it.Text, note)
	}

	if inv := r.Inventory; inv != nil {
		b.WriteString("\n## Inventory\n\n")
		fmt.Fprintf(&b, "- sGTM hosting: %s\n", orNone(inv.SGTMHosting))
		cd := "not stated"
		if inv.CustomDomain != nil {
			cd = map[bool]string{true: "yes", false: "no"}[*inv.CustomDomain]
		}
		fmt.Fprintf(&b, "- custom first-party domain: %s\n", cd)
		m := orNone(inv.CAPIMethod)
		if inv.CAPIPartner != "" {
			m += " (" + inv.CAPIPartner + ")"
		}
		fmt.Fprintf(&b, "- CAPI method: %s\n", m)
		if inv.Notes != "" {
			fmt.Fprintf(&b, "- notes: %s\n", strings.TrimSpace(inv.Notes))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func rankFix(v Verdict) int {
	if v == Fail {
		return 0
	}
	return 1
}

func countsRow(b *strings.Builder, name string, c *Counts) {
	fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", name,
		count(c.ClientEvents), count(c.ServerEvents), count(c.Matched), count(c.ClientOnly), count(c.ServerOnly),
		count(c.Duplicates), count(c.Unjoinable), optPct(c.HitRatio), optPct(c.DedupRate), optPct(c.AlignmentRate))
}

func bound(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.Format(time.RFC3339)
}

func optPct(v *float64) string {
	if v == nil {
		return "—"
	}
	return pct(*v)
}

func optMs(v *int64) string {
	if v == nil {
		return "—"
	}
	return (time.Duration(*v) * time.Millisecond).String()
}

func examples(ids []string) string {
	if len(ids) == 0 {
		return "—"
	}
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = "`" + cell(id) + "`"
	}
	return strings.Join(q, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "not stated"
	}
	return s
}

// cell makes s safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}
