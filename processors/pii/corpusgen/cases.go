package main

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
)

func (g *gen) all() {
	for i := 0; i < 450; i++ {
		g.emailPositive()
	}
	for i := 0; i < 320; i++ {
		g.phonePositive()
	}
	for i := 0; i < 220; i++ {
		g.cardPositive()
	}
	for i := 0; i < 200; i++ {
		g.ibanPositive()
	}
	for i := 0; i < 220; i++ {
		g.ipPositive()
	}
	for i := 0; i < 200; i++ {
		g.keyedPositive()
	}
	for i := 0; i < 2600; i++ {
		g.hardNegative()
	}
	for i := 0; i < 1500; i++ {
		g.clean()
	}
}

func (g *gen) emailPositive() {
	e := g.email()
	L := "email"
	switch v := g.r.IntN(15); v {
	case 0:
		g.urlLeaf("positive", "url-plain", g.pageURL(g.noiseParams()+g.pick("email", "e", "user_email", "subscriber")+"="+e), L)
	case 1:
		g.urlLeaf("positive", "url-percent", g.pageURL(g.noiseParams()+"email="+url.QueryEscape(e)), L)
	case 2:
		g.urlLeaf("positive", "url-double-percent", g.pageURL("email="+strings.ReplaceAll(url.QueryEscape(e), "%", "%25")), L)
	case 3:
		g.urlLeaf("positive", "url-path", "https://"+hosts[g.r.IntN(len(hosts))]+"/unsubscribe/"+e+"/confirm", L)
	case 4:
		payload := fmt.Sprintf(`{"token":"pk_%s","event":"Viewed Product","customer_properties":{"$email":"%s"}}`, g.hexs(12), e)
		enc := base64.StdEncoding.EncodeToString([]byte(payload))
		if g.r.IntN(2) == 0 {
			enc = url.QueryEscape(enc)
		}
		g.urlLeaf("positive", "url-base64-klaviyo", "https://a.klaviyo.com/api/track?data="+enc, L)
	case 5:
		g.param("positive", "fullwidth", g.pick("cx_note", "comment", "cx_contact"), fullWidth(e), L)
	case 6:
		g.param("positive", "zero-width", g.pick("cx_note", "cx_customer", "cx_lead"), g.zeroWidth(e), L)
	case 7:
		g.param("positive", "html-entity", g.pick("cx_contact", "cx_form"), strings.Replace(e, "@", g.pick("&#64;", "&#x40;", "&commat;"), 1), L)
	case 8:
		g.param("positive", "search-string", g.pick("search_string", "search_term", "q"), g.pick("order status ", "", "newsletter ")+e, L)
	case 9:
		g.urlLeaf("positive", "utm-merge-tag", g.pageURL("utm_source=esp&utm_medium=email&utm_content="+url.QueryEscape(e)), L)
	case 10:
		g.param("positive", "custom-param", g.pick("cx_email", "customer_email", "user_email", "lead_email", "contact"), e, L)
	case 11:
		g.urlLeaf("positive", "search-in-url", g.pageURL("q="+url.QueryEscape("my account "+e)), L)
	case 12:
		vgo := base64.StdEncoding.EncodeToString([]byte(e))
		g.urlLeaf("positive", "esp-id-base64", g.pageURL("vgo_ee="+url.QueryEscape(vgo)+"&utm_source=ac"), L)
	case 13:
		inner := g.pageURL("email=" + url.QueryEscape(e))
		g.urlLeaf("positive", "encoded-url-in-url", g.pageURL("redirect="+url.QueryEscape(inner)), L)
	default:
		s := site{"ga4", "sgtm.event"}
		g.add(s, "params", "email", "email", e, "positive", "sgtm-event-param", L)
	}
}

func (g *gen) phonePositive() {
	p, form := g.phoneDisplay()
	L := "phone"
	switch g.r.IntN(6) {
	case 0, 1:
		g.param("positive", "phone-key-"+form, g.pick("phone", "cx_phone", "mobile", "tel", "customer_phone", "phone_number"), p, L)
	case 2:
		q := url.QueryEscape(p)
		if g.r.IntN(2) == 0 {
			q = strings.ReplaceAll(p, " ", "+") // raw '+' survives only as a space
		}
		g.urlLeaf("positive", "url-phone-key-"+form, g.pageURL(g.noiseParams()+g.pick("phone", "tel", "mobile")+"="+q), L)
	case 3:
		e164, _, _ := g.phone()
		num := e164
		if g.r.IntN(2) == 0 {
			num = spacedPhone(e164)
		}
		g.param("positive", "free-text-intl", g.pick("search_string", "q", "message"), g.pick("call me at ", "rückruf ", "", "tel ")+num, L)
	case 4:
		e164, _, _ := g.phone()
		g.urlLeaf("positive", "url-search-intl", g.pageURL("q="+url.QueryEscape("callback "+e164)), L)
	default:
		e164, _, _ := g.phone()
		g.param("positive", "custom-param-intl", g.pick("cx_contact", "cx_callback", "cx_note"), e164, L)
	}
}

func spacedPhone(e string) string {
	return e[:3] + " " + e[3:6] + " " + e[6:]
}

func (g *gen) cardPositive() {
	_, c := g.card()
	L := "card"
	switch g.r.IntN(4) {
	case 0:
		g.param("positive", "card-param", g.pick("cc", "card_number", "cx_payment", "cx_pan", "payment_ref"), c, L)
	case 1:
		g.urlLeaf("positive", "card-url", g.pageURL(g.noiseParams()+g.pick("cc", "card", "pan", "cardnumber")+"="+url.QueryEscape(c)), L)
	case 2:
		g.param("positive", "card-free-text", g.pick("search_string", "message", "cx_note"), g.pick("card ", "paid with ", "")+c+g.pick("", " exp 08/29"), L)
	default:
		g.urlLeaf("positive", "card-path", "https://"+hosts[g.r.IntN(len(hosts))]+"/pay/"+strings.ReplaceAll(c, " ", "")+"/confirm", L)
	}
}

func (g *gen) ibanPositive() {
	ib := g.iban()
	if g.r.IntN(2) == 0 {
		ib = spaced(ib)
	}
	L := "iban"
	switch g.r.IntN(3) {
	case 0:
		g.param("positive", "iban-param", g.pick("iban", "cx_bank", "cx_account", "payout"), ib, L)
	case 1:
		g.urlLeaf("positive", "iban-url", g.pageURL(g.noiseParams()+g.pick("iban", "account")+"="+url.QueryEscape(ib)), L)
	default:
		g.param("positive", "iban-free-text", g.pick("message", "cx_note", "search_string"), g.pick("Überweisung an ", "IBAN: ", "refund to ")+ib, L)
	}
}

func (g *gen) ipPositive() {
	ip := g.ip()
	L := "ip"
	switch g.r.IntN(5) {
	case 0:
		g.param("positive", "ip-param", g.pick("cx_ip", "cx_client", "debug_ip", "x_forwarded_for", "origin"), ip, L)
	case 1:
		g.urlLeaf("positive", "ip-url", g.pageURL(g.noiseParams()+g.pick("ip", "src", "client")+"="+url.QueryEscape(ip)), L)
	case 2:
		g.param("positive", "ip-free-text", g.pick("cx_debug", "message", "cx_note"), g.pick("client ", "request from ", "via ")+ip+g.pick("", " (proxy)"), L)
	case 3:
		g.param("positive", "ip-with-port", g.pick("cx_origin", "cx_peer"), g.ipv4()+":"+fmt.Sprint(1024+g.r.IntN(60000)), L)
	default:
		g.param("positive", "ip-list", "x_forwarded_for", ip+", "+g.ipv4(), L)
	}
}

func (g *gen) keyedPositive() {
	f, l := g.name()
	switch g.r.IntN(9) {
	case 0:
		g.param("positive", "first-name", g.pick("first_name", "firstName", "fname", "cx_first_name"), f, "name")
	case 1:
		g.param("positive", "full-name", g.pick("customer_name", "full_name", "name"), f+" "+l, "name")
	case 2:
		g.urlLeaf("positive", "url-names", g.pageURL("fname="+url.QueryEscape(f)+"&lname="+url.QueryEscape(l)), "name")
	case 3:
		g.param("positive", "street", g.pick("street", "address1", "shipping_address"), g.pick("Hauptstraße ", "Main Street ", "Rue de Rivoli ", "Via Roma ")+fmt.Sprint(1+g.r.IntN(200)), "address")
	case 4:
		g.urlLeaf("positive", "url-zip", g.pageURL("zip="+fmt.Sprintf("%05d", 1000+g.r.IntN(98000))+"&city="+url.QueryEscape(g.pick("Berlin", "München", "Lyon", "Springfield"))), "address")
	case 5:
		g.urlLeaf("positive", "url-jwt", g.pageURL("token="+g.jwt(fmt.Sprintf(`{"sub":"%s","exp":%s}`, g.hexs(8), g.sTS()))), "secret")
	case 6:
		g.param("positive", "password", g.pick("password", "pwd", "cx_password"), g.pick("hunter2", "Sommer2026!", "correct-horse", "P@ssw0rd1")+g.digits(2), "secret")
	case 7:
		area := 100 + g.r.IntN(565)
		g.param("positive", "ssn", g.pick("ssn", "cx_ssn"), fmt.Sprintf("%03d-%02d-%04d", area, 1+g.r.IntN(98), 1+g.r.IntN(9998)), "national_id")
	default:
		g.param("positive", "bearer", g.pick("cx_debug", "cx_headers"), "Authorization: Bearer "+g.b64url(30), "secret")
	}
}

// ---- hard negatives ----

func sha(s string) string   { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
func md5h(s string) string  { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
func sha1h(s string) string { h := sha1.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

// gmailNorm: Google's normalisation (dots removed in the local part of gmail).
func gmailNorm(e string) string {
	e = strings.ToLower(e)
	at := strings.IndexByte(e, '@')
	return strings.ReplaceAll(e[:at], ".", "") + "@gmail.com"
}

func (g *gen) hardNegative() {
	s := g.site()
	switch g.r.IntN(34) {
	case 0:
		g.add(site{"meta", "meta.capi"}, "user_data", "data[0].user_data.em[0]", "em", sha(g.email()), "hard_negative", "hash-em")
	case 1:
		g.param("hard_negative", "gmail-hash-google", g.pick("cx_email_sha256", "hashed_email", "cx_em"), sha(gmailNorm(g.email())))
	case 2:
		g.param("hard_negative", "md5-sha1", g.pick("cx_uid_hash", "cx_fp"), g.pick(md5h(g.email()), sha1h(g.email())))
	case 3:
		g.param("hard_negative", "uuid", g.pick("event_id", "cx_session", "external_id", "cx_request"), g.uuid())
	case 4:
		fbp := "fb.1." + g.msTS() + "." + g.digits(10)
		g.add(site{"meta", "meta.capi"}, "user_data", "data[0].user_data.fbp", "fbp", fbp, "hard_negative", "fbp")
		g.param("hard_negative", "fbp-in-param", "cx_fbp", fbp)
	case 5:
		g.urlLeaf("hard_negative", "gclid-url", g.pageURL("gclid=Cj0KCQiA"+g.b64url(45)+"&gbraid=0AAAAA"+g.b64url(20)))
	case 6:
		g.urlLeaf("hard_negative", "fbclid-url", g.pageURL("fbclid=IwAR"+g.b64url(40)+"&utm_source=facebook"))
	case 7:
		g.urlLeaf("hard_negative", "msclkid-ttclid", g.pageURL("msclkid="+g.hexs(32)+"&ttclid=E_C_P_"+g.b64url(30)))
	case 8:
		cid := base64.RawStdEncoding.EncodeToString([]byte(g.digits(10) + "." + g.sTS()))
		g.urlLeaf("hard_negative", "_gl-linker", g.pageURL("_gl=1*"+g.b64url(5)+"*_ga*"+cid+"*_ga_"+strings.ToUpper(g.hexs(10))+"*MTc3MjQ0NjQ4MS4xLjEuMTc3MjQ0NjQ4MS4wLjAuMA.."))
	case 9:
		g.param("hard_negative", "luhn-ms-timestamp", g.pick("cx_ts", "cx_created", "cx_clicked_at", "cx_ref"), g.luhnTS())
	case 10:
		g.add(site{"meta", "meta.pixel"}, "other", "ts", "ts", g.luhnTS(), "hard_negative", "ts")
	case 11:
		g.param("hard_negative", "second-timestamp", g.pick("session_id", "ga_session_id", "cx_last_seen", "cx_since"), g.sTS())
	case 12:
		ua := fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.%d.%d Safari/537.36", 118+g.r.IntN(10), g.r.IntN(7000), g.r.IntN(200))
		g.add(site{"meta", "meta.capi"}, "user_data", "data[0].user_data.client_user_agent", "client_user_agent", ua, "hard_negative", "ua")
		g.param("hard_negative", "ua-in-param", "cx_ua", ua)
	case 13:
		g.param("hard_negative", "version", g.pick("cx_app", "cx_sdk", "cx_build"), g.pick("v", "build-", "version ")+fmt.Sprintf("%d.%d.%d.%d", 1+g.r.IntN(9), g.r.IntN(20), g.r.IntN(10), g.r.IntN(300)))
	case 14:
		g.param("hard_negative", "sku", g.pick("content_ids", "item_id", "sku"), g.pick("TEE-RED-M", "CAP-01", "SKU-"+g.digits(16), "4"+g.digits(15)))
	case 15:
		g.param("hard_negative", "price", g.pick("value", "price", "cx_margin", "cx_ratio", "cx_score"), g.pick(fmt.Sprintf("%d.%02d", g.r.IntN(5000), g.r.IntN(100)), fmt.Sprintf("%.6e", g.r.Float64()*1e12), fmt.Sprintf("%.12f", g.r.Float64()*1000)))
	case 16:
		g.urlLeaf("hard_negative", "at-not-email", g.pick(
			"https://cdn.example.net/img/logo@2x.png", "https://www.npmjs.com/package/react@18.2.0",
			"https://social.example.com/@"+strings.ToLower(ascii(firsts[g.r.IntN(len(firsts))]))+"_shop", "https://cdn.jsdelivr.net/npm/vue@3.4.21/dist/vue.js",
			"https://store.example.net/img/hero@3x.webp?v="+g.digits(6)))
	case 17:
		ib := g.iban()
		b := []byte(ib)
		k := 4 + g.r.IntN(len(b)-4)
		if b[k] >= '0' && b[k] <= '9' {
			b[k] = byte('0' + (int(b[k]-'0')+1+g.r.IntN(8))%10)
		} else {
			b[k] = byte('A' + (int(b[k]-'A')+1)%26)
		}
		g.param("hard_negative", "iban-typo", g.pick("cx_ref", "cx_account_ref", "iban"), string(b))
	case 18:
		g.param("hard_negative", "iban-like-id", g.pick("order_id", "cx_ref", "invoice"), g.pick("DE", "FR", "GB", "NL")+"-"+g.digits(4)+"-"+g.digits(8))
	case 19:
		n := "4" + g.digits(14)
		g.param("hard_negative", "order-number-luhn", g.pick("order_id", "transaction_id", "invoice_number"), n+string(luhnDigit(n)))
	case 20:
		g.add(site{"meta", "meta.capi"}, "user_data", "data[0].user_data.client_ip_address", "client_ip_address", g.ip(), "hard_negative", "ip-in-ip-field")
		g.add(site{"ga4", "sgtm.event"}, "other", "ip_override", "ip_override", g.ip(), "hard_negative", "ip-override")
	case 21:
		e := g.email()
		g.add(site{"ga4", "sgtm.event"}, "user_data", "user_data.email_address", "email_address", e, "hard_negative", "sgtm-plain-allowed")
		p, _, _ := g.phone()
		g.add(site{"ga4", "sgtm.event"}, "user_data", "user_data.phone_number", "phone_number", p, "hard_negative", "sgtm-plain-allowed")
	case 22:
		g.add(site{"meta", "meta.capi"}, "user_data", "data[0].user_data.em[0]", "em", g.email(), "hard_negative", "meta-plain-hashing-checker")
	case 23:
		g.param("hard_negative", "dates", g.pick("cx_date", "cx_booking", "cx_checkin", "cx_time"), g.pick("2026-03-02", "2026-03-02T10:15:00Z", "10:15:00", "2026-03-02 10:15:00.123", "02.03.2026"))
	case 24:
		g.param("hard_negative", "mac", g.pick("cx_device", "cx_hw"), strings.ToUpper(g.hexs(2)+":"+g.hexs(2)+":"+g.hexs(2)+":"+g.hexs(2)+":"+g.hexs(2)+":"+g.hexs(2)))
	case 25:
		g.param("hard_negative", "random-base64", g.pick("cx_session", "cx_state", "cx_nonce"), g.b64url(24+g.r.IntN(40)))
	case 26:
		g.param("hard_negative", "gtin", g.pick("gtin", "ean", "item_gtin"), "4"+g.digits(12))
	case 27:
		g.add(site{"meta", "meta.capi"}, "other", "access_token", "access_token", "EAAB"+g.b64url(60), "hard_negative", "capi-access-token")
	case 28:
		g.param("hard_negative", "numeric-ids", g.pick("cx_customer_no", "cx_account", "cx_store", "cx_batch"), g.digits(6+g.r.IntN(12)))
	case 29:
		g.urlLeaf("hard_negative", "esp-ids", g.pageURL("mc_eid="+g.hexs(10)+"&mc_cid="+g.hexs(10)+"&_hsenc=p2ANqtz-"+g.b64url(40)+"&_hsmi="+g.digits(9)+"&vgo_ee="+url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(g.hexs(16))))))
	case 30:
		g.add(s, "other", "client_id", "client_id", g.digits(10)+"."+g.sTS(), "hard_negative", "ga-client-id")
	case 31:
		g.param("hard_negative", "not-icann-email", g.pick("cx_sender", "cx_from"), g.pick("root@localhost", "admin@intranet.local", "build@ci.invalid", "noreply@host.internal", "me@server.lan"))
	case 32:
		g.param("hard_negative", "klaviyo-kx", "_kx", g.b64url(20)+"."+g.hexs(6))
	default:
		g.add(site{"ga4", "ga4.mp"}, "user_data", "user_data.sha256_email_address[0]", "sha256_email_address", sha(g.email()), "hard_negative", "mp-hash")
	}
}

// ---- clean leaves ----

func (g *gen) clean() {
	s := g.site()
	switch g.r.IntN(12) {
	case 0:
		g.add(s, "other", "event_name", "event_name", g.pick("Purchase", "AddToCart", "page_view", "purchase", "Lead", "ViewContent"), "clean", "event-name")
	case 1:
		g.param("clean", "currency", "currency", g.pick("EUR", "USD", "GBP", "BRL"))
	case 2:
		g.param("clean", "content-type", "content_type", g.pick("product", "product_group"))
	case 3:
		g.urlLeaf("clean", "page-url", g.pageURL(g.noiseParams()+g.pick("page=2", "sort=price", "color=red&size=m", "")))
	case 4:
		g.param("clean", "page-title", g.pick("page_title", "dt"), g.pick("Thank you | Store", "Order 77120 confirmed", "Checkout – Step 2 of 3", "Red Tee (M)"))
	case 5:
		g.param("clean", "quantity", g.pick("quantity", "num_items"), fmt.Sprint(1+g.r.IntN(9)))
	case 6:
		g.add(s, "other", "action_source", "action_source", g.pick("website", "app", "email"), "clean", "action-source")
	case 7:
		g.param("clean", "custom-text", g.pick("cx_category", "cx_variant", "item_name", "cx_list"), g.pick("summer sale", "Men > T-Shirts", "Bestseller", "red / M", "home_page_carousel"))
	case 8:
		g.param("clean", "bool", g.pick("cx_logged_in", "cx_newsletter"), g.pick("true", "false", "1", "0"))
	case 9:
		g.add(s, "other", "event_id", "event_id", "ORD-"+g.digits(5), "clean", "event-id")
	case 10:
		g.param("clean", "search-plain", g.pick("search_string", "q"), g.pick("red shirt", "sneakers size 42", "gift card", "return policy"))
	default:
		g.param("clean", "coupon", g.pick("coupon", "promo"), g.pick("SPRING10", "WELCOME", "FREESHIP"))
	}
}
