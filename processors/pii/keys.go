package pii

import (
	"sync"
	"sync/atomic"
)

// keyClass is what a leaf's key says about the value it may hold.
type keyClass uint32

const (
	kEmail    keyClass = 1 << iota // email keys: value scanned as usual, context raised
	kPhone                         // phone keys: digit strings are phones when valid
	kName                          // first/last/full name keys
	kNameBare                      // plain "name": needs a two-word capitalised value
	kUsername                      // username / user / login
	kStreet                        // street address keys
	kCity                          // city
	kZip                           // postal code keys
	kDOB                           // birth date keys
	kSecret                        // password / token keys
	kSSN                           // ssn keys
	kFreeText                      // search strings
	kClickID                       // click / cookie ids: never PII
	kESP                           // ESP ids: identifiers unless they decode to PII
	kID                            // ids and amounts: no number detectors
	kTime                          // timestamps: no number detectors
	kUA                            // user agents: no IP detector
	kIPField                       // fields allowed to hold an IP
	kURL                           // URL-valued keys
	kMatch                         // user_data match keys (the hashing checker's business)
	kCred                          // the destination's own credential in a server request
)

// keyGroups follows REFERENCE §7.5, normalised (lower-case, '-', '_' and '$'
// removed).
var keyGroups = map[keyClass][]string{
	kEmail:    {"email", "mail", "e", "em", "eml", "emailaddress", "useremail", "customeremail", "contactemail", "subscriber", "emailaddr"},
	kPhone:    {"phone", "tel", "telephone", "mobile", "mob", "cell", "ph", "phonenumber", "msisdn", "mobilephone", "cellphone", "mobilenumber", "telefon", "telefono"},
	kName:     {"fullname", "fname", "lname", "firstname", "lastname", "surname", "fn", "ln", "customername", "givenname", "familyname", "middlename", "contactname", "billingname", "shippingname", "vorname", "nachname"},
	kNameBare: {"name"},
	kUsername: {"username", "user", "login", "uname", "userlogin"},
	kStreet:   {"address", "address1", "address2", "street", "addr", "streetaddress", "addressline1", "addressline2", "billingaddress", "shippingaddress", "strasse"},
	kCity:     {"city", "town", "ort"},
	kZip:      {"zip", "zipcode", "postcode", "postalcode", "plz"},
	kDOB:      {"dob", "birthdate", "birthday", "dateofbirth", "geburtsdatum"},
	kSecret: {"password", "pass", "passwd", "pwd", "token", "secret", "apikey", "accesstoken", "authtoken", "refreshtoken",
		"idtoken", "sessiontoken", "clientsecret", "authorization", "auth", "jwt", "resettoken", "magictoken", "logintoken", "otp"},
	kSSN:      {"ssn", "socialsecuritynumber", "sozialversicherungsnummer"},
	kFreeText: {"q", "s", "search", "query", "keyword", "keywords", "searchstring", "searchterm", "term", "k", "message", "comment", "notes", "note", "feedback"},
	kClickID: {"gclid", "gbraid", "wbraid", "fbclid", "msclkid", "ttclid", "gl", "dclid", "twclid", "li_fat_id", "lifatid", "yclid", "fbc", "fbp",
		"kx", "klaviyoid", "cid", "clientid", "ga", "gid", "sid", "gaclientid", "igshid", "epik", "scclid", "irclickid"},
	kESP: {"mceid", "mccid", "hsenc", "hsmi", "vgoee", "ektrackingid", "sccid"},
	kID: {"id", "eid", "eventid", "orderid", "transactionid", "contentids", "contentid", "itemid", "sku", "productid", "externalid",
		"userid", "uid", "sessionid", "gasessionid", "gasessionnumber", "value", "price", "itemprice", "quantity", "numitems",
		"revenue", "tax", "shipping", "amount", "total", "subtotal", "tid", "pixelid", "sct", "seg", "pageid", "variantid",
		"invoiceid", "invoicenumber", "ordernumber", "cartid", "leadid", "subscriptionid", "fbloginid", "anonid", "madid",
		"requestcount", "engagementtimemsec", "index", "count", "sw", "sh", "vw", "vh", "screenresolution", "viewportsize",
		"v", "pv", "r", "it", "version", "appversion", "sdkversion", "build", "gtin", "ean", "upc", "mpn", "barcode", "isbn", "coo", "rqm", "ec", "o", "tfd", "gtm", "et", "ul", "sr", "je", "npa", "dma", "gcs", "gcd", "gcu", "gcut"},
	kTime: {"ts", "timestamp", "eventtime", "timestampmicros", "time", "createdat", "updatedat", "date", "expires", "exp", "iat", "nbf"},
	kUA:   {"useragent", "clientuseragent", "ua", "userAgent", "navigatoruseragent", "xgasystemproperties", "clienthints"},
	kURL: {"dl", "dr", "rl", "url", "eventsourceurl", "pagelocation", "pagereferrer", "referrerurl", "referrer", "referer",
		"linkurl", "pageurl", "href", "redirect", "redirecturl", "returnurl", "returnto", "next", "continue", "target", "dest", "destination", "formdestination", "videourl", "landingpage"},
}

// strongWords classify a key that contains them when no exact match exists.
var strongWords = []struct {
	word  string
	class keyClass
}{
	{"email", kEmail}, {"phone", kPhone}, {"mobile", kPhone}, {"firstname", kName}, {"lastname", kName}, {"fullname", kName},
	{"surname", kName}, {"street", kStreet}, {"postcode", kZip}, {"zipcode", kZip}, {"postalcode", kZip}, {"password", kSecret},
	{"passwd", kSecret}, {"token", kSecret}, {"secret", kSecret}, {"birthdate", kDOB}, {"dateofbirth", kDOB}, {"birthday", kDOB},
	{"useragent", kUA}, {"version", kID}, {"gtin", kID}, {"search", kFreeText}, {"timestamp", kTime}, {"url", kURL},
}

// keyPrefixes are stripped before a second exact lookup (cx_phone → phone).
var keyPrefixes = []string{"cx", "customer", "cust", "user", "billing", "shipping", "contact", "my", "ep", "up", "cd", "x"}

// plainKeys are common keys that say nothing about PII (class 0); listing
// them keeps the substring search off the hot path.
var plainKeys = []string{"currency", "contenttype", "contents", "contentname", "contentcategory", "eventname", "actionsource",
	"partneragent", "predictedltv", "status", "language", "pagetitle", "dt", "en", "ev", "itemname", "itembrand", "itemcategory",
	"itemvariant", "coupon", "affiliation", "pagepath", "pagehostname", "screenresolution", "pageencoding", "optout",
	"testeventcode", "datasource", "eventsourceurl", "clientuseragent", "xgaprotocolversion", "xgameasurementid", "ul", "de"}

type keyTable struct {
	// slots holds the normalised keys of the lists above with their
	// classes, open-addressed by FNV-1a (at most a quarter full): every
	// leaf of every event is classified, and a probe costs about half a
	// map lookup.
	slots  []keySlot
	mask   uint32
	cache  sync.Map // normalised key → keyClass, for keys that needed the substring search
	cached atomic.Int32
}

// maxCachedKeys bounds the classify cache: key names are a small vocabulary,
// but a hostile payload may invent many.
const maxCachedKeys = 8192

func newKeyTable(ipKeys, credKeys []string) *keyTable {
	exact := map[string]keyClass{}
	for k := range matchKeys {
		exact[k] |= kMatch
	}
	for _, k := range plainKeys {
		exact[k] |= 0
	}
	for c, ks := range keyGroups {
		for _, k := range ks {
			var buf [64]byte
			exact[string(normKey(buf[:0], k))] |= c
		}
	}
	for _, k := range ipKeys {
		var buf [64]byte
		exact[string(normKey(buf[:0], k))] |= kIPField
	}
	for _, k := range credKeys {
		var buf [64]byte
		exact[string(normKey(buf[:0], k))] |= kCred
	}
	n := 64
	for n < 4*len(exact) {
		n *= 2
	}
	t := &keyTable{slots: make([]keySlot, n), mask: uint32(n - 1)}
	for k, c := range exact {
		i := keyHash(k) & t.mask
		for t.slots[i].used {
			i = (i + 1) & t.mask
		}
		t.slots[i] = keySlot{key: k, class: c, used: true}
	}
	return t
}

type keySlot struct {
	key   string
	class keyClass
	used  bool
}

// lookup is t.exact[n] through the open-addressed slots.
func (t *keyTable) lookup(n []byte) (keyClass, bool) {
	for i := keyHash(n) & t.mask; t.slots[i].used; i = (i + 1) & t.mask {
		if t.slots[i].key == string(n) {
			return t.slots[i].class, true
		}
	}
	return 0, false
}

// keyHash hashes a normalised key eight bytes at a time (the key table is
// probed for most leaves of every event).
func keyHash[S string | []byte](b S) uint32 {
	const m = 0x9E3779B97F4A7C15
	h := uint64(len(b)) * m
	for ; len(b) >= 8; b = b[8:] {
		x := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		h = (h ^ x) * m
		h ^= h >> 29
	}
	var x uint64
	for i := len(b) - 1; i >= 0; i-- {
		x = x<<8 | uint64(b[i])
	}
	h = (h ^ x) * m
	h ^= h >> 32
	return uint32(h)
}

// normKey appends key lower-cased with '-', '_', '$', ' ' and '.' removed.
func normKey(dst []byte, key string) []byte {
	for i := 0; i < len(key) && len(dst) < cap(dst); i++ {
		if f := keyFold[key[i]]; f&keyDrop == 0 {
			dst = append(dst, byte(f))
		}
	}
	return dst
}

// keyFold maps a key byte to its normalised form, or to keyDrop.
var keyFold = func() (t [256]uint16) {
	for c := range t {
		t[c] = uint16(c)
		switch {
		case c == '-' || c == '_' || c == '$' || c == ' ' || c == '.':
			t[c] = keyDrop
		case c >= 'A' && c <= 'Z':
			t[c] += 'a' - 'A'
		}
	}
	return t
}()

const keyDrop = 0x100

// classify returns the class of key. It does not allocate.
func (t *keyTable) classify(key string) keyClass {
	if key == "" {
		return 0
	}
	var buf [64]byte
	n := normKey(buf[:0], key)
	var c keyClass
	if k, ok := t.lookup(n); ok {
		return k
	}
	for _, p := range keyPrefixes {
		if len(n) > len(p) && string(n[:len(p)]) == p {
			if k, ok := t.lookup(n[len(p):]); ok && len(n)-len(p) > 2 {
				return c | k
			}
		}
	}
	if len(n) < 5 {
		return c
	}
	if v, ok := t.cache.Load(string(n)); ok {
		return c | v.(keyClass)
	}
	var k keyClass
	for _, w := range strongWords {
		if containsBytes(n, w.word) {
			k = w.class
			break
		}
	}
	if t.cached.Load() < maxCachedKeys {
		t.cached.Add(1)
		t.cache.Store(string(n), k)
	}
	return c | k
}

func containsBytes(b []byte, w string) bool {
	for i := 0; i+len(w) <= len(b); i++ {
		if string(b[i:i+len(w)]) == w {
			return true
		}
	}
	return false
}
