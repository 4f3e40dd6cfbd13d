// Package lease elects one leader among flowslo servers that share a
// ClickHouse, with a lease kept in ClickHouse itself, so it works the same
// on the embedded chDB (tests, the all-in-one), a server and a cluster.
//
// # The compare-and-set
//
// The lease is a sequence of epochs in the table flowslo_lease. A
// candidate that reads the current epoch N as expired claims N+1 with an
// INSERT carrying insert_deduplication_token = '<name>-<N+1>': ClickHouse
// stores the first such block and silently drops every later one with the
// same token (non_replicated_deduplication_window on one server; through
// Keeper, replicated_deduplication_window, on a cluster, where the table
// is Replicated on every node). The candidate then reads back whose row
// for N+1 was stored: only that holder leads epoch N+1. The read-back is
// the compare-and-set; without it every racer would think it won.
//
// # Renewal and fencing
//
// The holder renews every Options.Renew with a row of its epoch whose
// expiry the server computes (now64() + Options.Duration); expiry is
// always judged on ClickHouse's clock. The holder's own deadline is taken
// from its local monotonic clock, measured from before the request that
// last renewed (or claimed) it was sent, less Options.Margin: it is
// reached at least Margin before the server can see the lease as expired.
// At that deadline (or as soon as a renewal's read-back shows another
// epoch) Run cancels the leader's context and waits for its work to
// return before campaigning again; a renewal counts only when it returned
// before that deadline. So a deposed leader stops starting writes Margin
// before anyone else can claim, and the new leader's caller waits for the
// writes still running anywhere (see package internal/app) before it
// reads the state it takes over.
//
// Release (a graceful stop) writes a row that expires now, so a rolling
// update hands over at once instead of after Duration.
//
// # Failure modes
//
//   - ClickHouse unreachable: nobody can renew or claim; the holder steps
//     down at its deadline, and nothing leads until ClickHouse is back. A
//     partitioned holder stops at its deadline, before a candidate that
//     still reaches ClickHouse can claim.
//   - Clocks: only ClickHouse's clock judges expiry, and a holder's
//     deadline uses elapsed local time, so wall-clock steps on the flowslo
//     hosts do not matter. On a cluster the nodes' clocks must agree within
//     Margin (NTP does far better).
//   - A claim whose part is lost on a cluster node before it replicated:
//     its token stays in Keeper, so nobody can store epoch N+1 until the
//     deduplication window passes. Claims use insert_quorum = 'auto' on a
//     cluster (Options.Replicated), and reads select_sequential_consistency,
//     so a claim is acknowledged only once a majority holds it.
//
// Kubernetes' Lease API would need RBAC, a client and a cluster, and would
// not exist on chDB or a bare server; KeeperMap needs Keeper, which a
// single ClickHouse server or chDB does not have. A deduplicated INSERT
// has the same meaning on all three.
//
// The lease owns its table (Migrations, versions 200–209; the core tables
// have 1–99, the SLO engine 100–179, alerting 180–199).
package lease
