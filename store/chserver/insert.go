package chserver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/flowslo/flowslo/store"
)

var (
	spansInsert = "INSERT INTO otel_traces (" + quoteCols(store.SpanColumns) + ")"
	logsInsert  = "INSERT INTO otel_logs (" + quoteCols(store.LogColumns) + ")"
)

func quoteCols(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = "`" + c + "`"
	}
	return strings.Join(q, ", ")
}

// InsertSpans sends spans as one native-protocol batch (columnar, so the
// server converts nothing row by row).
func (s *Store) InsertSpans(ctx context.Context, spans []store.Span) error {
	return s.InsertSpansOnce(ctx, "", spans)
}

// InsertLogs sends log records as one batch.
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
	return s.send(ctx, spansInsert, token, len(spans), func(i int) []any { return spanValues(&spans[i]) })
}

// InsertLogsOnce is InsertLogs with a deduplication token.
func (s *Store) InsertLogsOnce(ctx context.Context, token string, logs []store.LogRecord) error {
	if len(logs) == 0 {
		return nil
	}
	return s.send(ctx, logsInsert, token, len(logs), func(i int) []any { return logValues(&logs[i]) })
}

func (s *Store) send(ctx context.Context, query, token string, n int, row func(i int) []any) error {
	set := s.insertSettings()
	if token != "" {
		set["insert_deduplication_token"] = token
	}
	ctx = clickhouse.Context(ctx, clickhouse.WithSettings(set))
	batch, err := s.conn.PrepareBatch(ctx, query)
	if err != nil {
		return classify(fmt.Errorf("clickhouse insert: %w", err))
	}
	for i := range n {
		if err := batch.Append(row(i)...); err != nil {
			batch.Abort()
			// The driver refused a value for its column type.
			return &store.InsertError{Kind: store.BadData, Err: fmt.Errorf("clickhouse insert: row %d: %w", i, err)}
		}
	}
	if err := batch.Send(); err != nil {
		return classify(fmt.Errorf("clickhouse insert: %w", err))
	}
	return nil
}

// classify tags err with its kind when the server answered with an
// exception; network errors and timeouts stay transient.
func classify(err error) error {
	var ex *clickhouse.Exception
	if !errors.As(err, &ex) {
		return err
	}
	return &store.InsertError{Kind: store.ClassifyClickHouse(int(ex.Code), ex.Message), Err: err}
}

func spanValues(s *store.Span) []any {
	evTimes, evNames, evAttrs := make([]time.Time, len(s.Events)), make([]string, len(s.Events)), make([]map[string]string, len(s.Events))
	for i, e := range s.Events {
		evTimes[i], evNames[i], evAttrs[i] = ts(e.Timestamp), e.Name, attrs(e.Attributes)
	}
	n := len(s.Links)
	lTrace, lSpan, lState, lAttrs := make([]string, n), make([]string, n), make([]string, n), make([]map[string]string, n)
	for i, l := range s.Links {
		lTrace[i], lSpan[i], lState[i], lAttrs[i] = l.TraceID, l.SpanID, l.TraceState, attrs(l.Attributes)
	}
	return []any{
		ts(s.Timestamp), s.TraceID, s.SpanID, s.ParentSpanID, s.TraceState, s.SpanName, s.SpanKind,
		s.ServiceName, attrs(s.ResourceAttributes), s.ScopeName, s.ScopeVersion, attrs(s.SpanAttributes),
		uint64(max(s.Duration, 0)), s.StatusCode, s.StatusMessage,
		evTimes, evNames, evAttrs, lTrace, lSpan, lState, lAttrs,
	}
}

func logValues(l *store.LogRecord) []any {
	t := l.Timestamp
	if t.IsZero() { // as the contrib exporter: fall back to the observed time
		t = l.ObservedTimestamp
	}
	return []any{
		ts(t), l.TraceID, l.SpanID, l.TraceFlags, l.SeverityText, l.SeverityNumber,
		l.ServiceName, l.Body, l.ResourceSchemaURL, attrs(l.ResourceAttributes), l.ScopeSchemaURL,
		l.ScopeName, l.ScopeVersion, attrs(l.ScopeAttributes), attrs(l.LogAttributes), l.EventName,
	}
}

// ts maps the zero time to the epoch, as the embedded driver writes it;
// year 1 is outside DateTime64's range.
func ts(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return t
}

func attrs(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// insertSettings apply to every insert of spans and logs.
func (s *Store) insertSettings() clickhouse.Settings {
	set := clickhouse.Settings{
		// See store.MaxInsertPartitions: ingest admits only timestamps
		// within retention, so a block touches at most ttl+2 days.
		"max_partitions_per_insert_block": store.MaxInsertPartitions(s.ttlDays),
	}
	if s.cluster {
		// The rows go through a Distributed table: answer only once
		// every shard has stored its share (an OTLP success means
		// stored), not once they are queued on this node's disk.
		set["distributed_foreground_insert"] = 1
	}
	return set
}
