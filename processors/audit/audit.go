package audit

import (
	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/processors/consent"
	"github.com/sstaudit/sstaudit/processors/hashing"
	"github.com/sstaudit/sstaudit/processors/join"
	"github.com/sstaudit/sstaudit/processors/matchkeys"
	"github.com/sstaudit/sstaudit/processors/pair"
	"github.com/sstaudit/sstaudit/processors/params"
	"github.com/sstaudit/sstaudit/processors/pii"
	"github.com/sstaudit/sstaudit/processors/timecheck"
	"github.com/sstaudit/sstaudit/schemas"
)

// Auditor runs every check family under one Policy. It is built once (the
// PII tables, hash dictionary and sentinel set are prepared by New) and is
// then read-only: one Auditor serves every task and goroutine.
type Auditor struct {
	policy    Policy
	fp        *processors.Fingerprinter
	dg        *processors.Digester
	snapshot  *processors.SnapshotPolicy
	params    *params.Config
	time      *timecheck.Config
	consent   *consent.Config
	matchKeys *matchkeys.Config
	hashing   *hashing.Config
	pii       *pii.Detector
	pair      *pair.Config
}

// New validates p and prepares every family. fingerprintKey is the
// deployment key (SSTAUDIT_FINGERPRINT_KEY): findings carry HMAC fingerprints
// under it, none when it is empty; state digests are derived from it too.
func New(p Policy, fingerprintKey []byte) (*Auditor, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	det, err := pii.New(p.PII)
	if err != nil {
		return nil, err
	}
	a := &Auditor{
		policy: p,
		fp:     processors.NewFingerprinter(fingerprintKey),
		dg:     processors.NewDigester(fingerprintKey),
		pii:    det,
	}
	hc := p.Hashing
	if hc.Sentinels == nil {
		hc.Sentinels = hashing.DefaultSentinels()
	}
	if hc.Dictionaries && hc.Dictionary == nil {
		hc.Dictionary = hashing.DefaultDictionary()
	}
	a.hashing = &hc
	a.snapshot = &processors.SnapshotPolicy{TCFPurposes: map[schemas.Destination]processors.TCFPurposes{}}
	for dest, ps := range p.Consent.TCFPurposes {
		a.snapshot.TCFPurposes[dest] = processors.NewTCFPurposes(ps...)
	}
	a.snapshot.MemoizeDoubles(a.dg, hashing.CommonValues())
	a.params, a.time, a.consent, a.matchKeys = &a.policy.Params, &a.policy.Time, &a.policy.Consent, &a.policy.MatchKeys
	pc := p.Pair
	a.pair = &pc
	return a, nil
}

// Policy returns the policy a was built with.
func (a *Auditor) Policy() Policy { return a.policy }

// DecodeOptions returns the decoding options of the policy; maxBytes is the
// --max-message-bytes limit (0 for the default).
func (a *Auditor) DecodeOptions(maxBytes int) schemas.DecodeOptions {
	return a.policy.DecodeOptions(maxBytes)
}

// Event appends the findings of every per-event family to out, in the fixed
// order of the package doc. It is deterministic: equal events give equal
// findings in equal order.
func (a *Auditor) Event(ev *schemas.Event, out []schemas.Finding) []schemas.Finding {
	out = params.Check(ev, a.params, out)
	out = timecheck.Check(ev, a.time, out)
	out = consent.Check(ev, a.consent, out)
	out = matchkeys.Check(ev, a.matchKeys, out)
	out = hashing.Check(ev, a.hashing, a.fp, out)
	out = a.pii.Check(ev, a.fp, out)
	return out
}

// Snapshot distils ev into the compact record the join keeps, with state
// digests keyed by the deployment key and the policy's TCF purposes
// (consent.tcf_purposes) deciding ConsentTCFDenied.
func (a *Auditor) Snapshot(ev *schemas.Event) processors.Snapshot {
	return a.snapshot.Build(ev, a.dg)
}

// Pair appends the findings of a matched pair (or, with one side nil, of an
// orphan) to out.
func (a *Auditor) Pair(client, server *processors.Snapshot, out []schemas.Finding) []schemas.Finding {
	return pair.Check(client, server, a.pair, out)
}

// MatchKeys summarises a server side's match keys.
func (a *Auditor) MatchKeys(s *processors.Snapshot) schemas.MatchKeys {
	return matchkeys.Summarize(s, a.matchKeys)
}

// Checks returns the functions the join calls.
func (a *Auditor) Checks() join.Checks {
	return join.Checks{Event: a.Event, Snapshot: a.Snapshot, Pair: a.Pair, MatchKeys: a.MatchKeys}
}
