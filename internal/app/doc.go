// Package app wires flowslo together: it opens the store (embedded chDB or a
// ClickHouse server), runs the migrations, starts the ingest pipeline and the
// HTTP server, and shuts them down in the order that loses nothing. It is the
// only package that knows every other one.
//
// Servers (and the all-in-one) campaign for the leader lease (store/lease):
// the leader runs the SLO engine's cycle and alerting, each term with a
// fresh engine and alert manager that write through a store refusing once
// the term is over (leadership, termStore); every server serves the UI and
// the API, a follower through engineView and alertsView, which read the
// store as the leader left it (see engineView for why a follower cannot
// keep an engine of its own).
//
// A collector on a ClickHouse server opens it in the background
// (laterStore): its persistent queue acknowledges from the start, and its
// consumers retry until ClickHouse is open and migrated.
package app
