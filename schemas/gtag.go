package schemas

import (
	"encoding/json"
	"strings"
)

// The ga4.gtag decoder (REFERENCE §1.4, §3.6, §3.7): a /g/collect hit, or a
// batch of hits.
//
// How a Kafka message carries a hit or a batch. The message is split into
// lines ('\n', with '\r' and surrounding white space trimmed; empty lines
// ignored):
//
//   - one line: one hit. The line is the request URL with its query, the
//     bare query string (with or without '?') or a one-hit POST body;
//   - several lines, the first a URL or path with a query
//     (https://region1.google-analytics.com/g/collect?v=2&tid=…, /g/collect?…):
//     a batched POST as it was sent. The URL's query holds the parameters
//     shared by every hit (v, tid, cid, sid, dl, gcs, …); each following line
//     is one hit's body, whose parameters add to the shared ones and replace
//     those of the same name;
//   - several lines, the first not a URL: each line is one hit's body with no
//     shared parameters (a POST body captured without its URL).
//
// Each hit becomes one Event; BatchIndex is its line's position among the
// non-empty body lines, BatchSize their count. More hits than MaxBatch is
// ReasonTooManyEvents, as is a batch whose shared parameters, copied into
// every hit, would exceed 64 × MaxBatch fields. A message must carry at least
// one of v, tid, en or cid (in the URL or any line), else it is not a gtag
// hit (ReasonUnknownShape).
//
// Mapping. Scalars take the first occurrence of their parameter (for a batch:
// the hit's own, else the shared one); a repeated one goes to Other.
//
//	tid                   PixelID (also in Other)
//	cid, uid              ClientID, UserID (also in Other)
//	en                    EventName, EventNamePath
//	dl, dr                URL/URLPath, Referrer/ReferrerPath; their query parameters → Other as dl?<name>, dr?<name>
//	ep.<n>, epn.<n>       Params, Key n (string / numeric event parameters; values as sent, KindString)
//	ep.event_id           also EventID/EventIDPath (epn.event_id too: gtag sends numeric values as epn.)
//	gcs, gcd, npa, dma    Consent.GCS, GCD, NPA, DMA (also in Other)
//	gclid, gbraid, wbraid ClickIDs (also in Other); when absent, taken from the dl query
//	uip, _uip             ClientIP (also in Other)
//	up.<n>, upn.<n>       Other, Key n (user properties)
//	anything else         Other, Key = the name (v, dt, sid, sct, seg, gcu, gcut, dma_cps, dclid, _p, _s, cu, pr1, …)
//
// ep.transaction_id is a Param; finishEvents reads TransactionID from it.
//
// Event time. gtag sends no documented event timestamp (REFERENCE §0), so
// EventTime is the Kafka record time (m.Source.RecordTime, ms) and
// EventTimeRaw, EventTimePath and EventTimeUnit stay empty: there is no
// payload value whose unit could be checked.

// gtag parameter classes.
const (
	gtOther = iota
	gtParam
	gtUserProp
	gtTid
	gtCid
	gtUid
	gtEn
	gtDl
	gtDr
	gtGCS
	gtGCD
	gtNPA
	gtDMA
	gtGclid
	gtGbraid
	gtWbraid
	gtIP
)

// gtagClass classifies a parameter name; for ep./epn./up./upn. it returns
// the name without the prefix.
func gtagClass(name string) (class int, key string) {
	if len(name) > 3 && (name[0] == 'e' || name[0] == 'u') && name[1] == 'p' {
		switch {
		case strings.HasPrefix(name, "ep."):
			return gtParam, name[3:]
		case strings.HasPrefix(name, "epn."):
			return gtParam, name[4:]
		case strings.HasPrefix(name, "up."):
			return gtUserProp, name[3:]
		case strings.HasPrefix(name, "upn."):
			return gtUserProp, name[4:]
		}
	}
	switch name {
	case "tid":
		return gtTid, name
	case "cid":
		return gtCid, name
	case "uid":
		return gtUid, name
	case "en":
		return gtEn, name
	case "dl":
		return gtDl, name
	case "dr":
		return gtDr, name
	case "gcs":
		return gtGCS, name
	case "gcd":
		return gtGCD, name
	case "npa":
		return gtNPA, name
	case "dma":
		return gtDMA, name
	case "gclid":
		return gtGclid, name
	case "gbraid":
		return gtGbraid, name
	case "wbraid":
		return gtWbraid, name
	case "uip", "_uip":
		return gtIP, name
	}
	return gtOther, name
}

// gtagOwnsPath reports whether the Event records the path of this class,
// so that its first occurrence is not repeated in Other.
func gtagOwnsPath(class int) bool {
	return class == gtEn || class == gtDl || class == gtDr
}

// gtagExpansionFactor bounds the fields a batch's shared parameters may
// expand into: shared fields × hits ≤ gtagExpansionFactor × MaxBatch.
const gtagExpansionFactor = 64

func decodeGtag(m *Message, o *DecodeOptions) ([]Event, error) {
	v, err := qCheckSize(FormatGA4Gtag, m.Value, o)
	if err != nil {
		return nil, err
	}
	if v[0] == '{' || v[0] == '[' {
		if json.Valid(v) {
			return nil, decodeErr(FormatGA4Gtag, ReasonUnknownShape, "JSON is not a gtag hit")
		}
	}
	s := string(v)
	if err := checkQueryText(FormatGA4Gtag, s, true); err != nil {
		return nil, err
	}
	maxBatch := DefaultMaxBatch
	if o != nil && o.MaxBatch > 0 {
		maxBatch = o.MaxBatch
	}

	// Shape: shared query (from a leading URL line) and hit lines.
	first, rest := gtNextLine(s)
	shared := ""
	hitsText := s
	if rest != "" {
		if q, isURL := queryPart(first); isURL {
			shared, hitsText = q, rest
		}
	}
	nHits, nParams := 0, qCountParams(shared)
	for t := hitsText; t != ""; {
		var line string
		line, t = gtNextLine(t)
		if line == "" {
			continue
		}
		nHits++
		nParams += qCountParams(gtHitQuery(line))
	}
	if nHits == 0 { // not reachable from a trimmed message; kept as a guard
		return nil, decodeErr(FormatGA4Gtag, ReasonNoEvents, "no hit lines")
	}
	if nHits > maxBatch {
		return nil, decodeErr(FormatGA4Gtag, ReasonTooManyEvents, "%d hits, limit %d", nHits, maxBatch)
	}

	a := queryArena{hint: len(s)}
	params := parseQuery(shared, &a, make([]queryParam, 0, nParams))
	nShared := len(params)
	sharedCost := nShared
	for i := range params {
		if c, _ := gtagClass(params[i].name); c == gtDl || c == gtDr {
			sharedCost += qURLCount(params[i].value)
		}
	}
	if nHits > 1 && sharedCost*nHits > gtagExpansionFactor*maxBatch {
		return nil, decodeErr(FormatGA4Gtag, ReasonTooManyEvents,
			"%d hits sharing %d parameters exceed the expansion limit", nHits, sharedCost)
	}
	bounds := make([]int, 0, nHits+1)
	bounds = append(bounds, nShared)
	for t := hitsText; t != ""; {
		var line string
		line, t = gtNextLine(t)
		if line == "" {
			continue
		}
		params = parseQuery(gtHitQuery(line), &a, params)
		bounds = append(bounds, len(params))
	}
	if !qHasParam(params, "v", "tid", "en", "cid") {
		return nil, decodeErr(FormatGA4Gtag, ReasonUnknownShape, "none of the gtag parameters v, tid, en, cid")
	}

	evs := make([]Event, nHits)
	var scratch []queryParam
	var hitNames map[string]struct{}
	for i := range evs {
		hit := params[bounds[i]:bounds[i+1]]
		sh := params[:nShared]
		// Which shared parameters the hit replaces: a scan of the hit for
		// small ones, a set of its names for large ones (built afresh, so
		// one huge line does not make every later line pay for its size).
		hitNames = nil
		if len(sh) > 0 && len(hit) > 0 && len(sh)*len(hit) > 1024 {
			hitNames = make(map[string]struct{}, len(hit))
			for j := range hit {
				hitNames[hit[j].name] = struct{}{}
			}
		}
		scratch = buildGtagEvent(&evs[i], sh, hit, hitNames, m.Source.RecordTime, &a, scratch)
	}
	finishEvents(evs, m, o)
	return evs, nil
}

// gtNextLine returns the first line of s, trimmed of ASCII blanks and '\r'
// (as the message itself is), and the text after it.
func gtNextLine(s string) (line, rest string) {
	line, rest, _ = strings.Cut(s, "\n")
	return strings.Trim(line, " \t\r"), rest
}

// gtHitQuery returns the query of one hit line: a URL's query, or the line
// without a leading '?'.
func gtHitQuery(line string) string {
	q, _ := queryPart(line)
	return q
}

// gtReplaced reports whether the hit carries a parameter named name.
func gtReplaced(name string, hit []queryParam, hitNames map[string]struct{}) bool {
	if hitNames != nil {
		_, ok := hitNames[name]
		return ok
	}
	for j := range hit {
		if hit[j].name == name {
			return true
		}
	}
	return false
}

// buildGtagEvent maps one hit onto e: the shared parameters the hit does not
// replace, then the hit's own.
func buildGtagEvent(e *Event, shared, hit []queryParam, hitNames map[string]struct{}, recordTime int64, a *queryArena, scratch []queryParam) []queryParam {
	e.Format = FormatGA4Gtag
	e.Side = SideClient
	e.Destination = DestinationGA4
	e.EventTime = recordTime

	// Pass 1: size the field lists exactly, so they share one allocation.
	var nParams, nOther int
	var seen uint32
	count := func(p *queryParam) {
		class, _ := gtagClass(p.name)
		switch {
		case class == gtParam:
			nParams++
		case gtagOwnsPath(class) && seen&(1<<class) == 0:
			seen |= 1 << class
			if class != gtEn {
				nOther += qURLCount(p.value)
			}
		default:
			nOther++
		}
	}
	for j := range shared {
		if !gtReplaced(shared[j].name, hit, hitNames) {
			count(&shared[j])
		}
	}
	for j := range hit {
		count(&hit[j])
	}
	fields := make([]Field, 0, nParams+nOther)
	e.Params = qSubFields(fields, 0, nParams)
	e.Other = qSubFields(fields, nParams, nOther)

	// Pass 2: fill.
	seen = 0
	var dlIDs qClickIDs
	add := func(p *queryParam) {
		class, key := gtagClass(p.name)
		f := Field{Path: p.name, Key: key, Value: p.value, Kind: KindString}
		if gtagOwnsPath(class) {
			if seen&(1<<class) != 0 {
				e.Other = append(e.Other, f)
				return
			}
			seen |= 1 << class
		}
		switch class {
		case gtParam:
			e.Params = append(e.Params, f)
			if key == "event_id" && e.EventIDPath == "" {
				e.EventID, e.EventIDPath = p.value, p.name
			}
			return
		case gtEn:
			e.EventName, e.EventNamePath = p.value, p.name
		case gtDl:
			e.URL, e.URLPath = p.value, p.name
			e.Other, scratch, dlIDs = qURLFields(p.name, p.value, a, scratch, e.Other)
		case gtDr:
			e.Referrer, e.ReferrerPath = p.value, p.name
			e.Other, scratch, _ = qURLFields(p.name, p.value, a, scratch, e.Other)
		case gtTid:
			qSetFirst(&e.PixelID, p.value)
		case gtCid:
			qSetFirst(&e.ClientID, p.value)
		case gtUid:
			qSetFirst(&e.UserID, p.value)
		case gtGCS:
			qSetFirst(&e.Consent.GCS, p.value)
		case gtGCD:
			qSetFirst(&e.Consent.GCD, p.value)
		case gtNPA:
			qSetFirst(&e.Consent.NPA, p.value)
		case gtDMA:
			qSetFirst(&e.Consent.DMA, p.value)
		case gtGclid:
			qSetFirst(&e.ClickIDs.GCLID, p.value)
		case gtGbraid:
			qSetFirst(&e.ClickIDs.GBRAID, p.value)
		case gtWbraid:
			qSetFirst(&e.ClickIDs.WBRAID, p.value)
		case gtIP:
			qSetFirst(&e.ClientIP, p.value)
		}
		if !gtagOwnsPath(class) {
			e.Other = append(e.Other, f)
		}
	}
	for j := range shared {
		if !gtReplaced(shared[j].name, hit, hitNames) {
			add(&shared[j])
		}
	}
	for j := range hit {
		add(&hit[j])
	}
	qSetFirst(&e.ClickIDs.GCLID, dlIDs.gclid)
	qSetFirst(&e.ClickIDs.GBRAID, dlIDs.gbraid)
	qSetFirst(&e.ClickIDs.WBRAID, dlIDs.wbraid)
	return scratch
}
