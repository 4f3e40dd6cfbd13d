package store

import "strings"

// Alerting tables (package alerting). Versions 180–199 are alerting's:
// schema_slo.go started the 100s at 100, so alerting keeps well clear of it.
func init() {
	Migrations = append(Migrations,
		Migration{180, "create alerting_alerts", func(o MigrateOptions) []string { return []string{alertsDDL(o)} }},
		Migration{181, "create alerting_notifications", func(o MigrateOptions) []string { return []string{notificationsDDL(o)} }},
		Migration{182, "create alerting_silences", func(o MigrateOptions) []string { return []string{silencesDDL(o)} }},
	)
}

// replacing is the engine of tables whose rows are rewritten with a higher
// version column; readers use FINAL.
func (o MigrateOptions) replacing(version string) string {
	if o.Cluster == "" {
		return "ReplacingMergeTree(" + version + ")"
	}
	return "ReplicatedReplacingMergeTree(" + version + ")"
}

func alertingDDL(o MigrateOptions, ddl string) string {
	return strings.NewReplacer("{on_cluster}", o.OnCluster(), "{engine}", o.engine(),
		"{replacing}", o.replacing("updated_at")).Replace(ddl)
}

// alertsDDL: one row per alert (an SLO's severity from firing to resolved),
// rewritten on each change. message_ts is the Slack message later updates and
// thread replies refer to; notified_at is zero until Slack confirmed a send.
func alertsDDL(o MigrateOptions) string {
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
func notificationsDDL(o MigrateOptions) string {
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
func silencesDDL(o MigrateOptions) string {
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
