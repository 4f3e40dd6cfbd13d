// Package expr owns the SLI filter language: CEL expressions over spans and
// log records, type-checked with cel-go and compiled to parameterised
// ClickHouse SQL over the contrib exporter's otel_traces and otel_logs
// columns. Every literal and attribute key becomes a {name:Type} placeholder
// with its value in Params, so user text never becomes SQL.
package expr
