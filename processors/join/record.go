package join

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math/bits"
	"strconv"

	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/schemas"
)

// Finding codes the join emits (SPEC §5), with their severities.
const (
	CodeNoEventID    = "DEDUP_NO_EVENT_ID"
	CodeDuplicate    = "DEDUP_DUPLICATE"
	CodeIDReused     = "DEDUP_ID_REUSED"
	CodeNameMismatch = "DEDUP_NAME_MISMATCH"
	CodeClientOnly   = "DEDUP_CLIENT_ONLY"
	CodeServerOnly   = "DEDUP_SERVER_ONLY"
	CodeMisaligned   = "TIME_MISALIGNED"

	SevNoEventID    = schemas.SeverityWarn
	SevDuplicate    = schemas.SeverityWarn
	SevIDReused     = schemas.SeverityFail
	SevNameMismatch = schemas.SeverityWarn
	SevClientOnly   = schemas.SeverityWarn
	SevServerOnly   = schemas.SeverityInfo
	SevMisaligned   = schemas.SeverityWarn
)

// detector names the join in the findings it emits.
const detector = "join"

func findingSide(s schemas.Side) schemas.FindingSide {
	if s == schemas.SideClient {
		return schemas.FindingClient
	}
	return schemas.FindingServer
}

type record struct {
	schemas.AuditRecord
	// Storage for the record's optional fields and its sides, so that a
	// record is one allocation rather than one per pointer field.
	eventID, traceParent string
	skew                 int64
	aligned              bool
	sides                [2]sideBlock // client, server
}

// sideBlock holds a SideInfo and the values its pointer fields (and the
// record's side event name) point to.
type sideBlock struct {
	info                    schemas.SideInfo
	eventTime               int64
	actionSource, eventName string
}

// AuditID is the deterministic id of an outcome: hex of the first 16 bytes
// of SHA-256 over the outcome and the sources (topic, partition, offset,
// batch index) of the events involved, in client-then-server order. A replay
// of the same input yields the same id.
func AuditID(outcome schemas.Outcome, sources ...*schemas.Source) string {
	h := sha256.New()
	var b [64]byte
	buf := appendString(b[:0], string(outcome))
	h.Write(buf)
	for _, s := range sources {
		buf = appendString(b[:0], s.Topic)
		buf = binary.BigEndian.AppendUint32(buf, uint32(s.Partition))
		buf = binary.BigEndian.AppendUint64(buf, uint64(s.Offset))
		buf = binary.BigEndian.AppendUint32(buf, uint32(s.BatchIndex))
		h.Write(buf)
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}

func (p *Processor) pipeline() schemas.Pipeline {
	return schemas.Pipeline{InstanceID: p.cfg.InstanceID, Version: p.cfg.Version, ProcessedAt: p.cfg.Clock().UnixMilli()}
}

// newRecord starts the audit record of an outcome. Findings are copied.
func (p *Processor) newRecord(outcome schemas.Outcome, dest, joinKey, name string, fs []schemas.Finding,
	traceparent string, sources ...*schemas.Source) *record {
	r := &record{AuditRecord: schemas.AuditRecord{
		AuditID:       AuditID(outcome, sources...),
		Outcome:       string(outcome),
		Destination:   dest,
		EventName:     name,
		Findings:      make([]schemas.FindingRecord, len(fs)),
		Pipeline:      p.pipeline(),
		SchemaVersion: schemas.RecordSchemaVersion,
	}, eventID: joinKey, traceParent: traceparent}
	if joinKey != "" {
		r.EventID = &r.eventID
	}
	if traceparent != "" {
		r.TraceParent = &r.traceParent
	}
	for i := range fs {
		f := &fs[i]
		fr := &r.Findings[i]
		*fr = schemas.FindingRecord{Code: f.Code, Severity: string(f.Severity), Side: string(f.Side), Path: f.Path,
			Detector: f.Detector, Message: f.Message}
		if f.Entity != "" {
			e := f.Entity
			fr.Entity = &e
		}
		if f.Fingerprint != "" {
			fp := f.Fingerprint
			fr.Fingerprint = &fp
		}
	}
	return r
}

// setSide fills the client or server block (and name) from a snapshot.
func (p *Processor) setSide(r *record, s *processors.Snapshot) {
	b := &r.sides[0]
	if s.Side != schemas.SideClient {
		b = &r.sides[1]
	}
	*b = sideBlock{eventTime: s.EventTime, actionSource: s.ActionSource, eventName: s.EventName}
	b.info = schemas.SideInfo{
		Format:       string(s.Format),
		Topic:        s.Source.Topic,
		Partition:    s.Source.Partition,
		Offset:       s.Source.Offset,
		BatchIndex:   s.Source.BatchIndex,
		RecordTime:   s.Source.RecordTime,
		EventName:    s.EventName,
		MatchKeys:    p.matchKeyNames(s.MatchKeys),
		ConsentState: ConsentState(s.Consent),
	}
	si := &b.info
	if s.EventTime != 0 {
		si.EventTime = &b.eventTime
	}
	if s.ActionSource != "" {
		si.ActionSource = &b.actionSource
	}
	if s.Side == schemas.SideClient {
		r.Client, r.ClientEventName = si, &b.eventName
	} else {
		r.Server, r.ServerEventName = si, &b.eventName
	}
}

// matchKeyNames is MatchKey.Names, never nil. The slices are built once per
// key set and shared by the records (which nothing modifies; len = cap, so
// an append copies).
func (p *Processor) matchKeyNames(k processors.MatchKey) []string {
	if names, ok := p.mkNames[k]; ok {
		return names
	}
	names := make([]string, 0, bits.OnesCount64(uint64(k)))
	for i, name := range processors.MatchKeyNames {
		if k&(1<<uint(i)) != 0 {
			names = append(names, name)
		}
	}
	if p.mkNames == nil {
		p.mkNames = map[processors.MatchKey][]string{}
	}
	p.mkNames[k] = names
	return names
}

func (r *record) output() Output {
	key := r.AuditID
	if r.EventID != nil {
		key = r.Destination + "/" + *r.EventID
	}
	return Output{Key: key, Audit: &r.AuditRecord}
}

func metricsKey(dest, name string, start int64) string {
	return dest + "/" + name + "/" + strconv.FormatInt(start, 10)
}

// ConsentState summarises consent flags for a SideInfo: "unknown" when no
// signal was sent, "granted" when nothing was denied, "denied" when ad user
// data, ad storage and ad personalisation were all denied, else "partial".
func ConsentState(c processors.ConsentFlags) string {
	const denials = processors.ConsentAdUserDataDenied | processors.ConsentAdStorageDenied |
		processors.ConsentAdPersonalizationDenied | processors.ConsentTCFDenied | processors.ConsentLDU
	const core = processors.ConsentAdUserDataDenied | processors.ConsentAdStorageDenied | processors.ConsentAdPersonalizationDenied
	switch {
	case c&processors.ConsentSignalPresent == 0 && c&denials == 0:
		return "unknown"
	case c&denials == 0:
		return "granted"
	case c&core == core || c&processors.ConsentTCFDenied != 0:
		return "denied"
	}
	return "partial"
}

// traceParent renders a snapshot's trace context as a W3C traceparent, or ""
// when it has none.
func traceParent(s *processors.Snapshot) string {
	if s.TraceID == ([16]byte{}) {
		return ""
	}
	var b [55]byte
	out := append(b[:0], "00-"...)
	out = hex.AppendEncode(out, s.TraceID[:])
	out = append(out, '-')
	out = hex.AppendEncode(out, s.SpanID[:])
	out = append(out, "-01"...)
	return string(out)
}
