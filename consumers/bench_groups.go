package consumers

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/sstaudit/sstaudit/processors/join"
	"github.com/sstaudit/sstaudit/schemas"
	"github.com/sstaudit/sstaudit/schemas/synth"
	"github.com/sstaudit/sstaudit/state"
)

// OpenGroupsConfig configures BenchOpenGroups.
type OpenGroupsConfig struct {
	Groups int64
	Seed   uint64
	// Dir is the state directory; it must not exist yet or be empty, and is
	// left in place (the caller removes it).
	Dir    string
	Checks join.Checks
	Decode schemas.DecodeOptions
	// Progress, when set, receives a line every million groups.
	Progress func(string)
	// AtEnd, when set, is called once every group is written, before the
	// store closes (e.g. to write a heap profile).
	AtEnd func()
}

// OpenGroupsResult is BenchOpenGroups's figure.
type OpenGroupsResult struct {
	Groups  int64
	Elapsed time.Duration
	PeakRSS int64 // VmHWM of the process over the whole run, bytes
	RSS     int64 // VmRSS at the end, stores still open
	// RSSAnon and RSSFile split RSS at the end: anonymous memory (Go heap,
	// Badger's buffers) and file-backed pages (Badger's memory-mapped tables
	// and value log: clean page cache the kernel can reclaim).
	RSSAnon, RSSFile int64
	HeapInuse        uint64
	// MemoryLimit is the Go runtime's soft memory limit during the run.
	MemoryLimit int64
	// Trim is what the store's trimmer of resident table pages did.
	Trim      state.TrimStats
	DiskBytes int64 // state directory after Close (memtables flushed)
	LoadStart string
	LoadEnd   string
}

// BenchOpenGroups is SPEC §12's memory and state figure: it drives the join
// (with the given checks: the production ones from processors/audit) over a
// disk state store with cfg.Groups server-only events whose groups all stay
// open (record times span far less than the match window), as a partition
// whose browser copies are all blocked would. The events are decoded from
// synth's server traffic (CAPI, MP, sGTM in the default mix), each given a
// fresh UUID event id.
func BenchOpenGroups(ctx context.Context, cfg OpenGroupsConfig) (*OpenGroupsResult, error) {
	if cfg.Groups <= 0 {
		return nil, errors.New("consumers: open groups: need a group count")
	}
	pool, err := serverEventPool(cfg.Seed, 4096, cfg.Decode)
	if err != nil {
		return nil, err
	}
	res := &OpenGroupsResult{Groups: cfg.Groups, LoadStart: loadAvg()}
	prepareMemory()
	store, err := state.Open(cfg.Dir)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	jc := join.NewDefaultConfig()
	jc.ClientTopic, jc.ServerTopic = "tracking.client", "tracking.server"
	proc, err := join.New(jc, cfg.Checks)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 99))
	t0 := time.Now().UnixMilli()
	start := time.Now()
	tx := store.Begin()
	defer func() { tx.Discard() }()
	var ev schemas.Event
	for i := range cfg.Groups {
		ev = pool[i%int64(len(pool))]
		id := fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", rng.Uint32(), rng.IntN(0x10000), rng.IntN(0x1000), 0x8000|rng.IntN(0x4000), rng.Int64N(1<<48))
		ev.EventID, ev.JoinKey = id, id
		ev.Source.Offset = i
		ev.Source.RecordTime = t0 + i/500 // 500 events per ms: 10M span 20s, far inside the match window
		ev.EventTime = ev.Source.RecordTime - 800
		if _, err := proc.Apply(tx, &ev); err != nil {
			return nil, err
		}
		if tx.Full() || i%1000 == 999 {
			if err := tx.SetOffset("tracking.server", 0, i+1); err != nil {
				return nil, err
			}
			if err := tx.Commit(); err != nil {
				return nil, err
			}
			tx = store.Begin()
		}
		if (i+1)%1_000_000 == 0 {
			if cfg.Progress != nil {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				cfg.Progress(fmt.Sprintf("%d groups open after %s, RSS %d MiB (anon %d, file %d; peak %d MiB), Go heap in use %d MiB, %d trims, load %s", i+1,
					time.Since(start).Round(time.Second), state.ProcessStatus("VmRSS:")>>20, state.ProcessStatus("RssAnon:")>>20,
					state.ProcessStatus("RssFile:")>>20, PeakRSS()>>20, ms.HeapInuse>>20, store.TrimStats().Trims, loadAvg()))
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	tx = store.Begin()
	res.Elapsed = time.Since(start)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.HeapInuse = ms.HeapInuse
	res.RSS = state.ProcessStatus("VmRSS:")
	res.RSSAnon, res.RSSFile = state.ProcessStatus("RssAnon:"), state.ProcessStatus("RssFile:")
	res.PeakRSS = PeakRSS()
	res.MemoryLimit = debug.SetMemoryLimit(-1)
	res.Trim = store.TrimStats()
	if cfg.AtEnd != nil {
		cfg.AtEnd()
	}
	tx.Discard()
	if err := store.Close(); err != nil {
		return nil, err
	}
	if res.DiskBytes, err = dirBytes(cfg.Dir); err != nil {
		return nil, err
	}
	res.LoadEnd = loadAvg()
	return res, nil
}

// serverEventPool decodes the server messages of synth's default traffic
// until it holds n joinable events.
func serverEventPool(seed uint64, n int, opts schemas.DecodeOptions) ([]schemas.Event, error) {
	g, err := synth.New(synth.Config{Seed: seed, Mix: synth.DefaultMix})
	if err != nil {
		return nil, err
	}
	var pool []schemas.Event
	for len(pool) < n {
		for _, r := range g.Next() {
			if r.Side != schemas.SideServer {
				continue
			}
			m := schemas.Message{Value: r.Value, Side: schemas.SideServer,
				Source: schemas.Source{Topic: "tracking.server", RecordTime: r.Time.UnixMilli()}}
			if r.Header {
				m.Format = string(r.Format)
			}
			evs, err := schemas.Decode(m, opts)
			if err != nil {
				continue
			}
			for _, ev := range evs {
				if ev.JoinKey != "" {
					pool = append(pool, ev)
				}
			}
		}
	}
	return pool, nil
}
