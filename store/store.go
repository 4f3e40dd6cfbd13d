package store

import (
	"context"
	"time"
)

// Store is the one way flowslo reads and writes ClickHouse.
//
// Queries name their parameters ClickHouse's way, {name:Type}, and pass the
// values in Params; both drivers bind them in the engine, so user text never
// becomes SQL. Table names in queries are unqualified: each driver runs them
// in its configured database.
type Store interface {
	// Exec runs a statement that returns no rows (DDL, INSERT … SELECT, ALTER).
	Exec(ctx context.Context, query string, params Params) error
	// Query runs a SELECT and returns its rows. Scan accepts pointers to
	// string, bool, the integer and float kinds, []string and
	// map[string]string; select times as integers (toUnixTimestamp64Nano).
	Query(ctx context.Context, query string, params Params) (Rows, error)
	// InsertSpans stores spans in otel_traces. When it returns nil the rows are
	// written; on error none or all may be, so callers retry the whole batch.
	InsertSpans(ctx context.Context, spans []Span) error
	// InsertLogs stores log records in otel_logs, with InsertSpans' guarantees.
	InsertLogs(ctx context.Context, logs []LogRecord) error
	// Ping checks the connection is usable.
	Ping(ctx context.Context) error
	// Close releases the connection; the store is unusable after it.
	Close() error
}

// Params maps a query's {name:Type} placeholders to their values, written as
// text (numbers in decimal, times as the placeholder's type parses them).
type Params map[string]string

// Rows iterates over a query result, database/sql style.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// Span is one row of otel_traces, with the columns of the OpenTelemetry
// contrib clickhouseexporter.
type Span struct {
	Timestamp          time.Time
	TraceID            string // lowercase hex
	SpanID             string // lowercase hex
	ParentSpanID       string
	TraceState         string
	SpanName           string
	SpanKind           string // "Server", "Client", … as the contrib exporter writes it
	ServiceName        string
	ResourceAttributes map[string]string
	ScopeName          string
	ScopeVersion       string
	SpanAttributes     map[string]string
	Duration           time.Duration
	StatusCode         string // "Unset", "Ok", "Error"
	StatusMessage      string
	Events             []SpanEvent
	Links              []SpanLink
}

// SpanEvent is one element of otel_traces.Events.
type SpanEvent struct {
	Timestamp  time.Time
	Name       string
	Attributes map[string]string
}

// SpanLink is one element of otel_traces.Links.
type SpanLink struct {
	TraceID    string
	SpanID     string
	TraceState string
	Attributes map[string]string
}

// LogRecord is one row of otel_logs, with the contrib exporter's columns.
type LogRecord struct {
	Timestamp          time.Time
	ObservedTimestamp  time.Time
	TraceID            string
	SpanID             string
	TraceFlags         uint8
	SeverityText       string
	SeverityNumber     uint8
	ServiceName        string
	Body               string
	ResourceSchemaURL  string
	ResourceAttributes map[string]string
	ScopeSchemaURL     string
	ScopeName          string
	ScopeVersion       string
	ScopeAttributes    map[string]string
	LogAttributes      map[string]string
	EventName          string
}

// TokenInserter is a Store that stores a batch once however often it is
// retried with the same token: ClickHouse's insert_deduplication_token,
// remembered per table for the last DedupWindow blocks. A retry after an
// unclear failure (a timeout whose insert had in fact landed) then adds
// nothing. Tokens are letters, digits, '-' and '_'; the same token must
// never be given to different rows.
type TokenInserter interface {
	InsertSpansOnce(ctx context.Context, token string, spans []Span) error
	InsertLogsOnce(ctx context.Context, token string, logs []LogRecord) error
}

// ValidToken reports whether token can be sent as a deduplication token.
func ValidToken(token string) bool {
	if token == "" || len(token) > 128 {
		return false
	}
	for _, c := range token {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
