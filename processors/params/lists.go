package params

import "strings"

// iso4217 lists the active ISO 4217 currency codes (ISO 4217 list one, as
// maintained by SIX). Funds codes (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI,
// UYW) are included because they are valid codes; XTS (testing) and XXX (no
// currency) are not, nor are precious metals and bond-market units, which no
// conversion is priced in. ANG, CUC, SLL and ZWL were replaced recently
// (XCG, —, SLE, ZWG) and are still seen; they are kept so that a replaced
// code is not mistaken for garbage. Config.ExtraCurrencies adds more.
const iso4217 = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP " +
	"BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD " +
	"FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF " +
	"KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN " +
	"NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP " +
	"SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS " +
	"VED VES VND VUV WST XAF XCD XCG XDR XOF XPF YER ZAR ZMW ZWG ZWL"

var currencies = func() map[[3]byte]struct{} {
	m := make(map[[3]byte]struct{}, 180)
	for _, c := range strings.Fields(iso4217) {
		m[[3]byte{c[0], c[1], c[2]}] = struct{}{}
	}
	return m
}()

// metaStandardEvents are Meta's standard event names (REFERENCE §2.4,
// developers.facebook.com/docs/meta-pixel/reference), case-sensitive.
var metaStandardEvents = set("AddPaymentInfo", "AddToCart", "AddToWishlist", "CompleteRegistration", "Contact",
	"CustomizeProduct", "Donate", "FindLocation", "InitiateCheckout", "Lead", "Purchase", "Schedule", "Search",
	"StartTrial", "SubmitApplication", "Subscribe", "ViewContent", "PageView")

// ga4ToMeta maps GA4 recommended event names to the Meta standard event a
// Meta tag should have sent: seeing the GA4 name on a Meta event means the
// name was copied (renamed) in transit.
var ga4ToMeta = map[string]string{
	"purchase": "Purchase", "add_to_cart": "AddToCart", "add_to_wishlist": "AddToWishlist",
	"add_payment_info": "AddPaymentInfo", "begin_checkout": "InitiateCheckout", "generate_lead": "Lead",
	"sign_up": "CompleteRegistration", "search": "Search", "view_search_results": "Search",
	"view_item": "ViewContent", "page_view": "PageView", "add_shipping_info": "AddPaymentInfo",
	"view_item_list": "ViewContent", "select_item": "ViewContent", "view_cart": "ViewContent",
	"close_convert_lead": "Lead", "qualify_lead": "Lead",
}

// ga4ReservedWeb are the reserved event names of GA4 web streams (REFERENCE
// §3.2, support.google.com/analytics/answer/13316687). Google's own tag sends
// several of them (page_view, scroll, …), so they are flagged only on
// server-built events.
var ga4ReservedWeb = set("ad_impression", "app_remove", "app_store_refund", "app_store_subscription_cancel",
	"app_store_subscription_renew", "click", "error", "file_download", "first_open", "first_visit", "form_start",
	"form_submit", "in_app_purchase", "page_view", "scroll", "session_start", "user_engagement", "view_complete",
	"video_progress", "video_start", "view_search_results")

// ga4ReservedMP are the reserved event names of the Measurement Protocol
// reference (developers.google.com/analytics/devguides/collection/protocol/ga4/reference,
// "Reserved names"). page_view is not among them: MP may send it.
var ga4ReservedMP = set("ad_activeview", "ad_click", "ad_exposure", "ad_impression", "ad_query", "ad_reward",
	"adunit_exposure", "app_background", "app_clear_data", "app_exception", "app_remove", "app_store_refund",
	"app_store_subscription_cancel", "app_store_subscription_convert", "app_store_subscription_renew",
	"app_update", "app_upgrade", "dynamic_link_app_open", "dynamic_link_app_update", "dynamic_link_first_open",
	"error", "first_open", "first_visit", "in_app_purchase", "notification_dismiss", "notification_foreground",
	"notification_open", "notification_receive", "os_update", "session_start", "session_start_with_rollout",
	"user_engagement")

// ga4ReservedEventPrefixes: event names may not start with these (MP
// reference; REFERENCE §3.2 adds query_id).
var ga4ReservedEventPrefixes = []string{"_", "firebase_", "ga_", "google_", "gtag.", "query_id"}

// ga4ReservedParams and ga4ReservedParamPrefixes (REFERENCE §3.2).
var (
	ga4ReservedParams        = set("engagement_time_msec", "gclid", "session_id", "session_number")
	ga4ReservedParamPrefixes = []string{"_", "firebase_", "ga_", "google_", "gtag."}
)

// metaStandardParams are the custom_data keys Meta defines (REFERENCE §2.5,
// developers.facebook.com/docs/marketing-api/conversions-api/parameters/custom-data),
// with the vertical fields most often sent. Anything else in custom_data is
// a custom parameter for PARAM_NOT_NAMESPACED.
var metaStandardParams = set("value", "currency", "content_ids", "content_type", "contents", "content_name",
	"content_category", "order_id", "item_number", "num_items", "predicted_ltv", "status", "search_string",
	"delivery_category", "checkin_date", "checkout_date", "departing_departure_date", "returning_departure_date",
	"origin_airport", "destination_airport", "destination_ids", "travel_start", "travel_end", "num_adults",
	"num_children", "num_infants", "body_style", "make", "model", "year", "condition_of_vehicle", "fuel_type",
	"transmission", "drivetrain", "vin", "postal_code", "country", "region", "city", "lead_event_source",
	"event_source", "lead_id")

// ga4StandardParams are the event parameters GA4 defines: those of the
// recommended events (developers.google.com/analytics/devguides/collection/ga4/reference/events),
// the automatically collected and enhanced-measurement ones, and campaign
// parameters. event_id (the house dedup key, REFERENCE §0) is counted as
// standard too. Anything else is custom for PARAM_NOT_NAMESPACED.
var ga4StandardParams = set("currency", "value", "transaction_id", "items", "coupon", "shipping", "tax",
	"affiliation", "payment_type", "shipping_tier", "item_list_id", "item_list_name", "search_term", "method",
	"content_type", "content_id", "item_id", "promotion_id", "promotion_name", "creative_name", "creative_slot",
	"location_id", "group_id", "character", "level", "level_name", "score", "success", "achievement_id",
	"virtual_currency_name", "lead_source", "lead_status", "unconvert_lead_reason", "disqualified_lead_reason",
	"page_location", "page_referrer", "page_title", "language", "screen_resolution", "engagement_time_msec",
	"session_id", "session_number", "debug_mode", "link_url", "link_domain", "link_classes", "link_id",
	"link_text", "outbound", "file_name", "file_extension", "video_title", "video_url", "video_provider",
	"video_current_time", "video_duration", "video_percent", "visible", "form_id", "form_name",
	"form_destination", "form_submit_text", "percent_scrolled", "campaign_id", "campaign", "source", "medium",
	"term", "content", "gclid", "event_id", "timestamp_micros")

// placeholderTransactionIDs are transaction ids that merge every purchase
// carrying them into one (REFERENCE §3.4), compared case-insensitively after
// trimming. Unresolved templates ({{…}}, ${…}, %…%, [[…]], <%…%>) are
// recognised by shape.
var placeholderTransactionIDs = []string{"(not set)", "not set", "(not provided)", "not_set", "undefined",
	"null", "none", "nil", "nan", "n/a", "na", "-", "--", "0", "false", "true", "[object object]", "{}", "[]",
	`""`, "''", "transaction_id", "order_id"}

func set(names ...string) map[string]struct{} {
	m := make(map[string]struct{}, len(names))
	for _, n := range names {
		m[n] = struct{}{}
	}
	return m
}
