package report

import (
	"bytes"
	"testing"
	"time"

	"github.com/sstaudit/sstaudit/processors/audit"
	"github.com/sstaudit/sstaudit/processors/join"
	"github.com/sstaudit/sstaudit/schemas"
	"github.com/sstaudit/sstaudit/schemas/synth"
	"github.com/sstaudit/sstaudit/state"
)

// synthOutputs runs n synth conversions through decode, the audit checks and
// the real join over in-memory Badger, as `run` does, closes every group, and
// returns the outputs with the planted truth.
func synthOutputs(t *testing.T, seed uint64, n int) ([]*schemas.AuditRecord, []*schemas.WindowMetrics, *synth.Truth) {
	t.Helper()
	start := time.Date(2026, 9, 21, 10, 0, 0, 0, time.UTC)
	tick := 0
	g, err := synth.New(synth.Config{Seed: seed, Mix: synth.DefaultMix, Clock: func() time.Time {
		tick++
		return start.Add(time.Duration(tick) * 50 * time.Millisecond)
	}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := audit.New(audit.NewDefaultPolicy(), []byte("test-fingerprint-key"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := state.Open("", state.WithInMemory())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	jc := join.NewDefaultConfig()
	jc.Clock = func() time.Time { return start }
	proc, err := join.New(jc, a.Checks())
	if err != nil {
		t.Fatal(err)
	}
	var recs []*schemas.AuditRecord
	var mets []*schemas.WindowMetrics
	joiner := state.NewJoiner(store, proc)
	collect := func(outs []join.Output, err error) {
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range outs {
			if o.Audit != nil {
				recs = append(recs, o.Audit)
			}
			if o.Metrics != nil {
				mets = append(mets, o.Metrics)
			}
		}
	}
	opts := a.DecodeOptions(0)
	offsets := map[schemas.Side]int64{}
	for range n {
		for _, rec := range g.Next() {
			topic := "tracking." + string(rec.Side)
			m := schemas.Message{Value: rec.Value, Side: rec.Side,
				Source: schemas.Source{Topic: topic, Offset: offsets[rec.Side], RecordTime: rec.Time.UnixMilli()}}
			offsets[rec.Side]++
			if rec.Header {
				m.Format = string(rec.Format)
			}
			evs, err := schemas.Decode(m, opts)
			if err != nil {
				continue // poison: the DLQ's business
			}
			for k := range evs {
				ev := &evs[k]
				collect(joiner.Apply(ev))
			}
		}
	}
	end := start.Add(400 * 24 * time.Hour).UnixMilli()
	collect(joiner.CloseAll(end))
	return recs, mets, g.Truth()
}

// The report's totals over the real join's outputs equal what synth planted,
// and its report is deterministic (golden).
func TestReportFromSynthAndJoin(t *testing.T) {
	recs, mets, truth := synthOutputs(t, 11, 1500)
	agg := NewAggregator()
	for _, m := range mets {
		agg.AddMetrics(m)
	}
	for _, r := range recs {
		agg.Add(r)
		agg.Add(r) // redelivered
	}
	s := agg.Summary()
	if s.AuditRecords != int64(len(recs)) || s.DuplicateAuditRecords != int64(len(recs)) {
		t.Errorf("audit records %d (duplicates %d), want %d", s.AuditRecords, s.DuplicateAuditRecords, len(recs))
	}
	for _, k := range truth.Keys() {
		want := *truth.Totals[k]
		var got synth.Counts
		for _, e := range s.Events {
			if e.Destination+"/"+e.EventName == k {
				got = synth.Counts{ClientEvents: e.ClientEvents, ServerEvents: e.ServerEvents, Matched: e.Matched,
					ClientOnly: e.ClientOnly, ServerOnly: e.ServerOnly, Duplicates: e.Duplicates, Unjoinable: e.Unjoinable, Aligned: e.Aligned}
			}
		}
		if got != want {
			t.Errorf("%s: report totals %+v, planted %+v", k, got, want)
		}
	}
	r := Build(s, nil, Options{Now: fixedNow})
	if r.Score.Total == nil {
		t.Fatal("nothing measured")
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "synth.md", md.Bytes())
}
