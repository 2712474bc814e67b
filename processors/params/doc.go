// Package params checks one event's name and parameters against the
// platform's rules and the house policy: Meta's action_source and standard
// event names, GA4's naming rules and limits, the parameters each standard
// event needs, currencies, values, reserved names, the house namespace and
// schema version, and GA4 transaction ids that merge purchases
// (REFERENCE §2.3–§2.5, §3.1–§3.4, §9).
//
// # Codes and severities
//
//	code                      severity  when                                                                              basis
//	EVENT_ACTION_SOURCE       fail      Meta server event: action_source missing (and the event does not look like a      [Meta] §2.3 (required)
//	                                    web event — that case is matchkeys' MATCH_REQUIRED_MISSING), or not one of
//	                                    email, website, app, phone_call, chat, physical_store, system_generated,
//	                                    business_messaging, other (exact, lower case)
//	                          warn      a web event (page URL with user agent or fbp/fbc) says another valid value:       [Meta] web pairs must say website
//	                                    web events must say website
//	EVENT_NAME_NONSTANDARD    fail      Meta name missing, or a standard name in another case (purchase), or a GA4       [Meta] §2.4: case-sensitive names
//	                                    recommended event name (add_to_cart): renamed in transit
//	                          warn*     any other name neither standard nor in Config.CustomEventNames (snake_case        [house] allowlist
//	                                    names are called GA4-style); *Config.CustomNameSeverity
//	EVENT_NAME_INVALID        fail      GA4: missing, > 40 characters, not letter-first [A-Za-z0-9_]; reserved names     [Google] §3.1, §3.2
//	                                    and prefixes (_, firebase_, ga_, google_, gtag., query_id) on server-built
//	                                    events only — MP against the MP reference's list (page_view allowed), custom
//	                                    sGTM events against the web list; never on gtag hits or sGTM events the GA4
//	                                    client built from them (Google's own tag sends page_view, scroll, …)
//	PARAM_MISSING             fail      Meta Purchase without value or currency; GA4 purchase without transaction_id,     [Meta] §2.5, [Google] §3.4
//	                                    or with value but no currency
//	                          warn      Meta value without currency or the reverse ("Send valid currencies"); GA4         [Meta] diagnostic, [Google]
//	                                    purchase without value (or without currency when it has no value); GA4 value
//	                                    without currency
//	                          info      MP event without session_id or engagement_time_msec (Realtime and engagement)     [Google] §1.3, §8#17
//	PARAM_CURRENCY_INVALID    fail      currency not a string holding an ISO 4217 code (either case for Meta)             ISO 4217, [Meta] §2.5
//	                          warn      GA4 currency in lower case (Google documents upper case)                          [Google], unconfirmed
//	PARAM_VALUE_INVALID       fail      value not a plain decimal (84,50, $84.50, true, ""), or negative outside          [Meta] float, [Google] number
//	                                    Config.NegativeValueEvents (refund)
//	PARAM_RESERVED            fail      GA4 param named engagement_time_msec, gclid, session_id, session_number or with   [Google] §3.2
//	                                    prefix _, firebase_, ga_, google_, gtag. — except session_id and
//	                                    engagement_time_msec on MP (required there) and sGTM (the GA4 client puts them
//	                                    in event data)
//	PARAM_LIMIT               fail      GA4: more than 25 params (at the 26th), a param name > 40 characters, an MP       [Google] §3.1: dropped
//	                                    request with more than 25 events (once, on its first event, path events)
//	                          warn      GA4: a string value > 100 characters (page_title 300, page_referrer 420,          [Google] §3.1: truncated
//	                                    page_location 1000; unconfirmed exceptions), items' values included
//	PARAM_NOT_NAMESPACED      off       custom param without Config.NamespacePrefix (cx_); Config.NamespaceSeverity       [house] SPEC §5
//	                                    enables it (info is the suggested level)
//	SCHEMA_VERSION_MISSING    off       the house schema-version param (cx_schema_version) is missing;                    [house] SPEC §5
//	                                    Config.SchemaVersionSeverity enables it
//	GA4_TRANSACTION_ID_EMPTY  fail      GA4 transaction_id present but blank or a placeholder ((not set), undefined,     [Google] §3.4: merges purchases
//	                                    null, 0, -, {{…}}, ${…}, %…%, …; Config.TransactionIDPlaceholders adds more)
//
// Platform rules are fail when the platform drops or mis-counts the data,
// warn when it degrades it, info when it is a note. The house checks are off
// by default: SPEC §5 makes them policy, and a well-formed event that follows
// only the platforms' rules must be clean.
//
// # Standard and custom parameters
//
// A parameter is named by its top-level key inside the event's params
// container (CAPI custom_data, Pixel cd[…], MP params, gtag ep./epn., sGTM
// event data); elements of a list or object (items[0].price) belong to their
// top-level parameter and count once. For PARAM_NOT_NAMESPACED a parameter
// is standard when the destination defines it — Meta: custom_data's
// documented fields (value, currency, content_ids, content_type, contents,
// content_name, content_category, order_id, item_number, num_items,
// predicted_ltv, status, search_string, delivery_category) and the common
// vertical fields; GA4: the parameters of the recommended events, the
// automatically collected and enhanced-measurement ones and the campaign
// fields — or when Config.StandardParams lists it; event_id (the house dedup
// key) and the schema-version param are never custom. Everything else is
// custom and must carry the prefix.
//
// Inbound sGTM event data bound for Meta (header sstaudit-destination: meta)
// still carries GA4 event names and no action_source: the Meta tag maps the
// name and sets action_source on the way out. There a GA4 recommended name is
// not a rename (purchase counts as Purchase for PARAM_MISSING) and a missing
// action_source is not reported; a standard name in the wrong case still is.
//
// Paths: a finding names the offending field's path as decoded
// (data[0].custom_data.currency, cd[currency], events[0].params.value, en),
// or for a missing field the path it belongs at (gtag currency is cu).
// Messages say what is wrong and what the platform expects, never the value.
package params
