package schemas

import "strings"

// finishEvents applies the steps every decoder shares to the events one
// message expanded into, in place:
//
//   - Side and Destination, when the decoder left them unset: from the
//     format (client formats → client, server formats → server; meta.* →
//     meta, ga4.* → ga4, sgtm.event → ga4 unless m.Destination says meta),
//     else (sstaudit.event) from m.Side and m.Destination;
//   - Source from m, with BatchIndex = position and BatchSize = len(evs);
//   - TraceParent from m (an event's own is kept when m has none);
//   - SchemaVersion from the top-level param named o.SchemaVersionParam;
//   - TransactionID / HasTransactionID from the top-level param transaction_id,
//     unless the decoder set them;
//   - JoinKey / JoinKeySource: EventID when non-empty, else the first fallback
//     key configured for the destination whose event list matches the event
//     name (case-insensitive) and whose param value is non-empty, else "".
//
// Each event's Format must be set by its decoder. o must have had its defaults
// applied (Decode does); a nil FallbackKeys then means no fallback at all.
// finishEvents does not allocate.
func finishEvents(evs []Event, m *Message, o *DecodeOptions) {
	n := int32(len(evs))
	for i := range evs {
		e := &evs[i]
		finishSideDest(e, m)

		src := m.Source
		src.BatchIndex = int32(i)
		src.BatchSize = n
		e.Source = src
		if m.TraceParent != "" {
			e.TraceParent = m.TraceParent
		}

		if (e.SchemaVersion == "" && o.SchemaVersionParam != "") || !e.HasTransactionID {
			sv, txn := topParams(e.Params, o.SchemaVersionParam, "transaction_id")
			if e.SchemaVersion == "" && sv >= 0 {
				e.SchemaVersion = paramValue(&e.Params[sv])
			}
			if !e.HasTransactionID && txn >= 0 {
				e.TransactionID = paramValue(&e.Params[txn])
				e.HasTransactionID = true
			}
		}
		finishJoinKey(e, o)
	}
}

// finishSideDest fills in Side and Destination when the decoder left them
// unset: from the format (sgtm.event: ga4 unless m.Destination says
// otherwise), else from the message. A canonical event that was decoded
// from another format earlier keeps the side and destination it carries.
func finishSideDest(e *Event, m *Message) {
	if e.Side != SideClient && e.Side != SideServer {
		switch e.Format {
		case FormatMetaPixel, FormatGA4Gtag:
			e.Side = SideClient
		case FormatMetaCAPI, FormatGA4MP, FormatSGTM:
			e.Side = SideServer
		default:
			e.Side = m.Side
		}
	}
	if e.Destination != "" {
		return
	}
	switch e.Format {
	case FormatMetaPixel, FormatMetaCAPI:
		e.Destination = DestinationMeta
	case FormatGA4Gtag, FormatGA4MP:
		e.Destination = DestinationGA4
	case FormatSGTM:
		e.Destination = DestinationGA4
		if d, ok := destinationOf(m.Destination); ok {
			e.Destination = d
		}
	default:
		if d, ok := destinationOf(m.Destination); ok {
			e.Destination = d
		}
	}
}

// destinationOf parses the sstaudit-destination header value.
func destinationOf(s string) (Destination, bool) {
	s = strings.TrimSpace(s)
	switch {
	case strings.EqualFold(s, string(DestinationMeta)):
		return DestinationMeta, true
	case strings.EqualFold(s, string(DestinationGA4)):
		return DestinationGA4, true
	}
	return "", false
}

// finishJoinKey sets JoinKey and JoinKeySource (SPEC §4).
func finishJoinKey(e *Event, o *DecodeOptions) {
	if e.EventID != "" {
		e.JoinKey, e.JoinKeySource = e.EventID, "event_id"
		return
	}
	e.JoinKey, e.JoinKeySource = "", ""
	for _, fk := range o.FallbackKeys[e.Destination] {
		if fk.Param == "" || !fallbackApplies(fk.Events, e.EventName) {
			continue
		}
		var v string
		if fk.Param == "transaction_id" && e.HasTransactionID {
			v = e.TransactionID
		} else {
			v, _ = topParam(e.Params, fk.Param)
		}
		if v != "" {
			e.JoinKey, e.JoinKeySource = v, fk.Param
			return
		}
	}
}

func fallbackApplies(events []string, name string) bool {
	if len(events) == 0 {
		return true
	}
	for _, ev := range events {
		if strings.EqualFold(ev, name) {
			return true
		}
	}
	return false
}

// topParam returns the value of the top-level param with the given key (see
// topParams). Null values count as present and empty.
func topParam(params []Field, key string) (string, bool) {
	i, _ := topParams(params, key, "")
	if i < 0 {
		return "", false
	}
	return paramValue(&params[i]), true
}

// topParams finds the top-level params named k1 and k2 ("" matches
// nothing) in one pass and returns their indices, or -1. Among the Params
// whose Key matches, the shallowest one (fewest path separators) is taken,
// and only if it is as shallow as the shallowest param of the event, so a
// key nested in items[] or another object is never taken for the event's
// own. Objects and arrays are never values.
func topParams(params []Field, k1, k2 string) (i1, i2 int) {
	i1, i2 = -1, -1
	d1, d2 := 0, 0
	for i := range params {
		f := &params[i]
		match1 := k1 != "" && f.Key == k1 && isParamValue(f)
		match2 := k2 != "" && f.Key == k2 && isParamValue(f)
		if !match1 && !match2 {
			continue
		}
		d := pathDepth(f.Path)
		if match1 && (i1 < 0 || d < d1) {
			i1, d1 = i, d
		}
		if match2 && (i2 < 0 || d < d2) {
			i2, d2 = i, d
		}
	}
	if i1 < 0 && i2 < 0 {
		return i1, i2
	}
	// Only now the depth of the shallowest param: most events carry
	// neither key, and then no path is measured at all.
	minDepth := -1
	for i := range params {
		if d := pathDepth(params[i].Path); minDepth < 0 || d < minDepth {
			minDepth = d
			if d == 0 {
				break
			}
		}
	}
	if i1 >= 0 && d1 != minDepth {
		i1 = -1
	}
	if i2 >= 0 && d2 != minDepth {
		i2 = -1
	}
	return i1, i2
}

func isParamValue(f *Field) bool {
	switch f.Kind {
	case KindString, KindNumber, KindBool, KindNull:
		return true
	}
	return false
}

// paramValue is a param's value; null reads as "".
func paramValue(f *Field) string {
	if f.Kind == KindNull {
		return ""
	}
	return f.Value
}

// pathDepth counts the separators of a field path: '.' and '['. A Pixel
// cd[value] or gtag ep.value has depth 1, MP events[0].params.value 3.
// Separators inside bracketed keys (cd[a.b]) are not counted.
func pathDepth(p string) int {
	d := 0
	inBracket := false
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '[':
			if !inBracket {
				d++
				inBracket = true
			}
		case ']':
			inBracket = false
		case '.':
			if !inBracket {
				d++
			}
		}
	}
	return d
}
