package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sstaudit/sstaudit/processors/consent"
	"github.com/sstaudit/sstaudit/processors/join"
	"github.com/sstaudit/sstaudit/schemas"
	"github.com/sstaudit/sstaudit/state"
)

const corpusPath = "testdata/corpus.jsonl"

type corpusCase struct {
	ID       string `json:"id"`
	Code     string `json:"code"`
	Kind     string `json:"kind"`
	Variant  string `json:"variant"`
	Policy   string `json:"policy"`
	Messages []struct {
		Side   string `json:"side"`
		Format string `json:"format"`
		Value  string `json:"value"`
	} `json:"messages"`
	Expect []corpusFinding `json:"expect"`
}

type corpusFinding struct {
	Code string `json:"code"`
	Path string `json:"path"`
}

func loadCorpus(t *testing.T) []corpusCase {
	t.Helper()
	f, err := os.Open(corpusPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cs []corpusCase
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var c corpusCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("corpus line %d: %v", len(cs)+1, err)
		}
		cs = append(cs, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cs
}

var placeholder = regexp.MustCompile(`\{\{NOW_(S|MS|US)([+-][0-9]+)?\}\}`)

// fillTimes replaces the corpus's time placeholders relative to now.
func fillTimes(s string, now time.Time) string {
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		sub := placeholder.FindStringSubmatch(m)
		t := now
		if sub[2] != "" {
			off, _ := strconv.Atoi(sub[2])
			t = t.Add(time.Duration(off) * time.Second)
		}
		switch sub[1] {
		case "S":
			return strconv.FormatInt(t.Unix(), 10)
		case "MS":
			return strconv.FormatInt(t.UnixMilli(), 10)
		}
		return strconv.FormatInt(t.UnixMicro(), 10)
	})
}

// corpusResult is what the pipeline made of one case.
type corpusResult struct {
	got    []schemas.FindingRecord
	events int
}

// runCorpus feeds every case through Decode, the join (one in-memory Badger
// store; each case has its own topics) and a's checks, closes every group,
// and returns the findings per case.
func runCorpus(t *testing.T, a *Auditor, cs []corpusCase) []corpusResult {
	t.Helper()
	store, err := state.Open("", state.WithInMemory())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Now()
	jc := join.NewDefaultConfig()
	proc, err := join.New(jc, a.Checks())
	if err != nil {
		t.Fatal(err)
	}
	res := make([]corpusResult, len(cs))
	owner := map[string]int{}
	joiner := state.NewJoiner(store, proc)
	collect := func(outs []join.Output, err error) {
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range outs {
			if o.Audit == nil {
				continue
			}
			si := o.Audit.Client
			if si == nil {
				si = o.Audit.Server
			}
			i, ok := owner[si.Topic]
			if !ok {
				t.Fatalf("record of unknown topic %q", si.Topic)
			}
			res[i].got = append(res[i].got, o.Audit.Findings...)
		}
	}
	opts := a.DecodeOptions(0)
	for i, c := range cs {
		for k, m := range c.Messages {
			topic := c.ID + "/" + m.Side
			owner[topic] = i
			msg := schemas.Message{Value: []byte(fillTimes(m.Value, now)), Format: m.Format, Side: schemas.Side(m.Side),
				Source: schemas.Source{Topic: topic, Offset: int64(k), RecordTime: now.UnixMilli()}}
			evs, err := schemas.Decode(msg, opts)
			if err != nil {
				t.Errorf("%s: message %d undecodable: %v", c.ID, k, err)
				continue
			}
			res[i].events += len(evs)
			for e := range evs {
				ev := &evs[e]
				collect(joiner.Apply(ev))
			}
		}
	}
	end := now.Add(400 * 24 * time.Hour).UnixMilli()
	collect(joiner.CloseAll(end))
	return res
}

// strictPolicy switches on the house checks that are off by default, as a
// deployment that wants them would: custom params must carry the cx_
// prefix, every event cx_schema_version, and GA4 events a consent signal.
func strictPolicy() Policy {
	p := NewDefaultPolicy()
	p.Params.NamespaceSeverity = schemas.SeverityInfo
	p.Params.SchemaVersionSeverity = schemas.SeverityWarn
	p.Consent.Requirements = []consent.Requirement{{Destinations: []schemas.Destination{schemas.DestinationGA4}, Severity: schemas.SeverityWarn}}
	return p
}

// runCorpusPolicies runs each case under its policy.
func runCorpusPolicies(t *testing.T, cs []corpusCase) []corpusResult {
	t.Helper()
	strict, err := New(strictPolicy(), []byte("test-fingerprint-key"))
	if err != nil {
		t.Fatal(err)
	}
	byPolicy := map[string][]int{}
	for i, c := range cs {
		byPolicy[c.Policy] = append(byPolicy[c.Policy], i)
	}
	res := make([]corpusResult, len(cs))
	for policy, idx := range byPolicy {
		a := defaultAuditor(t)
		switch policy {
		case "":
		case "strict":
			a = strict
		default:
			t.Fatalf("unknown corpus policy %q", policy)
		}
		sub := make([]corpusCase, len(idx))
		for k, i := range idx {
			sub[k] = cs[i]
		}
		for k, r := range runCorpus(t, a, sub) {
			res[idx[k]] = r
		}
	}
	return res
}

// hashQualityCodes are SPEC §12's "hash-quality classification": precision
// and recall at least 0.999 each.
var hashQualityCodes = map[string]bool{
	"HASH_PLAINTEXT": true, "HASH_FORMAT": true, "HASH_WEAK_ALGO": true, "HASH_SENTINEL": true,
	"HASH_NOT_NORMALIZED": true, "HASH_DOUBLE": true, "HASH_CROSS_SIDE_MISMATCH": true,
	"HASH_FORBIDDEN": true, "HASH_OUTSIDE_USER_DATA": true,
}

// The corpus is scored per (code, path): a finding the labels lack is a
// false positive, a label without its finding a false negative.
func TestCorpusPrecisionRecall(t *testing.T) {
	cs := loadCorpus(t)
	res := runCorpusPolicies(t, cs)
	type score struct{ tp, fp, fn int }
	scores := map[string]*score{}
	sc := func(code string) *score {
		if scores[code] == nil {
			scores[code] = &score{}
		}
		return scores[code]
	}
	var cleanEvents, cleanWarn int
	shown := map[string]int{}
	for i, c := range cs {
		want := map[corpusFinding]int{}
		for _, e := range c.Expect {
			want[e]++
			sc(e.Code)
		}
		for _, f := range res[i].got {
			k := corpusFinding{f.Code, f.Path}
			if want[k] > 0 {
				want[k]--
				sc(f.Code).tp++
				continue
			}
			sc(f.Code).fp++
			if shown[c.Variant+f.Code]++; shown[c.Variant+f.Code] == 1 {
				t.Logf("unexpected %s %s at %q in %s (%s)", f.Severity, f.Code, f.Path, c.ID, c.Kind)
			}
			if c.Kind == "clean" && schemas.Severity(f.Severity).Rank() >= schemas.SeverityWarn.Rank() {
				cleanWarn++
			}
		}
		for k, n := range want {
			if n > 0 {
				sc(k.Code).fn += n
				if shown[c.Variant+k.Code+"-"]++; shown[c.Variant+k.Code+"-"] == 1 {
					t.Logf("missing %s at %q in %s; got %s", k.Code, k.Path, c.ID, describe(res[i].got))
				}
			}
		}
		if c.Kind == "clean" {
			cleanEvents += res[i].events
		}
	}
	codes := make([]string, 0, len(scores))
	for c := range scores {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	var tbl strings.Builder
	fmt.Fprintf(&tbl, "\n%-28s %5s %4s %4s %9s %7s\n", "code", "tp", "fp", "fn", "precision", "recall")
	for _, code := range codes {
		s := scores[code]
		p, r := ratio(s.tp, s.tp+s.fp), ratio(s.tp, s.tp+s.fn)
		fmt.Fprintf(&tbl, "%-28s %5d %4d %4d %9.4f %7.4f\n", code, s.tp, s.fp, s.fn, p, r)
		if hashQualityCodes[code] && (p < 0.999 || r < 0.999) {
			t.Errorf("%s: precision %.4f, recall %.4f; SPEC §12 wants ≥ 0.999 for hash quality", code, p, r)
		}
	}
	t.Log(tbl.String())
	rate := 0.0
	if cleanEvents > 0 {
		rate = float64(cleanWarn) / float64(cleanEvents) * 10000
	}
	t.Logf("clean events %d, findings at warn or above on them %d: %.1f per 10,000 clean events", cleanEvents, cleanWarn, rate)
	if cleanWarn != 0 {
		t.Errorf("clean events have %d findings at warn or above", cleanWarn)
	}
	for code := range hashQualityCodes {
		if scores[code] == nil || scores[code].tp == 0 {
			t.Errorf("the corpus has no positive of %s", code)
		}
	}
}

func describe(fs []schemas.FindingRecord) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code+"@"+f.Path)
	}
	return "[" + strings.Join(out, " ") + "]"
}

// The committed corpus is what corpusgen writes for its default seed.
func TestCorpusIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go run ./corpusgen")
	}
	out := filepath.Join(t.TempDir(), "corpus.jsonl")
	if *update {
		out = corpusPath
	}
	cmd := exec.Command("go", "run", "./corpusgen", "-out", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./corpusgen: %v\n%s", err, msg)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(corpusPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: run go run ./corpusgen (or go test ./processors/audit -run CorpusIsCurrent -update)", corpusPath)
	}
}
