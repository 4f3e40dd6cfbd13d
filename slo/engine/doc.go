// Package engine turns SLO definitions into numbers: it keeps the SLO
// counts in slo_rollup current, evaluates SLIs, error budgets and burn
// rates from them, and judges release readiness per flow.
//
// # Counting by insertion, not by event time
//
// Every raw row of otel_traces and otel_logs carries the time ClickHouse
// stored it (store.InsertedColumn, a MATERIALIZED column, so it holds for
// any writer, the upstream collector's clickhouseexporter included). A
// roll counts, for every SLO, the rows inserted since its watermark, into
// the minute and hour of each row's own Timestamp, and writes the new
// watermark in the same INSERT. So:
//   - a late event (a phone's offline batch, a collector's retry) counts
//     in its own minute whenever it arrives, and so does a long span
//     exported minutes after it started: there is no late-data horizon;
//   - a roll is one INSERT, one part (slo_rollup has no partition key), so
//     a crash leaves it wholly in the table or not at all, and the next
//     roll starts from the watermark the table holds: never lost, never
//     twice;
//   - downtime needs no backfill: the next rolls catch up on what was
//     inserted meanwhile, maxRollSpan of insertion time per INSERT.
//
// Rolls stay behind ClickHouse's clock by Options.RollMargin and behind the
// start of every INSERT still running (safePoint): a row's insertion time
// is set while its INSERT runs, and only rows whose INSERT has finished
// are visible. Every cycle rolls before it evaluates, so the numbers hold
// everything inserted up to RollMargin ago (2 s by default) and
// evaluation never reads raw rows.
//
// A write whose outcome is unknown (the client timed out, the server may
// have stored it) is retried verbatim, with the same
// insert_deduplication_token, before anything else is written: stored
// once either way. While an engine write of another process is still
// running (a replica that just lost its lease, a process that died mid
// roll on a ClickHouse server), the engine waits, then reads its
// bookkeeping again. Engine writes name their subquery rollMarker or
// backfillMarker so system.processes shows them.
//
// # Backfill
//
// A new definition (name and hash: the filters, latency threshold and
// slices; not the objective or alert settings) begins at a cutoff: rolls
// count what is inserted from then on, backfill chunks what was inserted
// before, newest event time first, each chunk with its new low-water mark
// in the same INSERT. What a definition needs is recomputed at every chunk,
// so widening a window continues the backfill further back and narrowing
// it needs nothing; history older than raw retention is reported as
// SLOStatus.PartialSince instead of passing for complete. While a
// definition backfills, its status is "backfilling" with its progress, and
// alerting holds its alerts (Backfilling).
//
// # Reading: incremental, from memory
//
// Windows read whole hours (res 1) and minutes only at their edges (res
// 0). Slices keep counts per value; the cap (Options.SliceCap, the rest as
// "other") is applied when reading, over the SLO's own window.
//
// A cycle does not read slo_rollup again: the engine keeps, for every
// current definition, the same counts in memory (per hour, whole and per
// declared slice value, plus the minutes of the few hours a window edge
// falls in), and adds each roll's counts once its INSERT is stored. Rolls
// pass their counts through Go for that (selected, then inserted from a
// parameter, in one INSERT with the watermark), so memory gets exactly
// what the table got. See memory.go. Memory is rebuilt from slo_rollup at
// start, after a failed write and when a definition becomes current; a
// definition still backfilling or catching up is read from slo_rollup
// (eval.go's SQL), which is also the reference every engine script checks
// memory against. An idle cycle is then two small queries (safePoint and
// whether anything new was inserted) and sums in memory.
//
// # Releases
//
// Releases are the values of each SLO's release slice (service.version,
// app.version): Releases lists them with first and last sight from the
// hourly and minute rows; Release judges one over the period since it was
// first seen against the previous release over the same period (Compare:
// a two-proportion z test, Fisher's exact test on small counts), with its
// adoption and its platform split from the rollups too: an SLO with a
// release slice counts release and platform together as one more internal
// slice (slo.ReleasePair, slice_key len(Slices)), which evaluation and
// the slice breakdowns leave out. See release_judge.go for the verdicts
// and Thresholds.MinEvents, Thresholds.Alpha.
//
// # Latency
//
// Latency SLOs' rollups keep a histogram per minute and hour (hist);
// Latency reads p50, p95 and p99 per step from it, within BucketError.
//
// engine is a domain package: it imports no store driver. It needs only a
// Querier, which store.Store satisfies.
package engine
