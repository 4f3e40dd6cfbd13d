package store

import (
	"strconv"
	"strings"
)

// SLO engine tables (package slo/engine). Their versions start at 100 so
// they never collide with the numbers of the core tables above; Migrate
// applies steps in slice order and records each version, so the gap is
// harmless.
func init() {
	Migrations = append(Migrations,
		Migration{100, "create slo_rollup", func(o MigrateOptions) []string { return []string{sloRollupDDL(o)} }},
		Migration{101, "create slo_rollup_hour", func(o MigrateOptions) []string { return sloRollupHourDDL(o) }},
	)
}

// SLORollupTTLDays is how long rollups are kept: longer than raw data, so
// quarter calendar windows can still be evaluated after raw rows expire.
const SLORollupTTLDays = 120

// sloRollupDDL: one row per SLO definition (name + hash), minute and slice
// value, written once when the minute is closed (append only, never
// replaced, so reads need no FINAL; every read sums). slice_key is "" for
// the whole SLO, the slice's index ("0", "1", …) for per-slice rows, and
// "~" (progress: minutes before this one are rolled up) or "^" (where the
// backfill started) for the engine's bookkeeping rows. hist_b/hist_c are a
// sparse latency histogram: bucket numbers and their counts.
func sloRollupDDL(o MigrateOptions) string {
	return strings.NewReplacer("{on_cluster}", o.OnCluster(), "{engine}", o.engine()).Replace(
		`CREATE TABLE IF NOT EXISTS slo_rollup{on_cluster} (
	slo LowCardinality(String),
	hash LowCardinality(String),
	slice_key LowCardinality(String),
	slice_value String CODEC(ZSTD(1)),
	minute DateTime('UTC') CODEC(Delta, ZSTD(1)),
	good UInt64 CODEC(T64, ZSTD(1)),
	total UInt64 CODEC(T64, ZSTD(1)),
	hist_b Array(UInt16) CODEC(ZSTD(1)),
	hist_c Array(UInt64) CODEC(ZSTD(1))
) ENGINE = {engine}
PARTITION BY toYYYYMM(minute)
ORDER BY (slice_key, slo, hash, slice_value, minute)
TTL minute + toIntervalDay(` + strconv.Itoa(SLORollupTTLDays) + `)`)
}

// sloRollupHourDDL: slo_rollup summed per hour, filled by a materialized
// view on every insert into slo_rollup, so the two never disagree. Long
// windows read whole hours here and only their ragged edges from
// slo_rollup (28 days: 672 rows per SLO instead of 40 320). Rows of one
// hour merge in the background (SummingMergeTree); reads sum anyway.
func sloRollupHourDDL(o MigrateOptions) []string {
	engine := "SummingMergeTree"
	if o.Cluster != "" {
		engine = "ReplicatedSummingMergeTree"
	}
	return []string{
		`CREATE TABLE IF NOT EXISTS slo_rollup_hour` + o.OnCluster() + ` (
	slo LowCardinality(String),
	hash LowCardinality(String),
	slice_key LowCardinality(String),
	slice_value String CODEC(ZSTD(1)),
	hour DateTime('UTC') CODEC(Delta, ZSTD(1)),
	good UInt64 CODEC(T64, ZSTD(1)),
	total UInt64 CODEC(T64, ZSTD(1))
) ENGINE = ` + engine + `((good, total))
PARTITION BY toYYYYMM(hour)
ORDER BY (slice_key, slo, hash, slice_value, hour)
TTL hour + toIntervalDay(` + strconv.Itoa(SLORollupTTLDays) + `)`,
		`CREATE MATERIALIZED VIEW IF NOT EXISTS slo_rollup_hour_mv` + o.OnCluster() + ` TO slo_rollup_hour AS
SELECT slo, hash, slice_key, slice_value, toStartOfHour(minute) AS hour, sum(good) AS good, sum(total) AS total
FROM slo_rollup WHERE slice_key NOT IN ('~', '^')
GROUP BY slo, hash, slice_key, slice_value, hour`,
	}
}
