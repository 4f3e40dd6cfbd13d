// Package ingest owns flowslo's OTLP ingest: OTLP/gRPC and OTLP/HTTP
// services (protobuf and JSON, gzip) on servers built by the collector's
// configgrpc and confighttp, and the path from a request's bytes to rows in
// otel_traces and otel_logs.
//
// Its one promise to clients: an OTLP success answer means the data is in
// ClickHouse. On the way, per request: a byte-identical retry of a request
// stored in the last 10 minutes is answered without a second copy (dedup);
// the whole process's memory is checked; items outside retention are
// refused by partial success; attributes are limited as the OTel SDKs do.
// Per signal, a batcher inserts the moment the store is free, merging what
// arrived while the previous insert ran, splits a batch the store refuses
// as bad data so only the requests that cause it are refused, and retries
// transient failures within a bound. Overload, memory pressure, shutdown and
// failed inserts answer with retryable errors carrying a retry hint.
//
// With a persistent queue (QueueOptions; on by default in both roles that
// receive OTLP, `flowslo serve` and `flowslo collector`)
// the promise changes to: a success answer means the data is on the
// queue's disk, from where it is inserted, retried without end. The queue
// is flowslo's own journal (package ingest/journal): each insert takes
// every batch waiting, up to QueueOptions.InsertBytes (under a steady flow
// at most every QueueOptions.InsertLinger, so that inserts are few and
// large), recorded on disk as
// a range of the journal before it is inserted under a token naming that
// range, so a retry, even after a crash, repeats the same rows under the
// same token and is stored once. Only a full queue is refused.
//
// It also owns the conversion of pdata into store rows, column for column as
// the OpenTelemetry contrib clickhouseexporter writes them.
package ingest
