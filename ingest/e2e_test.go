package ingest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/flowslo/flowslo/store"
)

// TestEndToEndExactlyOnce sends spans and logs concurrently over gRPC and
// HTTP with the OTel SDK exporters and checks that every acknowledged item
// is stored exactly once, and that the acknowledgement came after the insert.
func TestEndToEndExactlyOnce(t *testing.T) {
	t.Run("chdb", func(t *testing.T) {
		st := openCHDB(t)
		exactlyOnce(t, st,
			func() map[string]int { return countRows(t, st, "otel_traces", "SpanId") },
			func() map[string]int { return countRows(t, st, "otel_logs", "Body") })
	})
	t.Run("fake", func(t *testing.T) {
		rec := &recorder{}
		exactlyOnce(t, rec.store(), rec.spanCounts, rec.logCounts)
		checkStoredRow(t, rec)
	})
}

func exactlyOnce(t *testing.T, st store.Store, spanCounts, logCounts func() map[string]int) {
	p := startPipeline(t, st, nil)
	ex := newExporters(t, p)

	const batches, perBatch = 16, 500
	var mu sync.Mutex
	ackedSpans, ackedLogs := map[string]bool{}, map[string]bool{}
	var wg sync.WaitGroup
	for b := range batches {
		wg.Go(func() {
			spans := makeSpans(b, perBatch)
			exp := ex.traceGRPC
			if b%2 == 1 {
				exp = ex.traceHTTP
			}
			if err := exp.ExportSpans(context.Background(), spans); err != nil {
				t.Errorf("export spans batch %d: %v", b, err)
				return
			}
			// Acknowledged: the rows must already be in the store.
			stored := spanCounts()
			mu.Lock()
			defer mu.Unlock()
			for _, s := range spans {
				if stored[spanIDOf(s)] != 1 {
					t.Errorf("span %s acknowledged but stored %d times", spanIDOf(s), stored[spanIDOf(s)])
					return
				}
				ackedSpans[spanIDOf(s)] = true
			}
		})
		wg.Go(func() {
			logs := makeLogs(b, perBatch)
			exp := ex.logGRPC
			if b%2 == 1 {
				exp = ex.logHTTP
			}
			if err := exp.Export(context.Background(), logs); err != nil {
				t.Errorf("export logs batch %d: %v", b, err)
				return
			}
			stored := logCounts()
			mu.Lock()
			defer mu.Unlock()
			for i := range logs {
				body := fmt.Sprintf("log-%d-%d", b, i)
				if stored[body] != 1 {
					t.Errorf("log %s acknowledged but stored %d times", body, stored[body])
					return
				}
				ackedLogs[body] = true
			}
		})
	}
	wg.Wait()
	if len(ackedSpans) != batches*perBatch || len(ackedLogs) != batches*perBatch {
		t.Fatalf("acknowledged %d spans and %d logs, want %d each", len(ackedSpans), len(ackedLogs), batches*perBatch)
	}
	for id, n := range spanCounts() {
		if n != 1 {
			t.Errorf("span %s stored %d times", id, n)
		}
	}
	if n := len(logCounts()); n != batches*perBatch {
		t.Errorf("%d distinct logs stored, want %d", n, batches*perBatch)
	}
}

// checkStoredRow spot-checks that SDK data arrives with the columns filled.
func checkStoredRow(t *testing.T, rec *recorder) {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	s := rec.spans[0]
	if s.ServiceName != "feed" || s.SpanKind != "Server" || s.SpanAttributes["http.route"] != "/feed" || len(s.TraceID) != 32 {
		t.Errorf("stored span %+v", s)
	}
	l := rec.logs[0]
	if l.ServiceName != "feed" || l.SeverityText != "" && l.SeverityNumber != 9 || l.LogAttributes["seq"] == "" {
		t.Errorf("stored log %+v", l)
	}
}
