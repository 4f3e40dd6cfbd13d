// Package usage answers what flowslo's observability costs: spans, logs
// and bytes on disk (compressed and raw) per service and per day, growth,
// what the configured retention keeps and what another retention would
// save, and the services that fill storage while no SLO reads them
// (candidates for sampling).
//
// Sizes come from ClickHouse's own bookkeeping (system.parts, per day
// partition of otel_traces and otel_logs), counts from the tables, grouped
// by service and partition (the _partition_id virtual column, so no
// column but ServiceName is read). ClickHouse keeps no size per service:
// a service's bytes are its share of each day's rows times that day's
// bytes, which sums exactly to the day's bytes. Which services an SLO
// reads is its `service` field plus the services its total filter matched
// in the last day.
package usage
