package eventtest

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/sstaudit/sstaudit/schemas"
)

// recorder is a testing.TB that records failures instead of failing, so the
// helpers' own failures can be tested. Fatal calls end the helper's goroutine.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, a ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, a...))
}
func (r *recorder) Fatalf(format string, a ...any) { r.Errorf(format, a...); runtime.Goexit() }
func (r *recorder) Fatal(a ...any)                 { r.Errorf("%s", fmt.Sprint(a...)); runtime.Goexit() }

// failures runs fn against a recorder in its own goroutine and returns how
// many failures it reported.
func failures(t *testing.T, fn func(tb testing.TB)) int {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() { defer close(done); fn(r) }()
	<-done
	return len(r.errs)
}

type want struct{ Code, Sev, Path string }

// sink makes an allocation escape.
var sink []schemas.Finding

// TestHelpersFail: each helper reports a failure exactly when it should.
// Not parallel: NoAllocs measures allocations.
func TestHelpersFail(t *testing.T) {
	f := schemas.Finding{Code: "C", Severity: schemas.SeverityFail, Side: schemas.FindingServer, Path: "p", Detector: "d", Message: "m has v"}
	ok, two := []want{{"C", "fail", "p"}}, []want{{"C", "fail", "p"}, {"D", "warn", "q"}}
	tests := []struct {
		name string
		fn   func(tb testing.TB)
		want int
	}{
		{"Findings equal", func(tb testing.TB) { Findings(tb, []schemas.Finding{f}, ok) }, 0},
		{"Findings other severity", func(tb testing.TB) { Findings(tb, []schemas.Finding{f}, []want{{"C", "warn", "p"}}) }, 1},
		{"Findings other count", func(tb testing.TB) { Findings(tb, []schemas.Finding{f}, two) }, 1},
		{"FindingSet any order", func(tb testing.TB) {
			FindingSet(tb, []schemas.Finding{{Code: "D", Severity: "warn", Path: "q"}, f}, two)
		}, 0},
		{"FindingSet missing one", func(tb testing.TB) { FindingSet(tb, []schemas.Finding{f}, two) }, 1},
		{"Complete", func(tb testing.TB) { Complete(tb, f, schemas.SideServer) }, 0},
		{"Complete other side", func(tb testing.TB) { Complete(tb, f, schemas.SideClient) }, 1},
		{"NoValues", func(tb testing.TB) { NoValues(tb, f, "x", "y") }, 0},
		{"NoValues carried", func(tb testing.TB) { NoValues(tb, f, "x", "v", "has") }, 1},
		{"NoAllocs", func(tb testing.TB) {
			NoAllocs(tb, "none", func(out []schemas.Finding) []schemas.Finding { return out })
		}, 0},
		{"NoAllocs finding", func(tb testing.TB) {
			NoAllocs(tb, "one", func(out []schemas.Finding) []schemas.Finding { return append(out, f) })
		}, 1},
		{"NoAllocs allocating", func(tb testing.TB) {
			NoAllocs(tb, "alloc", func(out []schemas.Finding) []schemas.Finding { sink = make([]schemas.Finding, 0, 1); return out })
		}, 1},
		{"DecodeYAML known key", func(tb testing.TB) { DecodeYAML(tb, "code: C\n", &struct{ Code string }{}) }, 0},
		{"DecodeYAML unknown key", func(tb testing.TB) { DecodeYAML(tb, "kode: C\n", &struct{ Code string }{}) }, 1},
		{"Decode garbage", func(tb testing.TB) { Decode(tb, schemas.SideServer, "{") }, 1},
	}
	for _, tt := range tests {
		if got := failures(t, tt.fn); got != tt.want {
			t.Errorf("%s: %d failures, want %d", tt.name, got, tt.want)
		}
	}
}

// TestCleanCAPI: the shared clean payload decodes to one Meta CAPI event
// recorded at RecordTime on the server topic.
func TestCleanCAPI(t *testing.T) {
	t.Parallel()
	evs := Decode(t, schemas.SideServer, CleanCAPI)
	ev := DecodeOne(t, schemas.SideServer, CleanCAPI)
	if len(evs) != 1 || ev.Format != schemas.FormatMetaCAPI || ev.Source.RecordTime != RecordTime ||
		ev.Source.Topic != "tracking.server" || ev.UserAgent != UserAgent {
		t.Errorf("decoded %d events, first %+v", len(evs), ev)
	}
}
