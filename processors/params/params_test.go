package params

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sstaudit/sstaudit/processors/internal/eventtest"
	"github.com/sstaudit/sstaudit/schemas"
)

const (
	hEm = eventtest.HashedEmail
	ua  = eventtest.UserAgent
	web = `"event_source_url":"https://store.example.net/p","user_data":{"em":"` + hEm + `","client_user_agent":"` + ua + `","fbp":"fb.1.1771574400000.1388405713"}`
	crm = `"user_data":{"em":"` + hEm + `","external_id":"cust-1"}`
)

// capi builds a one-event CAPI batch: name, action_source ("-" = omitted),
// user/URL members (web or crm) and custom_data members.
func capi(name, as, who, custom string) string {
	s := `{"data":[{"event_name":"` + name + `","event_time":1772446490,"event_id":"E1"`
	if as != "-" {
		s += `,"action_source":"` + as + `"`
	}
	return s + `,` + who + `,"custom_data":{` + custom + `}}]}`
}

// mp builds an MP body with one event; params without session ones get them
// appended unless bare is true.
func mp(name, params string, bare bool) string {
	if !bare {
		if params != "" {
			params += ","
		}
		params += `"session_id":"1772445900","engagement_time_msec":100`
	}
	return `{"client_id":"1388405713.1771574400","timestamp_micros":1772446500000000,"events":[{"name":"` + name + `","params":{` + params + `}}]}`
}

const mpPurchase = `"transaction_id":"ORD-1","currency":"EUR","value":84.5`

type want struct{ Code, Sev, Path string }

func TestCheck(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 101)
	var many []string
	for i := range 26 {
		many = append(many, fmt.Sprintf(`"p%02d":"v"`, i))
	}
	var manyEvents []string
	for range 26 {
		manyEvents = append(manyEvents, `{"name":"tick","params":{"session_id":"1","engagement_time_msec":1}}`)
	}
	nsOn := NewDefaultConfig()
	nsOn.NamespaceSeverity = schemas.SeverityInfo
	svOn := NewDefaultConfig()
	svOn.SchemaVersionSeverity = schemas.SeverityInfo
	allow := NewDefaultConfig()
	allow.CustomEventNames = []string{"NewsletterSignup"}

	tests := []struct {
		name    string
		side    schemas.Side
		payload string
		cfg     *Config
		want    []want
	}{
		// clean events
		{"clean capi purchase", schemas.SideServer, capi("Purchase", "website", web, `"currency":"EUR","value":84.5,"content_ids":["A"]`), nil, nil},
		{"clean capi, lower-case currency is fine for Meta", schemas.SideServer, capi("Purchase", "website", web, `"currency":"eur","value":"84.50"`), nil, nil},
		{"clean mp purchase", schemas.SideServer, mp("purchase", mpPurchase, false), nil, nil},
		{"clean gtag purchase", schemas.SideClient, "v=2&tid=G-X&cid=1.2&en=purchase&cu=EUR&ep.transaction_id=ORD-1&epn.value=84.5", nil, nil},
		{"clean pixel PageView", schemas.SideClient, "id=1&ev=PageView&dl=https%3A%2F%2Fstore.example.net%2F", nil, nil},
		{"clean pixel purchase", schemas.SideClient, "id=1&ev=Purchase&eid=O1&cd[value]=84.5&cd[currency]=EUR", nil, nil},
		{"clean sgtm from the GA4 client", schemas.SideServer,
			`{"event_name":"purchase","client_id":"1.2","x-ga-protocol_version":"2","x-ga-measurement_id":"G-X","transaction_id":"T1","value":1,"currency":"EUR","engagement_time_msec":12,"items":[{"item_id":"A","price":1}]}`, nil, nil},

		// EVENT_ACTION_SOURCE
		{"crm event without action_source", schemas.SideServer, capi("Lead", "-", crm, ""), nil,
			[]want{{CodeActionSource, "fail", "data[0].action_source"}}},
		{"web event without action_source is matchkeys'", schemas.SideServer, capi("Lead", "-", web, ""), nil, nil},
		{"action_source not a Meta value", schemas.SideServer, capi("Lead", "web", crm, ""), nil,
			[]want{{CodeActionSource, "fail", "data[0].action_source"}}},
		{"action_source in upper case", schemas.SideServer, capi("Lead", "Website", web, ""), nil,
			[]want{{CodeActionSource, "fail", "data[0].action_source"}}},
		{"web event saying app", schemas.SideServer, capi("Lead", "app", web, ""), nil,
			[]want{{CodeActionSource, "warn", "data[0].action_source"}}},
		{"physical_store crm event", schemas.SideServer, capi("Lead", "physical_store", crm, ""), nil, nil},

		// EVENT_NAME_NONSTANDARD
		{"meta purchase lower case", schemas.SideServer, capi("purchase", "website", web, `"currency":"EUR","value":1`), nil,
			[]want{{CodeNameNonstandard, "fail", "data[0].event_name"}}},
		{"meta GA4 name add_to_cart", schemas.SideServer, capi("add_to_cart", "website", web, ""), nil,
			[]want{{CodeNameNonstandard, "fail", "data[0].event_name"}}},
		{"meta GA4-style custom name", schemas.SideClient, "id=1&ev=lead_submission_success&eid=E1", nil,
			[]want{{CodeNameNonstandard, "warn", "ev"}}},
		{"meta custom name", schemas.SideServer, capi("NewsletterSignup", "website", web, ""), nil,
			[]want{{CodeNameNonstandard, "warn", "data[0].event_name"}}},
		{"meta allowlisted custom name", schemas.SideServer, capi("NewsletterSignup", "website", web, ""), allow, nil},
		{"business messaging LeadSubmitted", schemas.SideServer, capi("LeadSubmitted", "business_messaging", crm, ""), nil, nil},
		{"LeadSubmitted on a website event", schemas.SideServer, capi("LeadSubmitted", "website", web, ""), nil,
			[]want{{CodeNameNonstandard, "warn", "data[0].event_name"}}},

		// EVENT_NAME_INVALID
		{"gtag page_view is Google's own", schemas.SideClient, "v=2&tid=G-X&cid=1.2&en=page_view", nil, nil},
		{"gtag scroll is Google's own", schemas.SideClient, "v=2&tid=G-X&cid=1.2&en=scroll", nil, nil},
		{"mp page_view is allowed by the MP reference", schemas.SideServer, mp("page_view", "", false), nil, nil},
		{"mp session_start is reserved", schemas.SideServer, mp("session_start", "", false), nil,
			[]want{{CodeNameInvalid, "fail", "events[0].name"}}},
		{"mp firebase_ prefix", schemas.SideServer, mp("firebase_sync", "", false), nil,
			[]want{{CodeNameInvalid, "fail", "events[0].name"}}},
		{"custom sgtm page_view", schemas.SideServer, `{"event_name":"page_view","client_id":"1.2"}`, nil,
			[]want{{CodeNameInvalid, "fail", "event_name"}}},
		{"sgtm page_view from the GA4 client", schemas.SideServer, `{"event_name":"page_view","client_id":"1.2","x-ga-protocol_version":"2"}`, nil, nil},
		{"gtag name with spaces", schemas.SideClient, "v=2&tid=G-X&cid=1.2&en=add%20to%20cart", nil,
			[]want{{CodeNameInvalid, "fail", "en"}}},
		{"mp name starting with a digit", schemas.SideServer, mp("1st_order", "", false), nil,
			[]want{{CodeNameInvalid, "fail", "events[0].name"}}},
		{"mp name of 41 characters", schemas.SideServer, mp(strings.Repeat("a", 41), "", false), nil,
			[]want{{CodeNameInvalid, "fail", "events[0].name"}}},
		{"mp name of 40 characters", schemas.SideServer, mp(strings.Repeat("a", 40), "", false), nil, nil},

		// PARAM_MISSING
		{"meta purchase without currency", schemas.SideServer, capi("Purchase", "website", web, `"value":84.5`), nil,
			[]want{{CodeParamMissing, "fail", "data[0].custom_data.currency"}}},
		{"pixel purchase without value and currency", schemas.SideClient, "id=1&ev=Purchase&eid=O1", nil,
			[]want{{CodeParamMissing, "fail", "cd[value]"}, {CodeParamMissing, "fail", "cd[currency]"}}},
		{"meta AddToCart value without currency", schemas.SideServer, capi("AddToCart", "website", web, `"value":5`), nil,
			[]want{{CodeParamMissing, "warn", "data[0].custom_data.currency"}}},
		{"meta purchase with null currency", schemas.SideServer, capi("Purchase", "website", web, `"value":5,"currency":null`), nil,
			[]want{{CodeParamMissing, "fail", "data[0].custom_data.currency"}}},
		{"mp purchase without transaction_id", schemas.SideServer, mp("purchase", `"currency":"EUR","value":1`, false), nil,
			[]want{{CodeParamMissing, "fail", "events[0].params.transaction_id"}}},
		{"mp purchase with value, no currency", schemas.SideServer, mp("purchase", `"transaction_id":"T1","value":1`, false), nil,
			[]want{{CodeParamMissing, "fail", "events[0].params.currency"}}},
		{"gtag purchase without cu", schemas.SideClient, "v=2&tid=G-X&cid=1.2&en=purchase&ep.transaction_id=T1&epn.value=84.5", nil,
			[]want{{CodeParamMissing, "fail", "cu"}}},
		{"mp without session params: info notes", schemas.SideServer, mp("sign_up", `"method":"email"`, true), nil,
			[]want{{CodeParamMissing, "info", "events[0].params.session_id"}, {CodeParamMissing, "info", "events[0].params.engagement_time_msec"}}},

		// PARAM_CURRENCY_INVALID
		{"meta currency EURO", schemas.SideServer, capi("Purchase", "website", web, `"currency":"EURO","value":1`), nil,
			[]want{{CodeCurrencyInvalid, "fail", "data[0].custom_data.currency"}}},
		{"meta currency XXX", schemas.SideServer, capi("Purchase", "website", web, `"currency":"XXX","value":1`), nil,
			[]want{{CodeCurrencyInvalid, "fail", "data[0].custom_data.currency"}}},
		{"meta currency as a number", schemas.SideServer, capi("Purchase", "website", web, `"currency":978,"value":1`), nil,
			[]want{{CodeCurrencyInvalid, "fail", "data[0].custom_data.currency"}}},
		{"pixel currency symbol", schemas.SideClient, "id=1&ev=Purchase&eid=O1&cd[value]=1&cd[currency]=%E2%82%AC", nil,
			[]want{{CodeCurrencyInvalid, "fail", "cd[currency]"}}},
		{"ga4 lower-case currency", schemas.SideServer, mp("purchase", `"transaction_id":"T1","currency":"eur","value":1`, false), nil,
			[]want{{CodeCurrencyInvalid, "warn", "events[0].params.currency"}}},

		// PARAM_VALUE_INVALID
		{"value with decimal comma", schemas.SideServer, capi("Purchase", "website", web, `"currency":"EUR","value":"84,50"`), nil,
			[]want{{CodeValueInvalid, "fail", "data[0].custom_data.value"}}},
		{"value with a symbol", schemas.SideClient, "id=1&ev=Purchase&eid=O1&cd[value]=%2484.50&cd[currency]=USD", nil,
			[]want{{CodeValueInvalid, "fail", "cd[value]"}}},
		{"negative value", schemas.SideServer, mp("purchase", `"transaction_id":"T1","currency":"EUR","value":-5`, false), nil,
			[]want{{CodeValueInvalid, "fail", "events[0].params.value"}}},
		{"negative value on refund", schemas.SideServer, mp("refund", `"transaction_id":"T1","currency":"EUR","value":-5`, false), nil, nil},
		{"boolean value", schemas.SideServer, capi("Purchase", "website", web, `"currency":"EUR","value":true`), nil,
			[]want{{CodeValueInvalid, "fail", "data[0].custom_data.value"}}},
		{"exponent value is a number", schemas.SideServer, capi("Purchase", "website", web, `"currency":"EUR","value":1e3`), nil, nil},
		{"items price is not the event value", schemas.SideServer, mp("purchase", mpPurchase+`,"items":[{"item_id":"A","value":"n/a"}]`, false), nil, nil},

		// PARAM_RESERVED
		{"mp session_id and engagement_time_msec are required, not reserved", schemas.SideServer, mp("purchase", mpPurchase, false), nil, nil},
		{"gtag ep.session_id is reserved", schemas.SideClient, "v=2&tid=G-X&cid=1.2&en=sign_up&ep.session_id=1", nil,
			[]want{{CodeParamReserved, "fail", "ep.session_id"}}},
		{"mp gclid and ga_ params", schemas.SideServer, mp("sign_up", `"gclid":"Cj0","ga_custom":"x","_internal":1`, false), nil,
			[]want{{CodeParamReserved, "fail", "events[0].params.gclid"}, {CodeParamReserved, "fail", "events[0].params.ga_custom"}, {CodeParamReserved, "fail", "events[0].params._internal"}}},

		// PARAM_LIMIT
		{"26 params", schemas.SideServer, mp("sign_up", strings.Join(many, ","), true), nil,
			[]want{{CodeParamLimit, "fail", "events[0].params.p25"}, {CodeParamMissing, "info", "events[0].params.session_id"}, {CodeParamMissing, "info", "events[0].params.engagement_time_msec"}}},
		{"25 params with items counted once", schemas.SideServer, mp("sign_up", strings.Join(many[:22], ",")+`,"items":[{"item_id":"a","price":1},{"item_id":"b"}]`, false), nil, nil},
		{"param name of 41 characters", schemas.SideClient, "v=2&tid=G-X&cid=1.2&en=sign_up&ep." + strings.Repeat("n", 41) + "=1", nil,
			[]want{{CodeParamLimit, "fail", "ep." + strings.Repeat("n", 41)}}},
		{"value of 101 characters", schemas.SideClient, "v=2&tid=G-X&cid=1.2&en=sign_up&ep.note=" + long, nil,
			[]want{{CodeParamLimit, "warn", "ep.note"}}},
		{"page_title of 250 characters is within its exception", schemas.SideClient, "v=2&tid=G-X&cid=1.2&en=sign_up&ep.page_title=" + strings.Repeat("t", 250), nil, nil},
		{"item value of 101 characters", schemas.SideServer, mp("purchase", mpPurchase+`,"items":[{"item_name":"`+long+`"}]`, false), nil,
			[]want{{CodeParamLimit, "warn", "events[0].params.items[0].item_name"}}},
		{"meta has no GA4 limits", schemas.SideServer, capi("Lead", "website", web, `"note":"`+long+`"`), nil, nil},
		{"mp 26 events", schemas.SideServer, `{"client_id":"1.2","events":[` + strings.Join(manyEvents, ",") + `]}`, nil,
			[]want{{CodeParamLimit, "fail", "events"}}},

		// PARAM_NOT_NAMESPACED
		{"namespace off by default", schemas.SideServer, capi("Lead", "website", web, `"plan":"pro"`), nil, nil},
		{"meta custom param without prefix", schemas.SideServer, capi("Lead", "website", web, `"plan":"pro","cx_tier":"a","content_ids":["A","B"],"cx_schema_version":"2"`), nsOn,
			[]want{{CodeNotNamespaced, "info", "data[0].custom_data.plan"}}},
		{"ga4 custom param without prefix", schemas.SideClient, "v=2&tid=G-X&cid=1.2&en=sign_up&ep.method=email&ep.event_id=E1&ep.plan=pro&ep.cx_plan=pro", nsOn,
			[]want{{CodeNotNamespaced, "info", "ep.plan"}}},

		// SCHEMA_VERSION_MISSING
		{"schema version off by default", schemas.SideServer, capi("Lead", "website", web, ""), nil, nil},
		{"schema version missing", schemas.SideServer, capi("Lead", "website", web, `"value":"1","currency":"EUR"`), svOn,
			[]want{{CodeSchemaVersion, "info", "data[0].custom_data.cx_schema_version"}}},
		{"schema version present", schemas.SideServer, mp("purchase", mpPurchase+`,"cx_schema_version":"2"`, false), svOn, nil},

		// GA4_TRANSACTION_ID_EMPTY
		{"empty transaction_id", schemas.SideServer, mp("purchase", `"transaction_id":"","currency":"EUR","value":1`, false), nil,
			[]want{{CodeTransactionIDEmpty, "fail", "events[0].params.transaction_id"}}},
		{"(not set) transaction_id", schemas.SideServer, mp("purchase", `"transaction_id":"(not set)","currency":"EUR","value":1`, false), nil,
			[]want{{CodeTransactionIDEmpty, "fail", "events[0].params.transaction_id"}}},
		{"template transaction_id", schemas.SideServer, `{"event_name":"purchase","client_id":"1.2","x-ga-protocol_version":"2","transaction_id":"{{transaction_id}}","value":1,"currency":"EUR"}`, nil,
			[]want{{CodeTransactionIDEmpty, "fail", "transaction_id"}}},
		{"gtag undefined transaction_id", schemas.SideClient, "v=2&tid=G-X&cid=1.2&en=purchase&cu=EUR&epn.value=1&ep.transaction_id=undefined", nil,
			[]want{{CodeTransactionIDEmpty, "fail", "ep.transaction_id"}}},
		{"numeric transaction_id is real", schemas.SideServer, mp("purchase", `"transaction_id":"100234","currency":"EUR","value":1`, false), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Check(eventtest.DecodeOne(t, tt.side, tt.payload), tt.cfg, nil)
			for _, f := range got {
				eventtest.Complete(t, f, tt.side)
				if f.Fingerprint != "" {
					t.Errorf("finding carries a fingerprint: %+v", f)
				}
				eventtest.NoValues(t, f, hEm, long, "84,50")
			}
			eventtest.FindingSet(t, got, tt.want)
		})
	}
}

// TestGoldens: the decoder goldens of well-formed events are clean.
func TestGoldens(t *testing.T) {
	t.Parallel()
	for _, p := range []string{
		`{"client_id":"1388405713.1771574400","user_id":"cust-55810","timestamp_micros":1772446500000000,"consent":{"ad_user_data":"GRANTED","ad_personalization":"GRANTED"},"events":[{"name":"purchase","params":{"transaction_id":"ORD-77120","currency":"EUR","value":84.5,"items":[{"item_id":"TEE-RED-M","price":59.5,"quantity":1}],"session_id":"1772445900","engagement_time_msec":1200,"event_id":"ORD-77120","cx_schema_version":"2"}}]}`,
		eventtest.CleanCAPI,
	} {
		evs := eventtest.Decode(t, schemas.SideServer, p)
		cfg := NewDefaultConfig()
		cfg.NamespaceSeverity = schemas.SeverityWarn
		cfg.StandardParams = map[schemas.Destination][]string{schemas.DestinationMeta: {"order_id"}}
		if got := Check(&evs[0], cfg, nil); len(got) != 0 {
			t.Errorf("%.40s…: %+v", p, got)
		}
	}
}

// TestBatchPaths: findings in the second event of a batch name its index.
func TestBatchPaths(t *testing.T) {
	t.Parallel()
	evs := eventtest.Decode(t, schemas.SideServer, `{"data":[{"event_name":"Lead","event_time":1772446490,"action_source":"website",`+web+`},`+
		`{"event_name":"Purchase","event_time":1772446490,"action_source":"website",`+web+`,"custom_data":{"value":1}}]}`)
	got := Check(&evs[1], nil, nil)
	if len(got) != 1 || got[0].Path != "data[1].custom_data.currency" {
		t.Errorf("second event: %+v", got)
	}
	mpEvs := eventtest.Decode(t, schemas.SideServer, `{"client_id":"1.2","events":[{"name":"a","params":{"session_id":"1","engagement_time_msec":1}},{"name":"purchase","params":{"session_id":"1","engagement_time_msec":1,"value":1,"currency":"EUR"}}]}`)
	got = Check(&mpEvs[1], nil, nil)
	if len(got) != 1 || got[0].Path != "events[1].params.transaction_id" {
		t.Errorf("second MP event: %+v", got)
	}
}

func TestDecimal(t *testing.T) {
	t.Parallel()
	for s, w := range map[string][2]bool{
		"84.5": {true, false}, "0": {true, false}, "-0": {true, false}, "-0.0": {true, false}, "-1": {true, true},
		"+2": {true, false}, ".5": {true, false}, "5.": {true, false}, "1e3": {true, false}, "1E-2": {true, false},
		"": {false, false}, "-": {false, false}, ".": {false, false}, "1e": {false, false}, "84,50": {false, false},
		"$5": {false, false}, "NaN": {false, false}, "Infinity": {false, false}, "0x10": {false, false}, "1 000": {false, false},
	} {
		ok, neg := decimal(s)
		if ok != w[0] || neg != w[1] {
			t.Errorf("decimal(%q) = %v, %v; want %v, %v", s, ok, neg, w[0], w[1])
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	if err := NewDefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	bad := &Config{CustomNameSeverity: "", NamespaceSeverity: "loud", SchemaVersionSeverity: schemas.SeverityInfo,
		StandardParams: map[schemas.Destination][]string{"tiktok": {"x"}}, ExtraCurrencies: []string{"eur", "EURO"},
		ValueLengthExceptions: map[string]int{"page_title": 0}}
	err := bad.Validate()
	for _, w := range []string{"custom_name_severity", "loud", "namespace_prefix", "schema_version_param", "tiktok",
		`"eur"`, `"EURO"`, "max_event_name_len", "max_params", "max_param_name_len", "max_param_value_len", "max_mp_events", "page_title"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Validate() = %v, want it to mention %s", err, w)
		}
	}
}

func TestCleanEventAllocs(t *testing.T) {
	for _, p := range []string{eventtest.CleanCAPI, mp("purchase", mpPurchase, false)} {
		ev := eventtest.DecodeOne(t, schemas.SideServer, p)
		cfg := NewDefaultConfig()
		cfg.NamespaceSeverity = schemas.SeverityInfo
		cfg.StandardParams = map[schemas.Destination][]string{schemas.DestinationMeta: {"order_id"}}
		for _, c := range []*Config{nil, cfg} {
			eventtest.NoAllocs(t, "clean "+string(ev.Format)+" event", func(out []schemas.Finding) []schemas.Finding { return Check(ev, c, out) })
		}
	}
}

func BenchmarkCheckCleanCAPI(b *testing.B) {
	ev := eventtest.DecodeOne(b, schemas.SideServer, eventtest.CleanCAPI)
	out := make([]schemas.Finding, 0, 8)
	b.ReportAllocs()
	for b.Loop() {
		out = Check(ev, nil, out[:0])
	}
	if len(out) != 0 {
		b.Fatalf("clean event produced %+v", out)
	}
}

func BenchmarkCheckCleanMP(b *testing.B) {
	ev := eventtest.DecodeOne(b, schemas.SideServer, mp("purchase", mpPurchase+`,"items":[{"item_id":"TEE-RED-M","price":59.5,"quantity":1}],"event_id":"ORD-1"`, false))
	out := make([]schemas.Finding, 0, 8)
	b.ReportAllocs()
	for b.Loop() {
		out = Check(ev, nil, out[:0])
	}
	if len(out) != 0 {
		b.Fatalf("clean event produced %+v", out)
	}
}

// TestSGTMToMeta: inbound sGTM event data bound for Meta carries GA4 names
// and no action_source; the Meta tag maps both on the way out.
func TestSGTMToMeta(t *testing.T) {
	t.Parallel()
	dec := func(p string) *schemas.Event {
		evs, err := schemas.Decode(schemas.Message{Value: []byte(p), Side: schemas.SideServer, Destination: "meta",
			Source: schemas.Source{RecordTime: eventtest.RecordTime}}, schemas.DecodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if evs[0].Destination != schemas.DestinationMeta {
			t.Fatalf("destination %s", evs[0].Destination)
		}
		return &evs[0]
	}
	if got := Check(dec(`{"event_name":"purchase","client_id":"1.2","value":84.5,"currency":"EUR","page_location":"https://s.example.net/"}`), nil, nil); len(got) != 0 {
		t.Errorf("clean sGTM purchase for Meta: %+v", got)
	}
	got := Check(dec(`{"event_name":"purchase","client_id":"1.2","value":84.5}`), nil, nil)
	if len(got) != 1 || got[0].Code != CodeParamMissing || got[0].Path != "currency" {
		t.Errorf("sGTM purchase for Meta without currency: %+v", got)
	}
	got = Check(dec(`{"event_name":"PURCHASE","client_id":"1.2","value":84.5,"currency":"EUR"}`), nil, nil)
	if len(got) != 1 || got[0].Code != CodeNameNonstandard || got[0].Severity != schemas.SeverityFail {
		t.Errorf("sGTM PURCHASE for Meta: %+v", got)
	}
}
