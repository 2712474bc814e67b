//go:build !race

package consumers

import (
	"strconv"
	"testing"
	"time"

	"github.com/sstaudit/sstaudit/processors/audit"
	"github.com/sstaudit/sstaudit/processors/join"
	"github.com/sstaudit/sstaudit/schemas"
	"github.com/sstaudit/sstaudit/state"
)

// Allocation budgets of the clean hot path (SPEC §12: decode + all checks of
// a 1 KB CAPI event ≤ 20 allocations). Each test fails when a change makes
// its stage allocate more than the budget measured when it was written
// (BENCHMARKS.md); lower a budget when an optimisation lands. Not run under
// -race, whose instrumentation changes allocation counts.

// allocCAPIBody is the 1 KB clean CAPI Purchase of processors/audit's
// BenchmarkDecodeAndCheckCAPI.
func allocCAPIBody(now time.Time) []byte {
	t := strconv.FormatInt(now.Unix(), 10)
	fbp := strconv.FormatInt(now.Add(-48*time.Hour).UnixMilli(), 10)
	return []byte(`{"data":[{"event_name":"Purchase","event_time":` + t + `,"event_id":"ORD-7-004711","action_source":"website",` +
		`"event_source_url":"https://store.example.net/order/complete","user_data":{` +
		`"em":["b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514"],` +
		`"ph":["e1b2bd5022736db6e871c7ed0ea927f53baed13032f1a0c3ad51a0aaa04baea0"],` +
		`"fn":"020dc2295b4ca69a44356c864ff86aa3cb8026d7ce3b64db402cfaf7da4915e4",` +
		`"ln":"e96e35a376f8bb39cd7cb24e11f9efbfbe372aba9477a9e90bd094915c71fa9c",` +
		`"ct":"c7c1319276e936c8d64f1d5ed80cd8a0cf54e6dea7b0125533eb4163e03a2c11",` +
		`"zp":"d9eeb6ea41f3c223a925e273e184ad9df44027d3cdf53c3df86d5df5f4066609",` +
		`"country":"79adb2a2fce5c6ba215fe5f27f532d4e7edbac4b6a5e09e1ef3a08084a904621",` +
		`"external_id":["cust-218486"],"client_ip_address":"203.0.113.159",` +
		`"client_user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",` +
		`"fbp":"fb.1.` + fbp + `.1315899032"},` +
		`"custom_data":{"value":102.23,"currency":"EUR","content_ids":["TEE-RED-M"],"content_type":"product","order_id":"ORD-7-004711"}}],` +
		`"partner_agent":"sstaudit-synth-1.0"}`)
}

func allocAuditor(t testing.TB) (*audit.Auditor, schemas.Message, []schemas.Event) {
	t.Helper()
	a, err := audit.New(audit.NewDefaultPolicy(), nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	m := schemas.Message{Value: allocCAPIBody(now), Side: schemas.SideServer,
		Source: schemas.Source{Topic: "tracking.server", Offset: 1, RecordTime: now.UnixMilli()}}
	evs, err := schemas.Decode(m, a.DecodeOptions(0))
	if err != nil || len(evs) != 1 {
		t.Fatalf("decode: %v (%d events)", err, len(evs))
	}
	if fs := a.Event(&evs[0], nil); len(fs) != 0 {
		t.Fatalf("the event is not clean: %+v", fs)
	}
	return a, m, evs
}

func checkBudget(t *testing.T, name string, budget float64, fn func()) {
	t.Helper()
	got := testing.AllocsPerRun(200, fn)
	t.Logf("%s: %.1f allocs/op (budget %.0f)", name, got, budget)
	if got > budget {
		t.Errorf("%s allocates %.1f times per op, budget %.0f", name, got, budget)
	}
}

func TestAllocBudgetDecodeAndChecks(t *testing.T) {
	a, m, evs := allocAuditor(t)
	opts := a.DecodeOptions(0)
	var fs []schemas.Finding
	checkBudget(t, "decode 1 KB CAPI", 3, func() {
		if _, err := schemas.Decode(m, opts); err != nil {
			t.Fatal(err)
		}
	})
	checkBudget(t, "per-event checks", 0, func() { fs = a.Event(&evs[0], fs[:0]) })
	checkBudget(t, "snapshot", 1, func() { _ = a.Snapshot(&evs[0]) })
	checkBudget(t, "decode + checks + snapshot", 4, func() {
		evs, _ := schemas.Decode(m, opts)
		for i := range evs {
			fs = a.Event(&evs[i], fs[:0])
			_ = a.Snapshot(&evs[i])
		}
	})
}

// pairJoiner returns a function that joins one matched pair (a pixel-like
// client, then the 1 KB CAPI server event) as a task does: batched
// join.Processor, checks run ahead (Check, ApplyChecked), production checks,
// an in-memory store, a Flush and commit whenever the transaction is full.
// Each call uses a fresh join key among 1000. It also returns the
// transaction in hand (for the state budgets) and the outputs of the
// last pair.
func pairJoiner(tb testing.TB) (pair func(), tx func() *state.Tx, outs *[]join.Output) {
	a, _, evs := allocAuditor(tb)
	store, err := state.Open("", state.WithInMemory())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = store.Close() })
	jc := join.NewDefaultConfig()
	jc.ClientTopic, jc.ServerTopic = "tracking.client", "tracking.server"
	jc.Batched = true
	proc, err := join.New(jc, a.Checks())
	if err != nil {
		tb.Fatal(err)
	}
	server := evs[0]
	client := server
	client.Side, client.Format, client.Source.Topic = schemas.SideClient, schemas.FormatMetaPixel, "tracking.client"
	client.UserData = nil
	cur := store.Begin()
	tb.Cleanup(func() { cur.Discard() })
	ids := make([]string, 1000)
	for k := range ids {
		ids[k] = "ORD-" + strconv.Itoa(k)
	}
	var last []join.Output
	var checked join.Checked
	i := int64(0)
	apply := func(ev *schemas.Event) {
		proc.Check(ev, &checked)
		o, err := proc.ApplyChecked(cur, ev, &checked)
		if err != nil {
			tb.Fatal(err)
		}
		last = append(last, o...)
	}
	pair = func() {
		id := ids[i%int64(len(ids))] // fresh for the 201 runs of AllocsPerRun
		client.JoinKey, server.JoinKey = id, id
		client.Source.Offset, server.Source.Offset = 2*i, 2*i+1
		last = last[:0]
		apply(&client)
		apply(&server)
		i++
		if cur.Full() {
			if err := proc.Flush(cur); err != nil {
				tb.Fatal(err)
			}
			if err := cur.Commit(); err != nil {
				tb.Fatal(err)
			}
			cur = store.Begin()
		}
	}
	return pair, func() *state.Tx { return cur }, &last
}

func TestAllocBudgetJoinAndState(t *testing.T) {
	pair, tx, outs := pairJoiner(t)
	checkBudget(t, "join matched pair (2 events, checks included)", 24, pair)
	p, err := New(NewDefaultConfig(), join.Checks{})
	if err != nil {
		t.Fatal(err)
	}
	pair()
	if len(*outs) != 1 || (*outs)[0].Audit == nil {
		t.Fatalf("a pair gave %d outputs", len(*outs))
	}
	o := &(*outs)[0]
	checkBudget(t, "encode matched audit record", 2, func() {
		if _, err := p.encodeOutput(o); err != nil {
			t.Fatal(err)
		}
	})
	key := []byte("meta/ORD-1")
	var buf []byte
	checkBudget(t, "state group get", 5, func() {
		buf, _, _ = tx().Group(key, buf[:0])
	})
	val := make([]byte, 200)
	checkBudget(t, "state group put", 2, func() {
		if err := tx().PutGroup(key, val); err != nil {
			t.Fatal(err)
		}
	})
}

// BenchmarkJoinPairWithChecks is one matched pair (pixel-like client, the
// 1 KB CAPI server event) through the batched join.Processor with the
// production checks over an in-memory store, as a task runs it: per-event
// checks, snapshots, pair checks, window aggregates, the audit record.
func BenchmarkJoinPairWithChecks(b *testing.B) {
	pair, _, _ := pairJoiner(b)
	b.ReportAllocs()
	for b.Loop() {
		pair()
	}
}
