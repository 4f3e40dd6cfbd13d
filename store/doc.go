// Package store owns flowslo's access to ClickHouse: the Store interface every
// other package uses, the schema and its versioned migrations, and the row
// types written by ingest (Span, LogRecord).
//
// Two drivers satisfy Store with the same SQL: store/chdb runs the ClickHouse
// engine in-process (libchdb.so loaded with purego, the default), and
// store/chserver talks to a ClickHouse server or cluster over the native
// protocol with clickhouse-go. The contract suite in store/storetest runs
// against both.
package store
