package synth

import (
	"bytes"
	"testing"
	"time"

	"github.com/sstaudit/sstaudit/schemas"
)

func fixedClock() func() time.Time {
	t := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(37 * time.Millisecond); return t }
}

// TestRecordsDecodeAsPlanted decodes everything a generator writes with the
// real decoders: poison must fail, everything else must decode into exactly
// the events the truth counts, with the planted join keys.
func TestRecordsDecodeAsPlanted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		batched bool
		mix     Mix
	}{
		{"default mix", false, DefaultMix},
		{"default mix batched", true, DefaultMix},
		{"heavy faults", false, Mix{LostServer: 0.2, LostClient: 0.1, Skewed: 0.2, Renamed: 0.2, PlaintextPII: 0.1, DoubleHashed: 0.1, Duplicates: 0.2, MissingIDs: 0.2, PIIInURL: 0.2, Poison: 0.1}},
		{"clean", true, Mix{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g, err := New(Config{Seed: 42, Mix: tc.mix, Batched: tc.batched, Clock: fixedClock()})
			if err != nil {
				t.Fatal(err)
			}
			var recs []Record
			for range 2000 {
				recs = append(recs, g.Next()...)
			}
			recs = append(recs, g.Flush()...)
			truth := g.Truth()

			events := map[schemas.Side]int64{}
			var dlq int64
			for i, rec := range recs {
				m := schemas.Message{Value: rec.Value, Side: rec.Side, Source: schemas.Source{Topic: "t", Offset: int64(i), RecordTime: rec.Time.UnixMilli()}}
				if rec.Header {
					m.Format = string(rec.Format)
				}
				evs, err := schemas.Decode(m, schemas.DecodeOptions{})
				if err != nil {
					if bytes.HasPrefix(rec.Key, []byte("poison-")) {
						dlq++
						continue
					}
					t.Fatalf("record %d (%s, header %v) does not decode: %v", i, rec.Format, rec.Header, err)
				}
				if bytes.HasPrefix(rec.Key, []byte("poison-")) {
					t.Fatalf("poison record %d decoded into %d events", i, len(evs))
				}
				for _, ev := range evs {
					if ev.Side != rec.Side {
						t.Fatalf("record %d: event side %s, record side %s", i, ev.Side, rec.Side)
					}
					if !tc.batched && ev.JoinKey != "" && ev.JoinKey != string(rec.Key) {
						t.Fatalf("record %d: join key %q but record key %q", i, ev.JoinKey, rec.Key)
					}
				}
				events[rec.Side] += int64(len(evs))
			}
			if dlq != truth.Poison {
				t.Errorf("undecodable records %d, planted poison %d", dlq, truth.Poison)
			}
			if events[schemas.SideClient] != truth.Events["client"] || events[schemas.SideServer] != truth.Events["server"] {
				t.Errorf("decoded events client %d server %d, truth %v", events[schemas.SideClient], events[schemas.SideServer], truth.Events)
			}
			sum := truth.Sum()
			if sum.ClientEvents != truth.Events["client"] || sum.ServerEvents != truth.Events["server"] {
				t.Errorf("totals %+v disagree with events %v", sum, truth.Events)
			}
			if got := sum.Matched + sum.ClientOnly + sum.Unjoinable; got == 0 {
				t.Errorf("no outcomes planted: %+v", sum)
			}
		})
	}
}

func TestDeterministicForSeed(t *testing.T) {
	t.Parallel()
	run := func() ([]Record, *Truth) {
		g, err := New(Config{Seed: 7, Mix: DefaultMix, Clock: fixedClock()})
		if err != nil {
			t.Fatal(err)
		}
		var recs []Record
		for range 500 {
			recs = append(recs, g.Next()...)
		}
		return recs, g.Truth()
	}
	a, ta := run()
	b, tb := run()
	if len(a) != len(b) {
		t.Fatalf("record counts differ: %d vs %d", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i].Value, b[i].Value) || !bytes.Equal(a[i].Key, b[i].Key) {
			t.Fatalf("record %d differs between runs with the same seed", i)
		}
	}
	if ta.Sum() != tb.Sum() {
		t.Fatalf("truth differs: %+v vs %+v", ta.Sum(), tb.Sum())
	}
}

func TestMixValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		mix  Mix
		ok   bool
	}{
		{"default", DefaultMix, true},
		{"negative", Mix{Skewed: -0.1}, false},
		{"above one", Mix{Poison: 1.5}, false},
		{"lost sides exceed one", Mix{LostServer: 0.6, LostClient: 0.6}, false},
	} {
		if err := tc.mix.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate() = %v", tc.name, err)
		}
	}
}
