package schemas

// Side says which copy of a conversion an event is: the browser's or the server's.
type Side string

// Sides.
const (
	SideClient Side = "client"
	SideServer Side = "server"
)

// Format is the wire format a message was decoded from (SPEC §3).
type Format string

// Input formats.
const (
	FormatMetaPixel Format = "meta.pixel"
	FormatGA4Gtag   Format = "ga4.gtag"
	FormatMetaCAPI  Format = "meta.capi"
	FormatGA4MP     Format = "ga4.mp"
	FormatSGTM      Format = "sgtm.event"
	FormatCanonical Format = "sstaudit.event"
)

// Formats lists every input format in a stable order.
var Formats = []Format{FormatMetaPixel, FormatGA4Gtag, FormatMetaCAPI, FormatGA4MP, FormatSGTM, FormatCanonical}

// Destination is the ad platform an event is meant for.
type Destination string

// Destinations.
const (
	DestinationMeta Destination = "meta"
	DestinationGA4  Destination = "ga4"
)

// ValueKind is the JSON type of a leaf as sent. Query-string values are KindString.
type ValueKind uint8

// Value kinds.
const (
	KindString ValueKind = iota
	KindNumber
	KindBool
	KindNull
	KindEmptyObject // {} with no members: kept so checks can see an empty container
	KindEmptyArray  // [] with no elements
)

// Field is one leaf of a payload with its location. Path is the JSON path
// (data[0].user_data.em[0]) or query parameter (ud[em], dl) exactly as
// findings report it; Key is the leaf's own key with array indices and
// container prefixes removed (em, sha256_email_address, value, ep.cx_foo → cx_foo).
// Value is the leaf as sent: strings unescaped, numbers in their textual form.
//
// Field values may hold personal data: never log or output them.
type Field struct {
	Path  string
	Key   string
	Value string
	Kind  ValueKind
}

// ClickIDs are the advertising click and browser identifiers of an event.
// Each is the value as sent ("" when absent). FBCLID is taken from the page URL
// (or an explicit parameter); FBC and FBP from cookies or user_data.
type ClickIDs struct {
	FBCLID string
	FBC    string
	FBP    string
	GCLID  string
	GBRAID string
	WBRAID string
}

// Consent holds the consent signals an event carried, as sent ("" when absent).
type Consent struct {
	GCS               string // gtag gcs / sGTM x-ga-gcs, e.g. G111
	GCD               string // gtag gcd / sGTM x-ga-gcd
	NPA               string // "0" / "1" (gtag npa, x-ga-npa, MP non_personalized_ads as "1"/"0")
	DMA               string // dma / x-ga-dma
	AdUserData        string // MP consent.ad_user_data: GRANTED / DENIED
	AdPersonalization string // MP consent.ad_personalization
	GDPR              string // gdpr=0/1 where sent
	TCString          string // IAB TCF TC string (gdpr_consent / tcf / euconsent-v2), as sent
	DataProcessing    string // Meta data_processing_options joined with ",", e.g. "LDU"
}

// Source locates the input an event came from: its Kafka coordinates and its
// index within a batched request. Together they identify an input exactly, so
// applying the same Source twice is a redelivery, not a duplicate (SPEC §4).
type Source struct {
	Topic      string
	Partition  int32
	Offset     int64
	RecordTime int64 // Kafka record timestamp, ms since the Unix epoch
	BatchIndex int32 // position within a batched request, 0 for single events
	BatchSize  int32 // number of events the message expanded into
}

// Event is the canonical tracking event every input format decodes to.
// Absent string fields are "". Paths are recorded for the fields whose faults
// become findings, so a finding can name where the fault is.
type Event struct {
	Side        Side
	Format      Format
	Destination Destination

	EventID     string // the dedup id as sent (Pixel eid, CAPI event_id, ep.event_id, …)
	EventIDPath string // where EventID was read ("" when absent)
	// JoinKey is the key the join uses: EventID, or a configured fallback
	// (GA4 purchase transaction_id) when EventID is absent. "" = unjoinable.
	JoinKey       string
	JoinKeySource string // "event_id" or the fallback field's name

	EventName     string
	EventNamePath string

	EventTime     int64  // ms since the Unix epoch, normalised from the format's unit; 0 = absent or unparseable
	EventTimeRaw  string // the timestamp as sent, for unit checks
	EventTimePath string
	EventTimeUnit string // the unit the format defines for that field: "s", "ms" or "us"

	ActionSource     string
	ActionSourcePath string

	URL          string // page URL: Pixel/gtag dl, CAPI event_source_url, MP/sGTM page_location
	URLPath      string
	Referrer     string
	ReferrerPath string

	ClientID   string // GA4 client id (cid / client_id)
	UserID     string // GA4 user id (uid / user_id)
	ExternalID string // Meta external_id (first value when a list)
	ClientIP   string // client_ip_address / ip_override / uip
	UserAgent  string // client_user_agent / user_agent

	ClickIDs ClickIDs
	Consent  Consent

	SchemaVersion    string // value of the house schema-version param (default cx_schema_version)
	TransactionID    string
	HasTransactionID bool // transaction_id present, possibly empty

	TestEventCode string // CAPI test_event_code, when routed to Test Events
	PartnerAgent  string // CAPI partner_agent
	PixelID       string // Meta pixel id / GA4 measurement id (tid, x-ga-measurement_id)

	// UserData are the leaves of user_data (CAPI/MP/sGTM) or ud[...] (Pixel),
	// as sent: hashed or not, list elements as separate fields.
	UserData []Field
	// Params are the custom/event parameters: CAPI custom_data, MP params,
	// gtag ep.*/epn.*, Pixel cd[...], sGTM top-level event parameters.
	Params []Field
	// Other holds every remaining leaf of the payload (URLs, ids, internals),
	// so the PII scanner sees every value the request carried.
	Other []Field

	Source      Source
	TraceParent string // W3C traceparent of the input record, if any
}

// HasJoinKey reports whether the event can be joined.
func (e *Event) HasJoinKey() bool { return e.JoinKey != "" }
