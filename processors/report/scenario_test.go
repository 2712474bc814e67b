package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sstaudit/sstaudit/schemas"
)

// scenario builds audit records and the window metrics the join would have
// emitted for them (one window per destination and event name per 10-minute
// slot, partition 0), so the two sources agree as they do in production.
type scenario struct {
	records []*schemas.AuditRecord
	seq     int
	clock   int64 // ms, record time of the next record
}

const baseMs = 1_790_000_000_000 // 2026-09-21T…Z

func newScenario() *scenario { return &scenario{clock: baseMs} }

var (
	metaFull = []string{"em", "ph", "fn", "ln", "country", "external_id", "client_ip_address", "client_user_agent", "fbc", "fbp"}
	ga4Full  = []string{"em", "ph", "client_id", "user_id"}
)

type recOpt func(*schemas.AuditRecord)

func withFindings(fs ...schemas.FindingRecord) recOpt {
	return func(r *schemas.AuditRecord) { r.Findings = append(r.Findings, fs...) }
}

func withKeys(keys []string, emq float64) recOpt {
	return func(r *schemas.AuditRecord) {
		if r.MatchKeys != nil {
			r.MatchKeys = &schemas.MatchKeys{Present: keys, Count: int32(len(keys)), EMQEstimate: emq}
		}
	}
}

func withSkew(ms int64) recOpt {
	return func(r *schemas.AuditRecord) {
		if r.SkewMs != nil {
			al := ms <= 300_000 && ms >= -300_000
			r.SkewMs, r.Aligned = &ms, &al
		}
	}
}

func withServerName(n string) recOpt {
	return func(r *schemas.AuditRecord) {
		if r.Server != nil {
			r.Server.EventName, r.ServerEventName = n, &n
		}
	}
}

func noActionSource(r *schemas.AuditRecord) {
	if r.Server != nil {
		r.Server.ActionSource = nil
	}
}

func finding(code, sev, side, path string) schemas.FindingRecord {
	return schemas.FindingRecord{Code: code, Severity: sev, Side: side, Path: path, Detector: "test", Message: code}
}

func leak(entity, side, path string) schemas.FindingRecord {
	f := finding("PII_LEAK", "critical", side, path)
	f.Entity = &entity
	return f
}

// add appends n records of one outcome.
func (s *scenario) add(n int, outcome schemas.Outcome, dest, name string, opts ...recOpt) {
	for range n {
		s.seq++
		s.clock += 1000
		id := fmt.Sprintf("%s-%s-%04d", dest, strings.ToLower(name), s.seq)
		website := "website"
		side := func(sd string) *schemas.SideInfo {
			et := s.clock - 500
			return &schemas.SideInfo{Format: dest + "." + sd, Topic: "tracking." + sd, Offset: int64(s.seq),
				RecordTime: s.clock, EventTime: &et, EventName: name, ActionSource: &website, ConsentState: "granted"}
		}
		r := &schemas.AuditRecord{
			AuditID: fmt.Sprintf("a%06d", s.seq), Outcome: string(outcome), Destination: dest,
			EventID: &id, EventName: name, Findings: []schemas.FindingRecord{},
			Pipeline: schemas.Pipeline{InstanceID: "test", Version: "test", ProcessedAt: s.clock}, SchemaVersion: "1",
		}
		switch outcome {
		case schemas.OutcomeMatched:
			r.Client, r.Server = side("client"), side("server")
			r.ClientEventName, r.ServerEventName = &name, &name
			skew, al := int64(1500), true
			r.SkewMs, r.Aligned = &skew, &al
		case schemas.OutcomeClientOnly:
			r.Client, r.ClientEventName = side("client"), &name
			r.Findings = append(r.Findings, finding("DEDUP_CLIENT_ONLY", "warn", "client", "eid"))
		case schemas.OutcomeServerOnly:
			r.Server, r.ServerEventName = side("server"), &name
			r.Findings = append(r.Findings, finding("DEDUP_SERVER_ONLY", "info", "server", "event_id"))
		case schemas.OutcomeUnjoinable:
			r.Server, r.ServerEventName, r.EventID = side("server"), &name, nil
			r.Findings = append(r.Findings, finding("DEDUP_NO_EVENT_ID", "fail", "server", "event_id"))
		}
		if r.Server != nil {
			keys := metaFull
			if dest == "ga4" {
				keys = ga4Full
			}
			r.MatchKeys = &schemas.MatchKeys{Present: keys, Count: int32(len(keys)), EMQEstimate: 8.8}
		}
		for _, o := range opts {
			o(r)
		}
		if r.ServerEventName != nil && r.ClientEventName != nil && *r.ServerEventName != *r.ClientEventName {
			r.Findings = append(r.Findings, finding("DEDUP_NAME_MISMATCH", "fail", "pair", "event_name"))
		}
		if r.Aligned != nil && !*r.Aligned {
			r.Findings = append(r.Findings, finding("TIME_MISALIGNED", "warn", "pair", "event_time"))
		}
		s.records = append(s.records, r)
	}
}

// metrics derives the window metrics of the scenario's records.
func (s *scenario) metrics() []*schemas.WindowMetrics {
	type key struct {
		dest, name string
		window     int64
	}
	byKey := map[key]*schemas.WindowMetrics{}
	skews := map[key][]int64{}
	emq := map[key][2]float64{}
	var keys []key
	for _, r := range s.records {
		k := key{r.Destination, r.EventName, (recordTime(r) - baseMs) / 600_000}
		m := byKey[k]
		if m == nil {
			start := baseMs + k.window*600_000
			m = &schemas.WindowMetrics{Destination: k.dest, EventName: k.name, WindowStart: start, WindowEnd: start + 600_000,
				FindingsByCode: map[string]int64{}, MatchKeysHistogram: map[string]int64{}, SchemaVersion: "1"}
			byKey[k] = m
			keys = append(keys, k)
		}
		if r.Client != nil {
			m.ClientEvents++
		}
		if r.Server != nil {
			m.ServerEvents++
			if r.EventID == nil {
				m.EventIDMissingServer++
			}
		}
		switch schemas.Outcome(r.Outcome) {
		case schemas.OutcomeMatched:
			m.Matched++
			if *r.Aligned {
				m.Aligned++
			}
			skews[k] = append(skews[k], *r.SkewMs)
		case schemas.OutcomeClientOnly:
			m.ClientOnly++
		case schemas.OutcomeServerOnly:
			m.ServerOnly++
		case schemas.OutcomeUnjoinable:
			m.Unjoinable++
		}
		for _, f := range r.Findings {
			m.FindingsByCode[f.Code]++
			switch f.Severity {
			case "info":
				m.FindingsBySeverity.Info++
			case "warn":
				m.FindingsBySeverity.Warn++
			case "fail":
				m.FindingsBySeverity.Fail++
			case "critical":
				m.FindingsBySeverity.Critical++
			}
			if f.Code == "PII_LEAK" {
				m.PIILeaks++
			}
			if strings.HasPrefix(f.Code, "HASH_") {
				m.HashFindings++
			}
		}
		if r.MatchKeys != nil {
			m.MatchKeysHistogram[strconv.Itoa(int(r.MatchKeys.Count))]++
			e := emq[k]
			emq[k] = [2]float64{e[0] + r.MatchKeys.EMQEstimate, e[1] + 1}
		}
	}
	out := make([]*schemas.WindowMetrics, 0, len(keys))
	for _, k := range keys {
		m := byKey[k]
		if sk := skews[k]; len(sk) > 0 {
			slices.Sort(sk)
			p50, p95 := sk[len(sk)/2], sk[(len(sk)*95)/100]
			mx := sk[0]
			if -sk[0] < sk[len(sk)-1] {
				mx = sk[len(sk)-1]
			}
			m.SkewMsP50, m.SkewMsP95, m.SkewMsMax = &p50, &p95, &mx
		}
		if e := emq[k]; e[1] > 0 {
			avg := e[0] / e[1]
			m.EMQEstimateAvg = &avg
		}
		out = append(out, m)
	}
	return out
}

// aggregate feeds every record and metric twice (outputs are at-least-once),
// the second time in reverse order.
func (s *scenario) aggregate() *Aggregator {
	a := NewAggregator()
	ms := s.metrics()
	for _, r := range s.records {
		a.Add(r)
	}
	for _, m := range ms {
		a.AddMetrics(m)
	}
	for i := len(s.records) - 1; i >= 0; i-- {
		a.Add(s.records[i])
	}
	for i := len(ms) - 1; i >= 0; i-- {
		a.AddMetrics(ms[i])
	}
	return a
}

func boolPtr(b bool) *bool { return &b }

// cleanScenario: both destinations, every test event validated, full match
// keys, full inventory.
func cleanScenario() (*scenario, *Inventory) {
	s := newScenario()
	counts := []int{40, 20, 10, 8, 5, 4}
	for i, name := range metaTestEvents {
		s.add(counts[i], schemas.OutcomeMatched, "meta", name)
		s.add(counts[i], schemas.OutcomeMatched, "ga4", ga4TestEvents[i])
	}
	s.add(30, schemas.OutcomeMatched, "meta", "PageView")
	s.add(1, schemas.OutcomeServerOnly, "meta", "Purchase")
	return s, &Inventory{Site: "shop.example.com", SGTMHosting: "cloud_run", CustomDomain: boolPtr(true), CAPIMethod: "direct"}
}

// brokenScenario: most things wrong.
func brokenScenario() (*scenario, *Inventory) {
	s := newScenario()
	few := withKeys([]string{"client_ip_address"}, 2.1)
	s.add(3, schemas.OutcomeMatched, "meta", "Purchase", few, noActionSource,
		withFindings(finding("HASH_PLAINTEXT", "critical", "server", "data[0].user_data.em[0]"),
			leak("email", "client", "dl?email"), leak("email", "server", "data[0].event_source_url?email")))
	s.add(2, schemas.OutcomeMatched, "meta", "Purchase", few, withServerName("purchase"), withSkew(3_600_000))
	s.add(20, schemas.OutcomeClientOnly, "meta", "Purchase")
	s.add(4, schemas.OutcomeUnjoinable, "meta", "Purchase", few,
		withFindings(finding("HASH_DOUBLE", "fail", "server", "data[0].user_data.ph[0]"),
			finding("CONSENT_PII_WITHOUT_CONSENT", "critical", "server", "data[0].user_data")))
	s.add(30, schemas.OutcomeClientOnly, "meta", "ViewContent")
	s.add(10, schemas.OutcomeClientOnly, "meta", "Lead")
	s.add(12, schemas.OutcomeClientOnly, "ga4", "purchase")
	s.add(2, schemas.OutcomeMatched, "ga4", "purchase", withFindings(
		finding("CLICKID_DROPPED", "warn", "server", "gclid"), leak("phone", "server", "events[0].params.page_location?tel")))
	return s, &Inventory{SGTMHosting: "none", CustomDomain: boolPtr(false), CAPIMethod: "none"}
}

// middleScenario: Meta only, no inventory, some faults.
func middleScenario() (*scenario, *Inventory) {
	s := newScenario()
	mid := withKeys([]string{"em", "client_ip_address", "client_user_agent", "fbp", "fbc"}, 6.4)
	s.add(30, schemas.OutcomeMatched, "meta", "ViewContent", mid)
	s.add(10, schemas.OutcomeClientOnly, "meta", "ViewContent")
	s.add(12, schemas.OutcomeMatched, "meta", "AddToCart", mid)
	s.add(9, schemas.OutcomeMatched, "meta", "Purchase", mid)
	s.add(1, schemas.OutcomeMatched, "meta", "Purchase", mid, withSkew(900_000))
	s.add(3, schemas.OutcomeServerOnly, "meta", "Purchase", mid)
	s.add(2, schemas.OutcomeMatched, "meta", "Lead", mid, withFindings(finding("HASH_NOT_NORMALIZED", "fail", "server", "data[0].user_data.em[0]")))
	s.add(1, schemas.OutcomeClientOnly, "meta", "Lead")
	s.add(2, schemas.OutcomeMatched, "meta", "InitiateCheckout", mid, withFindings(leak("email", "client", "dl?email")))
	return s, nil
}
