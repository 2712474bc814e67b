package schemas

import "strings"

// The meta.pixel decoder (REFERENCE §1.2): one Pixel hit, single event.
//
// Accepted shapes:
//
//   - the /tr URL (https://www.facebook.com/tr/?id=…&ev=…), its query string
//     with or without '?', or a POST form body: see query.go;
//   - the same parameters as a JSON object, flat ({"ev":"Purchase",
//     "ud[em]":"…"}) or nested ({"ev":…,"cd":{"value":…},"ud":{"em":…}}).
//
// A hit must carry at least one of id, ev or eid; otherwise it is not a Pixel
// hit (ReasonUnknownShape).
//
// Mapping. Scalars take the first occurrence of their parameter; a repeated
// one goes to Other with its own path, so nothing sent is lost.
//
//	id            PixelID (also in Other)
//	ev            EventName, EventNamePath
//	eid           EventID, EventIDPath
//	ts            EventTime (ms, EventTimeUnit "ms"), EventTimeRaw, EventTimePath
//	dl            URL, URLPath; fbclid of its query → ClickIDs.FBCLID
//	rl            Referrer, ReferrerPath
//	cd[k]         Params, Key k (cd[content_ids], cd[contents]: the JSON text as sent, one field)
//	ud[k]         UserData, Key k; ud[external_id] also → ExternalID
//	fbp, fbc      ClickIDs.FBP, ClickIDs.FBC (also in Other)
//	fbclid        ClickIDs.FBCLID when dl has none (also in Other)
//	gdpr          Consent.GDPR (also in Other)
//	gdpr_consent  Consent.TCString (also in Other)
//	anything else Other, Key = the name
//
// The parameters the Event records a path for (ev, eid, ts, dl, rl) are not
// repeated in Other; every other parameter has a Field somewhere, so a
// finding can always name its path. The query parameters of dl and rl are
// added to Other with paths dl?<name> and rl?<name>, so the PII checks can
// name dl?email.
//
// Paths: for query input, the parameter name as sent after decoding
// (cd[value], ud[em]); for JSON input, the key as sent (flat: ud[em]) or the
// JSON path (nested: ud.em). JSON input goes through the shared JSON walker
// (jsonwalk.go): nested lists and objects become one field per leaf, as in
// the other JSON formats (cd.content_ids[0], cd.contents[0].id, ud.em[1]),
// while a query's cd[content_ids]=["…"] is the one text field it was sent as.

// pxParamMeta carries, for parameters that came from JSON, the path and kind
// the query form does not have.
type pxParamMeta struct {
	path, key string
	kind      ValueKind
}

// pixel parameter classes.
const (
	pxOther = iota
	pxCD
	pxUD
	pxID
	pxEv
	pxEid
	pxTs
	pxDl
	pxRl
	pxFbp
	pxFbc
	pxFbclid
	pxGDPR
	pxGDPRConsent
)

// pixelClass classifies a parameter name; for cd[k] and ud[k] it returns k.
func pixelClass(name string) (class int, key string) {
	if len(name) > 4 && name[2] == '[' && name[len(name)-1] == ']' {
		inner := name[3 : len(name)-1]
		if i := strings.LastIndexByte(inner, '['); i >= 0 {
			inner = inner[i+1:] // cd[a][b] → b
		}
		switch name[:2] {
		case "cd":
			return pxCD, inner
		case "ud":
			return pxUD, inner
		}
	}
	switch name {
	case "id":
		return pxID, name
	case "ev":
		return pxEv, name
	case "eid":
		return pxEid, name
	case "ts":
		return pxTs, name
	case "dl":
		return pxDl, name
	case "rl":
		return pxRl, name
	case "fbp":
		return pxFbp, name
	case "fbc":
		return pxFbc, name
	case "fbclid":
		return pxFbclid, name
	case "gdpr":
		return pxGDPR, name
	case "gdpr_consent":
		return pxGDPRConsent, name
	}
	return pxOther, name
}

// pixelOwnsPath reports whether the Event records the path of this class,
// so that its first occurrence is not repeated in Other.
func pixelOwnsPath(class int) bool {
	switch class {
	case pxEv, pxEid, pxTs, pxDl, pxRl:
		return true
	}
	return false
}

func decodeMetaPixel(m *Message, o *DecodeOptions) ([]Event, error) {
	v, err := qCheckSize(FormatMetaPixel, m.Value, o)
	if err != nil {
		return nil, err
	}
	var (
		params []queryParam
		meta   []pxParamMeta
		a      queryArena
	)
	switch v[0] {
	case '{', '[':
		params, meta, err = pixelJSONParams(v, o)
		if err != nil {
			return nil, err
		}
	default:
		s := string(v)
		if err := checkQueryText(FormatMetaPixel, s, false); err != nil {
			return nil, err
		}
		q, _ := queryPart(s)
		a.hint = len(q)
		params = parseQuery(q, &a, make([]queryParam, 0, qCountParams(q)))
	}
	if !qHasParam(params, "id", "ev", "eid") {
		return nil, decodeErr(FormatMetaPixel, ReasonUnknownShape, "none of the Pixel parameters id, ev, eid")
	}
	evs := make([]Event, 1)
	buildPixelEvent(&evs[0], params, meta, &a)
	finishEvents(evs, m, o)
	return evs, nil
}

// qHasParam reports whether params holds a parameter with one of the names.
func qHasParam(params []queryParam, names ...string) bool {
	for i := range params {
		for _, n := range names {
			if params[i].name == n {
				return true
			}
		}
	}
	return false
}

// buildPixelEvent maps the parameters of one hit onto e. meta, when not nil,
// gives each parameter's path and kind (JSON input).
func buildPixelEvent(e *Event, params []queryParam, meta []pxParamMeta, a *queryArena) {
	e.Format = FormatMetaPixel
	e.Side = SideClient
	e.Destination = DestinationMeta

	// Pass 1: size the field lists exactly, so they share one allocation.
	var nCD, nUD, nOther int
	var seen uint32
	for i := range params {
		class, _ := pixelClass(params[i].name)
		switch {
		case class == pxCD:
			nCD++
		case class == pxUD:
			nUD++
		case pixelOwnsPath(class) && seen&(1<<class) == 0:
			seen |= 1 << class
			if class == pxDl || class == pxRl {
				nOther += qURLCount(params[i].value)
			}
		default:
			nOther++
		}
	}
	fields := make([]Field, 0, nCD+nUD+nOther)
	e.Params = qSubFields(fields, 0, nCD)
	e.UserData = qSubFields(fields, nCD, nUD)
	e.Other = qSubFields(fields, nCD+nUD, nOther)

	// Pass 2: fill.
	seen = 0
	var scratch []queryParam
	var dlIDs qClickIDs
	var fbclidParam string
	for i := range params {
		p := &params[i]
		class, key := pixelClass(p.name)
		f := Field{Path: p.name, Key: key, Value: p.value, Kind: KindString}
		if meta != nil {
			f.Path, f.Key, f.Kind = meta[i].path, meta[i].key, meta[i].kind
		}
		if pixelOwnsPath(class) {
			if seen&(1<<class) != 0 {
				e.Other = append(e.Other, f)
				continue
			}
			seen |= 1 << class
		}
		switch class {
		case pxCD:
			e.Params = append(e.Params, f)
			continue
		case pxUD:
			e.UserData = append(e.UserData, f)
			if key == "external_id" {
				qSetFirst(&e.ExternalID, p.value)
			}
			continue
		case pxEv:
			e.EventName, e.EventNamePath = p.value, f.Path
		case pxEid:
			e.EventID, e.EventIDPath = p.value, f.Path
		case pxTs:
			e.EventTimeRaw, e.EventTimePath, e.EventTimeUnit = p.value, f.Path, "ms"
			if ms, ok := pxParseMs(p.value); ok {
				e.EventTime = ms
			}
		case pxDl:
			e.URL, e.URLPath = p.value, f.Path
			e.Other, scratch, dlIDs = qURLFields(f.Path, p.value, a, scratch, e.Other)
		case pxRl:
			e.Referrer, e.ReferrerPath = p.value, f.Path
			e.Other, scratch, _ = qURLFields(f.Path, p.value, a, scratch, e.Other)
		case pxID:
			qSetFirst(&e.PixelID, p.value)
		case pxFbp:
			qSetFirst(&e.ClickIDs.FBP, p.value)
		case pxFbc:
			qSetFirst(&e.ClickIDs.FBC, p.value)
		case pxFbclid:
			qSetFirst(&fbclidParam, p.value)
		case pxGDPR:
			qSetFirst(&e.Consent.GDPR, p.value)
		case pxGDPRConsent:
			qSetFirst(&e.Consent.TCString, p.value)
		}
		if !pixelOwnsPath(class) {
			e.Other = append(e.Other, f)
		}
	}
	e.ClickIDs.FBCLID = dlIDs.fbclid
	qSetFirst(&e.ClickIDs.FBCLID, fbclidParam)
}

// qSubFields returns the n-field window of fields starting at off, with its
// capacity capped so appends stay inside it; nil when n is 0.
func qSubFields(fields []Field, off, n int) []Field {
	if n == 0 {
		return nil
	}
	return fields[off : off : off+n]
}

// pxParseMs parses a non-negative decimal integer of at most 18 digits
// (a ms or s timestamp); anything else is not ok.
func pxParseMs(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// pixelJSONParams flattens the JSON variant of a Pixel hit into query-style
// parameters (ud.em → ud[em]) with their JSON paths and kinds, using the
// shared JSON walker. Lists and objects under cd and ud become one field per
// leaf (cd.content_ids[0], ud.em[1]), as in the JSON formats; a top-level key
// other than cd and ud holding a container keeps its leaves in Other.
func pixelJSONParams(v []byte, o *DecodeOptions) ([]queryParam, []pxParamMeta, error) {
	maxDepth := DefaultMaxDepth
	if o != nil && o.MaxDepth > 0 {
		maxDepth = o.MaxDepth
	}
	w := getJSONWalk()
	defer w.release()
	if err := w.walk(v, maxDepth); err != nil {
		return nil, nil, walkErr(FormatMetaPixel, err)
	}
	if !w.topIsObject() {
		return nil, nil, decodeErr(FormatMetaPixel, ReasonUnknownShape, "JSON that is not an object is not a Pixel hit")
	}
	n := len(w.leaves)
	params := make([]queryParam, 0, n)
	meta := make([]pxParamMeta, 0, n)
	for i := range w.leaves {
		l := &w.leaves[i]
		if l.depth == 0 {
			continue // {}
		}
		f := w.field(l)
		top := w.segKey(l, 0)
		name := top
		switch {
		case l.depth == 1:
			_, f.Key = pixelClass(name) // ud[em] → em
		case top == "cd" || top == "ud":
			// The query-style name classifies the leaf; its Key and JSON
			// path are the walker's (cd.contents[0].id: Key id).
			name = top + "[" + f.Key + "]"
		default:
			name = f.Path // a container under a scalar name: Other
		}
		if top == "" {
			name = qEmptyName
			if f.Path == "" {
				f.Path = qEmptyName
			}
		}
		params = append(params, queryParam{name: name, value: f.Value})
		meta = append(meta, pxParamMeta{path: f.Path, key: f.Key, kind: f.Kind})
	}
	return params, meta, nil
}
