package ui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/flowslo/flowslo/dashboards"
	"github.com/flowslo/flowslo/store"
)

// Querier runs a parameterised SELECT; store.Store satisfies it.
type Querier interface {
	Query(ctx context.Context, query string, params store.Params) (store.Rows, error)
}

// Telemetry reads raw spans, logs and rollups for the trace, services and
// flows pages. NewTelemetry builds it on a Querier.
type Telemetry interface {
	Trace(ctx context.Context, traceID string) (Trace, error)
	Endpoints(ctx context.Context, from, to time.Time) ([]Endpoint, error)
	SLIHistory(ctx context.Context, from, to time.Time, step time.Duration) ([]SLIHistory, error)
}

// Trace is one trace's spans (start order) and the logs that carry its ID.
type Trace struct {
	TraceID   string    `json:"trace_id"`
	Spans     []Span    `json:"spans"`
	Logs      []LogLine `json:"logs"`
	Truncated bool      `json:"truncated,omitempty"`
}

// Span is one span of a trace.
type Span struct {
	SpanID        string            `json:"span_id"`
	ParentSpanID  string            `json:"parent_span_id,omitempty"`
	Service       string            `json:"service"`
	Name          string            `json:"name"`
	Kind          string            `json:"kind"`
	Start         time.Time         `json:"start"`
	DurationMs    float64           `json:"duration_ms"`
	StatusCode    string            `json:"status_code"`
	StatusMessage string            `json:"status_message,omitempty"`
	Attributes    map[string]string `json:"attributes"`
	Resource      map[string]string `json:"resource"`
}

// LogLine is one log record of a trace.
type LogLine struct {
	Time       time.Time         `json:"time"`
	SpanID     string            `json:"span_id,omitempty"`
	Service    string            `json:"service"`
	Severity   string            `json:"severity"`
	Body       string            `json:"body"`
	Attributes map[string]string `json:"attributes"`
}

// Endpoint is the RED of one service's span name over a range.
type Endpoint struct {
	Service  string  `json:"service"`
	Name     string  `json:"name"`
	Requests uint64  `json:"requests"`
	Errors   uint64  `json:"errors"`
	P50Ms    float64 `json:"p50_ms"`
	P95Ms    float64 `json:"p95_ms"`
	P99Ms    float64 `json:"p99_ms"`
}

// SLIHistory is one SLO definition's good and total per step.
type SLIHistory struct {
	SLO    string       `json:"slo"`
	Hash   string       `json:"hash"`
	Points []CountPoint `json:"points"`
}

// CountPoint is good and total in the step starting at T.
type CountPoint struct {
	T     time.Time `json:"t"`
	Good  uint64    `json:"good"`
	Total uint64    `json:"total"`
}

// MaxTraceSpans bounds the spans (and logs) one trace page shows.
const MaxTraceSpans = 2000

// ErrNoTrace: no span or log carries the trace ID.
var ErrNoTrace = errors.New("no spans or logs with this trace ID")

// NewTelemetry reads telemetry with q.
func NewTelemetry(q Querier) Telemetry { return sqlTelemetry{q} }

type sqlTelemetry struct{ q Querier }

func (t sqlTelemetry) Trace(ctx context.Context, id string) (Trace, error) {
	tr := Trace{TraceID: id, Spans: []Span{}, Logs: []LogLine{}}
	p := store.Params{"id": id, "limit": strconv.Itoa(MaxTraceSpans + 1)}
	rows, err := t.q.Query(ctx, `SELECT SpanId, ParentSpanId, ServiceName, SpanName, SpanKind,
	toUnixTimestamp64Nano(Timestamp), Duration, StatusCode, StatusMessage, SpanAttributes, ResourceAttributes
FROM otel_traces WHERE TraceId = {id:String} ORDER BY Timestamp LIMIT {limit:UInt32}`, p)
	if err != nil {
		return tr, fmt.Errorf("spans of trace %s: %w", id, err)
	}
	for rows.Next() {
		var s Span
		var ns int64
		var dur uint64
		if err := rows.Scan(&s.SpanID, &s.ParentSpanID, &s.Service, &s.Name, &s.Kind, &ns, &dur,
			&s.StatusCode, &s.StatusMessage, &s.Attributes, &s.Resource); err != nil {
			rows.Close()
			return tr, fmt.Errorf("spans of trace %s: %w", id, err)
		}
		s.Start, s.DurationMs = time.Unix(0, ns).UTC(), float64(dur)/1e6
		tr.Spans = append(tr.Spans, s)
	}
	if err := closeRows(rows); err != nil {
		return tr, fmt.Errorf("spans of trace %s: %w", id, err)
	}
	if len(tr.Spans) > MaxTraceSpans {
		tr.Spans, tr.Truncated = tr.Spans[:MaxTraceSpans], true
	}
	if tr.Logs, err = t.logs(ctx, p); err != nil {
		return tr, fmt.Errorf("logs of trace %s: %w", id, err)
	}
	if len(tr.Spans) == 0 && len(tr.Logs) == 0 {
		return tr, ErrNoTrace
	}
	return tr, nil
}

func (t sqlTelemetry) logs(ctx context.Context, p store.Params) ([]LogLine, error) {
	rows, err := t.q.Query(ctx, `SELECT toUnixTimestamp64Nano(Timestamp), SpanId, ServiceName, SeverityText, Body, LogAttributes
FROM otel_logs WHERE TraceId = {id:String} ORDER BY Timestamp LIMIT {limit:UInt32}`, p)
	if err != nil {
		return nil, err
	}
	out := []LogLine{}
	for rows.Next() {
		var l LogLine
		var ns int64
		if err := rows.Scan(&ns, &l.SpanID, &l.Service, &l.Severity, &l.Body, &l.Attributes); err != nil {
			rows.Close()
			return nil, err
		}
		l.Time = time.Unix(0, ns).UTC()
		out = append(out, l)
	}
	return out, closeRows(rows)
}

func closeRows(r store.Rows) error {
	return errors.Join(r.Err(), r.Close())
}

func rangeParams(from, to time.Time, step time.Duration) store.Params {
	return store.Params{"from": strconv.FormatInt(from.Unix(), 10), "to": strconv.FormatInt(to.Unix(), 10),
		"step": strconv.FormatInt(int64(step/time.Second), 10)}
}

func (t sqlTelemetry) Endpoints(ctx context.Context, from, to time.Time) ([]Endpoint, error) {
	rows, err := t.q.Query(ctx, dashboards.RED.SQL, rangeParams(from, to, time.Minute))
	if err != nil {
		return nil, fmt.Errorf("endpoints: %w", err)
	}
	out := []Endpoint{}
	for rows.Next() {
		var e Endpoint
		if err := rows.Scan(&e.Service, &e.Name, &e.Requests, &e.Errors, &e.P50Ms, &e.P95Ms, &e.P99Ms); err != nil {
			rows.Close()
			return nil, fmt.Errorf("endpoints: %w", err)
		}
		out = append(out, e)
	}
	return out, closeRows(rows)
}

func (t sqlTelemetry) SLIHistory(ctx context.Context, from, to time.Time, step time.Duration) ([]SLIHistory, error) {
	rows, err := t.q.Query(ctx, dashboards.SLIHistory.SQL, rangeParams(from, to, step))
	if err != nil {
		return nil, fmt.Errorf("SLI history: %w", err)
	}
	var out []SLIHistory
	for rows.Next() {
		var name, hash string
		var ts int64
		var c CountPoint
		if err := rows.Scan(&name, &hash, &ts, &c.Good, &c.Total); err != nil {
			rows.Close()
			return nil, fmt.Errorf("SLI history: %w", err)
		}
		c.T = time.Unix(ts, 0).UTC()
		if n := len(out); n == 0 || out[n-1].SLO != name || out[n-1].Hash != hash {
			out = append(out, SLIHistory{SLO: name, Hash: hash})
		}
		out[len(out)-1].Points = append(out[len(out)-1].Points, c)
	}
	return out, closeRows(rows)
}
