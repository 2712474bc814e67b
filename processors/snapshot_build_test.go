package processors

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/sstaudit/sstaudit/processors/hashing/userdata"
	"github.com/sstaudit/sstaudit/schemas"
)

func sha(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

func ud(path, key, value string) schemas.Field {
	return schemas.Field{Path: path, Key: key, Value: value, Kind: schemas.KindString}
}

func capi() *schemas.Event {
	p := "data[0].user_data."
	return &schemas.Event{
		Side: schemas.SideServer, Format: schemas.FormatMetaCAPI, Destination: schemas.DestinationMeta,
		EventName: "Purchase", EventTime: 1772446500000, ActionSource: "website",
		ExternalID: "cust-55810", ClientIP: "198.51.100.23", UserAgent: "Mozilla/5.0",
		ClickIDs: schemas.ClickIDs{FBCLID: "IwZXh0bgNhZW0CMTEAAR2x_Demo-Click",
			FBC: "fb.1.1772446152044.IwZXh0bgNhZW0CMTEAAR2x_Demo-Click", FBP: "fb.1.1771574400000.1388405713"},
		UserData: []schemas.Field{
			ud(p+"em[0]", "em", sha("ana.lima@example.org")),
			ud(p+"ph[0]", "ph", sha("49301234567")),
			ud(p+"country[0]", "country", sha("de")),
			ud(p+"fn[0]", "fn", ""),
			ud(p+"client_ip_address", "client_ip_address", "198.51.100.23"),
		},
		Params: []schemas.Field{
			{Path: "data[0].custom_data.value", Key: "value", Value: "84.5", Kind: schemas.KindNumber},
			{Path: "data[0].custom_data.currency", Key: "currency", Value: "EUR"},
			{Path: "data[0].custom_data.contents[0].item_price", Key: "value", Value: "59.5", Kind: schemas.KindNumber},
		},
		TransactionID: "ORD-77120", HasTransactionID: true,
		TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	}
}

func TestFieldBitsMatchKeyNames(t *testing.T) {
	for _, c := range []struct {
		f    userdata.Field
		name string
	}{{userdata.FieldEmail, "em"}, {userdata.FieldPhone, "ph"}, {userdata.FieldCountry, "country"},
		{userdata.FieldDOB, "db"}, {userdata.FieldGender, "ge"}, {userdata.FieldExternalID, "external_id"},
		{userdata.FieldFBP, "fbp"}, {userdata.FieldClientID, "client_id"}, {userdata.FieldStreet, "street"}} {
		if MatchKeyNames[c.f] != c.name {
			t.Errorf("field %d is %s in MatchKeyNames, want %s", c.f, MatchKeyNames[c.f], c.name)
		}
	}
	if len(MatchKeyNames) != int(userdata.FieldStreet)+1 {
		t.Errorf("MatchKeyNames has %d names", len(MatchKeyNames))
	}
}

func TestBuildSnapshot(t *testing.T) {
	d := NewDigester([]byte("k"))
	s := BuildSnapshot(capi(), d)
	want := KeyEmail | KeyPhone | KeyCountry | KeyClientIP | KeyUserAgent | KeyExternalID | KeyFBC | KeyFBP
	if s.MatchKeys != want {
		t.Errorf("match keys %v, want %v", s.MatchKeys.Names(), want.Names())
	}
	if s.ClickIDs != ClickFBCLID|ClickFBC|ClickFBP {
		t.Errorf("click ids %b", s.ClickIDs)
	}
	if s.FBCLID == 0 || s.FBCLID != s.FBCClickID {
		t.Error("fbclid digests differ for an unmodified fbc")
	}
	if s.FBP != d.Sum("fb.1.1771574400000.1388405713") || s.ExternalID != d.Sum("cust-55810") {
		t.Error("fbp/external_id digests")
	}
	if len(s.Hashes) != 3 || s.Hashes[0].Key != uint8(userdata.FieldEmail) ||
		s.Hashes[0].Value != d.Sum(sha("ana.lima@example.org")) || s.Hashes[0].Double != d.Sum(sha(sha("ana.lima@example.org"))) {
		t.Errorf("hashes %+v", s.Hashes)
	}
	ev2 := capi()
	ev2.Params[0].Value = "84.50"
	ev2.Params[1].Value = "eur"
	ev2.Params[2].Value = "1"
	if s2 := BuildSnapshot(ev2, d); s2.Payload != s.Payload || s.Payload == 0 {
		t.Error("payload not normalised")
	}
	ev2.TransactionID = "ORD-77121"
	if BuildSnapshot(ev2, d).Payload == s.Payload {
		t.Error("payload ignores the order id")
	}
	if hex.EncodeToString(s.TraceID[:]) != "4bf92f3577b34da6a3ce929d0e0e4736" || hex.EncodeToString(s.SpanID[:]) != "00f067aa0ba902b7" {
		t.Error("trace context")
	}
	if s.Consent != 0 || s.Plain != nil {
		t.Errorf("consent %b plain %v", s.Consent, s.Plain)
	}
	// upper-case and base64 hashes digest like the lowercase hex
	ev3 := capi()
	up := []byte(sha("ana.lima@example.org"))
	for i := range up {
		if up[i] >= 'a' {
			up[i] -= 32
		}
	}
	ev3.UserData[0].Value = string(up)
	if h := BuildSnapshot(ev3, d).Hashes[0]; h != s.Hashes[0] {
		t.Error("upper-case hash digests differently")
	}
	ev3.TraceParent = "00-00000000000000000000000000000000-00f067aa0ba902b7-01"
	if BuildSnapshot(ev3, d).TraceID != ([16]byte{}) {
		t.Error("all-zero trace id accepted")
	}
}

func TestBuildSnapshotConsent(t *testing.T) {
	d := NewDigester(nil)
	cases := []struct {
		c    schemas.Consent
		want ConsentFlags
	}{
		{schemas.Consent{GCS: "G111"}, ConsentSignalPresent},
		{schemas.Consent{GCS: "G101"}, ConsentSignalPresent | ConsentAdStorageDenied},
		{schemas.Consent{GCS: "G110"}, ConsentSignalPresent},
		{schemas.Consent{AdUserData: "DENIED", AdPersonalization: "GRANTED"}, ConsentSignalPresent | ConsentAdUserDataDenied},
		{schemas.Consent{NPA: "1"}, ConsentSignalPresent | ConsentAdPersonalizationDenied},
		{schemas.Consent{GCD: "13p3t3p3t5l1"}, ConsentSignalPresent | ConsentAdStorageDenied | ConsentAdUserDataDenied},
		{schemas.Consent{GCD: "13v3v3v3v5l1"}, ConsentSignalPresent},
		{schemas.Consent{DataProcessing: "LDU"}, ConsentSignalPresent | ConsentLDU},
		// TCF v2 core strings: all purposes consented vs none
		{schemas.Consent{TCString: tcf(0xFFFFFF)}, ConsentSignalPresent},
		{schemas.Consent{TCString: tcf(0)}, ConsentSignalPresent | ConsentTCFDenied},
		{schemas.Consent{TCString: tcf(0), GDPR: "0"}, ConsentSignalPresent},
	}
	for i, c := range cases {
		ev := capi()
		ev.Consent = c.c
		if got := BuildSnapshot(ev, d).Consent; got != c.want {
			t.Errorf("case %d: consent %06b, want %06b", i, got, c.want)
		}
	}
}

// tcf builds a TCF v2 core segment with the given 24 purpose-consent bits.
func tcf(purposes uint32) string {
	var b [30]byte
	b[0] = 2 << 2 // version 2 in the first 6 bits
	// bits 152..175 = bytes 19..21
	b[19], b[20], b[21] = byte(purposes>>16), byte(purposes>>8), byte(purposes)
	const enc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var out []byte
	for i := 0; i+3 <= len(b); i += 3 {
		v := uint32(b[i])<<16 | uint32(b[i+1])<<8 | uint32(b[i+2])
		out = append(out, enc[v>>18], enc[v>>12&63], enc[v>>6&63], enc[v&63])
	}
	return string(out)
}

func TestBuildSnapshotPlain(t *testing.T) {
	d := NewDigester(nil)
	ev := &schemas.Event{Side: schemas.SideClient, Format: schemas.FormatMetaPixel, Destination: schemas.DestinationMeta,
		UserData: []schemas.Field{ud("ud[ph]", "ph", "+49 30 1234567")}}
	s := BuildSnapshot(ev, d)
	if len(s.Plain) != 1 || len(s.Hashes) != 0 {
		t.Fatalf("plain %v hashes %v", s.Plain, s.Hashes)
	}
	p := s.Plain[0]
	if p.Norm != d.Sum(sha("49301234567")) || p.Double != d.Sum(sha(sha("49301234567"))) || p.Wrong[0] != d.Sum(sha("+49301234567")) {
		t.Errorf("plain digests %+v", p)
	}
}

func BenchmarkBuildSnapshot(b *testing.B) {
	d := NewDigester([]byte("k"))
	ev := capi()
	b.ReportAllocs()
	for b.Loop() {
		_ = BuildSnapshot(ev, d)
	}
}

// TestMemoizeDoubles: a memoised Double (country "de" seeded, zip "10115"
// learnt) equals the computed one, in upper-case hex too; the memo applies
// only under its Digester and only to the low-cardinality fields.
func TestMemoizeDoubles(t *testing.T) {
	d := NewDigester([]byte("k"))
	ev := capi()
	ev.UserData = append(ev.UserData, ud("data[0].user_data.zp", "zp", sha("10115")))
	want := BuildSnapshot(ev, d)
	p := &SnapshotPolicy{TCFPurposes: defaultSnapshotPolicy.TCFPurposes}
	p.MemoizeDoubles(d, []string{"de", "fr"})
	for range 2 { // learns the zip, then reads it
		if got := p.Build(ev, d); !slices.Equal(got.Hashes, want.Hashes) {
			t.Errorf("with the memo %+v, want %+v", got.Hashes, want.Hashes)
		}
	}
	if n := p.doubles.n.Load(); n != 3 {
		t.Errorf("memo holds %d digests, want 3 (de, fr, the zip; not em or ph)", n)
	}
	up := capi()
	up.UserData[2].Value = strings.ToUpper(sha("de"))
	if got, want := p.Build(up, d).Hashes[2], BuildSnapshot(up, d).Hashes[2]; got != want || got.Double != d.Sum(sha(sha("de"))) {
		t.Errorf("upper-case hex: %+v, want %+v", got, want)
	}
	other := NewDigester([]byte("other"))
	if got, want := p.Build(ev, other).Hashes, BuildSnapshot(ev, other).Hashes; !slices.Equal(got, want) {
		t.Errorf("another digester used the memo: %+v, want %+v", got, want)
	}
	p.doubles.m.Store(d.Sum(sha("de")), uint64(1)) // proves the memo is read
	if p.Build(ev, d).Hashes[2].Double != 1 {
		t.Error("the memo was not used")
	}
}
