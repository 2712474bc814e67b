package schemas

import (
	"testing"
)

// benchCAPIEvent is a realistic ~1 KB Conversions API request: one Purchase
// with hashed match keys, cookies, IP, UA and custom data.
var benchCAPIEvent = []byte(`{"data":[{"event_name":"Purchase","event_time":1772446500,"event_id":"ORD-77120","action_source":"website",` +
	`"event_source_url":"https://store.example.net/order/complete?fbclid=IwZXh0bgNhZW0CMTEAAR2x_Demo-Click",` +
	`"user_data":{"em":["c380883a7f5bd30f9566377252d7a73542e94bed90a654681412c7a0bfa0d409"],` +
	`"ph":["2f9fbc550b12cbc0e6242384cc472bd1e4f058a8b773f189f7acb86d202655ce"],` +
	`"fn":["24d4b96f58da6d4a8512313bbd02a28ebf0ca95dec6e4c86ef78ce7f01e788ac"],` +
	`"ln":["00211591ce366b871a8d3851499f9441d8c41e944e0f9bf18087b1f343e2d56d"],` +
	`"country":["959a45d44e6fcf58361ed004681556fe50129f2109e817dec098c00c9e5d2578"],"external_id":["cust-55810"],` +
	`"client_ip_address":"198.51.100.23","client_user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",` +
	`"fbc":"fb.1.1772446152044.IwZXh0bgNhZW0CMTEAAR2x_Demo-Click","fbp":"fb.1.1771574400000.1388405713"},` +
	`"custom_data":{"currency":"EUR","value":84.5,"order_id":"ORD-77120","content_type":"product",` +
	`"content_ids":["TEE-RED-M","CAP-01"],"contents":[{"id":"TEE-RED-M","quantity":1,"item_price":59.5}],"num_items":2}}],` +
	`"partner_agent":"example-sgtm-0.3"}`)

func BenchmarkDecodeCAPI(b *testing.B) {
	m := serverMessage(benchCAPIEvent, "")
	b.SetBytes(int64(len(benchCAPIEvent)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(m, DecodeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeCAPIHeader(b *testing.B) {
	m := serverMessage(benchCAPIEvent, string(FormatMetaCAPI))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(m, DecodeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDecodeCAPIFields(t *testing.T) {
	t.Parallel()
	evs, err := Decode(serverMessage(benchCAPIEvent, ""), DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	e := evs[0]
	if e.Format != FormatMetaCAPI || e.Side != SideServer || e.Destination != DestinationMeta {
		t.Errorf("format %s side %s destination %s", e.Format, e.Side, e.Destination)
	}
	if e.EventTime != 1772446500000 || e.EventTimeUnit != "s" || e.EventTimeRaw != "1772446500" || e.EventTimePath != "data[0].event_time" {
		t.Errorf("time %d %s %q %s", e.EventTime, e.EventTimeUnit, e.EventTimeRaw, e.EventTimePath)
	}
	if e.ClickIDs.FBCLID != "IwZXh0bgNhZW0CMTEAAR2x_Demo-Click" || e.ClickIDs.FBC == "" || e.ClickIDs.FBP == "" {
		t.Errorf("click ids %+v", e.ClickIDs)
	}
	if e.ExternalID != "cust-55810" || e.ClientIP != "198.51.100.23" || e.UserAgent == "" || e.PartnerAgent != "example-sgtm-0.3" {
		t.Errorf("external id %q ip %q ua %q agent %q", e.ExternalID, e.ClientIP, e.UserAgent, e.PartnerAgent)
	}
	if len(e.UserData) != 10 || e.UserData[0].Path != "data[0].user_data.em[0]" || e.UserData[0].Key != "em" {
		t.Errorf("user data %d: %+v", len(e.UserData), e.UserData[0])
	}
	if len(e.Params) != 10 || len(e.Other) != 1 || e.Other[0].Path != "data[0].event_source_url?fbclid" {
		t.Errorf("%d params, %d other", len(e.Params), len(e.Other))
	}
	if e.JoinKey != "ORD-77120" || e.JoinKeySource != "event_id" {
		t.Errorf("join key %q from %q", e.JoinKey, e.JoinKeySource)
	}
}

func TestDecodeCAPIAllocs(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("alloc count")
	}
	m := serverMessage(benchCAPIEvent, "")
	Decode(m, DecodeOptions{}) // warm the pool
	n := testing.AllocsPerRun(200, func() {
		if _, err := Decode(m, DecodeOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	// The input string, the arena string, the events, the field block and
	// the URL query fields' string.
	if n > 5 {
		t.Errorf("Decode of a 1 KB CAPI event allocates %v times, want ≤ 5", n)
	}
}
