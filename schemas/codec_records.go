package schemas

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
)

// Encoders and decoders of AuditRecord (audit_record.avsc) and WindowMetrics
// (window_metrics.avsc). Fields are written in schema order; map keys are
// sorted so equal values give equal bytes.

// ---- AuditRecord: Avro ----

func appendAuditRecordAvro(b []byte, r *AuditRecord) ([]byte, error) {
	b = appendString(b, r.AuditID)
	b = appendString(b, r.Outcome)
	b = appendString(b, r.Destination)
	b = appendOptString(b, r.EventID)
	b = appendString(b, r.EventName)
	b = appendOptString(b, r.ClientEventName)
	b = appendOptString(b, r.ServerEventName)
	b = appendSideInfoAvro(b, r.Client)
	b = appendSideInfoAvro(b, r.Server)
	b = appendOptLong(b, r.SkewMs)
	if r.Aligned == nil {
		b = append(b, 0)
	} else {
		b = appendBool(append(b, 2), *r.Aligned)
	}
	if mk := r.MatchKeys; mk == nil {
		b = append(b, 0)
	} else {
		b = append(b, 2)
		b = appendStrings(b, mk.Present)
		b = appendLong(b, int64(mk.Count))
		b = appendString(b, mk.Band)
		b = appendDouble(b, mk.EMQEstimate)
	}
	if len(r.Findings) > 0 {
		b = appendLong(b, int64(len(r.Findings)))
		for i := range r.Findings {
			f := &r.Findings[i]
			b = appendString(b, f.Code)
			b = appendString(b, f.Severity)
			b = appendString(b, f.Side)
			b = appendString(b, f.Path)
			b = appendOptString(b, f.Entity)
			b = appendString(b, f.Detector)
			b = appendString(b, f.Message)
			b = appendOptString(b, f.Fingerprint)
		}
	}
	b = append(b, 0)
	b = appendOptString(b, r.TraceParent)
	b = appendPipelineAvro(b, &r.Pipeline)
	b = appendString(b, r.SchemaVersion)
	return b, nil
}

func appendSideInfoAvro(b []byte, s *SideInfo) []byte {
	if s == nil {
		return append(b, 0)
	}
	b = append(b, 2)
	b = appendString(b, s.Format)
	b = appendString(b, s.Topic)
	b = appendLong(b, int64(s.Partition))
	b = appendLong(b, s.Offset)
	b = appendLong(b, int64(s.BatchIndex))
	b = appendLong(b, s.RecordTime)
	b = appendOptLong(b, s.EventTime)
	b = appendString(b, s.EventName)
	b = appendOptString(b, s.ActionSource)
	b = appendStrings(b, s.MatchKeys)
	return appendString(b, s.ConsentState)
}

func appendPipelineAvro(b []byte, p *Pipeline) []byte {
	b = appendString(b, p.InstanceID)
	b = appendString(b, p.Version)
	return appendLong(b, p.ProcessedAt)
}

func readAuditRecord(r *avroReader) AuditRecord {
	var a AuditRecord
	a.AuditID = r.str()
	a.Outcome = r.str()
	a.Destination = r.str()
	a.EventID = r.optString()
	a.EventName = r.str()
	a.ClientEventName = r.optString()
	a.ServerEventName = r.optString()
	a.Client = readSideInfo(r)
	a.Server = readSideInfo(r)
	a.SkewMs = r.optLong()
	if r.branch(2) == 1 {
		v := r.boolean()
		a.Aligned = &v
	}
	if r.branch(2) == 1 {
		mk := &MatchKeys{}
		mk.Present = r.strings()
		mk.Count = r.int()
		mk.Band = r.str()
		mk.EMQEstimate = r.double()
		a.MatchKeys = mk
	}
	// A finding is at least 10 bytes: 6 empty strings and 2 null unions.
	r.array(10, func() {
		a.Findings = append(a.Findings, FindingRecord{
			Code:        r.str(),
			Severity:    r.str(),
			Side:        r.str(),
			Path:        r.str(),
			Entity:      r.optString(),
			Detector:    r.str(),
			Message:     r.str(),
			Fingerprint: r.optString(),
		})
	})
	a.TraceParent = r.optString()
	a.Pipeline = readPipeline(r)
	a.SchemaVersion = r.str()
	return a
}

func readSideInfo(r *avroReader) *SideInfo {
	if r.branch(2) == 0 {
		return nil
	}
	s := &SideInfo{}
	s.Format = r.str()
	s.Topic = r.str()
	s.Partition = r.int()
	s.Offset = r.long()
	s.BatchIndex = r.int()
	s.RecordTime = r.long()
	s.EventTime = r.optLong()
	s.EventName = r.str()
	s.ActionSource = r.optString()
	s.MatchKeys = r.strings()
	s.ConsentState = r.str()
	return s
}

func readPipeline(r *avroReader) Pipeline {
	return Pipeline{InstanceID: r.str(), Version: r.str(), ProcessedAt: r.long()}
}

// ---- AuditRecord: JSON ----

func appendAuditRecordJSON(b []byte, r *AuditRecord) ([]byte, error) {
	b = append(b, `{"audit_id":`...)
	b = appendJSONString(b, r.AuditID)
	b = append(b, `,"outcome":`...)
	b = appendJSONString(b, r.Outcome)
	b = append(b, `,"destination":`...)
	b = appendJSONString(b, r.Destination)
	b = append(b, `,"event_id":`...)
	b = appendJSONOptString(b, r.EventID)
	b = append(b, `,"event_name":`...)
	b = appendJSONString(b, r.EventName)
	b = append(b, `,"client_event_name":`...)
	b = appendJSONOptString(b, r.ClientEventName)
	b = append(b, `,"server_event_name":`...)
	b = appendJSONOptString(b, r.ServerEventName)
	b = append(b, `,"client":`...)
	b = appendSideInfoJSON(b, r.Client)
	b = append(b, `,"server":`...)
	b = appendSideInfoJSON(b, r.Server)
	b = append(b, `,"skew_ms":`...)
	b = appendJSONOptLong(b, r.SkewMs)
	b = append(b, `,"aligned":`...)
	if r.Aligned == nil {
		b = append(b, "null"...)
	} else {
		b = appendJSONBool(b, *r.Aligned)
	}
	b = append(b, `,"match_keys":`...)
	if mk := r.MatchKeys; mk == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"present":`...)
		b = appendJSONStrings(b, mk.Present)
		b = append(b, `,"count":`...)
		b = strconv.AppendInt(b, int64(mk.Count), 10)
		b = append(b, `,"band":`...)
		b = appendJSONString(b, mk.Band)
		b = append(b, `,"emq_estimate":`...)
		var err error
		if b, err = appendJSONFloat(b, mk.EMQEstimate); err != nil {
			return b, err
		}
		b = append(b, '}')
	}
	b = append(b, `,"findings":[`...)
	for i := range r.Findings {
		f := &r.Findings[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"code":`...)
		b = appendJSONString(b, f.Code)
		b = append(b, `,"severity":`...)
		b = appendJSONString(b, f.Severity)
		b = append(b, `,"side":`...)
		b = appendJSONString(b, f.Side)
		b = append(b, `,"path":`...)
		b = appendJSONString(b, f.Path)
		b = append(b, `,"entity":`...)
		b = appendJSONOptString(b, f.Entity)
		b = append(b, `,"detector":`...)
		b = appendJSONString(b, f.Detector)
		b = append(b, `,"message":`...)
		b = appendJSONString(b, f.Message)
		b = append(b, `,"fingerprint":`...)
		b = appendJSONOptString(b, f.Fingerprint)
		b = append(b, '}')
	}
	b = append(b, `],"traceparent":`...)
	b = appendJSONOptString(b, r.TraceParent)
	b = append(b, `,"pipeline":`...)
	b = appendPipelineJSON(b, &r.Pipeline)
	b = append(b, `,"schema_version":`...)
	b = appendJSONString(b, r.SchemaVersion)
	return append(b, '}'), nil
}

func appendSideInfoJSON(b []byte, s *SideInfo) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"format":`...)
	b = appendJSONString(b, s.Format)
	b = append(b, `,"topic":`...)
	b = appendJSONString(b, s.Topic)
	b = append(b, `,"partition":`...)
	b = strconv.AppendInt(b, int64(s.Partition), 10)
	b = append(b, `,"offset":`...)
	b = strconv.AppendInt(b, s.Offset, 10)
	b = append(b, `,"batch_index":`...)
	b = strconv.AppendInt(b, int64(s.BatchIndex), 10)
	b = append(b, `,"record_time":`...)
	b = strconv.AppendInt(b, s.RecordTime, 10)
	b = append(b, `,"event_time":`...)
	b = appendJSONOptLong(b, s.EventTime)
	b = append(b, `,"event_name":`...)
	b = appendJSONString(b, s.EventName)
	b = append(b, `,"action_source":`...)
	b = appendJSONOptString(b, s.ActionSource)
	b = append(b, `,"match_keys_present":`...)
	b = appendJSONStrings(b, s.MatchKeys)
	b = append(b, `,"consent_state":`...)
	b = appendJSONString(b, s.ConsentState)
	return append(b, '}')
}

func appendPipelineJSON(b []byte, p *Pipeline) []byte {
	b = append(b, `{"instance_id":`...)
	b = appendJSONString(b, p.InstanceID)
	b = append(b, `,"version":`...)
	b = appendJSONString(b, p.Version)
	b = append(b, `,"processed_at":`...)
	b = strconv.AppendInt(b, p.ProcessedAt, 10)
	return append(b, '}')
}

func decodeAuditRecordJSON(b []byte) (AuditRecord, error) {
	var a AuditRecord
	if err := json.Unmarshal(b, &a); err != nil {
		return AuditRecord{}, jsonShapeError(err)
	}
	if len(a.Findings) == 0 {
		a.Findings = nil
	}
	for _, s := range []*SideInfo{a.Client, a.Server} {
		if s != nil && len(s.MatchKeys) == 0 {
			s.MatchKeys = nil
		}
	}
	if a.MatchKeys != nil && len(a.MatchKeys.Present) == 0 {
		a.MatchKeys.Present = nil
	}
	return a, nil
}

// jsonShapeError reduces an encoding/json error to what it says about the
// structure: syntax errors carry an offset, type errors the field, and
// neither carries the offending value.
func jsonShapeError(err error) error {
	switch e := err.(type) {
	case *json.SyntaxError:
		return &jsonError{msg: "json: syntax error at offset " + strconv.FormatInt(e.Offset, 10)}
	case *json.UnmarshalTypeError:
		field := e.Field
		if field == "" {
			field = "(top level)"
		}
		return &jsonError{msg: "json: field " + field + ": want " + e.Type.String(), schema: true}
	}
	return &jsonError{msg: "json: malformed document"}
}

// jsonError is a JSON decoding failure; schema says the document was
// well-formed but had the wrong structure.
type jsonError struct {
	msg    string
	schema bool
}

func (e *jsonError) Error() string { return e.msg }

// ---- WindowMetrics: Avro ----

func appendWindowMetricsAvro(b []byte, m *WindowMetrics) ([]byte, error) {
	b = appendString(b, m.Destination)
	b = appendString(b, m.EventName)
	b = appendLong(b, int64(m.Partition))
	b = appendLong(b, m.WindowStart)
	b = appendLong(b, m.WindowEnd)
	b = appendLong(b, m.ClientEvents)
	b = appendLong(b, m.ServerEvents)
	b = appendLong(b, m.Matched)
	b = appendLong(b, m.ClientOnly)
	b = appendLong(b, m.ServerOnly)
	b = appendLong(b, m.Duplicates)
	b = appendLong(b, m.Unjoinable)
	b = appendLong(b, m.Aligned)
	b = appendOptLong(b, m.SkewMsP50)
	b = appendOptLong(b, m.SkewMsP95)
	b = appendOptLong(b, m.SkewMsMax)
	b = appendLong(b, m.EventIDMissingClient)
	b = appendLong(b, m.EventIDMissingServer)
	b = appendLong(b, m.FindingsBySeverity.Info)
	b = appendLong(b, m.FindingsBySeverity.Warn)
	b = appendLong(b, m.FindingsBySeverity.Fail)
	b = appendLong(b, m.FindingsBySeverity.Critical)
	b = appendLongMapAvro(b, m.FindingsByCode)
	b = appendLong(b, m.PIILeaks)
	b = appendLong(b, m.HashFindings)
	b = appendLongMapAvro(b, m.MatchKeysHistogram)
	if m.EMQEstimateAvg == nil {
		b = append(b, 0)
	} else {
		b = appendDouble(append(b, 2), *m.EMQEstimateAvg)
	}
	b = appendPipelineAvro(b, &m.Pipeline)
	b = appendString(b, m.SchemaVersion)
	return b, nil
}

func appendLongMapAvro(b []byte, m map[string]int64) []byte {
	if len(m) > 0 {
		b = appendLong(b, int64(len(m)))
		for _, k := range slices.Sorted(maps.Keys(m)) {
			b = appendString(b, k)
			b = appendLong(b, m[k])
		}
	}
	return append(b, 0)
}

func readWindowMetrics(r *avroReader) WindowMetrics {
	var m WindowMetrics
	m.Destination = r.str()
	m.EventName = r.str()
	m.Partition = r.int()
	m.WindowStart = r.long()
	m.WindowEnd = r.long()
	m.ClientEvents = r.long()
	m.ServerEvents = r.long()
	m.Matched = r.long()
	m.ClientOnly = r.long()
	m.ServerOnly = r.long()
	m.Duplicates = r.long()
	m.Unjoinable = r.long()
	m.Aligned = r.long()
	m.SkewMsP50 = r.optLong()
	m.SkewMsP95 = r.optLong()
	m.SkewMsMax = r.optLong()
	m.EventIDMissingClient = r.long()
	m.EventIDMissingServer = r.long()
	m.FindingsBySeverity.Info = r.long()
	m.FindingsBySeverity.Warn = r.long()
	m.FindingsBySeverity.Fail = r.long()
	m.FindingsBySeverity.Critical = r.long()
	m.FindingsByCode = r.longMap()
	m.PIILeaks = r.long()
	m.HashFindings = r.long()
	m.MatchKeysHistogram = r.longMap()
	if r.branch(2) == 1 {
		v := r.double()
		m.EMQEstimateAvg = &v
	}
	m.Pipeline = readPipeline(r)
	m.SchemaVersion = r.str()
	return m
}

// ---- WindowMetrics: JSON ----

func appendWindowMetricsJSON(b []byte, m *WindowMetrics) ([]byte, error) {
	b = append(b, `{"destination":`...)
	b = appendJSONString(b, m.Destination)
	b = append(b, `,"event_name":`...)
	b = appendJSONString(b, m.EventName)
	b = append(b, `,"partition":`...)
	b = strconv.AppendInt(b, int64(m.Partition), 10)
	for _, f := range [...]struct {
		name string
		v    int64
	}{
		{`,"window_start":`, m.WindowStart},
		{`,"window_end":`, m.WindowEnd},
		{`,"client_events":`, m.ClientEvents},
		{`,"server_events":`, m.ServerEvents},
		{`,"matched":`, m.Matched},
		{`,"client_only":`, m.ClientOnly},
		{`,"server_only":`, m.ServerOnly},
		{`,"duplicates":`, m.Duplicates},
		{`,"unjoinable":`, m.Unjoinable},
		{`,"aligned":`, m.Aligned},
	} {
		b = append(b, f.name...)
		b = strconv.AppendInt(b, f.v, 10)
	}
	b = append(b, `,"skew_ms_p50":`...)
	b = appendJSONOptLong(b, m.SkewMsP50)
	b = append(b, `,"skew_ms_p95":`...)
	b = appendJSONOptLong(b, m.SkewMsP95)
	b = append(b, `,"skew_ms_max":`...)
	b = appendJSONOptLong(b, m.SkewMsMax)
	b = append(b, `,"event_id_missing_client":`...)
	b = strconv.AppendInt(b, m.EventIDMissingClient, 10)
	b = append(b, `,"event_id_missing_server":`...)
	b = strconv.AppendInt(b, m.EventIDMissingServer, 10)
	b = append(b, `,"findings_by_severity":{"info":`...)
	b = strconv.AppendInt(b, m.FindingsBySeverity.Info, 10)
	b = append(b, `,"warn":`...)
	b = strconv.AppendInt(b, m.FindingsBySeverity.Warn, 10)
	b = append(b, `,"fail":`...)
	b = strconv.AppendInt(b, m.FindingsBySeverity.Fail, 10)
	b = append(b, `,"critical":`...)
	b = strconv.AppendInt(b, m.FindingsBySeverity.Critical, 10)
	b = append(b, `},"findings_by_code":`...)
	b = appendLongMapJSON(b, m.FindingsByCode)
	b = append(b, `,"pii_leaks":`...)
	b = strconv.AppendInt(b, m.PIILeaks, 10)
	b = append(b, `,"hash_findings":`...)
	b = strconv.AppendInt(b, m.HashFindings, 10)
	b = append(b, `,"match_keys_histogram":`...)
	b = appendLongMapJSON(b, m.MatchKeysHistogram)
	b = append(b, `,"emq_estimate_avg":`...)
	if m.EMQEstimateAvg == nil {
		b = append(b, "null"...)
	} else {
		var err error
		if b, err = appendJSONFloat(b, *m.EMQEstimateAvg); err != nil {
			return b, err
		}
	}
	b = append(b, `,"pipeline":`...)
	b = appendPipelineJSON(b, &m.Pipeline)
	b = append(b, `,"schema_version":`...)
	b = appendJSONString(b, m.SchemaVersion)
	return append(b, '}'), nil
}

func appendLongMapJSON(b []byte, m map[string]int64) []byte {
	b = append(b, '{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = strconv.AppendInt(b, m[k], 10)
	}
	return append(b, '}')
}

func decodeWindowMetricsJSON(b []byte) (WindowMetrics, error) {
	var m WindowMetrics
	if err := json.Unmarshal(b, &m); err != nil {
		return WindowMetrics{}, jsonShapeError(err)
	}
	if len(m.FindingsByCode) == 0 {
		m.FindingsByCode = nil
	}
	if len(m.MatchKeysHistogram) == 0 {
		m.MatchKeysHistogram = nil
	}
	return m, nil
}
