package schemas

import "strings"

// finishEvents applies the steps every decoder shares to the events one
// message expanded into, in place:
//
//   - Side from the format (client formats → client, server formats → server;
//     sstaudit.event keeps its own and falls back to m.Side);
//   - Destination from the format (sgtm.event: ga4 unless m.Destination says
//     meta; sstaudit.event keeps its own and falls back to m.Destination);
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

		if e.SchemaVersion == "" && o.SchemaVersionParam != "" {
			if v, ok := topParam(e.Params, o.SchemaVersionParam); ok {
				e.SchemaVersion = v
			}
		}
		if !e.HasTransactionID {
			if v, ok := topParam(e.Params, "transaction_id"); ok {
				e.TransactionID = v
				e.HasTransactionID = true
			}
		}
		finishJoinKey(e, o)
	}
}

// finishSideDest sets Side and Destination from the event's format.
func finishSideDest(e *Event, m *Message) {
	switch e.Format {
	case FormatMetaPixel:
		e.Side, e.Destination = SideClient, DestinationMeta
	case FormatGA4Gtag:
		e.Side, e.Destination = SideClient, DestinationGA4
	case FormatMetaCAPI:
		e.Side, e.Destination = SideServer, DestinationMeta
	case FormatGA4MP:
		e.Side, e.Destination = SideServer, DestinationGA4
	case FormatSGTM:
		e.Side = SideServer
		e.Destination = DestinationGA4
		if d, ok := destinationOf(m.Destination); ok {
			e.Destination = d
		}
	default: // sstaudit.event: keep its own
		if e.Side != SideClient && e.Side != SideServer {
			e.Side = m.Side
		}
		if e.Destination == "" {
			if d, ok := destinationOf(m.Destination); ok {
				e.Destination = d
			}
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

// topParam returns the value of the top-level param with the given key: among
// the Params whose Key matches, the shallowest one (fewest path separators),
// and only if it is as shallow as the shallowest param of the event, so a key
// nested in items[] or another object is never taken for the event's own.
// Null values count as present and empty; objects and arrays are never leaves.
func topParam(params []Field, key string) (string, bool) {
	if len(params) == 0 {
		return "", false
	}
	minDepth := -1
	best := -1
	bestDepth := 0
	for i := range params {
		d := pathDepth(params[i].Path)
		if minDepth < 0 || d < minDepth {
			minDepth = d
		}
		if params[i].Key == key && (best < 0 || d < bestDepth) {
			best, bestDepth = i, d
		}
	}
	if best < 0 || bestDepth != minDepth {
		return "", false
	}
	switch f := &params[best]; f.Kind {
	case KindString, KindNumber, KindBool:
		return f.Value, true
	case KindNull:
		return "", true
	}
	return "", false
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
