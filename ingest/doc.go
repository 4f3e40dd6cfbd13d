// Package ingest owns flowslo's OTLP ingest pipeline: the OpenTelemetry
// Collector's OTLP receiver (gRPC and HTTP, protobuf and JSON, gzip), its
// memory limiter, and flowslo's own exporter that batches telemetry and writes
// it through store.Store into otel_traces and otel_logs.
//
// The pipeline is built from collector components directly (no otelcol
// service, no YAML), so flowslo owns their lifecycle. Its one promise to
// clients: an OTLP success answer means the data is in ClickHouse. Requests
// wait for the insert of the batch that holds them; overload, memory pressure
// and failed inserts answer with retryable errors carrying a retry hint, and
// malformed or oversized bodies are refused before anything is stored.
//
// It also owns the conversion of pdata into store rows, column for column as
// the OpenTelemetry contrib clickhouseexporter writes them.
package ingest
