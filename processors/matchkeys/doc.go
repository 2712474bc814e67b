// Package matchkeys measures how well a server event can be matched to a
// person: which match keys it carries, its completeness band, an EMQ
// estimate, and the fields Meta requires for website events.
//
// Keys counts match keys exactly as processors.BuildSnapshot does (the same
// MatchKey bits, REFERENCE §2.6, §3.5): Meta's user_data keys (em, ph, fn,
// ln, ct, st, zp, country, db, ge), external_id, client IP, user agent, fbc
// and fbp; for GA4 the user_data keys mapped onto the same bits
// (sha256_email_address → em, sha256_phone_number → ph, address
// sha256_first_name/sha256_last_name/sha256_street/city/region/postal_code/
// country → fn/ln/street/ct/st/zp/country, and the sGTM plain forms), plus
// client_id and user_id. A key counts when its value is non-empty; hashing
// faults are processors/hashing's business.
//
// # Codes and severities
//
//	code                    severity          when                                                      basis
//	MATCH_KEYS_LOW          info (band warn)  a Meta server event has 4–5 match keys                    [house] completeness bands (REFERENCE §9)
//	                        warn (band fail)  fewer than 4
//	MATCH_REQUIRED_MISSING  fail              action_source website without client_user_agent or       [Meta] server-event parameters (REFERENCE §2.2)
//	                                          event_source_url; a web-looking event (page URL, user
//	                                          agent or fbp/fbc present) without action_source
//
// MATCH_KEYS_LOW is never fail: the bands are house policy, Meta accepts an
// event with one key, and an event in band pass is clean. A well-formed CAPI
// website event (em, ph or external_id, IP, user agent, fbp) reaches 6 keys.
// Completeness applies to Meta server events by default (Config.Destinations):
// it is a CAPI measure (SPEC §8), and most GA4 events legitimately carry no
// user data. Browser events are not checked.
//
// Inbound sGTM event data bound for Meta has no action_source yet (the Meta
// tag sets it), so it is not asked for there. A missing action_source is
// reported once: here when the event looks like a
// web event (it then also lacks what website events require), and as
// processors/params' EVENT_ACTION_SOURCE otherwise.
//
// # EMQ estimate
//
// Meta publishes no EMQ weights (REFERENCE §2.8). The estimate follows the
// usual third-party ranking (roasproof.com, dataflysignal.com): email and
// phone first; click and browser ids and external_id next; IP and user agent
// together; the remaining personal fields a little each. Each present key
// adds its weight, the IP+UA pair a bonus, and the sum s maps to
//
//	emq = 10 · (1 − e^(−s / Scale)), Scale 4, floored to one decimal,
//
// which rises quickly with the first strong keys and saturates below 10, so
// the estimate lies in [0, 10) and adding a key never lowers it (every
// weight ≥ 0). Default weights (Config.Weights, by match key name):
//
//	key                                         weight  tier
//	em, ph                                      3       1: strongest identifiers
//	external_id, fbc                            1.5     2: first-party id, click id
//	fbp                                         1       2: browser id
//	client_ip_address, client_user_agent        0.25    3: weak alone …
//	  both present (IPUABonus)                  +0.75   3: … strong together
//	fn, ln, ct, st, zp, country, db, ge, street 0.25    4: add a little each
//	user_id (GA4)                               1.5     like external_id
//	client_id (GA4)                             1       like fbp
//
// Examples with the defaults: em+ph+external_id+IP+UA+fbc+fbp → 9.3;
// em+IP+UA+fbp → 7.3; IP+UA+fbp (a Pixel-only user) → 4.3; none → 0.
// SPEC §8 scores a Purchase EMQ estimate ≥ 8.0 as pass. The estimate is
// for comparing events and setups, never a prediction of Meta's figure.
package matchkeys
