package chdb

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/flowslo/flowslo/store"
)

// Inserts are sent as RowBinary through chDB's streaming insert, the rows
// apart from the SQL text, into the staging tables (see store.SpansIngestTable);
// BenchmarkInsertSpans compares it with JSONEachRow.

var (
	spansInsert = "INSERT INTO " + store.SpansIngestTable + " (" + quoteCols(store.SpanColumns) + ")"
	logsInsert  = "INSERT INTO " + store.LogsIngestTable + " (" + quoteCols(store.LogColumns) + ")"
)

func quoteCols(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = "`" + c + "`"
	}
	return strings.Join(q, ", ")
}

// bufs recycles insert payloads; a 50k-span batch is tens of MB.
var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 1<<20); return &b }}

// InsertSpans writes spans to otel_traces in one INSERT on the insert connection.
func (s *Store) InsertSpans(ctx context.Context, spans []store.Span) error {
	return s.InsertSpansOnce(ctx, "", spans)
}

// InsertLogs writes log records to otel_logs in one INSERT.
func (s *Store) InsertLogs(ctx context.Context, logs []store.LogRecord) error {
	return s.InsertLogsOnce(ctx, "", logs)
}

var _ store.TokenInserter = (*Store)(nil)

// InsertSpansOnce is InsertSpans with an insert_deduplication_token (none
// when token is empty): see store.TokenInserter.
func (s *Store) InsertSpansOnce(ctx context.Context, token string, spans []store.Span) error {
	if len(spans) == 0 {
		return nil
	}
	bp := bufs.Get().(*[]byte)
	b := appendSpan((*bp)[:0], &spans[0])
	// Size the buffer once from the first row instead of doubling it
	// through the batch (each doubling clears and copies everything so far).
	b = slices.Grow(b, len(b)*len(spans)*5/4)
	for i := 1; i < len(spans); i++ {
		b = appendSpan(b, &spans[i])
	}
	err := s.insert(ctx, s.spanInserts, spansInsert, token, b)
	*bp = b
	bufs.Put(bp)
	return err
}

// InsertLogsOnce is InsertLogs with a deduplication token.
func (s *Store) InsertLogsOnce(ctx context.Context, token string, logs []store.LogRecord) error {
	if len(logs) == 0 {
		return nil
	}
	bp := bufs.Get().(*[]byte)
	b := (*bp)[:0]
	for i := range logs {
		b = appendLog(b, &logs[i])
	}
	err := s.insert(ctx, s.logInserts, logsInsert, token, b)
	*bp = b
	bufs.Put(bp)
	return err
}

// RowsFormat names the encoding AppendSpanRow and AppendLogRow write:
// RowBinary of store.SpanColumns and store.LogColumns. Change it whenever
// those columns or their encoding change, so rows encoded by an older
// flowslo (in a persistent queue) are never inserted as if they were new.
const RowsFormat = 1

// AppendSpanRow appends one span as the RowBinary row InsertSpanRowsOnce
// takes.
func (s *Store) AppendSpanRow(b []byte, span *store.Span) []byte { return appendSpan(b, span) }

// AppendLogRow appends one log record as the RowBinary row
// InsertLogRowsOnce takes.
func (s *Store) AppendLogRow(b []byte, l *store.LogRecord) []byte { return appendLog(b, l) }

// RowsFormat is the package's RowsFormat, for callers that hold a Store.
func (s *Store) RowsFormat() byte { return RowsFormat }

// InsertSpanRowsOnce stores rows made by AppendSpanRow, as InsertSpansOnce
// does with the same rows as structs.
func (s *Store) InsertSpanRowsOnce(ctx context.Context, token string, rows []byte) error {
	if len(rows) == 0 {
		return nil
	}
	return s.insert(ctx, s.spanInserts, spansInsert, token, rows)
}

// InsertLogRowsOnce stores rows made by AppendLogRow.
func (s *Store) InsertLogRowsOnce(ctx context.Context, token string, rows []byte) error {
	if len(rows) == 0 {
		return nil
	}
	return s.insert(ctx, s.logInserts, logsInsert, token, rows)
}

func (s *Store) insert(ctx context.Context, p pool, query, token string, rows []byte) error {
	if token != "" {
		if !store.ValidToken(token) {
			return fmt.Errorf("chdb insert: deduplication token %q: use letters, digits, '-' and '_'", token)
		}
		// The engine keeps the token's blocks (non_replicated_deduplication_window,
		// see store.DedupWindow) and skips them when they come again.
		query += " SETTINGS insert_deduplication_token = '" + token + "'"
	}
	return s.insert2(ctx, p, query, "RowBinary", rows)
}

// insert2 runs one streaming insert, bounded by ctx. chDB calls take no
// context, and chdb_stream_cancel_insert did not stop a running insert here
// (26.7), so the deadline travels as the query's max_execution_time, which
// the engine checks as the insert runs (see TestInsertTimeout).
func (s *Store) insert2(ctx context.Context, p pool, query, format string, rows []byte) error {
	c, err := p.get(ctx)
	if err != nil {
		return fmt.Errorf("chdb insert: %w", err)
	}
	defer p.put(c)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("chdb insert: %w", err)
	}
	dl, bounded := ctx.Deadline()
	if bounded {
		left := time.Until(dl)
		if left <= 0 {
			return fmt.Errorf("chdb insert: %w", context.DeadlineExceeded)
		}
		query += settingsSep(query) + fmt.Sprintf("max_execution_time = %.3f", max(left.Seconds(), 0.001))
	}
	if _, err := c.insert(query, format, rows); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("chdb insert: %w (%v)", ctxErr, err)
		}
		// The engine's clock may run out a moment before ctx's timer fires:
		// its timeout is ours, so report it as the deadline.
		if bounded && strings.Contains(err.Error(), "TIMEOUT_EXCEEDED") {
			return fmt.Errorf("chdb insert: %w (%v)", context.DeadlineExceeded, err)
		}
		return &store.InsertError{Kind: store.ClassifyMessage(err.Error()), Err: fmt.Errorf("chdb insert: %w", err)}
	}
	return nil
}

// settingsSep continues query's SETTINGS clause, or starts one.
func settingsSep(query string) string {
	if strings.Contains(query, " SETTINGS ") {
		return ", "
	}
	return " SETTINGS "
}

func appendSpan(b []byte, s *store.Span) []byte {
	b = appendTime(b, s.Timestamp)
	b = appendStr(b, s.TraceID)
	b = appendStr(b, s.SpanID)
	b = appendStr(b, s.ParentSpanID)
	b = appendStr(b, s.TraceState)
	b = appendStr(b, s.SpanName)
	b = appendStr(b, s.SpanKind)
	b = appendStr(b, s.ServiceName)
	b = appendMap(b, s.ResourceAttributes)
	b = appendStr(b, s.ScopeName)
	b = appendStr(b, s.ScopeVersion)
	b = appendMap(b, s.SpanAttributes)
	b = binary.LittleEndian.AppendUint64(b, uint64(max(s.Duration, 0)))
	b = appendStr(b, s.StatusCode)
	b = appendStr(b, s.StatusMessage)
	return appendLinks(appendEvents(b, s.Events), s.Links)
}

// appendEvents writes the Events nested columns: one array per field.
func appendEvents(b []byte, ev []store.SpanEvent) []byte {
	b = binary.AppendUvarint(b, uint64(len(ev)))
	for i := range ev {
		b = appendTime(b, ev[i].Timestamp)
	}
	b = binary.AppendUvarint(b, uint64(len(ev)))
	for i := range ev {
		b = appendStr(b, ev[i].Name)
	}
	b = binary.AppendUvarint(b, uint64(len(ev)))
	for i := range ev {
		b = appendMap(b, ev[i].Attributes)
	}
	return b
}

func appendLinks(b []byte, ls []store.SpanLink) []byte {
	b = binary.AppendUvarint(b, uint64(len(ls)))
	for i := range ls {
		b = appendStr(b, ls[i].TraceID)
	}
	b = binary.AppendUvarint(b, uint64(len(ls)))
	for i := range ls {
		b = appendStr(b, ls[i].SpanID)
	}
	b = binary.AppendUvarint(b, uint64(len(ls)))
	for i := range ls {
		b = appendStr(b, ls[i].TraceState)
	}
	b = binary.AppendUvarint(b, uint64(len(ls)))
	for i := range ls {
		b = appendMap(b, ls[i].Attributes)
	}
	return b
}

func appendLog(b []byte, l *store.LogRecord) []byte {
	ts := l.Timestamp
	if ts.IsZero() { // as the contrib exporter: fall back to the observed time
		ts = l.ObservedTimestamp
	}
	b = appendTime(b, ts)
	b = appendStr(b, l.TraceID)
	b = appendStr(b, l.SpanID)
	b = append(b, l.TraceFlags)
	b = appendStr(b, l.SeverityText)
	b = append(b, l.SeverityNumber)
	b = appendStr(b, l.ServiceName)
	b = appendStr(b, l.Body)
	b = appendStr(b, l.ResourceSchemaURL)
	b = appendMap(b, l.ResourceAttributes)
	b = appendStr(b, l.ScopeSchemaURL)
	b = appendStr(b, l.ScopeName)
	b = appendStr(b, l.ScopeVersion)
	b = appendMap(b, l.ScopeAttributes)
	b = appendMap(b, l.LogAttributes)
	return appendStr(b, l.EventName)
}

// appendTime writes a DateTime64(9): nanoseconds since the epoch, int64 LE.
func appendTime(b []byte, t time.Time) []byte {
	var ns int64
	if !t.IsZero() {
		ns = t.UnixNano()
	}
	return binary.LittleEndian.AppendUint64(b, uint64(ns))
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendMap(b []byte, m map[string]string) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	for k, v := range m {
		b = appendStr(appendStr(b, k), v)
	}
	return b
}
