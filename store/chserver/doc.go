// Package chserver is the store for a ClickHouse server or cluster, reached
// with clickhouse-go over the native protocol. It owns the connection, the
// server version check (23.8 or newer), parameter binding, batch inserts and
// converting driver values to what store.Rows promises. It runs the same SQL
// and migrations as the embedded store.
package chserver
