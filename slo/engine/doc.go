// Package engine turns SLO definitions into numbers: it keeps the per-minute
// rollups in slo_rollup current (incrementally from a watermark, with late
// data and background backfills of new or changed definitions), evaluates
// SLIs, error budgets and burn rates from those rollups, and judges release
// readiness per flow.
//
// Rollups are append only. A minute is "closed" once it is older than the
// late-data horizon (Options.Lateness, 10 minutes by default) and is then
// written once; the open minutes after it are aggregated from the raw rows at
// every evaluation. So reads never need FINAL, a span arriving late within
// the horizon is counted, and nothing is counted twice.
//
// One evaluation of every SLO is three queries however many SLOs there
// are: one scan of the open minutes' raw rows for all SLOs (raw.go), then
// the whole SLOs and the slices, each one scan of the rollups with the open
// minutes' counts passed in as a parameter.
//
// engine is a domain package: it imports no store driver. It needs only a
// Querier, which store.Store satisfies.
package engine
