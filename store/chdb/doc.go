// Package chdb is the embedded store: the ClickHouse engine running in the
// flowslo process as libchdb.so, bound at run time with purego so the binary
// builds without cgo and runs without the library in server mode.
//
// It owns loading the library (Open, never init), the process-wide engine
// (one data dir per process), the connections (insert ones per table, a small
// pool for queries, so a slow query never holds ingest), parameter binding in the
// engine, RowBinary inserts and JSONCompactEachRow result parsing.
package chdb
