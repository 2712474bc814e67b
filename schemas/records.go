package schemas

// Outcome is what became of a join group (SPEC §4).
type Outcome string

// Outcomes.
const (
	OutcomeMatched    Outcome = "matched"
	OutcomeClientOnly Outcome = "client_only"
	OutcomeServerOnly Outcome = "server_only"
	OutcomeDuplicate  Outcome = "duplicate"
	OutcomeUnjoinable Outcome = "unjoinable"
)

// RecordSchemaVersion is the version of the output record schemas
// (audit_record.avsc, window_metrics.avsc); it is written into every record
// and the sstaudit-schema header.
const RecordSchemaVersion = "1"

// SideInfo describes one side of an audited join group (SPEC §6).
type SideInfo struct {
	Format       string   `json:"format"`
	Topic        string   `json:"topic"`
	Partition    int32    `json:"partition"`
	Offset       int64    `json:"offset"`
	BatchIndex   int32    `json:"batch_index"`
	RecordTime   int64    `json:"record_time"`        // ms since the Unix epoch
	EventTime    *int64   `json:"event_time"`         // ms; nil when absent
	EventName    string   `json:"event_name"`         // this side's event name as sent
	ActionSource *string  `json:"action_source"`      // nil when absent
	MatchKeys    []string `json:"match_keys_present"` // names of the match keys present
	ConsentState string   `json:"consent_state"`      // "granted", "denied", "partial" or "unknown"
}

// MatchKeys summarises the server side's match keys (SPEC §6).
type MatchKeys struct {
	Present     []string `json:"present"`
	Count       int32    `json:"count"`
	Band        string   `json:"band"` // pass / warn / fail (house policy, SPEC §8)
	EMQEstimate float64  `json:"emq_estimate"`
}

// FindingRecord is a Finding as written to the findings topic.
type FindingRecord struct {
	Code        string  `json:"code"`
	Severity    string  `json:"severity"`
	Side        string  `json:"side"`
	Path        string  `json:"path"`
	Entity      *string `json:"entity"`
	Detector    string  `json:"detector"`
	Message     string  `json:"message"`
	Fingerprint *string `json:"fingerprint"`
}

// Pipeline says which instance produced a record, and when.
type Pipeline struct {
	InstanceID  string `json:"instance_id"`
	Version     string `json:"version"`
	ProcessedAt int64  `json:"processed_at"` // ms since the Unix epoch
}

// AuditRecord is one join group outcome on the findings topic (SPEC §6).
type AuditRecord struct {
	AuditID         string          `json:"audit_id"`
	Outcome         string          `json:"outcome"`
	Destination     string          `json:"destination"`
	EventID         *string         `json:"event_id"`          // nil when the event had none
	EventName       string          `json:"event_name"`        // the group's name: client's, else server's
	ClientEventName *string         `json:"client_event_name"` // nil when that side is absent
	ServerEventName *string         `json:"server_event_name"`
	Client          *SideInfo       `json:"client"`
	Server          *SideInfo       `json:"server"`
	SkewMs          *int64          `json:"skew_ms"` // server − client event time, matched pairs only
	Aligned         *bool           `json:"aligned"`
	MatchKeys       *MatchKeys      `json:"match_keys"`
	Findings        []FindingRecord `json:"findings"`
	TraceParent     *string         `json:"traceparent"`
	Pipeline        Pipeline        `json:"pipeline"`
	SchemaVersion   string          `json:"schema_version"`
}

// SeverityCounts counts findings per severity.
type SeverityCounts struct {
	Info     int64 `json:"info"`
	Warn     int64 `json:"warn"`
	Fail     int64 `json:"fail"`
	Critical int64 `json:"critical"`
}

// WindowMetrics aggregates one tumbling window of one (destination,
// event_name, partition) (SPEC §7). It is emitted once, when every join group
// of the window has closed.
type WindowMetrics struct {
	Destination          string           `json:"destination"`
	EventName            string           `json:"event_name"`
	Partition            int32            `json:"partition"`
	WindowStart          int64            `json:"window_start"` // ms, stream time
	WindowEnd            int64            `json:"window_end"`
	ClientEvents         int64            `json:"client_events"`
	ServerEvents         int64            `json:"server_events"`
	Matched              int64            `json:"matched"`
	ClientOnly           int64            `json:"client_only"`
	ServerOnly           int64            `json:"server_only"`
	Duplicates           int64            `json:"duplicates"`
	Unjoinable           int64            `json:"unjoinable"`
	Aligned              int64            `json:"aligned"`
	SkewMsP50            *int64           `json:"skew_ms_p50"` // nil when no matched pair
	SkewMsP95            *int64           `json:"skew_ms_p95"`
	SkewMsMax            *int64           `json:"skew_ms_max"` // largest |skew|, signed
	EventIDMissingClient int64            `json:"event_id_missing_client"`
	EventIDMissingServer int64            `json:"event_id_missing_server"`
	FindingsBySeverity   SeverityCounts   `json:"findings_by_severity"`
	FindingsByCode       map[string]int64 `json:"findings_by_code"`
	PIILeaks             int64            `json:"pii_leaks"`
	HashFindings         int64            `json:"hash_findings"`
	// MatchKeysHistogram counts server events by number of match keys present
	// (key "0" … "N").
	MatchKeysHistogram map[string]int64 `json:"match_keys_histogram"`
	EMQEstimateAvg     *float64         `json:"emq_estimate_avg"` // nil when no server event
	Pipeline           Pipeline         `json:"pipeline"`
	SchemaVersion      string           `json:"schema_version"`
}
