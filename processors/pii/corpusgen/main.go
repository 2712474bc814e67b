// Command corpusgen writes the labelled PII corpus (testdata/corpus.jsonl):
// one leaf per line with its destination, format, section and the entities
// it holds. It is seeded and reproducible:
//
//	go run ./corpusgen -out testdata/corpus.jsonl -seed 20260301
//
// Positives come in every encoding the scanner must see through; hard
// negatives are the identifier shapes that fool naive recognisers
// (REFERENCE §7.3). Labels come from how a leaf was built, never from the
// detector. Phone numbers are drawn from real numbering plans and kept only
// when libphonenumber calls them valid, so the labels are true.
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Leaf is one corpus line.
type Leaf struct {
	Path        string   `json:"path"`
	Key         string   `json:"key"`
	Value       string   `json:"value"`
	Destination string   `json:"destination"`
	Format      string   `json:"format"`
	Section     string   `json:"section"`
	Labels      []string `json:"labels"`
	Kind        string   `json:"kind"` // positive, hard_negative, clean
	Variant     string   `json:"variant"`
}

type gen struct {
	r   *rand.Rand
	out []Leaf
}

func main() {
	out := flag.String("out", "testdata/corpus.jsonl", "output file")
	seed := flag.Uint64("seed", 20260301, "random seed")
	flag.Parse()
	g := &gen{r: rand.New(rand.NewPCG(*seed, *seed^0x9e3779b97f4a7c15))}
	g.all()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "corpusgen:", err)
		os.Exit(1)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, l := range g.out {
		if l.Labels == nil {
			l.Labels = []string{}
		}
		if err := enc.Encode(l); err != nil {
			fmt.Fprintln(os.Stderr, "corpusgen:", err)
			os.Exit(1)
		}
	}
	if err := w.Flush(); err != nil || f.Close() != nil {
		fmt.Fprintln(os.Stderr, "corpusgen: write failed")
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "corpusgen: %d leaves\n", len(g.out))
}

func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }
func (g *gen) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.r.IntN(10))
	}
	return string(b)
}

// ---- sides: destination, format and paths ----

type site struct{ dest, format string }

var sites = []site{{"meta", "meta.capi"}, {"meta", "meta.pixel"}, {"ga4", "ga4.mp"}, {"ga4", "ga4.gtag"}, {"ga4", "sgtm.event"}}

func (g *gen) site() site { return sites[g.r.IntN(len(sites))] }

// paramPath is where a custom parameter lives in each format.
func paramPath(s site, key string) string {
	switch s.format {
	case "meta.capi":
		return "data[0].custom_data." + key
	case "meta.pixel":
		return "cd[" + key + "]"
	case "ga4.mp":
		return "events[0].params." + key
	case "ga4.gtag":
		return "ep." + key
	}
	return key
}

func urlKey(s site, referrer bool) (path, key string) {
	switch s.format {
	case "meta.capi":
		if referrer {
			return "data[0].referrer_url", "referrer_url"
		}
		return "data[0].event_source_url", "event_source_url"
	case "meta.pixel":
		if referrer {
			return "rl", "rl"
		}
		return "dl", "dl"
	case "ga4.gtag":
		if referrer {
			return "dr", "dr"
		}
		return "dl", "dl"
	case "ga4.mp":
		if referrer {
			return "events[0].params.page_referrer", "page_referrer"
		}
		return "events[0].params.page_location", "page_location"
	}
	if referrer {
		return "page_referrer", "page_referrer"
	}
	return "page_location", "page_location"
}

func (g *gen) add(s site, section, path, key, value, kind, variant string, labels ...string) {
	g.out = append(g.out, Leaf{Path: path, Key: key, Value: value, Destination: s.dest, Format: s.format, Section: section, Labels: labels, Kind: kind, Variant: variant})
}

func (g *gen) param(kind, variant, key, value string, labels ...string) {
	s := g.site()
	g.add(s, "params", paramPath(s, key), key, value, kind, variant, labels...)
}

func (g *gen) urlLeaf(kind, variant, value string, labels ...string) {
	s := g.site()
	p, k := urlKey(s, g.r.IntN(4) == 0)
	g.add(s, "url", p, k, value, kind, variant, labels...)
}

// ---- value pools ----

var firsts = []string{"Ana", "Lukas", "Sofia", "Jonas", "Emma", "Noah", "Mia", "Liam", "Olivia", "Elias", "Hannah", "Mateo", "Chloé",
	"Søren", "Zoë", "María", "José", "Aisha", "Wei", "Priya", "Fatima", "Oliver", "Amelia", "Luca", "Giulia", "Pierre", "Camille", "Jan", "Eva", "Tomasz"}
var lasts = []string{"Lima", "Müller", "Schmidt", "Garcia", "Rossi", "Dubois", "Jensen", "Novak", "Kowalski", "Smith", "Brown", "O'Neil",
	"Nakamura", "Silva", "Patel", "Fischer", "Weber", "Martin", "Bernard", "Costa", "Nowak", "Johansson", "Khan", "Chen", "Becker"}
var domains = []string{"gmail.com", "googlemail.com", "yahoo.com", "outlook.com", "hotmail.de", "web.de", "gmx.de", "example.org", "example.com",
	"example.net", "icloud.com", "company.co.uk", "firma.de", "boutique.fr", "posteo.de", "proton.me", "uni-berlin.de", "mail.example.co.jp", "shop.com.br", "agency.io"}
var hosts = []string{"store.example.net", "www.example.com", "shop.example.org", "checkout.brand.de", "m.example.net", "app.shop.example.com"}
var pages = []string{"/", "/order/complete", "/checkout", "/account", "/products/tee-red", "/cart", "/newsletter/confirm", "/search", "/de/kasse/danke", "/blog/2026/03/launch"}

func ascii(s string) string {
	r := strings.NewReplacer("é", "e", "ø", "o", "ë", "e", "í", "i", "ü", "u", "'", "", "Ø", "O")
	return r.Replace(s)
}

func (g *gen) email() string {
	f := strings.ToLower(ascii(firsts[g.r.IntN(len(firsts))]))
	l := strings.ToLower(ascii(lasts[g.r.IntN(len(lasts))]))
	d := domains[g.r.IntN(len(domains))]
	var local string
	switch g.r.IntN(7) {
	case 0:
		local = f + "." + l
	case 1:
		local = f + l + g.digits(2)
	case 2:
		local = f[:1] + "." + l
	case 3:
		local = f + "+" + g.pick("news", "shop", "promo") // plus tag
	case 4:
		local = f + "_" + l
	case 5:
		local = strings.ToUpper(f[:1]) + f[1:] + "." + strings.ToUpper(l[:1]) + l[1:]
	default:
		local = f + "-" + l + g.digits(4)
	}
	return local + "@" + d
}

func (g *gen) name() (string, string) {
	return firsts[g.r.IntN(len(firsts))], lasts[g.r.IntN(len(lasts))]
}

// phone returns a valid number as E.164 and a display form.
var phonePlans = []struct {
	region, cc string
	tmpl       []string // national significant number templates: d = digit
}{
	{"DE", "49", []string{"30ddddddd", "151dddddddd", "176dddddddd", "89dddddddd", "40ddddddd"}},
	{"GB", "44", []string{"7911dddddd", "7700dddddd", "20ddddddddd"[:10], "1614dddddd"}},
	{"US", "1", []string{"212xddxddd", "415xddxddd", "646xddxddd", "312xddxddd"}},
	{"FR", "33", []string{"6dddddddd", "7dddddddd", "1dddddddd"}},
	{"ES", "34", []string{"6dddddddd", "91ddddddd"}},
	{"IT", "39", []string{"3ddddddddd", "06dddddddd"}},
	{"NL", "31", []string{"6dddddddd", "20ddddddd"}},
	{"BR", "55", []string{"119dddddddd", "219dddddddd"}},
	{"IN", "91", []string{"9ddddddddd", "8ddddddddd"}},
}

func (g *gen) phone() (e164, region, nsn string) {
	for {
		p := phonePlans[g.r.IntN(len(phonePlans))]
		t := p.tmpl[g.r.IntN(len(p.tmpl))]
		b := []byte(t)
		for i, c := range b {
			switch c {
			case 'd':
				b[i] = byte('0' + g.r.IntN(10))
			case 'x':
				b[i] = byte('2' + g.r.IntN(8))
			}
		}
		num, err := phonenumbers.Parse("+"+p.cc+string(b), "ZZ")
		if err == nil && phonenumbers.IsValidNumber(num) {
			return "+" + p.cc + string(b), p.region, string(b)
		}
	}
}

func (g *gen) phoneDisplay() (string, string) {
	e164, region, _ := g.phone()
	num, _ := phonenumbers.Parse(e164, "ZZ")
	switch g.r.IntN(4) {
	case 0:
		return e164, "e164"
	case 1:
		return phonenumbers.Format(num, phonenumbers.INTERNATIONAL), "international"
	case 2:
		_ = region
		return phonenumbers.Format(num, phonenumbers.NATIONAL), "national"
	}
	return strings.TrimPrefix(e164, "+"), "meta-ph-digits"
}

func luhnDigit(p string) byte {
	sum := 0
	alt := true
	for i := len(p) - 1; i >= 0; i-- {
		n := int(p[i] - '0')
		if alt {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		alt = !alt
	}
	return byte('0' + (10-sum%10)%10)
}

func (g *gen) card() (digits, shown string) {
	var prefix string
	n := 16
	switch g.r.IntN(6) {
	case 0, 1:
		prefix = "4" + g.digits(5)
	case 2:
		prefix = fmt.Sprint(51+g.r.IntN(5)) + g.digits(4)
	case 3:
		prefix = fmt.Sprint(2221+g.r.IntN(500)) + g.digits(2)
	case 4:
		prefix, n = g.pick("34", "37")+g.digits(4), 15
	default:
		prefix = "6011" + g.digits(2)
	}
	body := prefix + g.digits(n-1-len(prefix))
	d := body + string(luhnDigit(body))
	switch g.r.IntN(3) {
	case 0:
		return d, d
	case 1:
		if n == 15 {
			return d, d[:4] + " " + d[4:10] + " " + d[10:]
		}
		return d, d[:4] + " " + d[4:8] + " " + d[8:12] + " " + d[12:]
	}
	if n == 15 {
		return d, d[:4] + "-" + d[4:10] + "-" + d[10:]
	}
	return d, d[:4] + "-" + d[4:8] + "-" + d[8:12] + "-" + d[12:]
}

var ibanBBAN = map[string]string{"DE": "n18", "GB": "a4n14", "FR": "n10a11n2", "NL": "a4n10", "NO": "n11", "ES": "n20", "IT": "a1n10a12", "AT": "n16", "CH": "n17", "BE": "n12"}

func (g *gen) bban(spec string) string {
	var b strings.Builder
	for i := 0; i < len(spec); {
		kind := spec[i]
		j := i + 1
		for j < len(spec) && spec[j] >= '0' && spec[j] <= '9' {
			j++
		}
		var n int
		fmt.Sscan(spec[i+1:j], &n)
		for k := 0; k < n; k++ {
			if kind == 'n' {
				b.WriteByte(byte('0' + g.r.IntN(10)))
			} else {
				b.WriteByte(byte('A' + g.r.IntN(26)))
			}
		}
		i = j
	}
	return b.String()
}

func ibanCheck(cc, bban string) string {
	var num strings.Builder
	for _, c := range bban + cc + "00" {
		if c >= 'A' && c <= 'Z' {
			num.WriteString(fmt.Sprint(int(c-'A') + 10))
		} else {
			num.WriteRune(c)
		}
	}
	n, _ := new(big.Int).SetString(num.String(), 10)
	m := new(big.Int).Mod(n, big.NewInt(97)).Int64()
	return fmt.Sprintf("%02d", 98-m)
}

func (g *gen) iban() string {
	ccs := []string{"DE", "GB", "FR", "NL", "NO", "ES", "IT", "AT", "CH", "BE"}
	cc := ccs[g.r.IntN(len(ccs))]
	bb := g.bban(ibanBBAN[cc])
	return cc + ibanCheck(cc, bb) + bb
}

func spaced(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		e := i + 4
		if e > len(s) {
			e = len(s)
		}
		b.WriteString(s[i:e])
	}
	return b.String()
}

func (g *gen) ipv4() string {
	for {
		a := 1 + g.r.IntN(223)
		if a == 127 || a == 10 {
			continue
		}
		return fmt.Sprintf("%d.%d.%d.%d", a, g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
	}
}

func (g *gen) ip() string {
	if g.r.IntN(4) == 0 {
		return fmt.Sprintf("2001:db8:%x:%x::%x", g.r.IntN(65536), g.r.IntN(65536), 1+g.r.IntN(65535))
	}
	return g.ipv4()
}

func (g *gen) hexs(n int) string {
	b := make([]byte, n/2)
	for i := range b {
		b[i] = byte(g.r.IntN(256))
	}
	return hex.EncodeToString(b)
}

func (g *gen) uuid() string {
	h := g.hexs(32)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}

func (g *gen) b64url(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.r.IntN(256))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (g *gen) msTS() string { return fmt.Sprint(1760000000000 + g.r.Int64N(20000000000)) }
func (g *gen) sTS() string  { return fmt.Sprint(1760000000 + g.r.Int64N(20000000)) }

func luhnOK(s string) bool { return luhnDigit(s[:len(s)-1]) == s[len(s)-1] }

// luhnTS returns a ms timestamp that passes Luhn (the PR #209 trap).
func (g *gen) luhnTS() string {
	for {
		t := g.msTS()
		if luhnOK(t) {
			return t
		}
	}
}

func fullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > 0x20 && r < 0x7f {
			b.WriteRune(r - 0x21 + 0xFF01)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (g *gen) zeroWidth(s string) string {
	zw := []string{"\u200b", "\u200c", "\u200d", "\ufeff"}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && g.r.IntN(4) == 0 {
			b.WriteString(zw[g.r.IntN(len(zw))])
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (g *gen) pageURL(query string) string {
	u := "https://" + hosts[g.r.IntN(len(hosts))] + pages[g.r.IntN(len(pages))]
	if query != "" {
		u += "?" + query
	}
	return u
}

func (g *gen) noiseParams() string {
	return g.pick("", "utm_source=newsletter&utm_medium=email&", "ref=nav&", "lang=de&", "fbclid=IwZXh0bgNhZW0CMTEAAR"+g.b64url(24)+"&", "gclid=Cj0KCQiA"+g.b64url(40)+"&")
}

func (g *gen) jwt(claims string) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	p := base64.RawURLEncoding.EncodeToString([]byte(claims))
	return h + "." + p + "." + g.b64url(32)
}
