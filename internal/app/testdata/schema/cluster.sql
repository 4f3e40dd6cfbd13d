-- flowslo schema (retention: traces 14 days, logs 14 days; cluster flowslo: telemetry in Replicated local tables behind Distributed ones, flowslo's state replicated to every node)

-- the applied migrations
CREATE TABLE IF NOT EXISTS schema_migrations ON CLUSTER `flowslo` (
	version UInt32,
	name String,
	applied_at DateTime64(3) DEFAULT now64(3)
) ENGINE = ReplicatedMergeTree('/clickhouse/flowslo/{database}/{table}', '{replica}')
ORDER BY version;

-- migration 1: create otel_traces
CREATE TABLE IF NOT EXISTS otel_traces_local ON CLUSTER `flowslo` (
	Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
	TraceId String CODEC(ZSTD(1)),
	SpanId String CODEC(ZSTD(1)),
	ParentSpanId String CODEC(ZSTD(1)),
	TraceState String CODEC(ZSTD(1)),
	SpanName LowCardinality(String) CODEC(ZSTD(1)),
	SpanKind LowCardinality(String) CODEC(ZSTD(1)),
	ServiceName LowCardinality(String) CODEC(ZSTD(1)),
	ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
	ScopeName String CODEC(ZSTD(1)),
	ScopeVersion String CODEC(ZSTD(1)),
	SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
	Duration UInt64 CODEC(ZSTD(1)),
	StatusCode LowCardinality(String) CODEC(ZSTD(1)),
	StatusMessage String CODEC(ZSTD(1)),
	Events Nested (
		Timestamp DateTime64(9),
		Name LowCardinality(String),
		Attributes Map(LowCardinality(String), String)
	) CODEC(ZSTD(1)),
	Links Nested (
		TraceId String,
		SpanId String,
		TraceState String,
		Attributes Map(LowCardinality(String), String)
	) CODEC(ZSTD(1)),
	FlowsloInserted DateTime64(3, 'UTC') MATERIALIZED now64(3) CODEC(Delta, ZSTD(1)),
	INDEX idx_flowslo_inserted FlowsloInserted TYPE minmax GRANULARITY 1,
	INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
	INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
	INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
	INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
	INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
	INDEX idx_duration Duration TYPE minmax GRANULARITY 1
) ENGINE = ReplicatedMergeTree
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))
TTL toDateTime(Timestamp) + toIntervalDay(14)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, min_rows_for_wide_part = 1000000;
CREATE TABLE IF NOT EXISTS otel_traces ON CLUSTER `flowslo` AS otel_traces_local
ENGINE = Distributed('flowslo', currentDatabase(), otel_traces_local, cityHash64(TraceId));

-- migration 2: create otel_logs
CREATE TABLE IF NOT EXISTS otel_logs_local ON CLUSTER `flowslo` (
	Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
	TimestampTime DateTime DEFAULT toDateTime(Timestamp),
	TraceId String CODEC(ZSTD(1)),
	SpanId String CODEC(ZSTD(1)),
	TraceFlags UInt8,
	SeverityText LowCardinality(String) CODEC(ZSTD(1)),
	SeverityNumber UInt8,
	ServiceName LowCardinality(String) CODEC(ZSTD(1)),
	Body String CODEC(ZSTD(1)),
	ResourceSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
	ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
	ScopeSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
	ScopeName String CODEC(ZSTD(1)),
	ScopeVersion LowCardinality(String) CODEC(ZSTD(1)),
	ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
	LogAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
	EventName String CODEC(ZSTD(1)),
	FlowsloInserted DateTime64(3, 'UTC') MATERIALIZED now64(3) CODEC(Delta, ZSTD(1)),
	INDEX idx_flowslo_inserted FlowsloInserted TYPE minmax GRANULARITY 1,
	INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
	INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
	INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
	INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
	INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
	INDEX idx_log_attr_key mapKeys(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
	INDEX idx_log_attr_value mapValues(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
	INDEX idx_body Body TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8
) ENGINE = ReplicatedMergeTree
PARTITION BY toDate(TimestampTime)
PRIMARY KEY (ServiceName, TimestampTime)
ORDER BY (ServiceName, TimestampTime, Timestamp)
TTL TimestampTime + toIntervalDay(14)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, min_rows_for_wide_part = 1000000;
CREATE TABLE IF NOT EXISTS otel_logs ON CLUSTER `flowslo` AS otel_logs_local
ENGINE = Distributed('flowslo', currentDatabase(), otel_logs_local, cityHash64(ServiceName));

-- migration 3: create ingest staging for otel_traces
CREATE TABLE IF NOT EXISTS otel_traces_ingest ON CLUSTER `flowslo` (
	Timestamp DateTime64(9), TraceId String, SpanId String, ParentSpanId String,
	TraceState String, SpanName String, SpanKind String, ServiceName String,
	ResourceAttributes Map(String, String), ScopeName String, ScopeVersion String,
	SpanAttributes Map(String, String), Duration UInt64, StatusCode String, StatusMessage String,
	`Events.Timestamp` Array(DateTime64(9)), `Events.Name` Array(String), `Events.Attributes` Array(Map(String, String)),
	`Links.TraceId` Array(String), `Links.SpanId` Array(String), `Links.TraceState` Array(String),
	`Links.Attributes` Array(Map(String, String))
) ENGINE = Null;
CREATE MATERIALIZED VIEW IF NOT EXISTS otel_traces_ingest_mv ON CLUSTER `flowslo` TO otel_traces AS SELECT * FROM otel_traces_ingest;

-- migration 4: create ingest staging for otel_logs
CREATE TABLE IF NOT EXISTS otel_logs_ingest ON CLUSTER `flowslo` (
	Timestamp DateTime64(9), TraceId String, SpanId String, TraceFlags UInt8,
	SeverityText String, SeverityNumber UInt8, ServiceName String, Body String,
	ResourceSchemaUrl String, ResourceAttributes Map(String, String), ScopeSchemaUrl String,
	ScopeName String, ScopeVersion String, ScopeAttributes Map(String, String),
	LogAttributes Map(String, String), EventName String
) ENGINE = Null;
CREATE MATERIALIZED VIEW IF NOT EXISTS otel_logs_ingest_mv ON CLUSTER `flowslo` TO otel_logs AS SELECT * FROM otel_logs_ingest;

-- migration 5: record insertion time in otel_traces and otel_logs
ALTER TABLE otel_traces_local ON CLUSTER `flowslo` ADD COLUMN IF NOT EXISTS FlowsloInserted DateTime64(3, 'UTC') MATERIALIZED toDateTime64(0, 3, 'UTC') CODEC(Delta, ZSTD(1));
ALTER TABLE otel_traces_local ON CLUSTER `flowslo` MATERIALIZE COLUMN FlowsloInserted SETTINGS mutations_sync = 2;
ALTER TABLE otel_traces_local ON CLUSTER `flowslo` MODIFY COLUMN FlowsloInserted DateTime64(3, 'UTC') MATERIALIZED now64(3) CODEC(Delta, ZSTD(1));
ALTER TABLE otel_traces_local ON CLUSTER `flowslo` ADD INDEX IF NOT EXISTS idx_flowslo_inserted FlowsloInserted TYPE minmax GRANULARITY 1;
ALTER TABLE otel_traces ON CLUSTER `flowslo` ADD COLUMN IF NOT EXISTS FlowsloInserted DateTime64(3, 'UTC') MATERIALIZED now64(3);
ALTER TABLE otel_logs_local ON CLUSTER `flowslo` ADD COLUMN IF NOT EXISTS FlowsloInserted DateTime64(3, 'UTC') MATERIALIZED toDateTime64(0, 3, 'UTC') CODEC(Delta, ZSTD(1));
ALTER TABLE otel_logs_local ON CLUSTER `flowslo` MATERIALIZE COLUMN FlowsloInserted SETTINGS mutations_sync = 2;
ALTER TABLE otel_logs_local ON CLUSTER `flowslo` MODIFY COLUMN FlowsloInserted DateTime64(3, 'UTC') MATERIALIZED now64(3) CODEC(Delta, ZSTD(1));
ALTER TABLE otel_logs_local ON CLUSTER `flowslo` ADD INDEX IF NOT EXISTS idx_flowslo_inserted FlowsloInserted TYPE minmax GRANULARITY 1;
ALTER TABLE otel_logs ON CLUSTER `flowslo` ADD COLUMN IF NOT EXISTS FlowsloInserted DateTime64(3, 'UTC') MATERIALIZED now64(3);

-- migration 6: usage per day and service: a projection of otel_traces and otel_logs, built for stored parts
ALTER TABLE otel_traces_local ON CLUSTER `flowslo` ADD PROJECTION IF NOT EXISTS flowslo_usage (SELECT toDate(Timestamp), ServiceName, count(), sum(byteSize(`Timestamp`, `TraceId`, `SpanId`, `ParentSpanId`, `TraceState`, `SpanName`, `SpanKind`, `ServiceName`, `ResourceAttributes`, `ScopeName`, `ScopeVersion`, `SpanAttributes`, `Duration`, `StatusCode`, `StatusMessage`, `Events.Timestamp`, `Events.Name`, `Events.Attributes`, `Links.TraceId`, `Links.SpanId`, `Links.TraceState`, `Links.Attributes`)) GROUP BY toDate(Timestamp), ServiceName);
ALTER TABLE otel_traces_local ON CLUSTER `flowslo` MATERIALIZE PROJECTION flowslo_usage;
ALTER TABLE otel_logs_local ON CLUSTER `flowslo` ADD PROJECTION IF NOT EXISTS flowslo_usage (SELECT toDate(TimestampTime), ServiceName, count(), sum(byteSize(`Timestamp`, `TraceId`, `SpanId`, `TraceFlags`, `SeverityText`, `SeverityNumber`, `ServiceName`, `Body`, `ResourceSchemaUrl`, `ResourceAttributes`, `ScopeSchemaUrl`, `ScopeName`, `ScopeVersion`, `ScopeAttributes`, `LogAttributes`, `EventName`)) GROUP BY toDate(TimestampTime), ServiceName);
ALTER TABLE otel_logs_local ON CLUSTER `flowslo` MATERIALIZE PROJECTION flowslo_usage;

-- migration 7: keep insert deduplication tokens in otel_traces and otel_logs

-- migration 102: slo_rollup counted by insertion (replaces 100, 101)
DROP VIEW IF EXISTS slo_rollup_hour_mv ON CLUSTER `flowslo`;
DROP TABLE IF EXISTS slo_rollup_hour ON CLUSTER `flowslo`;
DROP TABLE IF EXISTS slo_rollup ON CLUSTER `flowslo` SYNC;
CREATE TABLE IF NOT EXISTS slo_rollup ON CLUSTER `flowslo` (
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
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/flowslo/{database}/{table}', '{replica}')
ORDER BY (res, slice_key, slo, hash, slice_value, minute)
TTL minute + toIntervalDay(120) WHERE res < 2;
CREATE VIEW IF NOT EXISTS slo_rollup_hour ON CLUSTER `flowslo` AS SELECT slo, hash, slice_key, slice_value, minute AS hour, good, total FROM slo_rollup WHERE res = 1;

-- migration 103: slo_rollup deduplicates a retried write

-- migration 180: create alerting_alerts
CREATE TABLE IF NOT EXISTS alerting_alerts ON CLUSTER `flowslo` (
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
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/flowslo/{database}/{table}', '{replica}', updated_at)
ORDER BY id;

-- migration 181: create alerting_notifications
CREATE TABLE IF NOT EXISTS alerting_notifications ON CLUSTER `flowslo` (
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
) ENGINE = ReplicatedMergeTree('/clickhouse/flowslo/{database}/{table}', '{replica}')
ORDER BY (alert_id, at);

-- migration 182: create alerting_silences
CREATE TABLE IF NOT EXISTS alerting_silences ON CLUSTER `flowslo` (
	id String,
	slo String,
	flow String,
	created_at DateTime64(3, 'UTC'),
	ends_at DateTime64(3, 'UTC'),
	created_by String,
	comment String,
	expired_at DateTime64(3, 'UTC'),
	updated_at DateTime64(6, 'UTC')
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/flowslo/{database}/{table}', '{replica}', updated_at)
ORDER BY id;

-- migration 183: create alerting_outbox
CREATE TABLE IF NOT EXISTS alerting_outbox ON CLUSTER `flowslo` (
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
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/flowslo/{database}/{table}', '{replica}', updated_at)
ORDER BY id;

-- migration 184: alerting_notifications: receiver
ALTER TABLE alerting_notifications ON CLUSTER `flowslo` ADD COLUMN IF NOT EXISTS receiver String AFTER kind;

-- migration 185: alerting retention
ALTER TABLE alerting_alerts ON CLUSTER `flowslo` MODIFY TTL toDateTime(started_at) + INTERVAL 90 DAY;
ALTER TABLE alerting_notifications ON CLUSTER `flowslo` MODIFY TTL toDateTime(at) + INTERVAL 90 DAY;
ALTER TABLE alerting_silences ON CLUSTER `flowslo` MODIFY TTL toDateTime(ends_at) + INTERVAL 90 DAY;
ALTER TABLE alerting_outbox ON CLUSTER `flowslo` MODIFY TTL toDateTime(created_at) + INTERVAL 90 DAY;

-- migration 200: create flowslo_lease
CREATE TABLE IF NOT EXISTS flowslo_lease ON CLUSTER `flowslo` (
	name LowCardinality(String),
	epoch UInt64,
	holder String,
	seq UInt64,
	expires_at DateTime64(3, 'UTC'),
	written_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplicatedMergeTree('/clickhouse/flowslo/{database}/{table}', '{replica}')
ORDER BY (name, epoch, seq)
TTL toDateTime(written_at) + INTERVAL 1 DAY WHERE seq > 0
SETTINGS replicated_deduplication_window = 10000, replicated_deduplication_window_seconds = 604800;
