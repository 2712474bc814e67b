package join

import (
	"hash/fnv"

	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/schemas"
)

// group is one open join group as kept in state.
//
// A side starts "full": its Snapshot and event findings are kept, because the
// pair checks and the audit record of a match or an orphan need them. Once the
// group is matched both sides are compacted to three digests (event name,
// payload, source) — all a later duplicate or redelivery is tested against —
// so a matched group waiting for its close costs a few dozen bytes.
type group struct {
	first   int64 // record time of the first event
	closeAt int64 // first + match window + grace
	window  int64 // start of the metrics window the group counts in
	matched bool
	evName  string // the group's event name, kept once matched (sides compacted)
	client  side
	server  side
	// dups holds the source digests of the duplicates applied to the group,
	// so that their redelivery is recognised.
	dups []uint64
	// pending is the group's contribution to window metrics while its event
	// name may still change (server side present, client not yet).
	pending Agg
	// strs shares the findings' strings between decodes (nil: none shared).
	strs *interner
}

type side struct {
	present  bool
	full     bool
	snap     processors.Snapshot
	findings []schemas.Finding
	name     uint64 // digest of the event name
	payload  uint64 // Snapshot.Payload
	src      uint64 // digest of Source
}

func (g *group) side(s schemas.Side) *side {
	if s == schemas.SideClient {
		return &g.client
	}
	return &g.server
}

// name is the group's event name: the client's when present, else the server's.
func (g *group) name() string {
	if g.matched {
		return g.evName
	}
	if g.client.present && g.client.full {
		return g.client.snap.EventName
	}
	if g.server.full {
		return g.server.snap.EventName
	}
	return ""
}

func (g *group) reset() {
	dups := g.dups[:0]
	cf, sf := g.client.findings[:0], g.server.findings[:0]
	ch, sh := g.client.snap.Hashes[:0], g.server.snap.Hashes[:0]
	cp, sp := g.client.snap.Plain[:0], g.server.snap.Plain[:0]
	g.pending.reset()
	p, strs := g.pending, g.strs
	*g = group{dups: dups, pending: p, strs: strs}
	g.client.findings, g.server.findings = cf, sf
	g.client.snap.Hashes, g.server.snap.Hashes = ch, sh
	g.client.snap.Plain, g.server.snap.Plain = cp, sp
}

// setFull makes s a full side holding snap and findings.
func (s *side) setFull(snap *processors.Snapshot, findings []schemas.Finding) {
	hashes, plain := s.snap.Hashes[:0], s.snap.Plain[:0]
	s.present, s.full = true, true
	s.snap = *snap
	s.snap.Hashes = append(hashes, snap.Hashes...)
	s.snap.Plain = append(plain, snap.Plain...)
	s.findings = append(s.findings[:0], findings...)
	s.name = nameDigest(snap.EventName)
	s.payload = snap.Payload
	s.src = sourceDigest(&snap.Source)
}

// compact drops the snapshot and findings, keeping the digests.
func (s *side) compact() {
	s.full = false
	s.findings = s.findings[:0]
	hashes, plain := s.snap.Hashes[:0], s.snap.Plain[:0]
	s.snap = processors.Snapshot{Hashes: hashes, Plain: plain}
}

// sourceDigest identifies an input exactly (topic, partition, offset, batch
// index): equal digests mean a redelivery. FNV-1a 64; a collision between two
// sources of one group is a 2^-64 event.
func sourceDigest(s *schemas.Source) uint64 {
	h := fnv.New64a()
	var b [32]byte
	buf := appendString(b[:0], s.Topic)
	buf = appendUvarint(buf, uint64(uint32(s.Partition)))
	buf = appendVarint(buf, s.Offset)
	buf = appendUvarint(buf, uint64(uint32(s.BatchIndex)))
	h.Write(buf)
	return h.Sum64()
}

func nameDigest(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

// groupVersion is the group encoding written: 2 added Snapshot.Plain; 3
// keeps the layout of 2 but its digests come from the SipHash Digester
// (derivation label v2), so they equal no digest of a version-2 group.
const groupVersion = 3

// legacyGroupVersion is the encoding of the release before: read, but with
// its Digester values dropped (see dropDigests), so that a group open across
// an upgrade still joins and closes instead of failing its partition, and
// its old digests are never compared with new ones.
const legacyGroupVersion = 2

// group flags
const (
	gMatched = 1 << iota
	gClient
	gClientFull
	gServer
	gServerFull
	gPending
)

// appendBinary encodes g: version, flags, times as varints, the sides, the
// duplicate source digests and the pending aggregate.
func (g *group) appendBinary(b []byte, topics *[2]string) []byte {
	var flags byte
	if g.matched {
		flags |= gMatched
	}
	if g.client.present {
		flags |= gClient
		if g.client.full {
			flags |= gClientFull
		}
	}
	if g.server.present {
		flags |= gServer
		if g.server.full {
			flags |= gServerFull
		}
	}
	hasPending := !g.pending.empty()
	if hasPending {
		flags |= gPending
	}
	b = append(b, groupVersion, flags)
	b = appendVarint(b, g.first)
	b = appendVarint(b, g.closeAt-g.first)
	b = appendVarint(b, g.first-g.window)
	if g.matched {
		b = appendString(b, g.evName)
	}
	for _, s := range [2]*side{&g.client, &g.server} {
		if !s.present {
			continue
		}
		if s.full {
			b = appendSnapshot(b, &s.snap, g.first, topics)
			b = appendFindings(b, s.findings)
		} else {
			b = appendU64(b, s.name)
			b = appendU64(b, s.payload)
			b = appendU64(b, s.src)
		}
	}
	b = appendUvarint(b, uint64(len(g.dups)))
	for _, d := range g.dups {
		b = appendU64(b, d)
	}
	if hasPending {
		b = g.pending.AppendBinary(b)
	}
	return b
}

// decode reads a group written by appendBinary into g, reusing its buffers.
func (g *group) decode(b []byte, topics *[2]string) error {
	g.reset()
	r := reader{b: b, strs: g.strs}
	version := r.byte()
	if version != groupVersion && version != legacyGroupVersion {
		return errCorrupt
	}
	if version == legacyGroupVersion {
		defer g.dropDigests()
	}
	flags := r.byte()
	g.matched = flags&gMatched != 0
	g.first = r.varint()
	g.closeAt = g.first + r.varint()
	g.window = g.first - r.varint()
	if g.matched {
		g.evName = r.interned()
	}
	for i, s := range [2]*side{&g.client, &g.server} {
		present, full := flags&gClient != 0, flags&gClientFull != 0
		if i == 1 {
			present, full = flags&gServer != 0, flags&gServerFull != 0
		}
		if !present {
			continue
		}
		s.present, s.full = true, full
		if full {
			decodeSnapshot(&r, &s.snap, g.first, topics)
			s.findings = decodeFindings(&r, s.findings)
			s.name = nameDigest(s.snap.EventName)
			s.payload = s.snap.Payload
			s.src = sourceDigest(&s.snap.Source)
		} else {
			s.name, s.payload, s.src = r.u64(), r.u64(), r.u64()
		}
	}
	for n := r.count(); n > 0; n-- {
		g.dups = append(g.dups, r.u64())
	}
	if flags&gPending != 0 {
		g.pending.decode(&r)
	}
	if r.err == nil && len(r.b) != 0 {
		return errCorrupt
	}
	return r.err
}

// dropDigests zeroes every processors.Digester value of a group read from
// legacyGroupVersion: they are 0 ("absent") to the pair checks, which then
// skip the cross-side hash, click-id, fbp and external_id comparisons of
// that one pair rather than report false mismatches. Name and source
// digests (FNV, not keyed) are kept, so redeliveries are still recognised.
func (g *group) dropDigests() {
	for _, s := range [2]*side{&g.client, &g.server} {
		s.payload = 0
		sn := &s.snap
		sn.FBCLID, sn.FBCClickID, sn.FBP, sn.ExternalID, sn.Payload = 0, 0, 0, 0, 0
		sn.Hashes, sn.Plain = sn.Hashes[:0], sn.Plain[:0]
	}
}

// snapshot presence flags
const (
	sFBCLID = 1 << iota
	sFBCClickID
	sFBP
	sExternalID
	sPayload
	sTrace
)

func formatIndex(f schemas.Format) byte {
	for i, x := range schemas.Formats {
		if x == f {
			return byte(i + 1)
		}
	}
	return 0
}

// The first byte of a snapshot: bit 0 side, bits 1–3 FindingsMax rank,
// bit 4 event time present (stored as a delta from the group's first record
// time), bit 5 topic is the side's configured topic (not stored).
const (
	snapServer    = 1
	snapEventTime = 1 << 4
	snapTopic     = 1 << 5
)

func appendSnapshot(b []byte, s *processors.Snapshot, first int64, topics *[2]string) []byte {
	var head byte
	ti := 0
	if s.Side == schemas.SideServer {
		head, ti = snapServer, 1
	}
	if r := s.FindingsMax.Rank(); r > 0 {
		head |= byte(r) << 1
	}
	if s.EventTime != 0 {
		head |= snapEventTime
	}
	if topics[ti] != "" && s.Source.Topic == topics[ti] {
		head |= snapTopic
	}
	b = append(b, head, formatIndex(s.Format))
	if formatIndex(s.Format) == 0 {
		b = appendString(b, string(s.Format))
	}
	b = appendString(b, s.EventName)
	if s.EventTime != 0 {
		b = appendVarint(b, s.EventTime-first)
	}
	if head&snapTopic == 0 {
		b = appendString(b, s.Source.Topic)
	}
	b = appendUvarint(b, uint64(uint32(s.Source.Partition)))
	b = appendVarint(b, s.Source.Offset)
	b = appendVarint(b, s.Source.RecordTime-first)
	b = appendUvarint(b, uint64(uint32(s.Source.BatchIndex)))
	b = appendUvarint(b, uint64(uint32(s.Source.BatchSize)))
	b = appendString(b, s.ActionSource)
	b = appendUvarint(b, uint64(s.MatchKeys))
	b = append(b, byte(s.ClickIDs), byte(s.Consent))
	var flags byte
	digests := [5]uint64{s.FBCLID, s.FBCClickID, s.FBP, s.ExternalID, s.Payload}
	for i, d := range digests {
		if d != 0 {
			flags |= 1 << uint(i)
		}
	}
	if s.TraceID != ([16]byte{}) || s.SpanID != ([8]byte{}) {
		flags |= sTrace
	}
	b = append(b, flags)
	for _, d := range digests {
		if d != 0 {
			b = appendU64(b, d)
		}
	}
	if flags&sTrace != 0 {
		b = append(b, s.TraceID[:]...)
		b = append(b, s.SpanID[:]...)
	}
	b = appendUvarint(b, uint64(len(s.Hashes)))
	for _, h := range s.Hashes {
		k := h.Key &^ 0x80
		if h.Double != 0 {
			k |= 0x80
		}
		b = append(b, k)
		b = appendU64(b, h.Value)
		if h.Double != 0 {
			b = appendU64(b, h.Double)
		}
	}
	// Plain digests exist only for events that carried plaintext user data.
	b = appendUvarint(b, uint64(len(s.Plain)))
	for _, pd := range s.Plain {
		b = append(b, pd.Key)
		for _, d := range [...]uint64{pd.Norm, pd.Double, pd.Wrong[0], pd.Wrong[1], pd.Wrong[2]} {
			b = appendU64(b, d)
		}
	}
	return b
}

var severities = [...]schemas.Severity{"", schemas.SeverityInfo, schemas.SeverityWarn, schemas.SeverityFail, schemas.SeverityCritical}

func decodeSnapshot(r *reader, s *processors.Snapshot, first int64, topics *[2]string) {
	hashes, plain := s.Hashes[:0], s.Plain[:0]
	*s = processors.Snapshot{}
	head := r.byte()
	s.Side = schemas.SideClient
	ti := 0
	if head&snapServer != 0 {
		s.Side, ti = schemas.SideServer, 1
	}
	if sev := head >> 1 & 7; int(sev) < len(severities) {
		s.FindingsMax = severities[sev]
	}
	fi := r.byte()
	switch {
	case fi == 0:
		s.Format = schemas.Format(r.string())
	case int(fi) <= len(schemas.Formats):
		s.Format = schemas.Formats[fi-1]
	default:
		r.fail()
	}
	s.EventName = r.interned()
	if head&snapEventTime != 0 {
		s.EventTime = first + r.varint()
	}
	if head&snapTopic != 0 {
		s.Source.Topic = topics[ti]
	} else {
		s.Source.Topic = r.string()
	}
	s.Source.Partition = int32(r.uvarint())
	s.Source.Offset = r.varint()
	s.Source.RecordTime = first + r.varint()
	s.Source.BatchIndex = int32(r.uvarint())
	s.Source.BatchSize = int32(r.uvarint())
	s.ActionSource = r.interned()
	s.MatchKeys = processors.MatchKey(r.uvarint())
	s.ClickIDs = processors.ClickIDSet(r.byte())
	s.Consent = processors.ConsentFlags(r.byte())
	flags := r.byte()
	for i, p := range [5]*uint64{&s.FBCLID, &s.FBCClickID, &s.FBP, &s.ExternalID, &s.Payload} {
		if flags&(1<<uint(i)) != 0 {
			*p = r.u64()
		}
	}
	if flags&sTrace != 0 {
		copy(s.TraceID[:], r.bytes(16))
		copy(s.SpanID[:], r.bytes(8))
	}
	if n := r.count(); n > 0 {
		for ; n > 0; n-- {
			k := r.byte()
			h := processors.HashDigest{Key: k &^ 0x80, Value: r.u64()}
			if k&0x80 != 0 {
				h.Double = r.u64()
			}
			hashes = append(hashes, h)
		}
		s.Hashes = hashes
	} else {
		s.Hashes = nil // a Snapshot without hashes round-trips as nil
	}
	if n := r.count(); n > 0 {
		for ; n > 0; n-- {
			pd := processors.PlainDigest{Key: r.byte(), Norm: r.u64(), Double: r.u64()}
			for i := range pd.Wrong {
				pd.Wrong[i] = r.u64()
			}
			plain = append(plain, pd)
		}
		s.Plain = plain
	}
}

func appendFindings(b []byte, fs []schemas.Finding) []byte {
	b = appendUvarint(b, uint64(len(fs)))
	for i := range fs {
		f := &fs[i]
		side := byte(0)
		switch f.Side {
		case schemas.FindingServer:
			side = 1
		case schemas.FindingPair:
			side = 2
		}
		b = append(b, byte(f.Severity.Rank())|side<<4)
		b = appendString(b, f.Code)
		b = appendString(b, f.Path)
		b = appendString(b, f.Entity)
		b = appendString(b, f.Detector)
		b = appendString(b, f.Message)
		b = appendString(b, f.Fingerprint)
	}
	return b
}

var findingSides = [...]schemas.FindingSide{schemas.FindingClient, schemas.FindingServer, schemas.FindingPair}

func decodeFindings(r *reader, dst []schemas.Finding) []schemas.Finding {
	dst = dst[:0]
	for n := r.count(); n > 0; n-- {
		sb := r.byte()
		var f schemas.Finding
		if sev := sb & 15; int(sev) < len(severities) {
			f.Severity = severities[sev]
		}
		if sd := sb >> 4; int(sd) < len(findingSides) {
			f.Side = findingSides[sd]
		}
		f.Code = r.shared()
		f.Path = r.shared()
		f.Entity = r.shared()
		f.Detector = r.shared()
		f.Message = r.shared()
		f.Fingerprint = r.string() // unique per value: not shared
		dst = append(dst, f)
	}
	return dst
}
