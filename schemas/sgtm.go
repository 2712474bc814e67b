package schemas

import "strings"

// decodeSGTM decodes server-side GTM event data (REFERENCE §1.5): one flat
// object per event, as the GA4 client builds it. Plaintext user_data is
// normal at this stage and is kept as sent. Event parameters (value,
// currency, transaction_id, items, custom keys) become Params; the common
// event data keys and the x-ga-*/x-sst-*/x-fb-* protocol keys that have no
// Event field become Other.
func decodeSGTM(m *Message, o *DecodeOptions) ([]Event, error) {
	w := getJSONWalk()
	defer w.release()
	if err := w.walk(m.Value, o.MaxDepth); err != nil {
		return nil, walkErr(FormatSGTM, err)
	}
	return decodeSGTMWalked(w, FormatSGTM)
}

func decodeSGTMWalked(w *jsonWalk, tried Format) ([]Event, error) {
	if !w.topIsObject() {
		return nil, decodeErr(tried, ReasonSchema, "event data is not a json object")
	}
	if len(w.leaves) == 1 && w.leaves[0].depth == 0 { // {}
		return nil, decodeErr(tried, ReasonNoEvents, "empty event data")
	}
	for i := range w.leaves {
		l := &w.leaves[i]
		l.ev = 0
		l.cls = sgtmClass(w, l)
	}
	evs := w.assemble(1, FormatSGTM, sgtmApply)
	clickIDsFromURL(&evs[0].ClickIDs, evs[0].URL)
	return evs, nil
}

// sgtmClass classifies one leaf of sGTM event data.
func sgtmClass(w *jsonWalk, l *jwLeaf) uint8 {
	k := w.segKey(l, 0)
	direct := l.depth == 1 && isScalar(l)
	switch k {
	case "user_data":
		return clsUser
	case "page_location", "page_referrer":
		if direct {
			return clsMapped | clsURL
		}
		return clsOther
	case "event_name", "client_id", "user_id", "timestamp", "event_id",
		"ip_override", "user_agent", "x-ga-gcs", "x-ga-gcd", "x-ga-npa", "x-ga-dma", "x-ga-measurement_id":
		if direct {
			return clsMapped
		}
		return clsOther
	case "gclid", "gbraid", "wbraid", "fbclid", "_fbc", "_fbp", "fbc", "fbp", "x-fb-ck-fbc", "x-fb-ck-fbp":
		// Click ids and cookies come under several names; all stay visible
		// in Other, and the first of each is read into ClickIDs.
		if direct {
			return clsOther | clsTap
		}
		return clsOther
	case "language", "page_encoding", "page_hostname", "page_path", "page_title", "screen_resolution",
		"viewport_size", "ga_session_id", "ga_session_number", "event_location", "client_hints":
		return clsOther
	}
	switch {
	case strings.HasPrefix(k, "x-fb-ud-"):
		return clsUser // Meta tag user data keys (x-fb-ud-em …)
	case strings.HasPrefix(k, "x-ga-"), strings.HasPrefix(k, "x-sst-"), strings.HasPrefix(k, "x-fb-"):
		return clsOther
	case l.depth == 0:
		return clsOther // not reached: empty event data is rejected above
	}
	return clsParam
}

// sgtmApply sets the singular fields of an sGTM event from a mapped leaf.
func sgtmApply(e *Event, w *jsonWalk, l *jwLeaf) {
	v := w.value(l)
	switch key := w.segKey(l, 0); key {
	case "event_name":
		setWithPath(&e.EventName, &e.EventNamePath, v, w.path(l))
	case "timestamp":
		e.setTimeOnce(v, w.path(l), "s")
	case "event_id":
		setWithPath(&e.EventID, &e.EventIDPath, v, w.path(l))
	case "page_location":
		setWithPath(&e.URL, &e.URLPath, v, w.path(l))
	case "page_referrer":
		setWithPath(&e.Referrer, &e.ReferrerPath, v, w.path(l))
	case "client_id":
		setOnce(&e.ClientID, v)
	case "user_id":
		setOnce(&e.UserID, v)
	case "ip_override":
		setOnce(&e.ClientIP, v)
	case "user_agent":
		setOnce(&e.UserAgent, v)
	case "x-ga-gcs":
		setOnce(&e.Consent.GCS, v)
	case "x-ga-gcd":
		setOnce(&e.Consent.GCD, v)
	case "x-ga-npa":
		setOnce(&e.Consent.NPA, v)
	case "x-ga-dma":
		setOnce(&e.Consent.DMA, v)
	case "x-ga-measurement_id":
		setOnce(&e.PixelID, v)
	case "_fbc", "fbc", "x-fb-ck-fbc":
		setOnce(&e.ClickIDs.FBC, v)
	case "_fbp", "fbp", "x-fb-ck-fbp":
		setOnce(&e.ClickIDs.FBP, v)
	default:
		e.ClickIDs.setOnce(key, v)
	}
}
