package chdb_test

import (
	"context"
	"testing"

	"github.com/flowslo/flowslo/store/chdb"
)

// BenchmarkInsertVariants asks where the ~8 ms of a small insert into
// otel_traces go: the same 512-row INSERT … SELECT into copies of the
// table without each suspect (skip indexes, TTL, the deduplication
// window, sparse serialization, compressed marks, packed parts) and with
// query settings that might trim per-query work, merges stopped so only
// the insert is timed. A one-column MergeTree and an insert of no rows are the
// floor of a part and of a query.
//
//	go test ./store/chdb -run '^$' -bench InsertVariants -benchtime 40x -count 3
func BenchmarkInsertVariants(b *testing.B) {
	s := openTest(b, chdb.Options{})
	defer s.Close()
	ctx := context.Background()
	mk := func(name string, alters ...string) string {
		if err := s.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+name+" AS otel_traces", nil); err != nil {
			b.Fatal(err)
		}
		for _, a := range alters {
			if err := s.Exec(ctx, "ALTER TABLE "+name+" "+a, nil); err != nil {
				b.Fatal(a, err)
			}
		}
		if err := s.Exec(ctx, "SYSTEM STOP MERGES "+name, nil); err != nil {
			b.Fatal(err)
		}
		return name
	}
	var noIdx []string
	for _, idx := range []string{"idx_trace_id", "idx_res_attr_key", "idx_res_attr_value", "idx_span_attr_key",
		"idx_span_attr_value", "idx_duration", "idx_flowslo_inserted"} {
		noIdx = append(noIdx, "DROP INDEX "+idx)
	}
	const cols = " (Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName, ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration, StatusCode, StatusMessage, `Events.Timestamp`, `Events.Name`, `Events.Attributes`, `Links.TraceId`, `Links.SpanId`, `Links.TraceState`, `Links.Attributes`)"
	const rows = " SELECT now64(9), hex(number), hex(number), '', '', 'GET /feed', 'Server', 'feed', map('host.name','x'), 'otelhttp', '1', map('http.route','/feed','k2','v2'), number, 'Ok', '', [], [], [], [], [], [], [] FROM numbers(512)"
	const skip = " SETTINGS materialize_skip_indexes_on_insert = 0" // as the insert connections
	variants := []struct{ name, query string }{
		{"as-is", "INSERT INTO " + mk("v_asis") + cols + skip + rows},
		{"no-skip-indexes", "INSERT INTO " + mk("v_noidx", noIdx...) + cols + skip + rows},
		{"no-ttl", "INSERT INTO " + mk("v_nottl", "REMOVE TTL") + cols + skip + rows},
		{"dedup-window-0", "INSERT INTO " + mk("v_w0", "MODIFY SETTING non_replicated_deduplication_window = 0") + cols + skip + rows},
		{"no-sparse", "INSERT INTO " + mk("v_nosparse", "MODIFY SETTING ratio_of_defaults_for_sparse_serialization = 1") + cols + skip + rows},
		{"uncompressed-marks", "INSERT INTO " + mk("v_marks", "MODIFY SETTING compress_marks = 0, compress_primary_key = 0") + cols + skip + rows},
		{"packed-parts", "INSERT INTO " + mk("v_packed", "MODIFY SETTING min_bytes_for_full_part_storage = 16777216") + cols + skip + rows},
		{"one-thread", "INSERT INTO " + mk("v_threads") + cols + skip + ", max_threads = 1, max_insert_threads = 1" + rows},
		{"no-insert-dedup", "INSERT INTO " + mk("v_nodedup") + cols + skip + ", insert_deduplicate = 0" + rows},
		{"none-of-them", "INSERT INTO " + mk("v_bare", append(noIdx, "REMOVE TTL", "MODIFY SETTING non_replicated_deduplication_window = 0")...) + cols + skip + rows},
		{"one-column-mergetree", "INSERT INTO v_one SELECT number FROM numbers(512)"},
		{"empty-insert", "INSERT INTO otel_traces_ingest" + cols + rows[:len(rows)-len(" FROM numbers(512)")] + " FROM numbers(512) WHERE 0"},
	}
	if err := s.Exec(ctx, "CREATE TABLE IF NOT EXISTS v_one (x UInt64) ENGINE = MergeTree ORDER BY x", nil); err != nil {
		b.Fatal(err)
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			for range b.N {
				if err := s.Exec(ctx, v.query, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
