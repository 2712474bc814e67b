package eventtest

import (
	"slices"
	"strings"
	"testing"

	"github.com/sstaudit/sstaudit/schemas"
)

// Want is satisfied by a test's own expected-finding type,
//
//	type want struct{ Code, Sev, Path string }
//
// which names one finding by code, severity and path. Findings never carry
// the offending value, so there is none to compare. (A type of its own, not
// one from this package, lets the tables use unkeyed literals.)
type Want interface {
	~struct{ Code, Sev, Path string }
}

type wantFields = struct{ Code, Sev, Path string }

func format(code, sev, path string) string { return code + "/" + sev + "@" + path }

// Findings checks got against want in order. A different number of
// findings stops the test; a finding whose code, severity or path differs
// from want's at the same index is reported and the test goes on.
func Findings[W Want](t testing.TB, got []schemas.Finding, wants []W) {
	t.Helper()
	if len(got) != len(wants) {
		t.Fatalf("got %d findings %+v, want %d", len(got), got, len(wants))
	}
	for i, w := range wants {
		w, f := wantFields(w), got[i]
		if f.Code != w.Code || string(f.Severity) != w.Sev || f.Path != w.Path {
			t.Errorf("finding %d: %s/%s at %s, want %s/%s at %s", i, f.Code, f.Severity, f.Path, w.Code, w.Sev, w.Path)
		}
	}
}

// FindingSet checks got against want in any order, reporting both lists
// as code/severity@path if they differ.
func FindingSet[W Want](t testing.TB, got []schemas.Finding, wants []W) {
	t.Helper()
	var gotS, wantS []string
	for _, f := range got {
		gotS = append(gotS, format(f.Code, string(f.Severity), f.Path))
	}
	for _, w := range wants {
		w := wantFields(w)
		wantS = append(wantS, format(w.Code, w.Sev, w.Path))
	}
	slices.Sort(gotS)
	slices.Sort(wantS)
	if !slices.Equal(gotS, wantS) {
		t.Errorf("findings\n got %v\nwant %v", gotS, wantS)
	}
}

// Complete reports f unless it names the side of the event it came from
// (side), its detector and a message.
func Complete(t testing.TB, f schemas.Finding, side schemas.Side) {
	t.Helper()
	if f.Side != schemas.FindingSide(side) || f.Detector == "" || f.Message == "" {
		t.Errorf("incomplete finding %+v", f)
	}
}

// NoValues reports f if its message contains any of values: a finding says
// where the problem is, never what was sent.
func NoValues(t testing.TB, f schemas.Finding, values ...string) {
	t.Helper()
	for _, v := range values {
		if strings.Contains(f.Message, v) {
			t.Errorf("message carries a value: %q", f.Message)
			return
		}
	}
}

// AllocRuns is how many calls NoAllocs averages over.
const AllocRuns = 200

// NoAllocs stops the test unless check, called AllocRuns times by
// [testing.AllocsPerRun], allocates nothing and returns no findings. check
// gets an empty buffer to append to and returns it, as a check's Check does;
// what names the event in the failure. Like testing.AllocsPerRun, it must
// not be called from a parallel test.
func NoAllocs(t testing.TB, what string, check func(out []schemas.Finding) []schemas.Finding) {
	t.Helper()
	out := make([]schemas.Finding, 0, 8)
	if n := testing.AllocsPerRun(AllocRuns, func() { out = check(out[:0]) }); n != 0 || len(out) != 0 {
		t.Fatalf("%s: %.0f allocations, findings %+v; want 0, none", what, n, out)
	}
}
