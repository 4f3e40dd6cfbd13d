package chdb_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb"
	"github.com/flowslo/flowslo/store/storetest"
)

// BenchmarkInsertCost asks what a large insert (30,000 spans, about what
// the queue merges into one group) costs in CPU per span, and which part
// of otel_traces' definition that goes to: the same RowBinary rows into
// copies of the staging table and of otel_traces without each suspect,
// merges stopped so that only the insert is counted. cpu-us/span is the
// whole process's CPU (Go and ClickHouse's threads).
//
//	go test ./store/chdb -run '^$' -bench InsertCost -benchtime 20x -count 3
func BenchmarkInsertCost(b *testing.B) {
	const batch = 30_000
	s := openTest(b, chdb.Options{})
	defer s.Close()
	ctx := context.Background()
	spans := storetest.Spans(batch, time.Now().Add(-time.Hour), 1)
	var rows []byte
	for i := range spans {
		rows = s.AppendSpanRow(rows, &spans[i])
	}
	exec := func(q string) {
		if err := s.Exec(ctx, q, nil); err != nil {
			b.Fatal(q, ": ", err)
		}
	}
	// variant makes name (a copy of otel_traces, altered) fed by name_ingest
	// (a copy of the staging table) through a view, as migrated.
	variant := func(name string, alters ...string) string {
		exec("CREATE TABLE IF NOT EXISTS " + name + " AS otel_traces")
		for _, a := range alters {
			exec("ALTER TABLE " + name + " " + a)
		}
		exec("SYSTEM STOP MERGES " + name)
		exec("CREATE TABLE IF NOT EXISTS " + name + "_ingest AS " + store.SpansIngestTable)
		exec("CREATE MATERIALIZED VIEW IF NOT EXISTS " + name + "_mv TO " + name + " AS SELECT * FROM " + name + "_ingest")
		return name + "_ingest"
	}
	const cols = " (Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName, ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration, StatusCode, StatusMessage, `Events.Timestamp`, `Events.Name`, `Events.Attributes`, `Links.TraceId`, `Links.SpanId`, `Links.TraceState`, `Links.Attributes`)"
	exec("CREATE TABLE IF NOT EXISTS plain_null AS " + store.SpansIngestTable)
	exec("CREATE TABLE IF NOT EXISTS plain_mt AS " + store.SpansIngestTable + " ENGINE = MergeTree ORDER BY tuple()")
	exec("SYSTEM STOP MERGES plain_mt")
	// The same rows as the engine writes them in Native (columns, not
	// rows), in blocks of 512 rows as one SDK export each.
	if err := s.InsertRaw(ctx, "INSERT INTO plain_mt"+cols, "RowBinary", rows); err != nil {
		b.Fatal(err)
	}
	native, err := s.QueryRaw(ctx, "SELECT * FROM plain_mt SETTINGS max_block_size = 512", "Native")
	if err != nil {
		b.Fatal(err)
	}
	exec("TRUNCATE TABLE plain_mt")
	b.Logf("RowBinary %d bytes, Native %d bytes", len(rows), len(native))
	variants := []struct{ name, query string }{
		{"as-is", "INSERT INTO " + variant("c_asis") + cols},
		{"no-projection", "INSERT INTO " + variant("c_noproj", "DROP PROJECTION "+store.UsageProjection) + cols},
		{"no-inserted-column", "INSERT INTO " + variant("c_noins", "DROP PROJECTION "+store.UsageProjection, "DROP INDEX idx_flowslo_inserted", "DROP COLUMN FlowsloInserted") + cols},
		{"wide-parts", "INSERT INTO " + variant("c_wide", "MODIFY SETTING min_rows_for_wide_part = 0") + cols},
		{"one-thread", "INSERT INTO " + variant("c_thread") + cols + " SETTINGS max_threads = 1, max_insert_threads = 1"},
		{"parse-only (Null table)", "INSERT INTO plain_null" + cols},
		{"plain MergeTree, no sort key", "INSERT INTO plain_mt" + cols},
	}
	natives := []struct{ name, query string }{
		{"native/as-is", "INSERT INTO c_asis_ingest"},
		{"native/parse-only (Null table)", "INSERT INTO plain_null"},
	}
	for _, v := range natives {
		b.Run(v.name, func(b *testing.B) {
			cpu0 := rusageCPU()
			start := time.Now()
			for range b.N {
				if err := s.InsertRaw(ctx, v.query, "Native", native); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "spans/s")
			b.ReportMetric(float64((rusageCPU()-cpu0).Nanoseconds())/1e3/float64(b.N*batch), "cpu-us/span")
		})
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			cpu0 := rusageCPU()
			start := time.Now()
			for range b.N {
				if err := s.InsertRaw(ctx, v.query, "RowBinary", rows); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "spans/s")
			b.ReportMetric(float64((rusageCPU()-cpu0).Nanoseconds())/1e3/float64(b.N*batch), "cpu-us/span")
		})
	}
}

func rusageCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
