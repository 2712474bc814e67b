// Package timecheck checks one event's own timestamp against the Kafka record
// time of the message that carried it: too old for the platform to accept,
// in the future, or written in the wrong unit (REFERENCE §0, §2.2, §3.4).
//
// Payload event times are measured, never trusted: the record time
// (ev.Source.RecordTime, ms) is the reference clock. Events without a payload
// timestamp (gtag hits, whose EventTime is the record time and whose
// EventTimeRaw is empty) and events without a record time are not checked.
//
// # Codes and severities
//
//	code         severity  when                                                         source
//	TIME_UNIT    fail      the raw value has the digit count of another unit than the   REFERENCE §0 (Meta event_time s, Pixel ts ms, MP timestamp_micros µs, sGTM timestamp s)
//	                       field's (13 digits in a seconds field, 13 in a µs field,
//	                       10 in an ms field, 16 in a seconds field, …)
//	TIME_STALE   fail      Meta: more than MetaMaxAge (7 days) before the record time,   [Meta] server-event parameters: one stale event rejects the whole CAPI request
//	                       PhysicalStoreMaxAge (62 days) for action_source physical_store
//	                       GA4: more than GA4MaxAge (72 h) before the record time        [Google] MP reference: older events are dropped silently
//	TIME_FUTURE  warn      more than FutureTolerance (60 s) after the record time        [house]: Meta and Google are silent; skewed client clocks are reported to fail
//
// The unit is judged by the digit count of the raw integer part, which for
// any date between 2001-09-09 and 2286 is 10 in seconds, 13 in milliseconds,
// 16 in microseconds and 19 in nanoseconds. A count that belongs to another
// unit than the field's is TIME_UNIT; counts that belong to no unit (a 5-digit
// value, a negative number, a date before 1973) are left alone: they are a
// wrong value, not a wrong unit, and show as TIME_STALE. When the unit is
// wrong, TIME_STALE and TIME_FUTURE are not reported as well: the decoded
// EventTime is then a misreading (a 13-digit seconds value decodes to the
// year 58000), and the unit fault is the one to fix.
//
// TIME_STALE is fail because the platform discards the event (Meta the whole
// request with it); TIME_FUTURE is warn because no platform documents a limit
// and the tolerance is ours. The platform limits are named settings in Config
// so that a change in their wording (72 h vs "3 calendar days") is a config
// change.
package timecheck
