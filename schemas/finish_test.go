package schemas

import "testing"

func TestFinishEvents(t *testing.T) {
	t.Parallel()
	o := DecodeOptions{}.withDefaults()
	m := Message{
		Destination: "Meta",
		Side:        SideServer,
		Source:      Source{Topic: "tracking.server", Partition: 3, Offset: 42, RecordTime: 1772446500123},
		TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	}
	evs := []Event{
		{Format: FormatGA4MP, EventName: "Purchase", Params: []Field{
			{Path: "events[0].params.items[0].transaction_id", Key: "transaction_id", Value: "nested"},
			{Path: "events[0].params.transaction_id", Key: "transaction_id", Value: "ORD-1"},
			{Path: "events[0].params.cx_schema_version", Key: "cx_schema_version", Value: "3", Kind: KindNumber},
		}},
		{Format: FormatGA4MP, EventName: "purchase", EventID: "E-2"},
		{Format: FormatSGTM, EventName: "purchase", Params: []Field{
			{Path: "transaction_id", Key: "transaction_id", Value: "ORD-3"},
		}},
		{Format: FormatGA4MP, EventName: "add_to_cart", Params: []Field{
			{Path: "events[3].params.transaction_id", Key: "transaction_id", Value: "ORD-4"},
		}},
		{Format: FormatGA4MP, EventName: "purchase", Params: []Field{
			{Path: "events[4].params.transaction_id", Key: "transaction_id", Kind: KindNull, Value: "null"},
		}},
		{Format: FormatCanonical, Side: SideClient, Destination: DestinationGA4, TraceParent: "own"},
		{Format: FormatMetaPixel},
		{Format: FormatSGTM, Side: SideServer, Destination: DestinationGA4}, // re-ingested canonical event
		{Format: FormatCanonical, Params: []Field{
			{Path: "params.items[0].transaction_id", Key: "transaction_id", Value: "nested-only"},
			{Path: "params.value", Key: "value", Value: "1"},
		}},
	}
	finishEvents(evs, &m, &o)

	type want struct {
		side      Side
		dest      Destination
		joinKey   string
		joinSrc   string
		txn       string
		hasTxn    bool
		schemaVer string
	}
	wants := []want{
		{SideServer, DestinationGA4, "ORD-1", "transaction_id", "ORD-1", true, "3"},
		{SideServer, DestinationGA4, "E-2", "event_id", "", false, ""},
		{SideServer, DestinationMeta, "", "", "ORD-3", true, ""}, // meta has no fallback
		{SideServer, DestinationGA4, "", "", "ORD-4", true, ""},  // fallback only for purchase
		{SideServer, DestinationGA4, "", "", "", true, ""},       // null: present, empty
		{SideClient, DestinationGA4, "", "", "", false, ""},
		{SideClient, DestinationMeta, "", "", "", false, ""},
		{SideServer, DestinationGA4, "", "", "", false, ""},  // kept although the header says meta
		{SideServer, DestinationMeta, "", "", "", false, ""}, // nested transaction_id is not the event's
	}
	for i, w := range wants {
		e := evs[i]
		got := want{e.Side, e.Destination, e.JoinKey, e.JoinKeySource, e.TransactionID, e.HasTransactionID, e.SchemaVersion}
		if got != w {
			t.Errorf("event %d: got %+v, want %+v", i, got, w)
		}
		if e.Source.BatchIndex != int32(i) || e.Source.BatchSize != int32(len(evs)) || e.Source.Offset != 42 || e.Source.Topic != "tracking.server" {
			t.Errorf("event %d: source %+v", i, e.Source)
		}
		if e.TraceParent != m.TraceParent {
			t.Errorf("event %d: traceparent %q", i, e.TraceParent)
		}
	}
}

func TestFinishEventsFallbackConfig(t *testing.T) {
	t.Parallel()
	o := DecodeOptions{FallbackKeys: map[Destination][]FallbackKey{
		DestinationMeta: {{Param: "order_id", Events: []string{"Purchase"}}, {Param: "lead_id"}},
	}}.withDefaults()
	m := Message{}
	evs := []Event{
		{Format: FormatMetaCAPI, EventName: "PURCHASE", Params: []Field{{Path: "data[0].custom_data.order_id", Key: "order_id", Value: "O-9"}}},
		{Format: FormatMetaCAPI, EventName: "Lead", Params: []Field{
			{Path: "data[1].custom_data.order_id", Key: "order_id", Value: "O-10"},
			{Path: "data[1].custom_data.lead_id", Key: "lead_id", Value: ""},
		}},
		{Format: FormatMetaCAPI, EventName: "Lead", Params: []Field{{Path: "data[2].custom_data.lead_id", Key: "lead_id", Value: "L-1"}}},
	}
	finishEvents(evs, &m, &o)
	for i, w := range [][2]string{{"O-9", "order_id"}, {"", ""}, {"L-1", "lead_id"}} {
		if evs[i].JoinKey != w[0] || evs[i].JoinKeySource != w[1] {
			t.Errorf("event %d: join key %q from %q, want %q from %q", i, evs[i].JoinKey, evs[i].JoinKeySource, w[0], w[1])
		}
	}
	if m.TraceParent == "" && evs[0].TraceParent != "" {
		t.Errorf("traceparent invented")
	}
}

func TestFinishPathDepth(t *testing.T) {
	t.Parallel()
	for p, d := range map[string]int{
		"value": 0, "cd[value]": 1, "ep.value": 1, "cd[a.b]": 1,
		"events[0].params.value": 3, "data[0].custom_data.contents[0].id": 5,
	} {
		if got := pathDepth(p); got != d {
			t.Errorf("pathDepth(%q) = %d, want %d", p, got, d)
		}
	}
}

func TestFinishEventsNoAllocs(t *testing.T) {
	o := DecodeOptions{}.withDefaults()
	m := Message{Source: Source{Topic: "t"}}
	evs := []Event{{Format: FormatGA4MP, EventName: "purchase", Params: []Field{
		{Path: "events[0].params.transaction_id", Key: "transaction_id", Value: "ORD-1"},
	}}}
	if n := testing.AllocsPerRun(100, func() { finishEvents(evs, &m, &o) }); n != 0 {
		t.Errorf("finishEvents allocates %v times", n)
	}
}
