package engine

import (
	"strconv"
	"strings"

	"github.com/flowslo/flowslo/store"
)

// Migrations are the engine's schema steps, versions 100–179 (the core
// tables have 1–99, alerting 180–199). Pass them to store.Migrate. 100 and
// 101 (the first slo_rollup and its hourly view) are gone: 102 replaces
// them and drops their tables.
func Migrations() []store.Migration {
	return []store.Migration{
		{Version: 102, Name: "slo_rollup counted by insertion (replaces 100, 101)", Statements: sloRollupDDL},
		{Version: 103, Name: "slo_rollup deduplicates a retried write", Statements: rollupDedupDDL},
	}
}

// SLORollupTTLDays is how long rollups are kept: longer than raw data, so
// quarter calendar windows can still be evaluated after raw rows expire.
const SLORollupTTLDays = 120

// sloRollupDDL: the SLO engine's counts, replacing the first design's
// append-only minute table and its hourly materialized view (versions 100
// and 101, dropped here: their minutes were keyed on a late-data horizon
// and cannot be converted; the engine backfills from raw rows).
//
// One table holds, per SLO definition (slo, hash): good and total per
// minute (res 0) and per hour (res 1) of the events' own timestamps, per
// slice value (slice_key "" is the whole SLO, "0", "1", … a slice, the
// declared ones and then the internal release × platform pair), and
// one bookkeeping row (res 2) with where rolling stands. A roll writes all
// three kinds in one INSERT, which is one part (no partition key, one
// insert block), so a roll is in the table entirely or not at all.
//
// Rolls add: a minute gets a row from every roll that saw events for it
// (late events included), and AggregatingMergeTree sums rows with the same
// key as parts merge. Reads always sum, so they never need FINAL.
// Bookkeeping columns aggregate by max or min so the newest watermark wins:
// rolled (max, ms): every raw row inserted before it is counted; cutoff
// (min, ms): rows inserted before it are counted by backfill chunks, rows
// inserted from it by rolls; backfilled (min, unix s): backfill chunks have
// counted the rows before cutoff whose Timestamp is from here on.
func sloRollupDDL(o store.MigrateOptions) []string {
	engine := o.Engine("AggregatingMergeTree")
	return []string{
		"DROP VIEW IF EXISTS slo_rollup_hour_mv" + o.OnCluster(),
		"DROP TABLE IF EXISTS slo_rollup_hour" + o.OnCluster(),
		// SYNC: on a cluster the replica's path must be free again
		// before the CREATE below claims it.
		"DROP TABLE IF EXISTS slo_rollup" + o.OnCluster() + " SYNC",
		strings.NewReplacer("{on_cluster}", o.OnCluster(), "{engine}", engine, "{ttl}", strconv.Itoa(SLORollupTTLDays)).Replace(
			`CREATE TABLE IF NOT EXISTS slo_rollup{on_cluster} (
	slo LowCardinality(String),
	hash LowCardinality(String),
	res UInt8,
	slice_key LowCardinality(String),
	slice_value String CODEC(ZSTD(1)),
	minute DateTime('UTC') CODEC(Delta, ZSTD(1)),
	good SimpleAggregateFunction(sum, UInt64) CODEC(T64, ZSTD(1)),
	total SimpleAggregateFunction(sum, UInt64) CODEC(T64, ZSTD(1)),
	hist SimpleAggregateFunction(sumMap, Tuple(Array(UInt16), Array(UInt64))) CODEC(ZSTD(1)),
	rolled SimpleAggregateFunction(max, Int64),
	cutoff SimpleAggregateFunction(min, Int64),
	backfilled SimpleAggregateFunction(min, Int64)
) ENGINE = {engine}
ORDER BY (res, slice_key, slo, hash, slice_value, minute)
TTL minute + toIntervalDay({ttl}) WHERE res < 2`),
		// The hourly rows under the name dashboards and Grafana panels read.
		"CREATE VIEW IF NOT EXISTS slo_rollup_hour" + o.OnCluster() +
			" AS SELECT slo, hash, slice_key, slice_value, minute AS hour, good, total FROM slo_rollup WHERE res = 1",
	}
}

// rollupDedupDDL lets slo_rollup recognise a write retried with the same
// insert_deduplication_token (a roll or backfill chunk whose first attempt
// failed on the client and may have landed), on a single node; Replicated
// tables deduplicate through Keeper already.
func rollupDedupDDL(o store.MigrateOptions) []string {
	if o.Cluster != "" {
		return nil
	}
	return []string{"ALTER TABLE slo_rollup MODIFY SETTING non_replicated_deduplication_window = 1000"}
}
