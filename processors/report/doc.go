// Package report builds the scored server-side tracking audit (SPEC §8) from
// the pipeline's outputs: audit records (findings topic) and window metrics
// (metrics topic), plus an optional inventory of facts the streams cannot
// show. It is pure: no Kafka, no clock (Build takes one), no files.
//
// # Flow
//
//	a := report.NewAggregator()
//	a.Add(rec)          // each AuditRecord, any order
//	a.AddMetrics(m)     // each WindowMetrics, any order
//	s := a.Summary()    // a deep, sorted snapshot; a goes on
//	r := report.Build(s, inv, report.Options{Now: now})
//	report.WriteMarkdown(w, r)  // SERVER-SIDE-TRACKING-AUDIT.md (Render is the same, for terminals)
//	report.WriteJSON(w, r)      // the machine-readable twin
//	report.WriteScoreBlock(w, r.Score)
//
// # Sources and deduplication
//
// Outputs are at-least-once. Window metrics are deduplicated by
// (destination, event_name, window_start, partition); audit records by
// audit_id. Counts of events, outcomes, findings by code and severity, skew,
// match-key histogram and EMQ come from the metrics, which are exact. The
// audit records supply what metrics do not carry: example event_ids per code
// (the five smallest, so the choice does not depend on read order), PII leaks
// by entity, side and path, the test-event log, the per-key EMQ roadmap, and
// the IP+UA and action_source shares. Rates follow SPEC §7: hit ratio =
// server_events / client_events, dedup rate = matched / server_events,
// alignment rate = aligned / matched, event_id coverage = 1 −
// event_id_missing / events per side. Skew p50 and p95 over several windows
// are the windows' values weighted by matched pairs (percentiles do not merge
// exactly); the maximum is exact. The EMQ average is weighted by server
// events.
//
// # Memory
//
// An Aggregator fed live stays bounded: at most 262,144 recent audit_ids
// (a 64-bit hash each; WithRecentAuditIDs), 4,096 window starts per
// (destination, event_name, partition) — when full it forgets the oldest half
// and treats windows at or below them as late and already counted; at most
// 16,384 such partition series, windows of further ones being counted without
// deduplication — 2,000
// (destination, event_name) series (more fold into "(other)"), 256 finding
// codes, 256 (entity, side, path) leak rows (array indices normalised to
// [*]; more fold into path "(other)"), 5 examples per code, match-key counts
// 0–63, the 12 test-event names and the 18 match keys of processors.
//
// # Score
//
// Six sections (weights 20/25/15/15/10/15). A check scores PASS 100, WARN 50,
// FAIL 0; a section is the mean of its checks; the total is the weighted sum
// of the sections; grades A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, F below. The total
// is kept exact; the report prints it rounded down, so the printed number
// always has the printed grade.
//
// No data: a check whose figure cannot be measured (no inventory given, no
// events of that kind) is "not measured" and left out of its section's mean.
// A section with no measured check is shown as not measured and its weight is
// redistributed: the total is Σ weight × score / Σ weight over the measured
// sections. Scoring missing data as 0 would grade the auditor's blindness
// (e.g. no --inventory file, a shop without Lead events) rather than the
// set-up; scoring it as 100 would reward it. The report says which checks
// were not measured and how much weight was measured (Score.MeasuredWeight),
// and the pre-launch checklist lists them as "verify by hand". With nothing
// measured at all there is no total and no grade.
//
// House policy (REFERENCE §9) is marked on each check: the thresholds are
// sstaudit's defaults, not Meta or Google rules. Checks, per section:
//
//	section / check id          figure measured                                           PASS            WARN              FAIL         house
//	sGTM pipeline (20%)
//	  sgtm.custom_domain        inventory custom_domain                                   yes             —                 no           no
//	  sgtm.hosting              inventory sgtm_hosting                                    stape,          app_engine        none         yes
//	                                                                                      cloud_run,
//	                                                                                      self_hosted,
//	                                                                                      other
//	  sgtm.ga4_server_side      GA4 server_events ÷ client_events (all GA4 events;         ≥ 80%           50–79%            < 50%        yes
//	                            server events without browser events pass)
//	  sgtm.click_ids            CLICKID_DROPPED + CLICKID_FBCLID_MODIFIED per matched pair 0               ≤ 1%              > 1%         yes
//	  sgtm.ip_ua                Meta server events carrying both client_ip_address and    ≥ 95%           80–94%            < 80%        yes
//	                            client_user_agent (audit records' match_keys.present)
//	  sgtm.no_server_pii        PII_LEAK findings on the server side (audit records)      0               —                 ≥ 1          no
//	CAPI (25%)
//	  capi.present              Meta server events                                        > 0             —                 0 with Pixel events,
//	                                                                                                                          or inventory none
//	  capi.method               inventory capi_method                                     gateway,        —                 none         no
//	                                                                                      direct, partner
//	  capi.major_events         of the six major Meta names seen on either side, the      all             ≥ 50%             < 50%        yes
//	                            share also seen server-side
//	  capi.emq_purchase         emq_estimate_avg of Meta Purchase (weighted by server     ≥ 8.0           6.0–7.9           < 6.0        yes
//	                            events)
//	  capi.completeness         mean match keys per Meta server event (histogram)         ≥ 6             4–5.9             < 4          yes
//	  capi.action_source        Meta server events with action_source and no server-side  ≥ 99%           90–98%            < 90%        yes
//	                            EVENT_ACTION_SOURCE finding (audit records)
//	deduplication (15%)
//	  dedup.rate                matched ÷ server_events (all destinations)                ≥ 90%           70–89%            < 70%        no (SPEC)
//	  dedup.event_id_coverage   lower of browser and server event_id coverage             ≥ 99%           90–98%            < 90%        yes
//	  dedup.alignment           aligned ÷ matched                                         ≥ 95%           80–94%            < 80%        yes
//	  dedup.name_consistency    DEDUP_NAME_MISMATCH per matched pair                      0               ≤ 1%              > 1%         yes
//	server-side hit ratio (15%), one check per event present: meta Purchase, meta Lead, ga4 purchase, ga4 generate_lead
//	  hit_ratio.<dest>.<name>   server_events ÷ client_events                             80–120%         > 120% or 50–79%, < 50%        yes
//	                                                                                                      or no browser events
//	test events (10%)
//	  test_events.validated     of the six slots (ViewContent/view_item, AddToCart/       6               3–5               < 3          no (SPEC)
//	                            add_to_cart, InitiateCheckout/begin_checkout, Purchase/
//	                            purchase, Lead/generate_lead, CompleteRegistration/
//	                            sign_up), those validated on any destination
//	hash quality & PII (15%)
//	  hash.quality              HASH_FORMAT, _WEAK_ALGO, _SENTINEL, _NOT_NORMALIZED,      0               ≤ 1% of events    > 1%         yes
//	                            _CROSS_SIDE_MISMATCH, _FORBIDDEN, _OUTSIDE_USER_DATA
//	  hash.plaintext            HASH_PLAINTEXT                                            0               —                 ≥ 1          no
//	  hash.double               HASH_DOUBLE                                               0               ≤ 1% of events    > 1%         yes
//	  hash.consent              CONSENT_PII_WITHOUT_CONSENT, CONSENT_MISMATCH             none            mismatches only   any PII without consent
//	  hash.pii_leaks            PII_LEAK (all sides, metrics)                             0               —                 ≥ 1          no
//
// "Events" are client_events + server_events; "0 / ≤ 1% / > 1%" compare the
// count of findings with that share of the denominator. Percent bands are
// closed below: 89.99% is below 90%. A check is not measured when its
// denominator is zero: no inventory value; no GA4 events; no matched pairs;
// no Meta server events in the audit records; no Meta Purchase server event,
// or an EMQ estimate of exactly 0 although match keys are present (the
// pipeline ran without an estimator);
// no events at all (hash section); no audit records (test events, server PII).
//
// A test event validates when a matched audit record (not a duplicate) has
// an event_id, client and server names both equal to the slot's name for its
// destination (Meta names on meta, GA4 names on ga4, either elsewhere), and
// no finding of severity fail or critical. Its time is the later record time
// of the pair; the log keeps the earliest, with its event_id.
package report
