// Package dashboard serves sstaudit's live dashboard: `run` and `demo`
// mount it on their --http server, at / (server-rendered HTML with inline
// SVG charts, no scripts, reloading itself) and /api/summary (the same
// figures as JSON).
//
// # Data
//
// A Live is fed the pipeline's durable outputs (consumers.Config.OnOutput).
// It folds them into a report.Aggregator, whose Summary the page scores with
// report.Evaluate exactly as `sstaudit report` does, and keeps two things a
// one-off report does not need: each (destination, event_name)'s windows,
// summed over partitions, for the hit ratio over time, and a histogram of
// matched pairs' |skew_ms|. Outputs are at-least-once; a window already seen
// (destination, event_name, window_start, partition) and a recently seen
// audit_id are ignored, as the Aggregator does.
//
// # Bounds
//
// Besides the Aggregator's own bounds (see package report): at most 64
// series with at most 120 windows each (the oldest are forgotten, and a
// window older than the forgotten ones is ignored), 65,536 recent audit_ids
// for the skew histogram, 8 skew buckets, and 256 throughput samples.
//
// # Privacy
//
// The page and the JSON show entities, field paths, finding codes, counts,
// rates and example event_ids. Never a value: no finding message (detectors
// may describe what they saw), no fingerprint, nothing of the events
// themselves (SPEC §10, REFERENCE §7.7).
//
// # Pipeline health
//
// The package does not know the pipeline: the command passes a func that
// reads consumers.Pipeline.Ready and Stats into a Health. The throughput is
// measured between page or API loads (the page reloads every Refresh).
package dashboard
