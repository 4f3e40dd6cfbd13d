// Package app wires flowslo together: it opens the store (embedded chDB or a
// ClickHouse server), runs the migrations, starts the ingest pipeline and the
// HTTP server, and shuts them down in the order that loses nothing. It is the
// only package that knows every other one.
package app
