package chdb_test

import (
	"context"
	"testing"
	"time"

	"github.com/flowslo/flowslo/store/chdb"
	"github.com/flowslo/flowslo/store/storetest"
)

// TestPartCodecBySize guards the engine's compression config: inserted
// (small) parts of otel_traces are LZ4, and a merge making a part of 16 MiB
// or more compresses it with ZSTD(1), the contrib exporter's codec.
func TestPartCodecBySize(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, chdb.Options{})
	defer s.Close()
	if err := s.InsertSpans(ctx, storetest.Spans(1000, time.Now().Add(-time.Minute), 1)); err != nil {
		t.Fatal(err)
	}
	if got := partCodecs(t, s, "otel_traces"); got != "LZ4" {
		t.Errorf("fresh otel_traces part codec %q, want LZ4", got)
	}
	// Random strings do not compress: two 12 MB parts merge into one > 16 MiB.
	for _, q := range []string{
		"CREATE TABLE big (k UInt64, s String) ENGINE = MergeTree ORDER BY k",
		"INSERT INTO big SELECT number, randomString(24) FROM numbers(500000)",
		"INSERT INTO big SELECT number, randomString(24) FROM numbers(500000)",
		"OPTIMIZE TABLE big FINAL",
	} {
		if err := s.Exec(ctx, q, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := partCodecs(t, s, "big"); got != "ZSTD(1)" {
		t.Errorf("merged 24 MB part codec %q, want ZSTD(1)", got)
	}
}

func partCodecs(t *testing.T, s *chdb.Store, table string) string {
	t.Helper()
	rows, err := s.Query(context.Background(), "SELECT arrayStringConcat(groupUniqArray(default_compression_codec), ',') FROM system.parts "+
		"WHERE database = currentDatabase() AND table = {t:String} AND active", map[string]string{"t": table})
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var c string
	for rows.Next() {
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
	}
	return c
}
