package schemas

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestGtagDecodeGolden(t *testing.T) {
	testDecodeGolden(t, FormatGA4Gtag, decodeGtag)
}

func TestGtagDecodeBatch(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("testdata", "decode", "ga4.gtag", "batch_url_3hits.input"))
	if err != nil {
		t.Fatal(err)
	}
	o := DecodeOptions{}.withDefaults()
	evs, err := decodeGtag(goldenMessage(raw), &o)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 {
		t.Fatalf("%d events, want 3", len(evs))
	}
	type row struct {
		Name, EventID, JoinKey, JoinKeySource, ClientID, URL, PixelID string
		Time                                                          int64
		Index, Size                                                   int32
	}
	var got []row
	for _, e := range evs {
		got = append(got, row{e.EventName, e.EventID, e.JoinKey, e.JoinKeySource, e.ClientID, e.URL, e.PixelID,
			e.EventTime, e.Source.BatchIndex, e.Source.BatchSize})
	}
	want := []row{
		{"begin_checkout", "bc-4410", "bc-4410", "event_id", "1388405713.1771574400", "https://store.example.net/checkout", "G-EXAMPLE123", 1772446500000, 0, 3},
		{"add_payment_info", "", "", "", "1388405713.1771574400", "https://store.example.net/checkout/payment?email=jane%40example.com", "G-EXAMPLE123", 1772446500000, 1, 3},
		{"purchase", "ORD-77131", "ORD-77131", "event_id", "9999.1111", "https://store.example.net/checkout", "G-EXAMPLE123", 1772446500000, 2, 3},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("batch:\ngot  %+v\nwant %+v", got, want)
	}
	// The hit's own dl replaces the shared one: one URL, and the email of
	// its query is visible at dl?email.
	if f := findField(evs[1].Other, "dl?email"); f == nil || f.Value != "jane@example.com" {
		t.Errorf("dl?email = %+v", f)
	}
	// The replaced shared cid is not kept alongside the hit's own.
	n := 0
	for _, f := range evs[2].Other {
		if f.Path == "cid" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("hit 2 carries %d cid fields, want 1", n)
	}
	if evs[2].TransactionID != "ORD-77131" || !evs[2].HasTransactionID {
		t.Errorf("transaction id %q %v", evs[2].TransactionID, evs[2].HasTransactionID)
	}
}

func TestGtagDecodeMapping(t *testing.T) {
	t.Parallel()
	in := "https://region1.google-analytics.com/g/collect?v=2&tid=G-EXAMPLE123&cid=1.2&uid=u-9&en=purchase" +
		"&dl=https%3A%2F%2Fs.example%2F%3Fgclid%3DG-URL%26wbraid%3DW-URL&gbraid=B-PARAM&gclid=G-PARAM" +
		"&gcs=G101&gcd=13l3l3l3l1l1&npa=1&dma=0&ep.event_id=E-1&ep.event_id=E-2&epn.value=84.5&up.tier=gold&_uip=203.0.113.7"
	o := DecodeOptions{}.withDefaults()
	evs, err := decodeGtag(goldenMessage([]byte(in)), &o)
	if err != nil {
		t.Fatal(err)
	}
	e := evs[0]
	checks := []struct{ name, got, want string }{
		{"PixelID", e.PixelID, "G-EXAMPLE123"},
		{"ClientID", e.ClientID, "1.2"},
		{"UserID", e.UserID, "u-9"},
		{"EventName", e.EventName + "@" + e.EventNamePath, "purchase@en"},
		{"EventID", e.EventID + "@" + e.EventIDPath, "E-1@ep.event_id"},
		{"GCLID (param wins)", e.ClickIDs.GCLID, "G-PARAM"},
		{"GBRAID", e.ClickIDs.GBRAID, "B-PARAM"},
		{"WBRAID (from dl)", e.ClickIDs.WBRAID, "W-URL"},
		{"GCS", e.Consent.GCS, "G101"},
		{"GCD", e.Consent.GCD, "13l3l3l3l1l1"},
		{"NPA", e.Consent.NPA, "1"},
		{"DMA", e.Consent.DMA, "0"},
		{"ClientIP", e.ClientIP, "203.0.113.7"},
		{"EventTimeRaw", e.EventTimeRaw + e.EventTimePath + e.EventTimeUnit, ""},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if e.EventTime != 1772446500000 {
		t.Errorf("EventTime = %d, want the record time", e.EventTime)
	}
	if f := findField(e.Params, "epn.value"); f == nil || f.Key != "value" {
		t.Errorf("epn.value = %+v", f)
	}
	if f := findField(e.Other, "up.tier"); f == nil || f.Key != "tier" {
		t.Errorf("up.tier = %+v", f)
	}
	if findField(e.Params, "ep.event_id") == nil {
		t.Error("ep.event_id missing from Params")
	}
}

func TestGtagDecodeLimits(t *testing.T) {
	t.Parallel()
	hits := func(n int) string {
		return "https://region1.google-analytics.com/g/collect?v=2&tid=G-1&cid=1.2\n" + strings.Repeat("en=page_view&_et=1\n", n)
	}
	tests := []struct {
		name string
		in   string
		o    DecodeOptions
		want Reason
		n    int
	}{
		{"at max batch", hits(5), DecodeOptions{MaxBatch: 5}, "", 5},
		{"over max batch", hits(6), DecodeOptions{MaxBatch: 5}, ReasonTooManyEvents, 0},
		{"body lines only", "v=2&en=a\nv=2&en=b\n\nv=2&en=c", DecodeOptions{}, "", 3},
		{"url line only", "https://region1.google-analytics.com/g/collect?v=2&en=a", DecodeOptions{}, "", 1},
		{"url line then a non-ASCII blank", "https://x.example/g/collect?v=2&en=a\n\u00a0", DecodeOptions{}, "", 1},
		{"url line then nothing", "https://x.example/g/collect?v=2&en=a\n\n  \n", DecodeOptions{}, "", 1},
		{"shared expansion", "/g/collect?" + strings.Repeat("a=1&", 100) + "v=2\n" + strings.Repeat("en=x\n", 10), DecodeOptions{MaxBatch: 10}, ReasonTooManyEvents, 0},
		{"too large", "v=2&en=" + strings.Repeat("x", 100), DecodeOptions{MaxBytes: 64}, ReasonTooLarge, 0},
		{"empty", " \r\n ", DecodeOptions{}, ReasonEmpty, 0},
		{"json", `{"client_id":"1"}`, DecodeOptions{}, ReasonUnknownShape, 0},
		{"no gtag params", "a=1\nb=2", DecodeOptions{}, ReasonUnknownShape, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := tt.o.withDefaults()
			evs, err := decodeGtag(goldenMessage([]byte(tt.in)), &o)
			if got := ReasonOf(err); got != tt.want {
				t.Fatalf("reason %q, want %q (%v)", got, tt.want, err)
			}
			if len(evs) != tt.n {
				t.Errorf("%d events, want %d", len(evs), tt.n)
			}
		})
	}
}

// TestGtagDecodeLargeInputs decodes pathological 1 MiB inputs: each must
// finish quickly with memory proportional to the input.
func TestGtagDecodeLargeInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("large inputs")
	}
	const size = 1 << 20
	fill := func(prefix, unit string) []byte {
		return []byte(prefix + strings.Repeat(unit, (size-len(prefix))/len(unit)))
	}
	inputs := map[string][]byte{
		"many params":          fill("v=2&en=x", "&ep.a=b"),
		"many lines":           fill("https://x.example/g/collect?v=2&tid=G-1\n", "en=a&ep.b=c\n"),
		"big shared, 2 hits":   []byte(string(fill("/g/collect?v=2", "&a=b")[:size-40]) + "\nen=a\nen=b"),
		"big shared dl":        []byte("/g/collect?v=2&dl=" + strings.Repeat("x%3D1%26", (size-100)/8) + "\nen=a\nen=b"),
		"many escapes":         fill("v=2&en=x&dt=", "%C3%BC"),
		"one long line of amp": fill("v=2&en=x", "&"),
		"max batch of 1 KiB hits": []byte("/g/collect?v=2&tid=G-1&cid=1.2&sid=1&sct=1&seg=1&dl=https%3A%2F%2Fs.example%2F&gcs=G111\n" +
			strings.Repeat("en=scroll&ep.x="+strings.Repeat("y", 990)+"\n", 1000)),
		"one huge hit then small hits": []byte("/g/collect?v=2&tid=G-1&cid=1.2&sid=1&sct=1&seg=1&gcs=G111&dt=t&_s=1&_p=2\n" +
			"en=big" + strings.Repeat("&ep.a=1", 120000) + "\n" + strings.Repeat("en=a&_et=1\n", 999)),
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			o := DecodeOptions{}.withDefaults()
			var n int
			checkBounded(t, in, func() error {
				evs, err := decodeGtag(goldenMessage(in), &o)
				if err == nil {
					checkEventInvariants(t, FormatGA4Gtag, evs)
				}
				n = len(evs)
				return err
			})
			t.Logf("%d bytes: %d events", len(in), n)
		})
	}
}

func FuzzDecodeGtag(f *testing.F) {
	for _, in := range seedInputs(f, FormatGA4Gtag) {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		o := DecodeOptions{MaxBatch: 50}.withDefaults()
		evs, err := decodeGtag(goldenMessage(in), &o)
		if err != nil {
			checkDecodeError(t, FormatGA4Gtag, err, in)
			return
		}
		if len(evs) > o.MaxBatch {
			t.Fatalf("%d events over the batch limit", len(evs))
		}
		checkEventInvariants(t, FormatGA4Gtag, evs)
		again, err := decodeGtag(goldenMessage(in), &o)
		if err != nil || !reflect.DeepEqual(evs, again) {
			t.Fatalf("decoding is not deterministic")
		}
	})
}

func BenchmarkDecodeGtagBatch(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "decode", "ga4.gtag", "batch_url_3hits.input"))
	if err != nil {
		b.Fatal(err)
	}
	benchmarkGtag(b, raw)
}

func BenchmarkDecodeGtagHit(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "decode", "ga4.gtag", "single_url_purchase.input"))
	if err != nil {
		b.Fatal(err)
	}
	benchmarkGtag(b, raw)
}

func benchmarkGtag(b *testing.B, raw []byte) {
	m := goldenMessage(raw)
	o := DecodeOptions{}.withDefaults()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeGtag(m, &o); err != nil {
			b.Fatal(err)
		}
	}
}
