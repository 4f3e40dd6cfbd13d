package store

import "strings"

// UsageProjection is the aggregate projection of otel_traces and otel_logs
// that keeps, in every part, its rows and raw bytes per day and service.
// ClickHouse builds it on every insert whoever the writer is (flowslo's
// exporter, the upstream clickhouseexporter, a plain INSERT), merges it
// with its part and drops it with the part (TTL, DROP PARTITION), so a
// query grouped by UsageDay and ServiceName reads a few rows per part
// instead of the service column of every row, and its answer is always
// that of a full count. A projection rather than a materialized view into
// a summing table: a view's table outlives the rows it counted (TTL and
// partition drops do not reach it) and its backfill races the inserts
// that run while it is created; a projection has neither problem and
// MATERIALIZE PROJECTION is its backfill.
const UsageProjection = "flowslo_usage"

// usageSignals are the telemetry tables, their day (the partition key)
// and the columns whose in-memory size (byteSize) stands for a row's raw
// bytes when a day's bytes are shared among services.
var usageSignals = map[string]struct {
	day     string
	columns []string
}{
	"otel_traces": {"toDate(Timestamp)", SpanColumns},
	"otel_logs":   {"toDate(TimestampTime)", LogColumns},
}

// UsageDay is table's day expression, the same as its partition key.
func UsageDay(table string) string { return usageSignals[table].day }

// UsageRawBytes is the aggregate of a row's raw bytes the projection keeps.
func UsageRawBytes(table string) string {
	cols := make([]string, len(usageSignals[table].columns))
	for i, c := range usageSignals[table].columns {
		cols[i] = "`" + c + "`"
	}
	return "sum(byteSize(" + strings.Join(cols, ", ") + "))"
}

// UsageSelect is the aggregate query the projection answers; a query
// must group by the same expressions for ClickHouse to use it.
func UsageSelect(table string) string {
	day := UsageDay(table)
	return "SELECT " + day + ", ServiceName, count(), " + UsageRawBytes(table) + " GROUP BY " + day + ", ServiceName"
}

// usageProjectionDDL adds the projection to a data table and builds it
// for the parts already stored (the backfill: a mutation, which
// ClickHouse keeps and runs in the background, through restarts; on a
// large table it reads every column, so the start does not wait for it,
// and parts not yet done are counted from their rows meanwhile). ClickHouse refuses a lightweight DELETE on a table with
// a projection unless lightweight_mutation_projection_mode says
// otherwise; that setting is left alone (servers before 24.7 lack it,
// and flowslo supports 23.8): delete rows with ALTER TABLE … DELETE, a
// mutation that rebuilds the projection of the parts it rewrites.
func usageProjectionDDL(o MigrateOptions, table string) []string {
	alter := "ALTER TABLE " + o.DataTable(table) + o.OnCluster() + " "
	return []string{
		alter + "ADD PROJECTION IF NOT EXISTS " + UsageProjection + " (" + UsageSelect(table) + ")",
		alter + "MATERIALIZE PROJECTION " + UsageProjection,
	}
}
