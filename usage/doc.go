// Package usage answers what flowslo's observability costs: spans, logs
// and bytes on disk (compressed and raw) per service and per day, growth,
// what each signal's configured retention keeps and what another would
// save, and the services that fill storage while no SLO reads them
// (candidates for sampling).
//
// Sizes come from ClickHouse's own bookkeeping (system.parts, per day
// partition of otel_traces and otel_logs). Counts and raw sizes per day
// and service come from the tables' aggregate projection
// (store.UsageProjection), so the cost does not grow with the rows: the
// query groups exactly as the projection does, and ClickHouse answers it
// from a few rows per part. ClickHouse keeps no size per service: a
// service's bytes are its share of each day's raw size (byteSize of its
// rows) times that day's bytes, which sums exactly to the day's bytes.
// Which services an SLO reads is its `service` field plus the services
// its total filter matched in the last day, for all SLOs of a table in
// one query.
package usage
