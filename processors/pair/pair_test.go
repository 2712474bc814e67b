package pair

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/schemas"
)

func sha(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

func ud(path, key, value string) schemas.Field {
	return schemas.Field{Path: path, Key: key, Value: value, Kind: schemas.KindString}
}

const (
	fbclid = "IwZXh0bgNhZW0CMTEAAR2x_Demo-Click"
	fbc    = "fb.1.1772446152044." + fbclid
	fbp    = "fb.1.1771574400000.1388405713"
)

var dg = processors.NewDigester([]byte("k"))

func pixel() *schemas.Event {
	return &schemas.Event{Side: schemas.SideClient, Format: schemas.FormatMetaPixel, Destination: schemas.DestinationMeta,
		EventName: "Purchase", ExternalID: "cust-55810",
		ClickIDs: schemas.ClickIDs{FBCLID: fbclid, FBC: fbc, FBP: fbp},
		UserData: []schemas.Field{ud("ud[em]", "em", sha("ana.lima@example.org")), ud("ud[ph]", "ph", sha("49301234567"))}}
}

func capi() *schemas.Event {
	p := "data[0].user_data."
	return &schemas.Event{Side: schemas.SideServer, Format: schemas.FormatMetaCAPI, Destination: schemas.DestinationMeta,
		EventName: "Purchase", ExternalID: "cust-55810", ClientIP: "198.51.100.23",
		ClickIDs: schemas.ClickIDs{FBC: fbc, FBP: fbp},
		UserData: []schemas.Field{ud(p+"em[0]", "em", sha("ana.lima@example.org")), ud(p+"ph[0]", "ph", sha("49301234567"))}}
}

func set(ev *schemas.Event, key, v string) *schemas.Event {
	for i := range ev.UserData {
		if ev.UserData[i].Key == key {
			ev.UserData[i].Value = v
		}
	}
	return ev
}

func snap(ev *schemas.Event) *processors.Snapshot { s := processors.BuildSnapshot(ev, dg); return &s }

func run(c, s *schemas.Event) []string {
	var cs, ss *processors.Snapshot
	if c != nil {
		cs = snap(c)
	}
	if s != nil {
		ss = snap(s)
	}
	var out []string
	for _, f := range Check(cs, ss, nil, nil) {
		if f.Fingerprint != "" || f.Message == "" || f.Detector != Detector {
			out = append(out, "BAD")
		}
		out = append(out, f.Code+"@"+string(f.Side)+":"+f.Path)
	}
	return out
}

func TestCheck(t *testing.T) {
	mod := func(f func(c, s *schemas.Event)) (*schemas.Event, *schemas.Event) {
		c, s := pixel(), capi()
		f(c, s)
		return c, s
	}
	type tc struct {
		name string
		c, s *schemas.Event
		want []string
	}
	var cases []tc
	add := func(name string, want []string, f func(c, s *schemas.Event)) {
		c, s := mod(f)
		cases = append(cases, tc{name, c, s, want})
	}
	add("clean", nil, func(c, s *schemas.Event) {})
	add("cross-side mismatch", []string{"HASH_CROSS_SIDE_MISMATCH@pair:user_data.em"}, func(c, s *schemas.Event) {
		set(s, "em", sha("other@example.org"))
	})
	add("server double", []string{"HASH_DOUBLE@pair:user_data.ph"}, func(c, s *schemas.Event) {
		set(s, "ph", sha(sha("49301234567")))
	})
	add("client double", []string{"HASH_DOUBLE@pair:user_data.em"}, func(c, s *schemas.Event) {
		set(c, "em", sha(sha("ana.lima@example.org")))
	})
	add("upper-case on one side is no mismatch", nil, func(c, s *schemas.Event) {
		set(s, "em", strings.ToUpper(sha("ana.lima@example.org")))
	})
	add("client plaintext, server Google-style ph", []string{"HASH_NOT_NORMALIZED@pair:user_data.ph"}, func(c, s *schemas.Event) {
		set(c, "ph", "+49 30 1234567")
		set(s, "ph", sha("+49301234567"))
	})
	add("client plaintext, server right", nil, func(c, s *schemas.Event) { set(c, "ph", "+49 30 1234567") })
	add("client plaintext, server double", []string{"HASH_DOUBLE@pair:user_data.ph"}, func(c, s *schemas.Event) {
		set(c, "ph", "+49 30 1234567")
		set(s, "ph", sha(sha("49301234567")))
	})
	add("client plaintext, other number: not judged", nil, func(c, s *schemas.Event) {
		set(c, "ph", "+49 30 1234567")
		set(s, "ph", sha("4940999999"))
	})
	add("fbp mismatch", []string{"MATCH_FBP_MISMATCH@pair:user_data.fbp"}, func(c, s *schemas.Event) {
		s.ClickIDs.FBP = "fb.1.1771574400001.99"
	})
	add("external id mismatch", []string{"MATCH_EXTERNAL_ID_MISMATCH@pair:user_data.external_id"}, func(c, s *schemas.Event) {
		s.ExternalID = sha("cust-55810")
	})
	add("fbc dropped", []string{"CLICKID_DROPPED@pair:user_data.fbc"}, func(c, s *schemas.Event) { s.ClickIDs.FBC = "" })
	add("fbclid only on client, server fbc: kept", nil, func(c, s *schemas.Event) { c.ClickIDs.FBC = "" })
	add("fbclid modified on server", []string{"CLICKID_FBCLID_MODIFIED@pair:user_data.fbc"}, func(c, s *schemas.Event) {
		s.ClickIDs.FBC = "fb.1.1772446152044." + strings.ToLower(fbclid)
	})
	add("fbclid modified on client", []string{"CLICKID_FBCLID_MODIFIED@client:fbc"}, func(c, s *schemas.Event) {
		c.ClickIDs.FBCLID = "IwNewerClick"
	})
	add("consent: ad_user_data denied, server sends em", []string{"CONSENT_MISMATCH@pair:user_data.em"}, func(c, s *schemas.Event) {
		c.Consent.GCD = "13r3r3p3r5l1"
	})
	add("consent: denial honoured server-side too", nil, func(c, s *schemas.Event) {
		c.Consent.AdUserData, s.Consent.AdUserData = "DENIED", "DENIED"
	})
	add("consent: ad_storage denied, server sends fbp", []string{"CONSENT_MISMATCH@pair:user_data.fbc"}, func(c, s *schemas.Event) {
		c.Consent.GCS = "G101"
	})
	add("consent: granted", nil, func(c, s *schemas.Event) { c.Consent.GCS = "G111" })

	// GA4: gtag ↔ MP
	gtag := &schemas.Event{Side: schemas.SideClient, Format: schemas.FormatGA4Gtag, Destination: schemas.DestinationGA4,
		ClientID: "1.2", ClickIDs: schemas.ClickIDs{GCLID: "Cj0KCQ", WBRAID: "wb1"}}
	mp := &schemas.Event{Side: schemas.SideServer, Format: schemas.FormatGA4MP, Destination: schemas.DestinationGA4,
		ClientID: "1.2", ClickIDs: schemas.ClickIDs{WBRAID: "wb1"},
		UserData: []schemas.Field{ud("user_data.sha256_email_address[0]", "sha256_email_address", sha("johnsmith@gmail.com"))}}
	cases = append(cases, tc{"gclid dropped", gtag, mp, []string{"CLICKID_DROPPED@pair:gclid"}})
	// sGTM server plaintext vs a browser hash hashed the Meta way on a GA4 pair
	sg := &schemas.Event{Side: schemas.SideServer, Format: schemas.FormatSGTM, Destination: schemas.DestinationGA4,
		UserData: []schemas.Field{ud("user_data.email_address", "email_address", "John.Smith@gmail.com")}}
	gc := &schemas.Event{Side: schemas.SideClient, Format: schemas.FormatGA4Gtag, Destination: schemas.DestinationGA4,
		UserData: []schemas.Field{ud("em", "sha256_email_address", sha("john.smith@gmail.com"))}}
	cases = append(cases, tc{"gmail dots on GA4 vs sGTM plaintext", gc, sg, []string{"HASH_NOT_NORMALIZED@pair:user_data.sha256_email_address"}})
	gc2 := &schemas.Event{Side: schemas.SideClient, Format: schemas.FormatGA4Gtag, Destination: schemas.DestinationGA4,
		UserData: []schemas.Field{ud("em", "sha256_email_address", sha("johnsmith@gmail.com"))}}
	cases = append(cases, tc{"gmail Google-normalised on GA4: fine", gc2, sg, nil})
	cases = append(cases, tc{"orphan server", nil, set(capi(), "em", sha("x")), nil})

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := run(c.c, c.s); strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	if err := NewDefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	c := NewDefaultConfig()
	c.UserDataKeys |= 1 << 30
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "user-data keys") {
		t.Fatalf("err = %v", err)
	}
}

func TestCheckCleanNoAllocs(t *testing.T) {
	c, s := snap(pixel()), snap(capi())
	out := make([]schemas.Finding, 0, 4)
	if n := testing.AllocsPerRun(100, func() { out = Check(c, s, nil, out[:0]) }); n != 0 || len(out) != 0 {
		t.Fatalf("allocs %v, findings %d", n, len(out))
	}
}

func BenchmarkCheckCleanPair(b *testing.B) {
	c, s := snap(pixel()), snap(capi())
	out := make([]schemas.Finding, 0, 4)
	b.ReportAllocs()
	for b.Loop() {
		out = Check(c, s, nil, out[:0])
	}
}
