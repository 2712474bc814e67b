package dashboard

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/sstaudit/sstaudit/processors/report"
	"github.com/sstaudit/sstaudit/schemas"
)

//go:embed page.html.tmpl
var pageSrc string

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"count": count,
	"f1":    func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) },
}).Parse(pageSrc))

// Chart geometry, in SVG user units.
const (
	barW      = 300.0 // section bars
	rateBarW  = 170.0 // rate bars
	rowH      = 34.0
	multW     = 260.0 // one hit-ratio small multiple
	multH     = 96.0
	multPad   = 6.0
	multRange = 2.0 // hit ratios drawn up to 200%; above, clipped to the top
	histW     = 560.0
	histH     = 220.0
	histBase  = 180.0 // y of the histogram's baseline
	gaugeR    = 64.0
)

// page is the template's model: View plus the geometry of its charts.
type page struct {
	V        View
	Refresh  int
	Gauge    gauge
	Sections []hbar
	SecH     float64
	Rates    []hbar
	RateH    float64
	Mults    []multiple
	MultFrom string
	MultTo   string
	Hist     []vbar
	HistMax  int64
	SkewP50  string
	SkewP95  string
	SkewMax  string
	Sev      []segment
	SevTotal int64
	Findings []findingRow
	Leaks    []report.PIILeak
	Tests    []testTile
	TestsOK  int
}

type gauge struct {
	Points, Grade, Class string
	Dash, Circ           float64
	Measured             int
}

type hbar struct {
	Label, Figure, Class, Note string
	Y, W, Tick                 float64
	HasTick                    bool
}

type multiple struct {
	Title, Class, Line  string
	Last                string // the series' overall hit ratio
	Dots                []dot
	BandY, BandH, FullY float64
	Windows             int
}

type dot struct {
	X, Y  float64
	Class string // the window's own verdict
}

type vbar struct {
	Label, Class  string
	Count         int64
	X, Y, W, H, M float64
}

type segment struct {
	Severity, Class string
	Count           int64
	X, W            float64
}

type findingRow struct {
	Code, Severity, Class string
	Count                 int64
	W                     float64
	Examples              []string
}

type testTile struct {
	Name, GA4Name, Class, Status, First, Example string
	Sides                                        []report.TestEventSide
}

func render(w io.Writer, v View, refresh time.Duration) error {
	p := page{V: v, Refresh: max(1, int(refresh.Round(time.Second)/time.Second))}
	p.Gauge = newGauge(v.Score)
	p.Sections, p.SecH = sectionBars(v.Score)
	p.Rates, p.RateH = rateBars(v)
	p.Mults, p.MultFrom, p.MultTo = multiples(v.Series)
	p.Hist, p.HistMax = histogram(v.Skew, v.AlignmentMs)
	p.SkewP50, p.SkewP95, p.SkewMax = ms(v.Skew.P50Ms), ms(v.Skew.P95Ms), ms(v.Skew.MaxMs)
	p.Sev, p.SevTotal = severities(v.Summary.Total.FindingsBySeverity)
	p.Findings = findingRows(v.Summary.Findings)
	p.Leaks = v.Summary.PIILeaks
	if len(p.Leaks) > 25 {
		p.Leaks = p.Leaks[:25]
	}
	for _, t := range v.Summary.TestEvents {
		tt := testTile{Name: t.Name, GA4Name: t.GA4Name, Class: "fail", Status: "not validated", Sides: t.Sides, Example: t.ExampleEventID}
		switch {
		case t.Validated:
			tt.Class, tt.Status = "pass", "validated"
			p.TestsOK++
			if t.FirstValidatedAt != nil {
				tt.First = t.FirstValidatedAt.UTC().Format("2006-01-02 15:04:05Z")
			}
		case len(t.Sides) == 0:
			tt.Class, tt.Status = "none", "not seen"
		}
		p.Tests = append(p.Tests, tt)
	}
	return pageTmpl.Execute(w, p)
}

// verdictClass maps a verdict to the page's colour classes.
func verdictClass(v report.Verdict) string {
	switch v {
	case report.Pass, report.Warn, report.Fail:
		return string(v)
	}
	return "none"
}

// scoreClass colours a 0–100 score: ≥ 80 pass, ≥ 60 warn, else fail (the
// grade bands: A/B, C/D, F).
func scoreClass(s float64) string {
	switch {
	case s >= 80:
		return "pass"
	case s >= 60:
		return "warn"
	}
	return "fail"
}

func newGauge(sc report.Score) gauge {
	g := gauge{Points: "–", Grade: "no data", Class: "none", Circ: 2 * math.Pi * gaugeR, Measured: sc.MeasuredWeight}
	if sc.Total != nil && sc.Points != nil {
		g.Points, g.Grade, g.Class = strconv.Itoa(*sc.Points), sc.Grade, scoreClass(*sc.Total)
		g.Dash = g.Circ * math.Max(0, math.Min(100, *sc.Total)) / 100
	}
	return g
}

func sectionBars(sc report.Score) ([]hbar, float64) {
	out := make([]hbar, 0, len(sc.Sections))
	for i, s := range sc.Sections {
		b := hbar{Label: fmt.Sprintf("%s (%d%%)", s.Title, s.Weight), Y: float64(i) * rowH, Class: "none", Figure: "not measured"}
		if s.Score != nil {
			b.W = barW * *s.Score / 100
			b.Class, b.Figure = scoreClass(*s.Score), strconv.Itoa(int(math.Floor(*s.Score+1e-9)))+"/100"
		}
		out = append(out, b)
	}
	return out, float64(len(out))*rowH + 4
}

// rateBars draws the SPEC §7 rates, each coloured by its check's verdict in
// the score (the hit ratio by report.HitRatioVerdict).
func rateBars(v View) ([]hbar, float64) {
	checks := map[string]report.Check{}
	for _, s := range v.Score.Sections {
		for _, c := range s.Checks {
			checks[c.ID] = c
		}
	}
	t := v.Summary.Total
	type rate struct {
		label   string
		val     *float64
		scale   float64 // the bar's full width
		tick    float64 // the pass threshold
		verdict report.Verdict
		note    string
	}
	var hrVerdict report.Verdict
	if t.HitRatio != nil {
		hrVerdict = report.HitRatioVerdict(*t.HitRatio)
	}
	rates := []rate{
		{"Hit ratio (all events)", t.HitRatio, 1.5, 0.8, hrVerdict, count(t.ServerEvents) + " server ÷ " + count(t.ClientEvents) + " browser"},
		{"Dedup rate", t.DedupRate, 1, 0.9, checks["dedup.rate"].Verdict, count(t.Matched) + " matched"},
		{"Alignment rate", t.AlignmentRate, 1, 0.95, checks["dedup.alignment"].Verdict, count(t.Aligned) + " aligned"},
		{"event_id coverage, browser", t.EventIDCoverageClient, 1, 0.99, "", count(t.EventIDMissingClient) + " without"},
		{"event_id coverage, server", t.EventIDCoverageServer, 1, 0.99, "", count(t.EventIDMissingServer) + " without"},
	}
	out := make([]hbar, 0, len(rates))
	for i, r := range rates {
		b := hbar{Label: r.label, Y: float64(i) * rowH, Class: "none", Figure: "–", Note: r.note,
			Tick: round1(rateBarW * r.tick / r.scale), HasTick: true}
		if r.val != nil {
			b.W = rateBarW * math.Min(*r.val, r.scale) / r.scale
			b.Figure = strconv.FormatFloat(*r.val*100, 'f', 1, 64) + "%"
			vd := r.verdict
			if vd == "" { // coverage: the event_id check's bands
				vd = band(*r.val, 0.99, 0.9)
			}
			b.Class = verdictClass(vd)
		}
		out = append(out, b)
	}
	return out, float64(len(out))*rowH + 4
}

func band(v, pass, warn float64) report.Verdict {
	switch {
	case v >= pass:
		return report.Pass
	case v >= warn:
		return report.Warn
	}
	return report.Fail
}

// multiples draws one small chart per series, all on the same time axis,
// with the 80–120% band shaded.
func multiples(series []Series) ([]multiple, string, string) {
	var lo, hi time.Time
	for _, s := range series {
		for _, w := range s.Windows {
			if lo.IsZero() || w.Start.Before(lo) {
				lo = w.Start
			}
			if w.Start.After(hi) {
				hi = w.Start
			}
		}
	}
	span := hi.Sub(lo).Seconds()
	x := func(t time.Time) float64 {
		if span <= 0 {
			return multW / 2
		}
		return multPad + (multW-2*multPad)*t.Sub(lo).Seconds()/span
	}
	y := func(r float64) float64 {
		return multPad + (multH-2*multPad)*(1-math.Min(r, multRange)/multRange)
	}
	out := make([]multiple, 0, len(series))
	for _, s := range series {
		m := multiple{Title: s.Destination + " · " + s.EventName, Class: "none", Last: "–",
			BandY: y(1.2), BandH: y(0.8) - y(1.2), FullY: y(1), Windows: len(s.Windows)}
		var pts []string
		var client, server int64
		for _, w := range s.Windows {
			client += w.ClientEvents
			server += w.ServerEvents
			if w.HitRatio == nil {
				continue
			}
			d := dot{X: round1(x(w.Start)), Y: round1(y(*w.HitRatio)), Class: verdictClass(report.HitRatioVerdict(*w.HitRatio))}
			m.Dots = append(m.Dots, d)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", d.X, d.Y))
		}
		if len(m.Dots) == 0 {
			continue // server-only series: no ratio to draw
		}
		m.Line = strings.Join(pts, " ")
		// The chip and the line: the whole series' ratio (client > 0, as a
		// window has a ratio); the dots: each window's.
		r := float64(server) / float64(client)
		m.Last = strconv.FormatFloat(r*100, 'f', 0, 64) + "%"
		m.Class = verdictClass(report.HitRatioVerdict(r))
		out = append(out, m)
	}
	if lo.IsZero() {
		return out, "", ""
	}
	return out, lo.UTC().Format("15:04:05"), hi.UTC().Format("15:04:05")
}

func histogram(s Skew, alignMs int64) ([]vbar, int64) {
	var top int64
	for _, b := range s.Buckets {
		top = max(top, b.Pairs)
	}
	n := float64(len(s.Buckets))
	slot := histW / math.Max(n, 1)
	out := make([]vbar, 0, len(s.Buckets))
	for i, b := range s.Buckets {
		h := 0.0
		if top > 0 {
			h = (histBase - 24) * float64(b.Pairs) / float64(top)
		}
		if b.Pairs > 0 {
			h = math.Max(h, 2) // a non-empty bucket stays visible
		}
		class := "pass"
		if b.LoMs >= alignMs {
			class = "fail"
		} else if b.HiMs == nil || *b.HiMs > alignMs {
			class = "warn"
		}
		out = append(out, vbar{Label: b.Label, Class: class, Count: b.Pairs,
			X: round1(float64(i)*slot + 6), W: round1(slot - 12), Y: round1(histBase - h), H: round1(h), M: round1(float64(i)*slot + slot/2)})
	}
	return out, top
}

func severities(c schemas.SeverityCounts) ([]segment, int64) {
	total := c.Info + c.Warn + c.Fail + c.Critical
	out := []segment{{"critical", "crit", c.Critical, 0, 0}, {"fail", "fail", c.Fail, 0, 0},
		{"warn", "warn", c.Warn, 0, 0}, {"info", "info", c.Info, 0, 0}}
	if total == 0 {
		return out, 0
	}
	var x float64
	for i := range out {
		out[i].X = round1(x)
		out[i].W = round1(histW * float64(out[i].Count) / float64(total))
		x += histW * float64(out[i].Count) / float64(total)
	}
	return out, total
}

func findingRows(fs []report.FindingSummary) []findingRow {
	var top int64
	for _, f := range fs {
		top = max(top, f.Count)
	}
	out := make([]findingRow, 0, min(len(fs), 30))
	for _, f := range fs {
		if len(out) == 30 {
			break
		}
		r := findingRow{Code: f.Code, Severity: f.Severity, Class: sevClass(f.Severity), Count: f.Count, Examples: f.ExampleIDs}
		if r.Severity == "" {
			r.Severity = "–"
		}
		if len(r.Examples) > 2 {
			r.Examples = r.Examples[:2]
		}
		if top > 0 {
			r.W = round1(160 * float64(f.Count) / float64(top))
		}
		out = append(out, r)
	}
	return out
}

func sevClass(s string) string {
	switch s {
	case "critical":
		return "crit"
	case "fail", "warn", "info":
		return s
	}
	return "none"
}

func ms(v *int64) string {
	if v == nil {
		return "–"
	}
	d := time.Duration(*v) * time.Millisecond
	if d < time.Second && d > -time.Second {
		return strconv.FormatInt(*v, 10) + " ms"
	}
	return d.Round(100 * time.Millisecond).String()
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// count prints n with thousands separators.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
