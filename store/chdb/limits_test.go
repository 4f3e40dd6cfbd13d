package chdb_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb"
)

// spansOnDays makes one span per day, ending today.
func spansOnDays(days int) []store.Span {
	now := time.Now().UTC()
	out := make([]store.Span, days)
	for i := range out {
		out[i] = store.Span{Timestamp: now.Add(-time.Duration(i) * 24 * time.Hour), TraceID: "t", SpanID: "s", SpanName: "x"}
	}
	return out
}

// TestInsertManyDays: a block over 150 day partitions is stored when the
// retention covers them, and refused as bad data (not transient) when the
// partition limit refuses it.
func TestInsertManyDays(t *testing.T) {
	ctx := context.Background()
	long := openTest(t, chdb.Options{TTLDays: 180})
	defer long.Close()
	if err := long.InsertSpans(ctx, spansOnDays(150)); err != nil {
		t.Fatalf("150 days within a 180-day retention: %v", err)
	}

	short := openTest(t, chdb.Options{TTLDays: 30})
	defer short.Close()
	err := short.InsertSpans(ctx, spansOnDays(150))
	if err == nil {
		t.Fatal("150 partitions in one block accepted with a 30-day retention; want the partition limit")
	}
	if k := store.KindOf(err); k != store.BadData {
		t.Errorf("kind %v for %v, want bad data", k, err)
	}
}

// TestInsertTimeout: an insert that would run for a minute (a materialized
// view sleeping a second per row) returns when its context ends, and the
// connection keeps working.
func TestInsertTimeout(t *testing.T) {
	s := openTest(t, chdb.Options{})
	defer s.Close()
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TABLE slow_sink (x UInt64) ENGINE = Null",
		"CREATE MATERIALIZED VIEW slow_mv TO slow_sink AS SELECT sleepEachRow(1) + 0 AS x FROM " + store.SpansIngestTable +
			" SETTINGS function_sleep_max_microseconds_per_block = 100000000",
	} {
		if err := s.Exec(ctx, q, nil); err != nil {
			t.Fatal(err)
		}
	}
	tctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	err := s.InsertSpans(tctx, spansOnDays(60))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow insert returned %v, want the deadline", err)
	}
	if err := s.Exec(ctx, "DROP VIEW slow_mv", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertSpans(ctx, spansOnDays(1)); err != nil {
		t.Fatalf("insert after a cancelled one: %v", err)
	}
}

// TestMemoryInUse: the engine reports the memory it holds, which ingest's
// memory guard adds to the Go heap.
func TestMemoryInUse(t *testing.T) {
	s := openTest(t, chdb.Options{})
	defer s.Close()
	n, err := s.MemoryInUse(context.Background())
	if err != nil || n == 0 || n > 64<<30 {
		t.Fatalf("MemoryInUse = %d, %v", n, err)
	}
}
