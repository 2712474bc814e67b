package audit

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sstaudit/sstaudit/processors/join"
	"github.com/sstaudit/sstaudit/schemas"
	"github.com/sstaudit/sstaudit/schemas/synth"
	"github.com/sstaudit/sstaudit/state"
)

// conv is one synth conversion as the test follows it.
type conv struct {
	faults   []string
	dest     schemas.Destination
	joinable bool // every decoded event has a join key
	formats  map[schemas.Side]schemas.Format
	codes    map[string][]schemas.FindingRecord // findings of its records, by code
}

func (c *conv) has(fault string) bool {
	for _, f := range c.faults {
		if f == fault {
			return true
		}
	}
	return false
}

// runSynth generates n conversions with mix, decodes every record, joins it
// with a's checks over an in-memory Badger store as `run` and `check` do, closes
// every group at the end, and returns the conversions with their findings.
func runSynth(t testing.TB, a *Auditor, seed uint64, mix synth.Mix, n int) []*conv {
	t.Helper()
	start := time.Now().Add(-time.Hour)
	tick := 0
	g, err := synth.New(synth.Config{Seed: seed, Mix: mix, Clock: func() time.Time {
		tick++
		return start.Add(time.Duration(tick) * 50 * time.Millisecond)
	}})
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
	type coord struct {
		topic  string
		offset int64
	}
	owner := map[coord]int{}
	offsets := map[schemas.Side]int64{}
	convs := make([]*conv, n)
	joiner := state.NewJoiner(store, proc)
	collect := func(outs []join.Output, err error) {
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range outs {
			r := o.Audit
			if r == nil {
				continue
			}
			si := r.Client
			if si == nil {
				si = r.Server
			}
			i, ok := owner[coord{si.Topic, si.Offset}]
			if !ok {
				t.Fatalf("audit record of unknown input %s/%d", si.Topic, si.Offset)
			}
			if r.Client != nil && r.Server != nil {
				if j := owner[coord{r.Server.Topic, r.Server.Offset}]; j != i {
					t.Errorf("conversions %d and %d matched together", i, j)
				}
			}
			for _, f := range r.Findings {
				convs[i].codes[f.Code] = append(convs[i].codes[f.Code], f)
			}
		}
	}
	opts := a.DecodeOptions(0)
	for i := range n {
		recs := g.Next()
		c := &conv{faults: g.Planted(), joinable: true, formats: map[schemas.Side]schemas.Format{}, codes: map[string][]schemas.FindingRecord{}}
		convs[i] = c
		for _, rec := range recs {
			topic := "tracking." + string(rec.Side)
			off := offsets[rec.Side]
			offsets[rec.Side]++
			owner[coord{topic, off}] = i
			m := schemas.Message{Value: rec.Value, Side: rec.Side,
				Source: schemas.Source{Topic: topic, Offset: off, RecordTime: rec.Time.UnixMilli()}}
			if rec.Header {
				m.Format = string(rec.Format)
			}
			evs, err := schemas.Decode(m, opts)
			if err != nil {
				t.Fatalf("conversion %d: decode %s: %v", i, rec.Format, err)
			}
			for k := range evs {
				ev := &evs[k]
				c.dest = ev.Destination
				c.formats[ev.Side] = ev.Format
				c.joinable = c.joinable && ev.JoinKey != ""
				collect(joiner.Apply(ev))
			}
		}
	}
	end := start.Add(400 * 24 * time.Hour).UnixMilli()
	collect(joiner.CloseAll(end))
	return convs
}

func defaultAuditor(t testing.TB) *Auditor {
	t.Helper()
	a, err := New(NewDefaultPolicy(), []byte("test-fingerprint-key"))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Clean traffic — every conversion full quality, no planted fault — gives no
// finding at warn or above: SPEC "Done when".
func TestSynthCleanTrafficHasNoWarnings(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 500
	}
	convs := runSynth(t, defaultAuditor(t), 11, synth.Mix{}, n)
	bad := map[string]int{}
	example := map[string]string{}
	for _, c := range convs {
		for code, fs := range c.codes {
			for _, f := range fs {
				if schemas.Severity(f.Severity).Rank() >= schemas.SeverityWarn.Rank() {
					k := code + " " + f.Severity + " " + f.Side + " " + f.Path
					bad[k]++
					example[k] = fmt.Sprintf("%s %v: %s", c.dest, c.formats, f.Message)
				}
			}
		}
	}
	for k, v := range bad {
		t.Errorf("%d× %s (%s)", v, k, example[k])
	}
}

// faultCodes maps each synth fault kind to the code it must produce, and
// says which conversions it must be on.
var faultCodes = []struct {
	fault, code string
	affected    func(c *conv) bool
	path        func(c *conv, f schemas.FindingRecord) bool
}{
	{"lost_server", "DEDUP_CLIENT_ONLY", joinableWith("lost_server"), nil},
	{"lost_client", "DEDUP_SERVER_ONLY", joinableWith("lost_client"), nil},
	{"skewed", "TIME_MISALIGNED", joinableWith("skewed"), nil},
	{"renamed", "DEDUP_NAME_MISMATCH", joinableWith("renamed"), nil},
	// Every Meta rename synth plants (purchase, view_content, …) is not a
	// standard Meta name: the server event is EVENT_NAME_NONSTANDARD on its
	// own, joined or not. GA4's renames (Purchase, checkout_started) are
	// valid GA4 names.
	{"renamed", "EVENT_NAME_NONSTANDARD", func(c *conv) bool { return c.has("renamed") && c.dest == schemas.DestinationMeta },
		func(c *conv, f schemas.FindingRecord) bool {
			return f.Side == "server" && f.Path == "data[0].event_name"
		}},
	{"sparse_user_data", "MATCH_KEYS_LOW", func(c *conv) bool { return c.has("sparse_user_data") && c.dest == schemas.DestinationMeta },
		func(c *conv, f schemas.FindingRecord) bool { return f.Side == "server" }},
	{"duplicates", "DEDUP_DUPLICATE", joinableWith("duplicates"), nil},
	{"missing_ids", "DEDUP_NO_EVENT_ID", func(c *conv) bool { return c.has("missing_ids") && !c.joinable }, nil},
	{"plaintext_pii", "HASH_PLAINTEXT", func(c *conv) bool { return c.has("plaintext_pii") }, func(c *conv, f schemas.FindingRecord) bool {
		want := map[schemas.Format]string{
			schemas.FormatMetaCAPI: "data[0].user_data.em[0]",
			schemas.FormatGA4MP:    "user_data.sha256_email_address[0]",
			schemas.FormatSGTM:     "user_data.sha256_email_address",
		}[c.formats[schemas.SideServer]]
		return f.Side == "server" && f.Path == want
	}},
	// A double hash shows only against a single hash or the plaintext: on
	// matched pairs against the browser's hash, as a pair finding named by the
	// key (snapshots keep no paths), and on the server event itself when the
	// email is in its page URL.
	{"double_hashed", "HASH_DOUBLE", func(c *conv) bool {
		return c.has("double_hashed") && (c.joinable && !c.has("lost_client") || c.has("pii_in_url"))
	}, func(c *conv, f schemas.FindingRecord) bool {
		return f.Side == "pair" && f.Path == "user_data.em" || f.Side == "server" && f.Path == "data[0].user_data.em[0]"
	}},
	{"pii_in_url", "PII_LEAK", func(c *conv) bool { return c.has("pii_in_url") }, func(c *conv, f schemas.FindingRecord) bool {
		if f.Entity == nil || *f.Entity != "email" {
			return false
		}
		want := map[schemas.Format]string{
			schemas.FormatMetaPixel: "dl?email",
			schemas.FormatGA4Gtag:   "dl?email",
			schemas.FormatMetaCAPI:  "data[0].event_source_url?email",
			schemas.FormatGA4MP:     "events[0].params.page_location?email",
			schemas.FormatSGTM:      "page_location?email",
		}[c.formats[schemas.Side(f.Side)]]
		return f.Path == want
	}},
}

func joinableWith(fault string) func(c *conv) bool {
	return func(c *conv) bool { return c.has(fault) && c.joinable }
}

// Every planted fault kind yields exactly its code on exactly the affected
// conversions (precision and recall 1.0), at the right path; no other code at
// warn or above appears anywhere.
func TestSynthFaultsPrecisionRecall(t *testing.T) {
	n := 5000
	if testing.Short() {
		n = 1000
	}
	mix := synth.Mix{LostServer: 0.04, LostClient: 0.04, Skewed: 0.04, Renamed: 0.04, PlaintextPII: 0.04,
		DoubleHashed: 0.06, Duplicates: 0.04, MissingIDs: 0.04, PIIInURL: 0.04, SparseUserData: 0.1}
	convs := runSynth(t, defaultAuditor(t), 23, mix, n)
	known := map[string]bool{}
	for _, fc := range faultCodes {
		known[fc.code] = true
		var tp, fp, fn, badPath int
		for _, c := range convs {
			fs := c.codes[fc.code]
			switch want := fc.affected(c); {
			case want && len(fs) > 0:
				tp++
			case want:
				fn++
				if fn <= 3 {
					t.Errorf("%s: conversion %s %v %v lacks %s: %v", fc.fault, c.dest, c.formats, c.faults, fc.code, codesOf(c))
				}
			case len(fs) > 0:
				fp++
				if fp <= 3 {
					t.Errorf("%s: conversion %s %v %v has %s (%s) without the fault", fc.fault, c.dest, c.formats, c.faults, fc.code, fs[0].Path)
				}
			}
			if fc.path != nil && len(fs) > 0 {
				for _, f := range fs {
					if !fc.path(c, f) {
						badPath++
						if badPath <= 3 {
							t.Errorf("%s: %s %s at %q on %s %v", fc.fault, fc.code, f.Side, f.Path, c.dest, c.formats)
						}
					}
				}
			}
		}
		prec, rec := ratio(tp, tp+fp), ratio(tp, tp+fn)
		t.Logf("%-14s %-20s planted-and-affected %4d  precision %.4f  recall %.4f  wrong paths %d", fc.fault, fc.code, tp+fn, prec, rec, badPath)
		if tp == 0 {
			t.Errorf("%s: no affected conversion in the sample", fc.fault)
		}
	}
	other := map[string]int{}
	for _, c := range convs {
		for code, fs := range c.codes {
			if known[code] {
				continue
			}
			for _, f := range fs {
				if schemas.Severity(f.Severity).Rank() >= schemas.SeverityWarn.Rank() {
					other[fmt.Sprintf("%s %s %s %s on %s %v %v", code, f.Severity, f.Side, f.Path, c.dest, c.formats, c.faults)]++
				}
			}
		}
	}
	keys := make([]string, 0, len(other))
	for k := range other {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i < 15 {
			t.Errorf("unexpected finding: %d× %s", other[k], k)
		}
	}
}

func codesOf(c *conv) string {
	var out []string
	for code := range c.codes {
		out = append(out, code)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}
