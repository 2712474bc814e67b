// Package eventtest holds the scaffolding the check packages' tests share, as
// consumertest does for the collector's consumers: it decodes payloads into
// [schemas.Event] the way the pipeline does, supplies a realistic clean CAPI
// purchase, compares finding lists by code, severity and path (never by
// value), checks that a clean event is checked without allocating, and
// decodes config YAML strictly.
//
// Only _test.go files may import it. Every helper takes a [testing.TB] and
// fails the calling test itself, so a test reads as its assertions.
package eventtest
