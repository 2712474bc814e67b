package schemas

// decodeMP decodes a GA4 Measurement Protocol body (REFERENCE §1.3):
// {"client_id", "user_id", "timestamp_micros", "consent", "user_data",
// "user_properties", "events":[{name, params}], …}. Each element of events
// becomes one Event carrying the request-level fields; the request's
// user_data is shared by every event of the request.
func decodeMP(m *Message, o *DecodeOptions) ([]Event, error) {
	w := getJSONWalk()
	defer w.release()
	if err := w.walk(m.Value, o.MaxDepth); err != nil {
		return nil, walkErr(FormatGA4MP, err)
	}
	return decodeMPWalked(w, o, FormatGA4MP)
}

func decodeMPWalked(w *jsonWalk, o *DecodeOptions, tried Format) ([]Event, error) {
	if !w.topIsObject() {
		return nil, decodeErr(tried, ReasonSchema, "body is not a json object")
	}
	present, isArray := w.topKey("events")
	switch {
	case !present:
		return nil, decodeErr(tried, ReasonNoEvents, "no events")
	case !isArray:
		return nil, decodeErr(tried, ReasonSchema, "events is not an array")
	}
	n := 0
	for i := range w.leaves {
		l := &w.leaves[i]
		direct := l.depth == 1 && isScalar(l)
		switch w.segKey(l, 0) {
		case "events":
			idx, why := w.batchElem(l, "events")
			if why != "" {
				return nil, decodeErr(tried, ReasonSchema, "%s", why)
			}
			if idx < 0 { // the leaf of events: []
				l.ev, l.cls = jwEventAll, clsOther
				continue
			}
			n = max(n, idx+1)
			l.ev = int32(idx)
			l.cls = mpEventClass(w, l)
			continue
		case "user_data":
			l.ev, l.cls = jwEventAll, clsShared
			continue
		case "client_id", "app_instance_id", "user_id", "timestamp_micros", "non_personalized_ads", "ip_override":
			l.ev, l.cls = jwEventAll, clsOther
			if direct {
				l.cls = clsMapped
			}
			continue
		case "consent":
			l.ev, l.cls = jwEventAll, clsOther
			if l.depth == 2 && isScalar(l) {
				switch w.segKey(l, 1) {
				case "ad_user_data", "ad_personalization":
					l.cls = clsMapped
				}
			}
			continue
		}
		l.ev, l.cls = jwEventAll, clsOther
	}
	switch {
	case n == 0:
		return nil, decodeErr(tried, ReasonNoEvents, "events holds no events")
	case n > o.MaxBatch:
		return nil, decodeErr(tried, ReasonTooManyEvents, "%d events, limit %d", n, o.MaxBatch)
	}
	evs := w.assemble(n, FormatGA4MP, mpApply)
	for i := range evs {
		clickIDsFromURL(&evs[i].ClickIDs, evs[i].URL)
	}
	return evs, nil
}

// mpEventClass classifies a leaf under events[i].
func mpEventClass(w *jsonWalk, l *jwLeaf) uint8 {
	if l.depth <= 2 {
		return clsOther // an empty event object
	}
	direct := l.depth == 3 && isScalar(l)
	switch w.segKey(l, 2) {
	case "name", "timestamp_micros":
		if direct {
			return clsMapped
		}
	case "params":
		// Params keep every event param; the ones with an Event field of
		// their own are also read into it.
		if l.depth == 4 && isScalar(l) {
			switch w.segKey(l, 3) {
			case "page_location", "page_referrer":
				return clsParam | clsTap | clsURL
			case "event_id", "gclid", "gbraid", "wbraid", "fbclid", "user_id", "client_id":
				return clsParam | clsTap
			}
		}
		return clsParam
	}
	return clsOther
}

// mpApply sets the singular fields of an MP event from a mapped leaf.
func mpApply(e *Event, w *jsonWalk, l *jwLeaf) {
	v := w.value(l)
	switch w.segKey(l, 0) {
	case "events":
		switch w.segKey(l, 2) {
		case "name":
			setWithPath(&e.EventName, &e.EventNamePath, v, w.path(l))
		case "timestamp_micros": // overrides the request's
			e.EventTimeRaw, e.EventTimePath, e.EventTimeUnit = v, w.path(l), "us"
			e.EventTime = jwTime(v, "us")
		case "params":
			switch key := w.segKey(l, 3); key {
			case "event_id":
				setWithPath(&e.EventID, &e.EventIDPath, v, w.path(l))
			case "page_location":
				setWithPath(&e.URL, &e.URLPath, v, w.path(l))
			case "page_referrer":
				setWithPath(&e.Referrer, &e.ReferrerPath, v, w.path(l))
			case "user_id":
				setOnce(&e.UserID, v)
			case "client_id":
				setOnce(&e.ClientID, v)
			default:
				e.ClickIDs.setOnce(key, v)
			}
		}
	case "client_id":
		e.ClientID = v // the request's client_id wins over app_instance_id and params
	case "app_instance_id":
		setOnce(&e.ClientID, v)
	case "user_id":
		e.UserID = v
	case "timestamp_micros":
		if e.EventTimePath == "" || !isEventPath(e.EventTimePath) {
			e.EventTimeRaw, e.EventTimePath, e.EventTimeUnit = v, w.path(l), "us"
			e.EventTime = jwTime(v, "us")
		}
	case "non_personalized_ads":
		switch v {
		case "true":
			e.Consent.NPA = "1"
		case "false":
			e.Consent.NPA = "0"
		default:
			e.Consent.NPA = v
		}
	case "ip_override":
		setOnce(&e.ClientIP, v)
	case "consent":
		switch w.segKey(l, 1) {
		case "ad_user_data":
			setOnce(&e.Consent.AdUserData, v)
		case "ad_personalization":
			setOnce(&e.Consent.AdPersonalization, v)
		}
	}
}

// isEventPath reports whether an MP path is inside events[].
func isEventPath(p string) bool {
	return len(p) > 7 && p[:7] == "events["
}
