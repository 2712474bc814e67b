package state

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/processors/join"
	"github.com/sstaudit/sstaudit/schemas"
)

// typicalSnapshot is a server event as the checks keep it: CAPI Purchase,
// seven match keys of which six hashed user_data values, fbc/fbp, consent
// signal, digests of fbp, fbc click id, external id and payload.
func typicalSnapshot(ev *schemas.Event) processors.Snapshot {
	s := join.DefaultSnapshot(ev)
	s.MatchKeys = processors.KeyEmail | processors.KeyPhone | processors.KeyFirstName | processors.KeyLastName |
		processors.KeyZip | processors.KeyExternalID | processors.KeyFBP
	s.ClickIDs = processors.ClickFBC | processors.ClickFBP
	s.Consent = processors.ConsentSignalPresent
	// Digests are keyed SHA-256 prefixes: incompressible. splitmix64 stands in.
	x := uint64(ev.Source.Offset) << 8
	next := func() uint64 {
		x++
		z := x * 0x9e3779b97f4a7c15
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		return z ^ z>>31
	}
	s.FBP, s.FBCClickID, s.ExternalID, s.Payload = next(), next(), next(), next()
	for _, k := range []uint8{0, 1, 2, 3, 6, 10} {
		s.Hashes = append(s.Hashes, processors.HashDigest{Key: k, Value: next()})
	}
	return s
}

func uuidLike(rng *rand.Rand) string {
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", rng.Uint32(), rng.Uint32()&0xffff, rng.Uint32()&0xffff,
		rng.Uint32()&0xffff, rng.Uint64()&0xffffffffffff)
}

func benchJoin(b *testing.B, checks join.Checks) *join.Processor {
	cfg := join.NewDefaultConfig()
	cfg.Clock = func() time.Time { return time.UnixMilli(0) }
	cfg.ClientTopic, cfg.ServerTopic = "tracking.client", "tracking.server"
	p, err := join.New(cfg, checks)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkApplyMatchedPair applies a client event and its server event (one
// op = the pair) on an in-memory store, committing every 500 pairs.
func BenchmarkApplyMatchedPair(b *testing.B) {
	s, err := Open("", WithInMemory())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	p := benchJoin(b, join.Checks{Snapshot: typicalSnapshot})
	rng := rand.New(rand.NewPCG(1, 2))
	c := jevent(schemas.SideClient, "", "Purchase", jt0)
	sv := jevent(schemas.SideServer, "", "Purchase", jt0)
	tx := s.Begin()
	b.ReportAllocs()
	i := int64(0)
	for b.Loop() {
		id := uuidLike(rng)
		c.JoinKey, sv.JoinKey = id, id
		c.Source.Offset, sv.Source.Offset = i, i
		c.Source.RecordTime, sv.Source.RecordTime = jt0+i/10, jt0+i/10+3
		if _, err := p.Apply(tx, c); err != nil {
			b.Fatal(err)
		}
		if _, err := p.Apply(tx, sv); err != nil {
			b.Fatal(err)
		}
		i++
		if i%500 == 0 || tx.Full() {
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			tx = s.Begin()
		}
	}
	tx.Discard()
}

// BenchmarkCommitBatch writes 100 open groups (≈150-byte values) and two
// offsets in one transaction and commits it: one op = one batch.
func BenchmarkCommitBatch(b *testing.B) {
	for _, mode := range []string{"memory", "disk"} {
		b.Run(mode, func(b *testing.B) {
			var opts []Option
			if mode == "memory" {
				opts = append(opts, WithInMemory())
			}
			s, err := Open(b.TempDir(), opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			val := make([]byte, 150)
			key := make([]byte, 0, 64)
			b.ReportAllocs()
			n := int64(0)
			for b.Loop() {
				tx := s.Begin()
				for range 100 {
					key = fmt.Appendf(key[:0], "\x04meta%036d", n)
					if err := tx.OpenGroup(key, jt0+n, val); err != nil {
						b.Fatal(err)
					}
					n++
				}
				_ = tx.SetOffset("tracking.client", 0, n)
				_ = tx.SetOffset("tracking.server", 0, n)
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGroupGetPut(b *testing.B) {
	s, err := Open("", WithInMemory())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const n = 100_000
	val := make([]byte, 150)
	keys := make([][]byte, n)
	tx := s.Begin()
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "\x04meta%036d", i)
		if err := tx.OpenGroup(keys[i], int64(i), val); err != nil {
			b.Fatal(err)
		}
		if tx.Full() {
			_ = tx.Commit()
			tx = s.Begin()
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	b.Run("Get", func(b *testing.B) {
		benchGets(b, s, func(i int) []byte { return keys[i*7919%n] }, nil)
	})
	b.Run("Put", func(b *testing.B) {
		tx := s.Begin()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := tx.PutGroup(keys[i%n], val); err != nil {
				b.Fatal(err)
			}
			i += 7919
			if tx.Full() {
				_ = tx.Commit()
				tx = s.Begin()
			}
		}
		tx.Discard()
	})
}

// benchGets times tx.Group of key(i) for i = 0, 1, …, each found; before,
// when set, runs ahead of each read.
func benchGets(b *testing.B, s *Store, key func(i int) []byte, before func(i int)) {
	tx := s.Begin()
	defer tx.Discard()
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if before != nil {
			before(i)
		}
		v, ok, err := tx.Group(key(i), buf[:0])
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
		buf = v
		i++
	}
}

// BenchmarkStateBytesPerOpenGroup writes 100k open groups through the join
// (typical CAPI server snapshot, UUID event ids; matchedShare of them matched
// and compacted), closes the store (flushing the memtable) and reports the
// bytes of the state directory per open group. Run with -benchtime=1x.
func BenchmarkStateBytesPerOpenGroup(b *testing.B) {
	for _, matched := range []int{0, 50} {
		b.Run(fmt.Sprintf("matched%d%%", matched), func(b *testing.B) {
			for b.Loop() {
				b.ReportMetric(bytesPerGroup(b, 100_000, matched), "bytes/group")
			}
		})
	}
}

func bytesPerGroup(b *testing.B, n, matchedPct int) float64 {
	dir := b.TempDir()
	s, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	p := benchJoin(b, join.Checks{Snapshot: typicalSnapshot})
	rng := rand.New(rand.NewPCG(3, 4))
	tx := s.Begin()
	sv := jevent(schemas.SideServer, "", "Purchase", jt0)
	c := jevent(schemas.SideClient, "", "Purchase", jt0)
	for i := range n {
		id := uuidLike(rng)
		sv.JoinKey = id
		sv.Source.Offset = 1_000_000 + int64(i)
		sv.Source.RecordTime = jt0 + int64(i)/50 // 50 events per ms: all stay open
		sv.EventTime = sv.Source.RecordTime - 800
		if _, err := p.Apply(tx, sv); err != nil {
			b.Fatal(err)
		}
		if rng.IntN(100) < matchedPct {
			c.JoinKey = id
			c.Source.Offset, c.Source.RecordTime, c.EventTime = sv.Source.Offset, sv.Source.RecordTime, sv.EventTime
			if _, err := p.Apply(tx, c); err != nil {
				b.Fatal(err)
			}
		}
		if tx.Full() {
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			tx = s.Begin()
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	size, err := dirSize(dir)
	if err != nil {
		b.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	byExt := map[string]int64{}
	for _, e := range ents {
		if info, err := e.Info(); err == nil {
			byExt[filepath.Ext(e.Name())] += info.Size()
		}
	}
	b.Logf("%d groups, %d%% matched: %d bytes on disk %v", n, matchedPct, size, byExt)
	return float64(size) / float64(n)
}
