package ingest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/flowslo/flowslo/store"
)

// storeExporter converts batches to rows and inserts them. exporterhelper
// wraps its push functions with the queue, batching, timeout and retries.
type storeExporter struct {
	store   store.Store
	timeout time.Duration
	m       *metrics
	spans   sync.Pool // *[]store.Span, reused across batches
	logs    sync.Pool // *[]store.LogRecord
}

func newStoreExporter(s store.Store, timeout time.Duration, m *metrics) *storeExporter {
	return &storeExporter{store: s, timeout: timeout, m: m}
}

func (e *storeExporter) pushTraces(ctx context.Context, td ptrace.Traces) error {
	buf := e.spanBuf(td.SpanCount())
	defer e.spans.Put(buf)
	rows := spansToRows((*buf)[:0], td)
	err := e.insert(ctx, "traces", len(rows), func(ctx context.Context) error {
		return e.store.InsertSpans(ctx, rows)
	})
	clear(rows) // drop references so pooled buffers do not pin old batches
	*buf = rows[:0]
	return err
}

func (e *storeExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	buf := e.logBuf(ld.LogRecordCount())
	defer e.logs.Put(buf)
	rows := logsToRows((*buf)[:0], ld)
	err := e.insert(ctx, "logs", len(rows), func(ctx context.Context) error {
		return e.store.InsertLogs(ctx, rows)
	})
	clear(rows)
	*buf = rows[:0]
	return err
}

// insert runs one attempt with its own deadline, detached from the caller's
// cancellation: a batch merges many clients' requests, and one client
// hanging up must not fail the insert for all the others.
func (e *storeExporter) insert(ctx context.Context, signal string, n int, do func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.timeout)
	defer cancel()
	start := time.Now()
	err := do(ctx)
	result := "ok"
	if err != nil {
		result = "error"
	}
	e.m.insertDur.WithLabelValues(signal, result).Observe(time.Since(start).Seconds())
	if err != nil {
		return fmt.Errorf("insert %d %s: %w", n, signal, err)
	}
	e.m.stored.WithLabelValues(signal).Add(float64(n))
	return nil
}

func (e *storeExporter) spanBuf(n int) *[]store.Span {
	if b, ok := e.spans.Get().(*[]store.Span); ok && cap(*b) >= n {
		return b
	}
	b := make([]store.Span, 0, n)
	return &b
}

func (e *storeExporter) logBuf(n int) *[]store.LogRecord {
	if b, ok := e.logs.Get().(*[]store.LogRecord); ok && cap(*b) >= n {
		return b
	}
	b := make([]store.LogRecord, 0, n)
	return &b
}
