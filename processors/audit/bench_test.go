package audit

import (
	"strconv"
	"testing"
	"time"

	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/processors/consent"
	"github.com/sstaudit/sstaudit/processors/hashing"
	"github.com/sstaudit/sstaudit/processors/matchkeys"
	"github.com/sstaudit/sstaudit/processors/params"
	"github.com/sstaudit/sstaudit/processors/timecheck"
	"github.com/sstaudit/sstaudit/schemas"
)

// capiBody is a realistic Conversions API Purchase of about 1 KB: hashed
// user data of a full-quality site, ids, browser ids and custom data.
func capiBody(now time.Time) []byte {
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

func capiMessage(b testing.TB) schemas.Message {
	now := time.Now()
	v := capiBody(now)
	if len(v) < 900 || len(v) > 1200 {
		b.Fatalf("body is %d bytes, want about 1 KB", len(v))
	}
	return schemas.Message{Value: v, Side: schemas.SideServer,
		Source: schemas.Source{Topic: "tracking.server", Offset: 1, RecordTime: now.UnixMilli()}}
}

// BenchmarkDecodeAndCheckCAPI is SPEC §12's per-event CPU figure: decode +
// every per-event check + the snapshot the join keeps, for one clean 1 KB
// CAPI event. Target ≤ 10 µs and ≤ 20 allocations. The sub-benchmarks split
// it by stage.
func BenchmarkDecodeAndCheckCAPI(b *testing.B) {
	a := defaultAuditor(b)
	m := capiMessage(b)
	opts := a.DecodeOptions(0)
	evs, err := schemas.Decode(m, opts)
	if err != nil || len(evs) != 1 {
		b.Fatalf("decode: %v (%d events)", err, len(evs))
	}
	if fs := a.Event(&evs[0], nil); len(fs) != 0 {
		b.Fatalf("the benchmark event is not clean: %+v", fs)
	}
	b.Run("all", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(m.Value)))
		var fs []schemas.Finding
		for b.Loop() {
			evs, err := schemas.Decode(m, opts)
			if err != nil {
				b.Fatal(err)
			}
			for i := range evs {
				fs = a.Event(&evs[i], fs[:0])
				_ = a.Snapshot(&evs[i])
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(m.Value)))
		for b.Loop() {
			if _, err := schemas.Decode(m, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
	ev := &evs[0]
	var fs []schemas.Finding
	b.Run("params", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			fs = params.Check(ev, a.params, fs[:0])
		}
	})
	b.Run("time", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			fs = timecheck.Check(ev, a.time, fs[:0])
		}
	})
	b.Run("consent", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			fs = consent.Check(ev, a.consent, fs[:0])
		}
	})
	b.Run("matchkeys", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			fs = matchkeys.Check(ev, a.matchKeys, fs[:0])
		}
	})
	b.Run("hashing", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			fs = hashing.Check(ev, a.hashing, a.fp, fs[:0])
		}
	})
	b.Run("pii", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			fs = a.pii.Check(ev, a.fp, fs[:0])
		}
	})
	b.Run("snapshot", func(b *testing.B) {
		b.ReportAllocs()
		var s processors.Snapshot
		for b.Loop() {
			s = a.Snapshot(ev)
		}
		_ = s
	})
}
