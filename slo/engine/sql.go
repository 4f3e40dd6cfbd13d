package engine

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/flowslo/flowslo/slo/expr"
	"github.com/flowslo/flowslo/store"
)

// placeholder matches the {name:Type} placeholders slo/expr writes; the SQL
// it produces holds nothing else in braces, so renaming by pattern is safe.
var placeholder = regexp.MustCompile(`\{([A-Za-z0-9_]+):([A-Za-z0-9]+)\}`)

// prefixed returns c's SQL with every placeholder renamed pfx+name and adds
// the values to p, so the filters of many SLOs can share one query.
func prefixed(c expr.Compiled, pfx string, p store.Params) string {
	for k, v := range c.Params {
		p[pfx+k] = v
	}
	return placeholder.ReplaceAllString(c.SQL, "{"+pfx+"${1}:${2}}")
}

// params builds placeholders: each call to add stores a value under a fresh
// name with the given prefix and returns the placeholder text.
type params struct {
	p   store.Params
	pfx string
	n   int
}

func newParams(pfx string) *params { return &params{p: store.Params{}, pfx: pfx} }

func (b *params) add(typ, value string) string {
	name := b.pfx + "v" + strconv.Itoa(b.n)
	b.n++
	b.p[name] = value
	return "{" + name + ":" + typ + "}"
}

// prefix returns a fresh prefix for the placeholders of one expression.
func (b *params) prefix() string {
	b.n++
	return b.pfx + "f" + strconv.Itoa(b.n-1) + "_"
}

func (b *params) str(s string) string       { return b.add("String", s) }
func (b *params) num(n int64) string        { return b.add("Int64", strconv.FormatInt(n, 10)) }
func (b *params) minute(t time.Time) string { return "toDateTime(" + b.num(t.Unix()) + ", 'UTC')" }
func (b *params) strs(ss []string) string   { return b.add("Array(String)", quoteArray(ss)) }

// quote writes a ClickHouse string literal, for a parameter value (never
// for SQL text).
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// quoteArray writes a ClickHouse array literal of strings, for a parameter
// value (never for SQL text).
func quoteArray(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ",") + "]"
}

// timeRange is the condition selecting raw rows with from <= Timestamp < to;
// a zero bound is no bound. otel_logs is partitioned and sorted by
// TimestampTime, so it gets a condition on that column as well, for pruning.
func timeRange(b *params, table string, from, to time.Time) string {
	var conds []string
	if !from.IsZero() {
		conds = append(conds, "Timestamp >= fromUnixTimestamp64Nano("+b.num(from.UnixNano())+")")
		if table == "otel_logs" {
			conds = append(conds, "TimestampTime >= toDateTime("+b.num(from.Unix())+")")
		}
	}
	if !to.IsZero() {
		conds = append(conds, "Timestamp < fromUnixTimestamp64Nano("+b.num(to.UnixNano())+")")
		if table == "otel_logs" {
			conds = append(conds, "TimestampTime <= toDateTime("+b.num(to.Unix())+")")
		}
	}
	if len(conds) == 0 {
		return "1"
	}
	return strings.Join(conds, " AND ")
}

// rawMinute is the minute of a raw row, typed like slo_rollup.minute.
const rawMinute = "toStartOfMinute(toDateTime(Timestamp, 'UTC'))"

// Latency histogram: bucket 0 holds durations under 1 µs; bucket i ≥ 1 holds
// [2^((i-1)/8), 2^(i/8)) µs, so a bucket is 9% wide and a percentile read
// from it is within ±4.5%; bucket 255 holds everything from about an hour.
const (
	histPerDoubling = 8
	histBuckets     = 256
	histBucketSQL   = "toUInt16(if(Duration < 1000, 0, least(255, 1 + floor(log2(Duration / 1000) * 8))))"
)
