package lease

import (
	"strings"

	"github.com/flowslo/flowslo/store"
)

// Migrations are the lease's schema steps, versions 200–209 (the core
// tables have 1–99, the SLO engine 100–179, alerting 180–199). Pass them
// to store.Migrate.
func Migrations() []store.Migration {
	return []store.Migration{
		{Version: 200, Name: "create flowslo_lease", Statements: func(o store.MigrateOptions) []string { return []string{tableDDL(o)} }},
	}
}

// dedupWindow is how many recent insert blocks the table remembers for
// deduplication. A claim races only with the claims of the same seconds,
// so any window that spans a few renewals would do; 10000 blocks are 14
// hours of renewals at the default Renew.
const dedupWindow = "10000"

// tableDDL: one row per claim (seq 0), renewal (seq 1, 2 …) and release of
// an epoch. Claims are kept for good (a few bytes per hand-over), so the
// epoch never starts over and a token is never reused; renewals go after a
// day. On a cluster the table is Replicated on every node and dedups
// through Keeper.
func tableDDL(o store.MigrateOptions) string {
	settings := "non_replicated_deduplication_window = " + dedupWindow
	if o.Cluster != "" {
		settings = "replicated_deduplication_window = " + dedupWindow + ", replicated_deduplication_window_seconds = 604800"
	}
	return strings.NewReplacer("{on_cluster}", o.OnCluster(), "{engine}", o.Engine("MergeTree"), "{settings}", settings).Replace(
		`CREATE TABLE IF NOT EXISTS flowslo_lease{on_cluster} (
	name LowCardinality(String),
	epoch UInt64,
	holder String,
	seq UInt64,
	expires_at DateTime64(3, 'UTC'),
	written_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = {engine}
ORDER BY (name, epoch, seq)
TTL toDateTime(written_at) + INTERVAL 1 DAY WHERE seq > 0
SETTINGS {settings}`)
}
