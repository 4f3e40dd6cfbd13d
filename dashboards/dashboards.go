package dashboards

// Kind is how a panel is drawn.
type Kind string

const (
	TimeSeries Kind = "timeseries"
	Table      Kind = "table"
)

// Panel is one view: what it shows and the SQL that computes it.
type Panel struct {
	ID          string
	Title       string
	Description string
	Kind        Kind
	// Unit is Grafana's unit name: percentunit, ms, reqps, none.
	Unit string
	// SQL is the query flowslo itself runs, with {from:Int64}, {to:Int64}
	// and {step:Int64} parameters.
	SQL string
	// Grafana, when set, is the SELECT Grafana runs over the panel's rows,
	// which it names "panel" (the UI needs raw counts; Grafana wants a
	// time column and one value per series).
	Grafana string
}

// Dashboard is a titled list of panels.
type Dashboard struct {
	UID         string
	Title       string
	Description string
	Panels      []Panel
}

// SLIHistory is the flows overview's sparkline: good and total per SLO
// definition (name and hash) per step, from the hourly rollup, so a week
// of 200 SLOs is one small read.
var SLIHistory = Panel{
	ID:          "sli_history",
	Title:       "SLI per SLO",
	Description: "Share of good events per step, per SLO (hourly rollups).",
	Kind:        TimeSeries,
	Unit:        "percentunit",
	SQL: `SELECT slo, hash, toInt64(toUnixTimestamp(toStartOfInterval(hour, toIntervalSecond({step:Int64})))) AS t,
	sum(good) AS good, sum(total) AS total
FROM slo_rollup_hour
WHERE slice_key = '' AND hour >= toDateTime({from:Int64}) AND hour < toDateTime({to:Int64})
GROUP BY slo, hash, t
ORDER BY slo, hash, t`,
	// Several definitions of one SLO cover the same hours after a change
	// (the new one is backfilled): keep the newest per SLO.
	Grafana: `SELECT toDateTime(t) AS time, slo, sum(good) / sum(total) AS sli
FROM panel
WHERE (slo, hash) IN (SELECT slo, argMax(hash, t) FROM panel GROUP BY slo)
GROUP BY time, slo ORDER BY time`,
}

// Budget is each SLO's good/total over the chosen range, worst first.
var Budget = Panel{
	ID:          "slo_table",
	Title:       "SLOs over the range",
	Description: "Good and total events and the SLI per SLO over the chosen range, worst first.",
	Kind:        Table,
	Unit:        "percentunit",
	SQL: `SELECT slo, hash, sum(good) AS good, sum(total) AS total, good / total AS sli
FROM slo_rollup_hour
WHERE slice_key = '' AND hour >= toDateTime({from:Int64}) AND hour < toDateTime({to:Int64})
GROUP BY slo, hash
ORDER BY sli ASC`,
	Grafana: `SELECT slo, good, total, sli FROM panel
WHERE (slo, hash) IN (SELECT slo, argMax(hash, total) FROM panel GROUP BY slo)
ORDER BY sli ASC`,
}

// RED is rate, errors and duration per service and endpoint (server and
// consumer spans, and roots), the endpoints with most errors first.
var RED = Panel{
	ID:          "red",
	Title:       "Endpoints: rate, errors, duration",
	Description: "Requests, errors and latency percentiles per service and span name; most errors first.",
	Kind:        Table,
	Unit:        "none",
	SQL: `SELECT ServiceName AS service, SpanName AS name, count() AS requests,
	countIf(StatusCode = 'Error') AS errors,
	quantile(0.5)(Duration) / 1e6 AS p50_ms, quantile(0.95)(Duration) / 1e6 AS p95_ms,
	quantile(0.99)(Duration) / 1e6 AS p99_ms
FROM otel_traces
WHERE Timestamp >= toDateTime({from:Int64}) AND Timestamp < toDateTime({to:Int64})
	AND (SpanKind IN ('Server', 'Consumer') OR ParentSpanId = '')
GROUP BY service, name
ORDER BY errors DESC, requests DESC
LIMIT 500`,
}

// Flows is the overview the / page draws and Grafana gets.
var Flows = Dashboard{
	UID:         "flowslo-flows",
	Title:       "flowslo: business flows",
	Description: "SLIs of every SLO, the same numbers as flowslo's flows page.",
	Panels:      []Panel{SLIHistory, Budget},
}

// Services is the RED view of the /services page.
var Services = Dashboard{
	UID:         "flowslo-services",
	Title:       "flowslo: services",
	Description: "Rate, errors and duration per endpoint, as on flowslo's services page.",
	Panels:      []Panel{RED},
}

// All are the built-in dashboards, in export order.
var All = []Dashboard{Flows, Services}
