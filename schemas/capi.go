package schemas

// decodeCAPI decodes a Meta Conversions API request body (REFERENCE §1.1):
// {"data":[server events], "test_event_code", "partner_agent", …}, or a
// single server event object. Each element of data becomes one Event, in
// order. Missing or wrong fields are decoded as far as they go; only a body
// that is not JSON, not an object, or whose data is not an array of objects
// is an error.
func decodeCAPI(m *Message, o *DecodeOptions) ([]Event, error) {
	w := getJSONWalk()
	defer w.release()
	if err := w.walk(m.Value, o.MaxDepth); err != nil {
		return nil, walkErr(FormatMetaCAPI, err)
	}
	return decodeCAPIWalked(w, o, FormatMetaCAPI)
}

// decodeCAPIWalked decodes an already walked CAPI body; tried names the
// format for errors.
func decodeCAPIWalked(w *jsonWalk, o *DecodeOptions, tried Format) ([]Event, error) {
	if !w.topIsObject() {
		return nil, decodeErr(tried, ReasonSchema, "body is not a json object")
	}
	batched, isArray := w.topKey("data")
	if batched && !isArray {
		return nil, decodeErr(tried, ReasonSchema, "data is not an array")
	}
	n := 0
	if !batched {
		if len(w.leaves) == 1 && w.leaves[0].depth == 0 { // {}
			return nil, decodeErr(tried, ReasonNoEvents, "empty body")
		}
		n = 1
	}
	for i := range w.leaves {
		l := &w.leaves[i]
		top := w.segKey(l, 0)
		switch {
		case batched && top == "data":
			idx, why := w.batchElem(l, "data")
			if why != "" {
				return nil, decodeErr(tried, ReasonSchema, "%s", why)
			}
			if idx < 0 { // the leaf of data: []
				l.ev, l.cls = jwEventAll, clsOther
				continue
			}
			n = max(n, idx+1)
			l.ev = int32(idx)
			l.cls = capiEventClass(w, l, 2)
		case top == "test_event_code" || top == "partner_agent":
			l.ev = jwEventAll
			l.cls = clsOther
			if l.depth == 1 && isScalar(l) {
				l.cls = clsMapped
			}
		case batched:
			l.ev, l.cls = jwEventAll, clsOther
		default:
			l.ev = 0
			l.cls = capiEventClass(w, l, 0)
		}
	}
	if n == 0 {
		return nil, decodeErr(tried, ReasonNoEvents, "data holds no events")
	}
	if n > o.MaxBatch {
		return nil, decodeErr(tried, ReasonTooManyEvents, "%d events, limit %d", n, o.MaxBatch)
	}
	evs := w.assemble(n, FormatMetaCAPI, capiApply)
	for i := range evs {
		clickIDsFromURL(&evs[i].ClickIDs, evs[i].URL)
	}
	return evs, nil
}

// capiBase is the path segment where a CAPI leaf's event-relative path
// starts: 2 under data[i], 0 for a single event object.
func capiBase(w *jsonWalk, l *jwLeaf) int {
	if w.segKey(l, 0) == "data" {
		return 2
	}
	return 0
}

// capiEventClass classifies a leaf of one server event whose event-relative
// path starts at segment base.
func capiEventClass(w *jsonWalk, l *jwLeaf, base int) uint8 {
	if int(l.depth) <= base {
		return clsOther // an empty event object
	}
	direct := int(l.depth) == base+1
	switch w.segKey(l, base) {
	case "user_data":
		// The singular match keys stay in UserData and are also read into
		// their Event fields: user_data.KEY or user_data.KEY[i].
		d := int(l.depth)
		if isScalar(l) && (d == base+2 || (d == base+3 && w.segIndex(l, base+2) >= 0)) {
			switch w.segKey(l, base+1) {
			case "client_ip_address", "client_user_agent", "fbc", "fbp", "external_id":
				return clsUser | clsTap
			}
		}
		return clsUser
	case "custom_data":
		return clsParam
	case "event_source_url", "referrer_url":
		if direct && isScalar(l) {
			return clsMapped | clsURL
		}
	case "event_name", "event_time", "event_id", "action_source", "test_event_code", "partner_agent":
		if direct && isScalar(l) {
			return clsMapped
		}
	case "data_processing_options":
		if isScalar(l) && (direct || (int(l.depth) == base+2 && w.segIndex(l, base+1) >= 0)) {
			return clsMapped
		}
	}
	return clsOther
}

// capiApply sets the singular fields of a CAPI event from a mapped leaf; it
// also reads the match keys kept in user_data (which stay in UserData).
func capiApply(e *Event, w *jsonWalk, l *jwLeaf) {
	base := capiBase(w, l)
	v := w.value(l)
	switch w.segKey(l, base) {
	case "event_name":
		setWithPath(&e.EventName, &e.EventNamePath, v, w.path(l))
	case "event_time":
		e.setTimeOnce(v, w.path(l), "s")
	case "event_id":
		setWithPath(&e.EventID, &e.EventIDPath, v, w.path(l))
	case "action_source":
		setWithPath(&e.ActionSource, &e.ActionSourcePath, v, w.path(l))
	case "event_source_url":
		setWithPath(&e.URL, &e.URLPath, v, w.path(l))
	case "referrer_url":
		setWithPath(&e.Referrer, &e.ReferrerPath, v, w.path(l))
	case "test_event_code":
		setOnce(&e.TestEventCode, v)
	case "partner_agent":
		setOnce(&e.PartnerAgent, v)
	case "user_data":
		switch w.segKey(l, base+1) {
		case "client_ip_address":
			setOnce(&e.ClientIP, v)
		case "client_user_agent":
			setOnce(&e.UserAgent, v)
		case "fbc":
			setOnce(&e.ClickIDs.FBC, v)
		case "fbp":
			setOnce(&e.ClickIDs.FBP, v)
		case "external_id":
			setOnce(&e.ExternalID, v)
		}
	case "data_processing_options":
		switch {
		case v == "":
		case e.Consent.DataProcessing == "":
			e.Consent.DataProcessing = v
		default:
			e.Consent.DataProcessing += "," + v
		}
	}
}
