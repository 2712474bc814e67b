package pii

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/schemas"
)

func goRun(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	return exec.Command("go", append([]string{"run"}, args...)...)
}

// BenchmarkCheckCleanCAPI: a clean ~1 KB CAPI event (target ≤ 4 µs, ≤ 4 allocs).
func BenchmarkCheckCleanCAPI(b *testing.B) {
	d := newDetector(b, nil)
	ev := capiEvent()
	fp := processors.NewFingerprinter([]byte("k"))
	out := make([]schemas.Finding, 0, 8)
	b.ReportAllocs()
	for b.Loop() {
		out = d.Check(ev, fp, out[:0])
	}
	if len(out) != 0 {
		b.Fatal("clean event produced findings")
	}
}

// BenchmarkCheckLeakyPixel: a Pixel hit whose dl carries an encoded email.
func BenchmarkCheckLeakyPixel(b *testing.B) {
	d := newDetector(b, nil)
	ev := capiEvent()
	ev.URL = "https://store.example.net/done?utm_source=esp&email=ana.lima%2540example.org&tel=%2B49301234567"
	ev.Other[4].Value = ev.URL
	fp := processors.NewFingerprinter([]byte("k"))
	b.ReportAllocs()
	for b.Loop() {
		_ = d.Check(ev, fp, nil)
	}
}

func BenchmarkScanCorpus(b *testing.B) {
	d := newDetector(b, nil)
	corpus := loadCorpus(b)
	b.ReportAllocs()
	for b.Loop() {
		for i := range corpus {
			l := &corpus[i]
			d.Scan(l.Path, l.Key, l.Value, Context{Destination: schemas.Destination(l.Destination), Format: schemas.Format(l.Format), Section: sectionOf(l.Section)})
		}
	}
}

func TestCleanEventAllocs(t *testing.T) {
	d := newDetector(t, nil)
	ev := capiEvent()
	fp := processors.NewFingerprinter([]byte("k"))
	out := make([]schemas.Finding, 0, 8)
	n := testing.AllocsPerRun(100, func() { out = d.Check(ev, fp, out[:0]) })
	if n > 4 {
		t.Fatalf("clean CAPI event: %.0f allocations, want ≤ 4", n)
	}
}

func FuzzScan(f *testing.F) {
	d := newDetector(f, nil)
	for _, s := range []string{
		"https://s.example.net/p?email=ana%2540example.org&tel=%2B49301234567",
		"eyJhbGciOiJIUzI1NiJ9.eyJlbWFpbCI6ImFuYUBleGFtcGxlLm9yZyJ9.c2ln",
		"ａｎａ＠ｅｘａｍｐｌｅ．ｏｒｇ", "DE89 3704 0044 0532 0130 00", "[2001:db8::1]:443", "4111-1111-1111-1111",
		`{"$email":"ana@example.org","a":[1,{"b":"+4930123456"}]}`, "%%%25%2", "&#64;&#x40;&amp;",
	} {
		f.Add("dl", s)
		f.Add("cx_phone", s)
	}
	ctx := Context{Destination: schemas.DestinationMeta, Format: schemas.FormatMetaPixel, Section: SectionURL}
	f.Fuzz(func(t *testing.T, key, value string) {
		for _, det := range d.Scan(key, key, value, ctx) {
			if det.Entity == "" || det.Detector == "" || !strings.HasPrefix(det.Path, key) {
				t.Fatalf("malformed detection: entity %q detector %q", det.Entity, det.Detector)
			}
		}
	})
}

// TestScanLargeValues bounds the work on 1 MiB values of hostile shapes.
func TestScanLargeValues(t *testing.T) {
	d := newDetector(t, nil)
	ctx := Context{Destination: schemas.DestinationMeta, Format: schemas.FormatMetaPixel, Section: SectionURL}
	for name, v := range map[string]string{
		"ats":      strings.Repeat("a@", 1<<19),
		"digits":   strings.Repeat("4111 1111 ", 1<<17),
		"percent":  "https://x.example/?a=" + strings.Repeat("%25", 1<<18),
		"base64":   strings.Repeat("QUJDREVGR0hJSktMTU5PUA", 1<<15),
		"query":    "https://x.example/?" + strings.Repeat("e=a%40b.de&", 1<<16),
		"ipv6ish":  strings.Repeat("1:", 1<<19),
		"fullwide": strings.Repeat("＠１", 1<<17),
		"json":     strings.Repeat("[", 1<<19),
	} {
		start := time.Now()
		d.Scan("dl", "dl", v, ctx)
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("%s: %v for a 1 MiB value", name, el)
		}
	}
}
