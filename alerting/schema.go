package alerting

import (
	"fmt"
	"strings"

	"github.com/flowslo/flowslo/store"
)

// Migrations are alerting's schema steps, versions 180–199 (the core tables
// have 1–99, the SLO engine 100–179). Pass them to store.Migrate.
func Migrations() []store.Migration {
	return []store.Migration{
		{Version: 180, Name: "create alerting_alerts", Statements: func(o store.MigrateOptions) []string { return []string{alertsDDL(o)} }},
		{Version: 181, Name: "create alerting_notifications", Statements: func(o store.MigrateOptions) []string { return []string{notificationsDDL(o)} }},
		{Version: 182, Name: "create alerting_silences", Statements: func(o store.MigrateOptions) []string { return []string{silencesDDL(o)} }},
		{Version: 183, Name: "create alerting_outbox", Statements: func(o store.MigrateOptions) []string { return []string{outboxDDL(o)} }},
		{Version: 184, Name: "alerting_notifications: receiver", Statements: func(o store.MigrateOptions) []string {
			return []string{alertingDDL(o, "ALTER TABLE alerting_notifications{on_cluster} ADD COLUMN IF NOT EXISTS receiver String AFTER kind")}
		}},
		{Version: 185, Name: "alerting retention", Statements: retentionDDL},
	}
}

// RetentionDays is how long the alerting tables keep resolved alerts,
// notifications, deliveries and ended silences.
const RetentionDays = 90

// retentionDDL: every version of a row shares the column its TTL reads
// (an alert's start, a delivery's due time, a silence's end), so no older
// version outlives the newest one and comes back through FINAL. A firing
// alert older than the retention is kept in memory and rewritten.
func retentionDDL(o store.MigrateOptions) []string {
	ttl := func(table, expr string) string {
		return alertingDDL(o, fmt.Sprintf("ALTER TABLE %s{on_cluster} MODIFY TTL toDateTime(%s) + INTERVAL %d DAY", table, expr, RetentionDays))
	}
	return []string{
		ttl("alerting_alerts", "started_at"),
		ttl("alerting_notifications", "at"),
		ttl("alerting_silences", "ends_at"),
		ttl("alerting_outbox", "created_at"),
	}
}

// outboxDDL: one row per notification per receiver and target, recorded
// as due before it is sent and rewritten as it goes: sending (an attempt is
// under way), then delivered, failed (permanently), undeliverable (too old
// to send) or skipped (a resolve of a page the receiver never got). ref is
// what the receiver returned, for the repeats and resolves of the lane;
// maybe_sent says an attempt may have reached the receiver (the next one
// looks it up first).
func outboxDDL(o store.MigrateOptions) string {
	return alertingDDL(o, `CREATE TABLE IF NOT EXISTS alerting_outbox{on_cluster} (
	id String,
	alert_id String,
	slo String,
	severity LowCardinality(String),
	kind LowCardinality(String),
	seq UInt32,
	receiver String,
	target String,
	state LowCardinality(String),
	attempts UInt32,
	maybe_sent UInt8,
	error String,
	ref String,
	created_at DateTime64(3, 'UTC'),
	delivered_at DateTime64(3, 'UTC'),
	message String,
	updated_at DateTime64(6, 'UTC')
) ENGINE = {replacing}
ORDER BY id`)
}

// alertingDDL fills in the engines: rows of {replacing} tables are
// rewritten with a higher updated_at, and readers use FINAL.
func alertingDDL(o store.MigrateOptions, ddl string) string {
	return strings.NewReplacer("{on_cluster}", o.OnCluster(), "{engine}", o.Engine("MergeTree"),
		"{replacing}", o.Engine("ReplacingMergeTree(updated_at)")).Replace(ddl)
}

// alertsDDL: one row per alert (an SLO's severity from firing to resolved),
// rewritten on each change. message_ts is the Slack message later updates and
// thread replies refer to; notified_at is zero until Slack confirmed a send.
func alertsDDL(o store.MigrateOptions) string {
	return alertingDDL(o, `CREATE TABLE IF NOT EXISTS alerting_alerts{on_cluster} (
	id String,
	slo String,
	flow String,
	service String,
	severity LowCardinality(String),
	state LowCardinality(String),
	started_at DateTime64(3, 'UTC'),
	resolved_at DateTime64(3, 'UTC'),
	hold_ms Int64,
	channel String,
	channel_id String,
	message_ts String,
	notified_at DateTime64(3, 'UTC'),
	resolve_notified_at DateTime64(3, 'UTC'),
	failed_at DateTime64(3, 'UTC'),
	silenced UInt8,
	summary String,
	updated_at DateTime64(6, 'UTC')
) ENGINE = {replacing}
ORDER BY id`)
}

// notificationsDDL: the log of every send, failure and silenced alert,
// appended after the outcome is known.
func notificationsDDL(o store.MigrateOptions) string {
	return alertingDDL(o, `CREATE TABLE IF NOT EXISTS alerting_notifications{on_cluster} (
	at DateTime64(3, 'UTC'),
	alert_id String,
	slo String,
	severity LowCardinality(String),
	kind LowCardinality(String),
	reason LowCardinality(String),
	channel String,
	status LowCardinality(String),
	error String,
	message_ts String,
	text String
) ENGINE = {engine}
ORDER BY (alert_id, at)`)
}

// silencesDDL: one row per silence, rewritten when it is expired early.
func silencesDDL(o store.MigrateOptions) string {
	return alertingDDL(o, `CREATE TABLE IF NOT EXISTS alerting_silences{on_cluster} (
	id String,
	slo String,
	flow String,
	created_at DateTime64(3, 'UTC'),
	ends_at DateTime64(3, 'UTC'),
	created_by String,
	comment String,
	expired_at DateTime64(3, 'UTC'),
	updated_at DateTime64(6, 'UTC')
) ENGINE = {replacing}
ORDER BY id`)
}
