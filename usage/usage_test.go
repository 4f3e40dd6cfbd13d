package usage_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb/chdbtest"
	"github.com/flowslo/flowslo/store/storetest"
	"github.com/flowslo/flowslo/usage"
)

func TestMain(m *testing.M) { chdbtest.Main(m) }

const sloFile = `slos:
  - name: auth-success
    flow: login
    objective: 99.5
    window: 28d
    indicator:
      source: traces
      total: 'service.name == "auth"'
      bad: 'status.code == "Error"'
  - name: push-delivery
    flow: push
    objective: 99
    window: 28d
    indicator:
      source: traces
      total: 'service.name == "push" || service.name == "other-writer"'
      bad: 'status.code == "Error"'
  - name: feed-owned
    flow: feed
    service: feed
    objective: 99
    window: 28d
    indicator:
      source: logs
      total: 'body == "never matches"'
      bad: 'severity.text == "ERROR"'
`

// TestReportMatchesSystemParts: the report's counts and sizes against the
// same facts computed independently: sizes summed from system.parts per
// table and per partition, counts with count() per service and per day.
// Rows come from before the usage projection existed (a database from an
// older flowslo, migrated afterwards), from after it, and from a plain
// INSERT as another writer (the upstream clickhouseexporter) would send.
func TestReportMatchesSystemParts(t *testing.T) {
	st := chdbtest.Open(t)
	ctx := context.Background()
	now := time.Now().UTC()
	unmigrate(t, st)
	// Spans today and 10 days ago, logs today, before the migration.
	for i, age := range []int{0, 10} {
		day := now.Truncate(24*time.Hour).AddDate(0, 0, -age).Add(time.Hour)
		if err := st.InsertSpans(ctx, storetest.Spans(3000+1000*i, day, i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.InsertLogs(ctx, storetest.Logs(1500, now.Add(-time.Hour), 9)); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx, st, store.MigrateOptions{EngineCodecs: true}, chdbtest.Schema()); err != nil {
		t.Fatal(err)
	}
	waitMutations(t, st) // the projection is built for old parts in the background
	// After it: spans 20 days ago, and rows of another writer today.
	if err := st.InsertSpans(ctx, storetest.Spans(5000, now.Truncate(24*time.Hour).AddDate(0, 0, -20).Add(time.Hour), 2)); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"INSERT INTO otel_traces (Timestamp, TraceId, SpanId, SpanName, ServiceName, Duration, StatusCode) SELECT now64(9) - INTERVAL number SECOND, hex(number), hex(number), 'batch', 'other-writer', 1000, 'Ok' FROM numbers(50)",
		"INSERT INTO otel_logs (Timestamp, ServiceName, SeverityText, Body) SELECT now64(9) - INTERVAL number SECOND, 'other-writer', 'INFO', 'line' FROM numbers(20)",
	} {
		if err := st.Exec(ctx, q, nil); err != nil {
			t.Fatal(err)
		}
	}
	// The counts come from the projection, built for the old parts too.
	for _, table := range []string{"otel_traces", "otel_logs"} {
		parts := one(t, st, "SELECT count() FROM system.parts WHERE database = currentDatabase() AND active AND table = '"+table+"'")
		proj := one(t, st, "SELECT count() FROM system.projection_parts WHERE database = currentDatabase() AND active AND table = '"+table+"' AND name = '"+store.UsageProjection+"'")
		if parts == 0 || proj != parts {
			t.Errorf("%s: %d of %d parts have the usage projection", table, proj, parts)
		}
		plan := strings.Join(column(t, st, "EXPLAIN "+usage.CountQuery(table)), "\n")
		if !strings.Contains(plan, "ReadFromMergeTree ("+store.UsageProjection+")") {
			t.Errorf("%s: the count query does not read the projection:\n%s", table, plan)
		}
	}
	slos, err := slo.Parse("usage.yaml", []byte(sloFile))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := usage.New(st, usage.Options{RetentionDays: 30, SLOs: func() []*slo.SLO { return slos }}).Report(ctx)
	if err != nil {
		t.Fatal(err)
	}

	if want := one(t, st, "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = currentDatabase() AND active AND table IN ('otel_traces', 'otel_logs')"); rep.TotalBytes != want {
		t.Errorf("total_bytes %d, system.parts says %d", rep.TotalBytes, want)
	}
	if want := one(t, st, "SELECT sum(data_uncompressed_bytes) FROM system.parts WHERE database = currentDatabase() AND active AND table IN ('otel_traces', 'otel_logs')"); rep.TotalRawBytes != want {
		t.Errorf("total_raw_bytes %d, system.parts says %d", rep.TotalRawBytes, want)
	}
	var sumBytes, sumRaw uint64
	for _, s := range rep.Services {
		sumBytes, sumRaw = sumBytes+s.Bytes, sumRaw+s.RawBytes
		p := store.Params{"s": s.Service}
		if want := oneP(t, st, "SELECT count() FROM otel_traces WHERE ServiceName = {s:String}", p); s.Spans != want {
			t.Errorf("%s: %d spans, count() says %d", s.Service, s.Spans, want)
		}
		if want := oneP(t, st, "SELECT count() FROM otel_logs WHERE ServiceName = {s:String}", p); s.Logs != want {
			t.Errorf("%s: %d logs, count() says %d", s.Service, s.Logs, want)
		}
		var daySpans uint64
		for _, d := range s.Days {
			daySpans += d.Spans
			if want := oneP(t, st, "SELECT count() FROM otel_traces WHERE ServiceName = {s:String} AND toDate(Timestamp) = {d:Date}", store.Params{"s": s.Service, "d": d.Day}); d.Spans != want {
				t.Errorf("%s on %s: %d spans, count() says %d", s.Service, d.Day, d.Spans, want)
			}
		}
		if daySpans != s.Spans {
			t.Errorf("%s: days add up to %d spans, not %d", s.Service, daySpans, s.Spans)
		}
	}
	if sumBytes != rep.TotalBytes || sumRaw != rep.TotalRawBytes {
		t.Errorf("services add up to %d/%d bytes, totals are %d/%d", sumBytes, sumRaw, rep.TotalBytes, rep.TotalRawBytes)
	}
	if rep.TotalSpans != 12050 || rep.TotalLogs != 1520 || len(rep.Days) != 3 {
		t.Errorf("totals %d spans %d logs over %d days, want 12050, 1520, 3", rep.TotalSpans, rep.TotalLogs, len(rep.Days))
	}

	// A 7-day retention keeps today's partitions only: what system.parts
	// holds for today is what it keeps.
	today := now.Format("20060102")
	keptToday := one(t, st, "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = currentDatabase() AND active AND table IN ('otel_traces', 'otel_logs') AND partition_id = '"+today+"'")
	for _, c := range rep.Retention.Options {
		if c.Days == 7 && (c.Bytes != keptToday || c.SavesBytes != int64(rep.TotalBytes-keptToday)) {
			t.Errorf("7 days keeps %d saves %d, want %d and %d", c.Bytes, c.SavesBytes, keptToday, rep.TotalBytes-keptToday)
		}
	}
	if rep.Retention.KeptBytes != rep.TotalBytes || rep.Retention.TracesDays != 30 {
		t.Errorf("retention %+v", rep.Retention)
	}

	readers := map[string][]string{}
	for _, s := range rep.Services {
		readers[s.Service] = s.ReadBySLOs
	}
	if r := readers["auth"]; len(r) != 1 || r[0] != "auth-success" {
		t.Errorf("auth read by %v, want [auth-success] (its filter matches)", r)
	}
	for _, svc := range []string{"push", "other-writer"} {
		if r := readers[svc]; len(r) != 1 || r[0] != "push-delivery" {
			t.Errorf("%s read by %v, want [push-delivery] (its filter matches)", svc, r)
		}
	}
	if r := readers["checkout"]; len(r) != 0 {
		t.Errorf("checkout read by %v, want none", r)
	}
	if r := readers["feed"]; len(r) != 1 || r[0] != "feed-owned" {
		t.Errorf("feed read by %v, want [feed-owned] (its service field)", r)
	}
	for _, c := range rep.SamplingCandidates {
		if len(readers[c.Service]) > 0 || c.Share < usage.MinCandidateShare {
			t.Errorf("candidate %+v is read by %v", c, readers[c.Service])
		}
	}
	if len(rep.SamplingCandidates) == 0 {
		t.Error("no sampling candidates, though most services are read by no SLO")
	}

	// Rows deleted by a mutation leave the counts with their parts.
	if err := st.Exec(ctx, "ALTER TABLE otel_traces DELETE WHERE ServiceName = 'other-writer' SETTINGS mutations_sync = 2", nil); err != nil {
		t.Fatal(err)
	}
	rep, err = usage.New(st, usage.Options{RetentionDays: 30}).Report(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.TotalSpans != 12000 || rep.TotalLogs != 1520 {
		t.Errorf("after deleting other-writer's spans: %d spans %d logs, want 12000 and 1520", rep.TotalSpans, rep.TotalLogs)
	}
}

// unmigrate turns st back into a database of a flowslo from before the
// usage projection: no projection, and migration 6 not recorded.
func unmigrate(t *testing.T, st store.Store) {
	t.Helper()
	for _, q := range []string{
		"ALTER TABLE otel_traces DROP PROJECTION " + store.UsageProjection,
		"ALTER TABLE otel_logs DROP PROJECTION " + store.UsageProjection,
		"ALTER TABLE schema_migrations DELETE WHERE version = 6 SETTINGS mutations_sync = 2",
	} {
		if err := st.Exec(context.Background(), q, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// waitMutations waits for the mutations of st's database to finish.
func waitMutations(t *testing.T, st store.Store) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if one(t, st, "SELECT count() FROM system.mutations WHERE database = currentDatabase() AND NOT is_done") == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("mutations still running after 30s")
		}
	}
}

func column(t *testing.T, st store.Store, q string) []string {
	t.Helper()
	rows, err := st.Query(context.Background(), q, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func one(t *testing.T, st store.Store, q string) uint64 { return oneP(t, st, q, nil) }

func oneP(t *testing.T, st store.Store, q string, p store.Params) uint64 {
	t.Helper()
	rows, err := st.Query(context.Background(), q, p)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var n uint64
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// TestSignalRetention: traces kept 30 days, logs 7. Each signal's part of
// the report prices its own table's partitions from system.parts, and the
// options for both together are their sums.
func TestSignalRetention(t *testing.T) {
	st := chdbtest.Open(t)
	ctx := context.Background()
	now := time.Now().UTC()
	at := func(age int) time.Time { return now.Truncate(24*time.Hour).AddDate(0, 0, -age).Add(time.Hour) }
	for _, age := range []int{0, 10} {
		if err := st.InsertSpans(ctx, storetest.Spans(2000, at(age), age)); err != nil {
			t.Fatal(err)
		}
	}
	for _, age := range []int{0, 3} {
		if err := st.InsertLogs(ctx, storetest.Logs(1000, at(age), age)); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := usage.New(st, usage.Options{RetentionDays: 30, LogsRetentionDays: 7}).Report(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ret := rep.Retention
	if ret.TracesDays != 30 || ret.LogsDays != 7 || ret.Traces.Days != 30 || ret.Logs.Days != 7 {
		t.Fatalf("retention days %+v, want traces 30 and logs 7", ret)
	}
	bytes := func(table, where string) uint64 {
		return one(t, st, "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = currentDatabase() AND active AND table = '"+table+"'"+where)
	}
	today := " AND partition_id = '" + now.Format("20060102") + "'"
	traces, logs := bytes("otel_traces", ""), bytes("otel_logs", "")
	tracesToday := bytes("otel_traces", today)
	if ret.Traces.KeptBytes != traces || ret.Logs.KeptBytes != logs || ret.KeptBytes != traces+logs {
		t.Errorf("kept: traces %d logs %d all %d; system.parts says %d, %d", ret.Traces.KeptBytes, ret.Logs.KeptBytes, ret.KeptBytes, traces, logs)
	}
	check := func(name string, got usage.Change, keeps, kept uint64) {
		t.Helper()
		if got.Bytes != keeps || got.SavesBytes != int64(kept)-int64(keeps) {
			t.Errorf("%s for %d days: keeps %d saves %d, want %d and %d", name, got.Days, got.Bytes, got.SavesBytes, keeps, int64(kept)-int64(keeps))
		}
	}
	seen := map[string]bool{}
	for _, c := range ret.Logs.Options {
		switch c.Days {
		case 7: // the configured one: both days of logs
			check("logs", c, logs, logs)
			seen["logs 7"] = true
		case 14: // 7 more days of the mean day (two days with data)
			check("logs", c, logs+7*(logs/2), logs)
			seen["logs 14"] = true
		}
	}
	for _, c := range ret.Traces.Options {
		if c.Days == 7 { // today's spans only
			check("traces", c, tracesToday, traces)
			seen["traces 7"] = true
		}
	}
	for _, c := range ret.Options {
		if c.Days == 7 {
			check("both", c, tracesToday+logs, traces+logs)
			seen["both 7"] = true
		}
	}
	if len(seen) != 4 {
		t.Errorf("options priced: %v, want logs 7 and 14, traces 7, both 7", seen)
	}
}
