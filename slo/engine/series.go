package engine

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/flowslo/flowslo/slo"
)

// MaxPoints bounds a series; a request for more is refused.
const MaxPoints = 5000

// Series is an SLO's numbers over time, for charts.
type Series struct {
	SLO    string        `json:"slo"`
	Slice  string        `json:"slice,omitempty"`
	From   time.Time     `json:"from"`
	To     time.Time     `json:"to"`
	StepS  int64         `json:"step_seconds"`
	Points []SeriesPoint `json:"points"`
}

// SeriesPoint covers one step, ending at T.
type SeriesPoint struct {
	T     time.Time `json:"t"`
	Good  uint64    `json:"good"`  // in the step
	Total uint64    `json:"total"` // in the step
	// BurnRate is over the step.
	BurnRate *float64 `json:"burn_rate"`
	// SLI and ErrorBudgetRemaining are over the SLO window ending at T.
	SLI                  *float64 `json:"sli"`
	ErrorBudgetRemaining *float64 `json:"error_budget_remaining"`
}

// sliceRef picks one value of one slice: "EXPR=VALUE" with EXPR as written
// in the SLO file, or "INDEX=VALUE".
type sliceRef struct {
	index int
	value string
}

func parseSlice(s *slo.SLO, text string) (*sliceRef, error) {
	if text == "" {
		return nil, nil
	}
	for i, expr := range s.Slices {
		for _, name := range []string{expr, strconv.Itoa(i)} {
			if v, ok := strings.CutPrefix(text, name+"="); ok {
				return &sliceRef{i, v}, nil
			}
		}
	}
	return nil, fmt.Errorf("%w: slice %q: write EXPRESSION=VALUE with one of %s", ErrBadRequest, text, strings.Join(s.Slices, ", "))
}

// Series returns name's numbers per step over [from, to); slice, if set,
// narrows them to one slice value ("EXPR=VALUE"). The open minutes of
// "other" are not known until they close.
func (e *Engine) Series(ctx context.Context, name string, from, to time.Time, step time.Duration, slice string) (Series, error) {
	s := e.find(name)
	if s == nil {
		return Series{}, ErrUnknownSLO
	}
	ref, err := parseSlice(s, slice)
	if err != nil {
		return Series{}, err
	}
	from, to = floorMinute(from), floorMinute(to)
	if step < time.Minute || step%time.Minute != 0 || !to.After(from) || to.Sub(from)/step > MaxPoints {
		return Series{}, fmt.Errorf("%w: step must be whole minutes and give at most %d points between from and to", ErrBadRequest, MaxPoints)
	}
	n := int((to.Sub(from) + step - 1) / step)
	first := seriesStart(s, from)
	buckets, err := e.stepSums(ctx, s, ref, first, from.Add(time.Duration(n)*step), from, step)
	if err != nil {
		return Series{}, err
	}
	out := Series{SLO: name, Slice: slice, From: from, To: to, StepS: int64(step / time.Second)}
	for k := range n {
		end := from.Add(time.Duration(k+1) * step)
		c := buckets[k]
		w := windowSum(buckets, s, from, step, k, end)
		out.Points = append(out.Points, SeriesPoint{T: end, Good: c.good, Total: c.total,
			BurnRate: c.burnRate(s.ErrorBudget()), SLI: w.sli(), ErrorBudgetRemaining: w.budgetRemaining(s.ErrorBudget())})
	}
	return out, nil
}

// seriesStart is the earliest minute any point's window reaches back to.
func seriesStart(s *slo.SLO, from time.Time) time.Time {
	if s.Window.Calendar != "" {
		return periodStart(s.Window, from)
	}
	return from.Add(-s.Window.Rolling)
}

// windowSum adds the buckets in the SLO window ending at end (bucket k).
func windowSum(b map[int]counts, s *slo.SLO, from time.Time, step time.Duration, k int, end time.Time) counts {
	start := sloWindowStart(s.Window, end.Add(-time.Nanosecond))
	first := int(math.Floor(float64(start.Sub(from)) / float64(step)))
	var c counts
	for j := first; j <= k; j++ {
		c.good += b[j].good
		c.total += b[j].total
	}
	return c
}

// stepSums returns good and total per step bucket (bucket 0 starts at
// origin) over [first, last): rollups plus the open minutes.
func (e *Engine) stepSums(ctx context.Context, s *slo.SLO, ref *sliceRef, first, last, origin time.Time, step time.Duration) (map[int]counts, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.load(ctx); err != nil {
		return nil, err
	}
	b := newParams("s")
	sliceCond, liveCond := "slice_key = ''", "1"
	if ref != nil {
		sliceCond = "slice_key = " + b.str(strconv.Itoa(ref.index)) + " AND slice_value = " + b.str(ref.value)
		liveCond = "toString(" + prefixed(s.SLI.Slices[ref.index], "x_", b.p) + ") = " + b.str(ref.value)
	}
	parts := []string{"SELECT minute, good, total FROM slo_rollup WHERE res = 0 AND " + sliceCond +
		" AND slo = " + b.str(s.Name) + " AND hash = " + b.str(s.Hash) +
		" AND minute >= " + b.minute(first) + " AND minute < " + b.minute(last)}
	if st := e.states[key(s)]; st != nil && st.begun && !e.catchingUp(st) { // and the rows not rolled up yet
		parts = append(parts, fmt.Sprintf("SELECT %s AS minute, countIf(%s) AS good, count() AS total FROM %s WHERE %s >= %s AND %s AND (%s) AND %s GROUP BY minute",
			rawMinute, prefixed(s.SLI.Good, "x_", b.p), s.SLI.Table, inserted, b.msTime(st.rolled),
			timeRange(b, s.SLI.Table, first, last), prefixed(s.SLI.Total, "x_", b.p), liveCond))
	}
	q := fmt.Sprintf("SELECT toInt64(floor((toUnixTimestamp(minute) - %s) / %s)) AS k, sum(good), sum(total) FROM (%s) GROUP BY k",
		b.num(origin.Unix()), b.num(int64(step/time.Second)), strings.Join(parts, "\nUNION ALL\n"))
	rows, err := e.q.Query(ctx, q, b.p)
	if err != nil {
		return nil, fmt.Errorf("series of %s: %w", s.Name, err)
	}
	defer rows.Close()
	out := map[int]counts{}
	for rows.Next() {
		var k int
		var c counts
		if err := rows.Scan(&k, &c.good, &c.total); err != nil {
			return nil, fmt.Errorf("series of %s: %w", s.Name, err)
		}
		out[k] = c
	}
	return out, rows.Err()
}

// MaxRawRange bounds the ranges BadBySlice and ExampleTraces scan raw rows over.
const MaxRawRange = 24 * time.Hour

// SliceCount is how many of an SLO's events with one slice value were bad.
type SliceCount struct {
	Slice string `json:"slice"`
	Value string `json:"value"`
	Bad   uint64 `json:"bad"`
	Total uint64 `json:"total"`
	// SLOBad is all the SLO's bad events in the range (every event has one
	// value of each slice), so a share of bad events is Bad / SLOBad even
	// when values beyond the 10 listed hold some.
	SLOBad uint64 `json:"slo_bad"`
}

// BadBySlice breaks name's bad events in [from, to) down by each slice's
// values, the 10 with most bad events per slice, from raw rows.
func (e *Engine) BadBySlice(ctx context.Context, name string, from, to time.Time) ([]SliceCount, error) {
	s, err := e.rawCheck(name, from, to)
	if err != nil || len(s.Slices) == 0 {
		return []SliceCount{}, err
	}
	s = declaredOnly([]*slo.SLO{s})[0]
	b := newParams("b")
	q := fmt.Sprintf(`SELECT kv.1 AS k, kv.2 AS v, countIf(NOT (%s)) AS bad, count() AS total, sum(bad) OVER (PARTITION BY k) AS slo_bad
FROM %s ARRAY JOIN %s AS kv WHERE %s AND (%s)
GROUP BY k, v HAVING bad > 0 ORDER BY k, bad DESC, v LIMIT 10 BY k`,
		prefixed(s.SLI.Good, "", b.p), s.SLI.Table, sliceTuples(s, "", b.p, false),
		timeRange(b, s.SLI.Table, from, to), prefixed(s.SLI.Total, "", b.p))
	rows, err := e.q.Query(ctx, q, b.p)
	if err != nil {
		return nil, fmt.Errorf("bad events of %s by slice: %w", name, err)
	}
	defer rows.Close()
	out := []SliceCount{}
	for rows.Next() {
		var k string
		var c SliceCount
		if err := rows.Scan(&k, &c.Value, &c.Bad, &c.Total, &c.SLOBad); err != nil {
			return nil, fmt.Errorf("bad events of %s by slice: %w", name, err)
		}
		i, _ := strconv.Atoi(k)
		c.Slice = s.Slices[i]
		out = append(out, c)
	}
	return out, rows.Err()
}

func (e *Engine) rawCheck(name string, from, to time.Time) (*slo.SLO, error) {
	s := e.find(name)
	if s == nil {
		return nil, ErrUnknownSLO
	}
	if !to.After(from) || to.Sub(from) > MaxRawRange {
		return nil, fmt.Errorf("%w: the range must be positive and at most %s", ErrBadRequest, MaxRawRange)
	}
	return s, nil
}

// Example is one bad event, to start an investigation from.
type Example struct {
	TraceID  string    `json:"trace_id"`
	SpanID   string    `json:"span_id"`
	Time     time.Time `json:"time"`
	Service  string    `json:"service"`
	Name     string    `json:"name"` // span name, or log body for logs
	Status   string    `json:"status"`
	Duration float64   `json:"duration_ms"`
	// Why names the clauses of the SLI the event fails, or the attribute
	// it lacks ("attribute http.response.status_code missing").
	Why        []string `json:"why"`
	Version    string   `json:"service_version"`
	Platform   string   `json:"platform"`
	StatusCode string   `json:"http_status_code"` // http.response.status_code, if any
	Message    string   `json:"message"`          // the status message, or the log's severity
}

// ExampleTraces returns up to limit of name's most recent bad events in
// [from, to) that carry a trace ID.
func (e *Engine) ExampleTraces(ctx context.Context, name string, from, to time.Time, limit int) ([]Example, error) {
	s, err := e.rawCheck(name, from, to)
	if err != nil {
		return nil, err
	}
	limit = min(max(limit, 1), 100)
	cols := "TraceId, SpanId, toUnixTimestamp64Nano(Timestamp), ServiceName, SpanName, StatusCode, Duration / 1e6, StatusMessage, SpanAttributes, ResourceAttributes"
	if s.SLI.Table == "otel_logs" {
		cols = "TraceId, SpanId, toUnixTimestamp64Nano(Timestamp), ServiceName, substring(Body, 1, 200), SeverityText, 0, SeverityText, LogAttributes, ResourceAttributes"
	}
	b := newParams("x")
	q := fmt.Sprintf("SELECT %s FROM %s WHERE %s AND (%s) AND NOT (%s) AND TraceId != '' ORDER BY Timestamp DESC LIMIT %s",
		cols, s.SLI.Table, timeRange(b, s.SLI.Table, from, to), prefixed(s.SLI.Total, "", b.p),
		prefixed(s.SLI.Good, "", b.p), b.num(int64(limit)))
	rows, err := e.q.Query(ctx, q, b.p)
	if err != nil {
		return nil, fmt.Errorf("example traces of %s: %w", name, err)
	}
	defer rows.Close()
	out := []Example{}
	for rows.Next() {
		var x Example
		var ns int64
		var attrs, res map[string]string
		if err := rows.Scan(&x.TraceID, &x.SpanID, &ns, &x.Service, &x.Name, &x.Status, &x.Duration, &x.Message, &attrs, &res); err != nil {
			return nil, fmt.Errorf("example traces of %s: %w", name, err)
		}
		x.Time = time.Unix(0, ns).UTC()
		x.Why, x.Version, x.Platform = whyBad(s, x, attrs, res), versionOf(res, attrs), platformOf(res, attrs)
		x.StatusCode = firstOf([]map[string]string{attrs}, "http.response.status_code", "http.status_code")
		out = append(out, x)
	}
	return out, rows.Err()
}
