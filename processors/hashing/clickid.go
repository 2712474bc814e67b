package hashing

import (
	"net/netip"
	"strings"
)

// FBCookieFault describes what is wrong with an fbc or fbp value.
type FBCookieFault uint8

// fbc/fbp faults.
const (
	FBCookieOK      FBCookieFault = iota
	FBCookieShape                 // not fb.{n}.{ms}.{value}[.{2 or 8 chars}]
	FBCookieSeconds               // creation time has 10 digits: seconds, not ms
	FBCookieTime                  // creation time is not 13 digits
	FBCookieFuture                // creation time after the reference time + tolerance
)

// ParseFBCookie checks an fbc or fbp value against REFERENCE §2.7:
// fb.{subdomainIndex}.{creationTimeMs}.{random|fbclid} with an optional 5th
// segment of 2 or 8 characters [A-Za-z0-9_-]. It returns the creation time
// (ms; 0 when unreadable), the 4th segment (the fbclid for fbc) and a fault.
// A creation time later than notAfterMs is FBCookieFuture (notAfterMs 0
// disables that test). It does not allocate.
func ParseFBCookie(v string, notAfterMs int64) (createdMs int64, value string, fault FBCookieFault) {
	var seg [6]string
	n := 0
	start := 0
	for i := 0; i <= len(v); i++ {
		if i == len(v) || v[i] == '.' {
			if n == len(seg) {
				return 0, "", FBCookieShape
			}
			seg[n] = v[start:i]
			n++
			start = i + 1
		}
	}
	if n < 4 || n > 5 || seg[0] != "fb" || !digits(seg[1]) || !digits(seg[2]) || seg[3] == "" {
		return 0, "", FBCookieShape
	}
	if n == 5 && (len(seg[4]) != 2 && len(seg[4]) != 8 || !b64url(seg[4])) {
		return 0, seg[3], FBCookieShape
	}
	for i := 0; i < len(seg[2]) && i < 18; i++ {
		createdMs = createdMs*10 + int64(seg[2][i]-'0')
	}
	switch len(seg[2]) {
	case 13:
	case 10:
		return createdMs * 1000, seg[3], FBCookieSeconds
	default:
		return 0, seg[3], FBCookieTime
	}
	if notAfterMs > 0 && createdMs > notAfterMs {
		return createdMs, seg[3], FBCookieFuture
	}
	return createdMs, seg[3], FBCookieOK
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func b64url(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// IPWithPort reports whether v is an IP address followed by a port
// ("203.0.113.7:443", "[2001:db8::1]:443"): not an address, but an
// address-and-port. A bare IP, or something that is neither, gives false.
func IPWithPort(v string) bool {
	if strings.IndexByte(v, ':') < 0 { // every addr:port has one; spares the parse of a plain IPv4
		return false
	}
	if _, err := netip.ParseAddr(v); err == nil {
		return false
	}
	_, err := netip.ParseAddrPort(v)
	return err == nil
}
