package synth

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
)

// profile is one invented person and browser.
type profile struct {
	first, last string
	email       string // as typed: mixed case sometimes
	phone       string // as typed, international format
	phoneDigits string // country code + national number, digits only
	city, zip   string
	country     string // ISO-2 lower-case
	ip, ua      string
	fbp         string
	clientID    string // GA4 _ga tail
	externalID  string
	userID      string
	hasUserData bool // the server copy carries personal user data (see Mix.SparseUserData)
	advancedPix bool // Pixel advanced matching on
}

var (
	firstNames = []string{"Ana", "Jonas", "Marie", "Lukas", "Sofia", "Noah", "Emma", "Liam", "Mia", "Elias", "Lea", "Ben", "Hanna", "Paul", "Clara", "Felix", "Olivia", "Jan", "Nora", "Theo"}
	lastNames  = []string{"Lima", "Schmidt", "Dubois", "Rossi", "Kowalski", "Jansen", "Novak", "Fischer", "Martin", "Silva", "Berg", "Weber", "Moreau", "Costa", "Nielsen", "Wagner"}
	domains    = []string{"gmail.com", "example.org", "mail.example.net", "outlook.example.com", "googlemail.com", "example.de"}
	cities     = []struct{ city, zip, country, cc, area string }{
		{"Berlin", "10115", "de", "49", "30"}, {"Hamburg", "20095", "de", "49", "40"}, {"Paris", "75001", "fr", "33", "1"},
		{"New York", "10001", "us", "1", "212"}, {"Austin", "73301", "us", "1", "512"}, {"London", "SW1A 1AA", "gb", "44", "20"},
		{"Amsterdam", "1011", "nl", "31", "20"}, {"Milano", "20121", "it", "39", "02"},
	}
	userAgents = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
		"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
	}
)

func newProfile(r *rand.Rand, nowMs int64) profile {
	first := firstNames[r.IntN(len(firstNames))]
	last := lastNames[r.IntN(len(lastNames))]
	c := cities[r.IntN(len(cities))]
	local := strings.ToLower(first) + "." + strings.ToLower(last)
	if r.IntN(3) == 0 {
		local += fmt.Sprintf("%d", r.IntN(100))
	}
	email := local + "@" + domains[r.IntN(len(domains))]
	if r.IntN(4) == 0 { // people type capitals
		email = strings.ToUpper(email[:1]) + email[1:]
	}
	national := fmt.Sprintf("%s%07d", c.area, r.IntN(10_000_000))
	national = strings.TrimPrefix(national, "0")
	var ip string
	if r.IntN(5) == 0 {
		ip = fmt.Sprintf("2001:db8:%x::%x", r.IntN(0xffff), r.IntN(0xffff)+1)
	} else {
		ip = fmt.Sprintf("%s.%d", []string{"198.51.100", "203.0.113", "192.0.2"}[r.IntN(3)], r.IntN(254)+1)
	}
	created := nowMs - int64(r.IntN(30*24*3600))*1000
	return profile{
		first: first, last: last, email: email,
		phone:       "+" + c.cc + " " + national,
		phoneDigits: c.cc + national,
		city:        c.city, zip: c.zip, country: c.country,
		ip: ip, ua: userAgents[r.IntN(len(userAgents))],
		fbp:         fmt.Sprintf("fb.1.%d.%d", created, r.Int64N(2147483647)),
		clientID:    fmt.Sprintf("%d.%d", 100000000+r.IntN(900000000), created/1000),
		externalID:  fmt.Sprintf("cust-%06d", r.IntN(1_000_000)),
		userID:      fmt.Sprintf("u%08d", r.IntN(100_000_000)),
		hasUserData: r.IntN(10) < 8,
		advancedPix: r.IntN(10) < 6,
	}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Meta normalisation (REFERENCE §2.6): trim + lower-case email, phone as
// digits with country code and no '+', names lower-case, city without spaces,
// zip lower-case without spaces, country ISO-2 lower-case.
func metaEmail(p profile) string   { return strings.ToLower(strings.TrimSpace(p.email)) }
func metaPhone(p profile) string   { return p.phoneDigits }
func metaName(s string) string     { return strings.ToLower(s) }
func metaCity(p profile) string    { return strings.ReplaceAll(strings.ToLower(p.city), " ", "") }
func metaZip(p profile) string     { return strings.ReplaceAll(strings.ToLower(p.zip), " ", "") }
func metaCountry(p profile) string { return p.country }

// Google normalisation (REFERENCE §3.5): lower-case, no spaces; gmail and
// googlemail local parts lose their dots; phone in E.164 with '+'.
func googleEmail(p profile) string {
	e := strings.ToLower(strings.TrimSpace(p.email))
	local, domain, _ := strings.Cut(e, "@")
	if domain == "gmail.com" || domain == "googlemail.com" {
		local = strings.ReplaceAll(local, ".", "")
	}
	return local + "@" + domain
}
func googlePhone(p profile) string { return "+" + p.phoneDigits }
