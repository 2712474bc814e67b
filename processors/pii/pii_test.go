package pii

import (
	"os"
	"strings"
	"testing"

	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/schemas"
)

func newDetector(t testing.TB, mod func(*Config)) *Detector {
	t.Helper()
	c := NewDefaultConfig()
	if mod != nil {
		mod(&c)
	}
	d, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func entitiesAt(dets []Detection) string {
	var b []string
	for _, d := range dets {
		b = append(b, d.Entity+"@"+d.Path)
	}
	return strings.Join(b, ",")
}

func TestScan(t *testing.T) {
	t.Parallel()
	d := newDetector(t, nil)
	pixel := Context{Destination: schemas.DestinationMeta, Format: schemas.FormatMetaPixel, Section: SectionURL}
	params := Context{Destination: schemas.DestinationGA4, Format: schemas.FormatGA4MP, Section: SectionParams}
	capiUD := Context{Destination: schemas.DestinationMeta, Format: schemas.FormatMetaCAPI, Section: SectionUserData}
	sgtmUD := Context{Destination: schemas.DestinationGA4, Format: schemas.FormatSGTM, Section: SectionUserData}
	other := Context{Destination: schemas.DestinationMeta, Format: schemas.FormatMetaCAPI, Section: SectionOther}
	cases := []struct {
		name, key, value string
		ctx              Context
		want             string // entity@path list, "" for none
	}{
		{"percent email in dl", "dl", "https://s.example.net/p?email=ana.lima%40example.org&x=1", pixel, "email@dl?email"},
		{"double percent", "dl", "https://s.example.net/p?e=ana.lima%2540example.org", pixel, "email@dl?e"},
		{"klaviyo base64 json", "dl", "https://a.klaviyo.com/api/track?data=eyIkZW1haWwiOiJhbmEubGltYUBleGFtcGxlLm9yZyJ9", pixel, "email@dl?data→$email"},
		{"fullwidth", "cx_note", "ａｎａ＠ｅｘａｍｐｌｅ．ｏｒｇ", params, "email@cx_note"},
		{"zero width", "cx_note", "an\u200ba@exa\ufeffmple.org", params, "email@cx_note"},
		{"html entity", "cx_note", "ana&#64;example.org", params, "email@cx_note"},
		{"email in path", "dl", "https://s.example.net/unsubscribe/ana@example.com/x", pixel, "email@dl"},
		{"example.com is real", "cx_note", "ana@example.com", params, "email@cx_note"},
		{"logo@2x.png", "dl", "https://cdn.example.net/logo@2x.png", pixel, ""},
		{"react@18.2.0", "dl", "https://www.npmjs.com/package/react@18.2.0", pixel, ""},
		{"handle", "dl", "https://social.example.com/@ana_shop", pixel, ""},
		{"phone by key", "cx_phone", "+49 30 1234567", params, "phone@cx_phone"},
		{"phone national by key", "phone", "030 1234567", params, "phone@phone"},
		{"phone plus as space in query", "dl", "https://s.example.net/p?tel=+49+30+1234567", pixel, "phone@dl?tel"},
		{"phone intl in search", "q", "call me +44 7911 123456", params, "phone@q"},
		{"bare digits are not phones", "cx_ref", "4930123456", params, ""},
		{"s timestamp not a phone", "cx_last_seen", "1772445900", params, ""},
		{"card spaced", "cx_pay", "4111 1111 1111 1111", params, "card@cx_pay"},
		{"card in url path", "dl", "https://s.example.net/pay/5555555555554444/ok", pixel, "card@dl"},
		{"luhn ms timestamp", "cx_created", "1772446481257", params, ""},
		{"order id luhn", "order_id", "4539578763621486", params, ""},
		{"card digits inside float", "cx_x", "4111111111111111.5", params, ""},
		{"card inside id", "cx_x", "SKU-4111111111111111", params, ""},
		{"iban spaced", "cx_note", "IBAN: DE89 3704 0044 0532 0130 00 thanks", params, "iban@cx_note"},
		{"iban compact hex-like", "cx_bank", "BE71096123456769", params, "iban@cx_bank"},
		{"iban typo", "cx_bank", "DE89370400440532013001", params, ""},
		{"ip in param", "cx_ip", "203.0.113.7", params, "ip@cx_ip"},
		{"ip with port", "cx_peer", "203.0.113.7:443", params, "ip@cx_peer"},
		{"ipv6", "cx_peer", "[2001:db8::1]:443", params, "ip@cx_peer"},
		{"ip in url", "dl", "https://s.example.net/p?ip=198.51.100.23", pixel, "ip@dl?ip"},
		{"chrome version", "cx_ua", "Mozilla/5.0 Chrome/124.0.0.0 Safari/537.36", params, ""},
		{"version string", "cx_app", "v2.1.1.108", params, ""},
		{"ip field", "client_ip_address", "198.51.100.23", capiUD, ""},
		{"mac address", "cx_hw", "00:1A:2B:3C:4D:5E", params, ""},
		{"time", "cx_t", "2026-03-02T10:15:00Z", params, ""},
		{"meta hash key plaintext is hashing's business", "em", "ana@example.org", capiUD, ""},
		{"card in hash key is still reported", "em", "4111111111111111", capiUD, "card@em"},
		{"sgtm plaintext allowed", "email_address", "ana@example.org", sgtmUD, ""},
		{"hex hash", "cx_h", strings.Repeat("ab12", 16), params, ""},
		{"uuid", "event_id", "8c1a9046-1297-4901-a2b3-0123456789ab", params, ""},
		{"fbp", "cx_fbp", "fb.1.1771574400000.1388405713", params, ""},
		{"gclid", "dl", "https://s.example.net/?gclid=Cj0KCQiA4111111111111111aBcD", pixel, ""},
		{"jwt", "dl", "https://s.example.net/magic?t=eyJhbGciOiJIUzI1NiJ9.eyJlbWFpbCI6ImFuYUBleGFtcGxlLm9yZyJ9.c2ln", pixel, "secret@dl?t,email@dl?t→jwt→email"},
		{"password key", "password", "hunter2!", params, "secret@password"},
		{"publishable key", "token", "pk_abc123def456", params, ""},
		{"capi access token", "access_token", "EAABsbCS1iHgBAxyz", other, ""},
		{"bearer", "cx_h", "Authorization: Bearer abcdefghijklmnop1234", params, "secret@cx_h"},
		{"ssn", "cx_note", "ssn 536-22-1234", params, "national_id@cx_note"},
		{"invalid ssn", "cx_note", "ref 666-22-1234", params, ""},
		{"name by key", "first_name", "Ana", params, "name@first_name"},
		{"bare name needs two words", "name", "purchase", other, ""},
		{"full name", "name", "Ana Lima", params, "name@name"},
		{"street", "street", "Hauptstraße 12", params, "address@street"},
		{"zip in url", "dl", "https://s.example.net/p?zip=10115", pixel, "address@dl?zip"},
		{"esp id base64 email", "dl", "https://s.example.net/?vgo_ee=YW5hQGV4YW1wbGUub3Jn", pixel, "email@dl?vgo_ee→base64"},
		{"esp id opaque", "dl", "https://s.example.net/?mc_eid=3f2a1b9c0d&_hsenc=p2ANqtz-8xYzAbCdEfGhIjKlMn", pixel, ""},
		{"nested encoded url", "dl", "https://s.example.net/?redirect=https%3A%2F%2Fm.example.net%2Fc%3Femail%3Dana%2540example.org", pixel, "email@dl?redirect?email"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := entitiesAt(d.Scan(c.key, c.key, c.value, c.ctx))
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestIPPolicy(t *testing.T) {
	t.Parallel()
	ctx := Context{Destination: schemas.DestinationGA4, Format: schemas.FormatGA4MP, Section: SectionParams}
	off := newDetector(t, func(c *Config) { c.IPPolicy[schemas.DestinationGA4] = IPOff })
	if got := off.Scan("p", "cx_ip", "203.0.113.7", ctx); len(got) != 0 {
		t.Errorf("ip policy off: got %v", entitiesAt(got))
	}
	urls := newDetector(t, func(c *Config) { c.IPPolicy[schemas.DestinationGA4] = IPInURLs })
	if got := urls.Scan("p", "cx_ip", "203.0.113.7", ctx); len(got) != 0 {
		t.Errorf("ip policy urls, param: got %v", entitiesAt(got))
	}
	ctx.Section = SectionURL
	if got := entitiesAt(urls.Scan("page_location", "page_location", "https://s.example.net/?ip=203.0.113.7", ctx)); got != "ip@page_location?ip" {
		t.Errorf("ip policy urls, url: got %q", got)
	}
	allow := newDetector(t, func(c *Config) { c.AllowDomains = []string{"example.org"} })
	if got := allow.Scan("p", "cx", "ana@shop.example.org", ctx); len(got) != 0 {
		t.Errorf("allowlisted domain reported: %v", entitiesAt(got))
	}
	noEmail := newDetector(t, func(c *Config) { c.Entities = []string{EntityCard} })
	if got := noEmail.Scan("p", "cx", "ana@example.org 4111111111111111", ctx); entitiesAt(got) != "card@p" {
		t.Errorf("entities filter: got %q", entitiesAt(got))
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	if err := NewDefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	cases := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"unknown entity", func(c *Config) { c.Entities = []string{"dna"} }, "unknown entity"},
		{"bad policy", func(c *Config) { c.IPPolicy[schemas.DestinationGA4] = "sometimes" }, "ip policy"},
		{"bad severity", func(c *Config) { c.IPSeverity = "loud" }, "ip severity"},
		{"decode passes", func(c *Config) { c.DecodePasses = 0 }, "decode passes"},
		{"uk region", func(c *Config) { c.PhoneRegions = []string{"UK"} }, "use GB"},
		{"iin", func(c *Config) { c.IIN = append(c.IIN, IINRange{Scheme: "x", Lo: "5", Hi: "45", Lengths: []int{16}}) }, "iin"},
		{"allow domain", func(c *Config) { c.AllowDomains = []string{"a@b"} }, "allow domain"},
		{"max value", func(c *Config) { c.MaxValueBytes = 10 }, "max value bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := NewDefaultConfig()
			c.mod(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
			if _, err := New(cfg); err == nil {
				t.Fatal("New accepted an invalid config")
			}
		})
	}
}

// capiEvent is a clean ~1 KB CAPI-like event: hashes, ids, URL, UA, IP, prices.
func capiEvent() *schemas.Event {
	h := func(c string) string { return strings.Repeat(c, 64) }
	ev := &schemas.Event{
		Side: schemas.SideServer, Format: schemas.FormatMetaCAPI, Destination: schemas.DestinationMeta,
		URL: "https://store.example.net/order/complete?fbclid=IwZXh0bgNhZW0CMTEAAR2x_Demo-Click", URLPath: "data[0].event_source_url",
	}
	ud := func(k, v string) schemas.Field {
		return schemas.Field{Path: "data[0].user_data." + k, Key: k, Value: v}
	}
	ev.UserData = []schemas.Field{
		ud("em[0]", h("c3")), ud("ph[0]", h("2f")), ud("fn[0]", h("24")), ud("ln[0]", h("00")), ud("ct[0]", h("a1")),
		ud("zp[0]", h("b2")), ud("country[0]", h("95")), ud("external_id[0]", "cust-55810"),
		ud("client_ip_address", "198.51.100.23"),
		ud("client_user_agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"),
		ud("fbc", "fb.1.1772446152044.IwZXh0bgNhZW0CMTEAAR2x_Demo-Click"), ud("fbp", "fb.1.1771574400000.1388405713"),
	}
	for i := range ev.UserData {
		ev.UserData[i].Key = strings.TrimSuffix(ev.UserData[i].Key, "[0]")
	}
	cd := func(k, v string) schemas.Field {
		return schemas.Field{Path: "data[0].custom_data." + k, Key: k, Value: v}
	}
	ev.Params = []schemas.Field{
		cd("currency", "EUR"), cd("value", "84.5"), cd("order_id", "ORD-77120"), cd("content_type", "product"),
		cd("content_ids[0]", "TEE-RED-M"), cd("content_ids[1]", "CAP-01"), cd("contents[0].id", "TEE-RED-M"),
		cd("contents[0].quantity", "1"), cd("contents[0].item_price", "59.5"), cd("num_items", "2"),
		cd("cx_schema_version", "3"), cd("cx_session", "8c1a9046-1297-4901-a2b3-0123456789ab"),
	}
	ev.Other = []schemas.Field{
		{Path: "data[0].event_name", Key: "event_name", Value: "Purchase"},
		{Path: "data[0].event_time", Key: "event_time", Value: "1772446500"},
		{Path: "data[0].event_id", Key: "event_id", Value: "ORD-77120"},
		{Path: "data[0].action_source", Key: "action_source", Value: "website"},
		{Path: "data[0].event_source_url", Key: "event_source_url", Value: ev.URL},
		{Path: "partner_agent", Key: "partner_agent", Value: "example-sgtm-0.3"},
	}
	return ev
}

func TestCheckClean(t *testing.T) {
	t.Parallel()
	d := newDetector(t, nil)
	if got := d.Check(capiEvent(), processors.NewFingerprinter([]byte("k")), nil); len(got) != 0 {
		t.Fatalf("clean event: %d findings, first at %s (%s)", len(got), got[0].Path, got[0].Entity)
	}
}

func TestCheckFindings(t *testing.T) {
	t.Parallel()
	d := newDetector(t, nil)
	ev := capiEvent()
	const email = "ana.lima@example.org"
	const card = "4111 1111 1111 1111"
	ev.URL = "https://store.example.net/done?email=ana.lima%40example.org"
	ev.Other[4].Value = ev.URL // the same leaf: reported once
	ev.Params = append(ev.Params,
		schemas.Field{Path: "data[0].custom_data.cx_note", Key: "cx_note", Value: "paid with " + card},
		schemas.Field{Path: "data[0].custom_data.cx_ip", Key: "cx_ip", Value: "203.0.113.7"})
	fp := processors.NewFingerprinter([]byte("deployment-key"))
	got := d.Check(ev, fp, nil)
	want := map[string]schemas.Severity{
		"data[0].event_source_url?email/email": schemas.SeverityFail,
		"data[0].custom_data.cx_note/card":     schemas.SeverityCritical,
		"data[0].custom_data.cx_ip/ip":         schemas.SeverityWarn,
	}
	if len(got) != len(want) {
		t.Fatalf("got %d findings, want %d", len(got), len(want))
	}
	for _, f := range got {
		sev, ok := want[f.Path+"/"+f.Entity]
		if !ok || f.Severity != sev || f.Code != Code || f.Side != schemas.FindingServer || f.Detector == "" {
			t.Errorf("unexpected finding %s/%s severity %s side %s", f.Path, f.Entity, f.Severity, f.Side)
		}
		if f.Fingerprint == "" || len(f.Fingerprint) != 16 {
			t.Errorf("%s: fingerprint missing", f.Path)
		}
		for _, leak := range []string{email, "ana.lima", "4111", "203.0.113", "example.org"} {
			if strings.Contains(f.Message, leak) || strings.Contains(f.Fingerprint, leak) || strings.Contains(f.Path, leak) {
				t.Errorf("%s: finding carries part of the value", f.Path)
			}
		}
		if f.Entity == EntityEmail && f.Fingerprint != fp.Sum(email) {
			t.Errorf("email fingerprint is not the keyed sum of the normalised value")
		}
	}
	// no key: no fingerprint
	for _, f := range d.Check(ev, processors.NewFingerprinter(nil), nil) {
		if f.Fingerprint != "" {
			t.Errorf("fingerprint without a key")
		}
	}
}

// TestCorpusIsCurrent fails when the committed corpus differs from what the
// generator writes (run go generate ./processors/pii).
func TestCorpusIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator")
	}
	out := t.TempDir() + "/corpus.jsonl"
	cmd := goRun(t, "./corpusgen", "-out", out)
	if err := cmd.Run(); err != nil {
		t.Fatalf("corpusgen: %v", err)
	}
	a, _ := os.ReadFile(out)
	b, _ := os.ReadFile("testdata/corpus.jsonl")
	if string(a) != string(b) {
		t.Fatal("testdata/corpus.jsonl is stale: run go generate ./processors/pii")
	}
}

// TestURLLeakReportedOnce: a leak in a page URL's query is one finding,
// although the decoder also splits the query into leaves of its own.
func TestURLLeakReportedOnce(t *testing.T) {
	t.Parallel()
	d, err := New(NewDefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	evs, err := schemas.Decode(schemas.Message{
		Value: []byte("https://www.facebook.com/tr/?id=1&ev=Lead&eid=e1&dl=" +
			"https%3A%2F%2Fshop.example.net%2Fthanks%3Femail%3Dana.lima%2540example.org"),
		Side: schemas.SideClient,
	}, schemas.DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fs := d.Check(&evs[0], nil, nil)
	seen := map[string]int{}
	for _, f := range fs {
		seen[f.Path+"|"+f.Entity]++
	}
	if len(fs) == 0 {
		t.Fatal("no finding for an email in dl")
	}
	for k, n := range seen {
		if n > 1 {
			t.Errorf("%s reported %d times", k, n)
		}
	}
}
