// Package dashboards holds flowslo's built-in dashboards as code: the
// panels the web UI draws (the flows overview's sparklines, the services
// RED table) with the ClickHouse SQL behind each, and the exporter that
// writes the same views as Grafana dashboards for the
// grafana-clickhouse-datasource plugin.
//
// Panel SQL runs on the tables flowslo owns (slo_rollup_hour, otel_traces)
// with named parameters {from:Int64} and {to:Int64} (Unix seconds) and
// {step:Int64} (seconds); the Grafana export turns them into the plugin's
// macros, so the UI and Grafana read the same numbers.
package dashboards
