// Package telemetry builds sstaudit's observability from configuration: for
// now the structured logger; tracer and meter providers join it later.
//
// Nothing here is global. Constructors return values that main hands to the
// components that need them (STYLE.md: telemetry is injected), so tests can
// pass a logger over a buffer or slog.DiscardHandler and never interfere.
//
// Logs record state changes (started, assigned, revoked, stopped), never one
// line per message, and never plaintext personal data (SPEC §10, §11).
package telemetry
