package storetest

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowslo/flowslo/store"
)

// OpenFunc returns a fresh, migrated store isolated from every other call
// (its own database); the suite closes it.
type OpenFunc func(t *testing.T) store.Store

// Run runs the store contract against stores made by open.
func Run(t *testing.T, open OpenFunc) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"MigrateIdempotent", testMigrateIdempotent},
		{"RetentionChange", testRetentionChange},
		{"SpansRoundTrip", testSpansRoundTrip},
		{"LogsRoundTrip", testLogsRoundTrip},
		{"HostileParams", testHostileParams},
		{"ParamTypes", testParamTypes},
		{"ExactCounts", testExactCounts},
		{"EmptyBatches", testEmptyBatches},
		{"DedupToken", testDedupToken},
		{"Concurrent", testConcurrent},
		{"Errors", testErrors},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

// t0 is recent, so the 30-day TTL does not drop the test rows, and has a
// full nanosecond part, so precision loss shows.
var t0 = time.Now().UTC().Add(-time.Hour).Truncate(time.Second).Add(589793238)

func testMigrateIdempotent(t *testing.T, s store.Store) {
	ctx := context.Background()
	for range 2 {
		if err := store.Migrate(ctx, s, store.MigrateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	applied, err := store.AppliedMigrations(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != len(store.Migrations) {
		t.Fatalf("applied %v, want %d migrations", applied, len(store.Migrations))
	}
	if n := count(t, s, "SELECT count() FROM schema_migrations"); n != uint64(len(store.Migrations)) {
		t.Fatalf("schema_migrations has %d rows, want %d (a migration was recorded twice)", n, len(store.Migrations))
	}
	q := "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name IN ('otel_traces', 'otel_logs')"
	if n := count(t, s, q); n != 2 {
		t.Fatalf("%d of otel_traces, otel_logs exist", n)
	}
}

// testRetentionChange: a retention changed in the config reaches tables
// that already exist, on the next Migrate, each table its own when a
// signal's retention is set.
func testRetentionChange(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, c := range []struct {
		o            store.MigrateOptions
		traces, logs int
	}{
		{store.MigrateOptions{TTLDays: 7}, 7, 7},
		{store.MigrateOptions{TTLDays: 45}, 45, 45},
		{store.MigrateOptions{TTLDays: 45, LogsTTLDays: 3}, 45, 3},
		{store.MigrateOptions{TTLDays: 10, TracesTTLDays: 20}, 20, 10},
	} {
		o := c.o
		if err := store.Migrate(ctx, s, o); err != nil {
			t.Fatal(err)
		}
		for table, days := range map[string]int{"otel_traces": c.traces, "otel_logs": c.logs} {
			q := scanString(t, s, "SELECT create_table_query FROM system.tables WHERE database = currentDatabase() AND name = {t:String}", store.Params{"t": table})
			if want := fmt.Sprintf("TTL %s", fmt.Sprintf(map[string]string{"otel_traces": "toDateTime(Timestamp) + toIntervalDay(%d)", "otel_logs": "TimestampTime + toIntervalDay(%d)"}[table], days)); !strings.Contains(q, want) {
				t.Errorf("retention %+v: %s has no %s in\n%s", o, table, want, q)
			}
		}
	}
}

func testSpansRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	want := Spans(40, t0, 1)
	want[3].TraceState, want[3].StatusMessage = "vendor=a\tb", "line1\nline2 'quoted' \\ back"
	want[3].SpanAttributes["emoji"] = "🚀 ünïcode"
	if err := s.InsertSpans(ctx, want); err != nil {
		t.Fatal(err)
	}
	got := readSpans(t, s)
	if len(got) != len(want) {
		t.Fatalf("read %d spans, want %d", len(got), len(want))
	}
	for i := range want {
		if !equalSpan(got[i], want[i]) {
			t.Fatalf("span %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

const spanCols = `toUnixTimestamp64Nano(Timestamp), TraceId, SpanId, ParentSpanId, TraceState,
	SpanName, SpanKind, ServiceName, ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes,
	Duration, StatusCode, StatusMessage`

func readSpans(t *testing.T, s store.Store) []store.Span {
	t.Helper()
	rows := query(t, s, "SELECT "+spanCols+" FROM otel_traces ORDER BY Timestamp, SpanId", nil)
	var out []store.Span
	for rows.Next() {
		var sp store.Span
		var ts int64
		var dur uint64
		if err := rows.Scan(&ts, &sp.TraceID, &sp.SpanID, &sp.ParentSpanID, &sp.TraceState,
			&sp.SpanName, &sp.SpanKind, &sp.ServiceName, &sp.ResourceAttributes, &sp.ScopeName,
			&sp.ScopeVersion, &sp.SpanAttributes, &dur, &sp.StatusCode, &sp.StatusMessage); err != nil {
			t.Fatal(err)
		}
		sp.Timestamp, sp.Duration = time.Unix(0, ts).UTC(), time.Duration(dur)
		out = append(out, sp)
	}
	closeRows(t, rows)
	attachEvents(t, s, out)
	attachLinks(t, s, out)
	return out
}

func attachEvents(t *testing.T, s store.Store, spans []store.Span) {
	t.Helper()
	rows := query(t, s, `SELECT SpanId, toUnixTimestamp64Nano(e.Timestamp), e.Name, e.Attributes
		FROM otel_traces ARRAY JOIN Events AS e ORDER BY SpanId`, nil)
	byID := index(spans)
	for rows.Next() {
		var id string
		var ev store.SpanEvent
		var ts int64
		if err := rows.Scan(&id, &ts, &ev.Name, &ev.Attributes); err != nil {
			t.Fatal(err)
		}
		ev.Timestamp = time.Unix(0, ts).UTC()
		sp := byID[id]
		sp.Events = append(sp.Events, ev)
	}
	closeRows(t, rows)
}

func attachLinks(t *testing.T, s store.Store, spans []store.Span) {
	t.Helper()
	rows := query(t, s, `SELECT SpanId, l.TraceId, l.SpanId, l.TraceState, l.Attributes
		FROM otel_traces ARRAY JOIN Links AS l ORDER BY SpanId`, nil)
	byID := index(spans)
	for rows.Next() {
		var id string
		var l store.SpanLink
		if err := rows.Scan(&id, &l.TraceID, &l.SpanID, &l.TraceState, &l.Attributes); err != nil {
			t.Fatal(err)
		}
		sp := byID[id]
		sp.Links = append(sp.Links, l)
	}
	closeRows(t, rows)
}

func index(spans []store.Span) map[string]*store.Span {
	m := make(map[string]*store.Span, len(spans))
	for i := range spans {
		m[spans[i].SpanID] = &spans[i]
	}
	return m
}

func equalSpan(a, b store.Span) bool {
	return a.Timestamp.Equal(b.Timestamp) && reflect.DeepEqual(normSpan(a), normSpan(b))
}

// normSpan clears what DeepEqual cannot compare (time locations) and treats
// nil and empty collections alike, as ClickHouse does.
func normSpan(s store.Span) store.Span {
	s.Timestamp = time.Time{}
	s.ResourceAttributes, s.SpanAttributes = norm(s.ResourceAttributes), norm(s.SpanAttributes)
	evs := make([]string, 0, len(s.Events))
	for _, e := range s.Events {
		evs = append(evs, fmt.Sprint(e.Timestamp.UnixNano(), e.Name, norm(e.Attributes)))
	}
	links := make([]string, 0, len(s.Links))
	for _, l := range s.Links {
		links = append(links, fmt.Sprint(l.TraceID, l.SpanID, l.TraceState, norm(l.Attributes)))
	}
	s.Events, s.Links = nil, nil
	s.StatusMessage += fmt.Sprint(evs, links)
	return s
}

func norm(m map[string]string) map[string]string {
	if len(m) == 0 {
		return map[string]string{}
	}
	return maps.Clone(m)
}

func testLogsRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	want := Logs(25, t0, 2)
	want[5].Body = "multi\nline\tbody with 'quotes' and \\backslash\\ and \x00 nul"
	want[6].Timestamp = time.Time{} // falls back to ObservedTimestamp, as the contrib exporter does
	if err := s.InsertLogs(ctx, want); err != nil {
		t.Fatal(err)
	}
	want[6].Timestamp = want[6].ObservedTimestamp
	rows := query(t, s, `SELECT toUnixTimestamp64Nano(Timestamp), TraceId, SpanId, TraceFlags, SeverityText,
		SeverityNumber, ServiceName, Body, ResourceSchemaUrl, ResourceAttributes, ScopeSchemaUrl,
		ScopeName, ScopeVersion, ScopeAttributes, LogAttributes, EventName,
		TimestampTime = toDateTime(Timestamp)
		FROM otel_logs ORDER BY SpanId`, nil)
	var got []store.LogRecord
	for rows.Next() {
		var l store.LogRecord
		var ts int64
		var derived bool
		if err := rows.Scan(&ts, &l.TraceID, &l.SpanID, &l.TraceFlags, &l.SeverityText, &l.SeverityNumber,
			&l.ServiceName, &l.Body, &l.ResourceSchemaURL, &l.ResourceAttributes, &l.ScopeSchemaURL,
			&l.ScopeName, &l.ScopeVersion, &l.ScopeAttributes, &l.LogAttributes, &l.EventName, &derived); err != nil {
			t.Fatal(err)
		}
		if !derived {
			t.Errorf("log %s: TimestampTime is not derived from Timestamp", l.SpanID)
		}
		l.Timestamp = time.Unix(0, ts).UTC()
		got = append(got, l)
	}
	closeRows(t, rows)
	if len(got) != len(want) {
		t.Fatalf("read %d logs, want %d", len(got), len(want))
	}
	for i := range want {
		w := want[i]
		w.ObservedTimestamp = time.Time{} // not a column of otel_logs
		w.Timestamp = w.Timestamp.UTC()
		if !reflect.DeepEqual(got[i], w) {
			t.Fatalf("log %d:\n got %+v\nwant %+v", i, got[i], w)
		}
	}
}

// hostile are values that break SQL built by concatenation or a careless
// escaper: quotes, backslashes, separators, injections.
var hostile = []string{
	"plain", "it's", `say "hi"`, `back\slash`, `trailing\`, `\'`, `\\'`, "tab\there", "new\nline",
	"cr\rreturn", "'); DROP TABLE otel_traces; --", "{x:String}", "`backtick`", "🚀", "",
	`\N`, "\\t not a tab", "nul\x00byte",
}

func testHostileParams(t *testing.T, s store.Store) {
	ctx := context.Background()
	spans := Spans(len(hostile), t0, 3)
	for i, h := range hostile {
		spans[i].ServiceName = h
	}
	if err := s.InsertSpans(ctx, spans); err != nil {
		t.Fatal(err)
	}
	for _, h := range hostile {
		p := store.Params{"v": h}
		if got := scanString(t, s, "SELECT {v:String}", p); got != h {
			t.Errorf("echo %q: got %q", h, got)
		}
		q := "SELECT count() FROM otel_traces WHERE ServiceName = {v:String}"
		if n := countP(t, s, q, p); n != 1 {
			t.Errorf("ServiceName = %q matched %d rows, want 1", h, n)
		}
	}
	if n := count(t, s, "SELECT count() FROM otel_traces"); n != uint64(len(hostile)) {
		t.Fatalf("otel_traces has %d rows after hostile queries, want %d", n, len(hostile))
	}
	// The same values inside an Array(String) literal (as the engine and
	// alerting pass them, each quoted with backslashes doubled), and a JSON
	// document such as the alert outbox stores.
	values := append(slices.Clone(hostile), `{"text":"say \"hi\" \u003cb\u003e"}`)
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
	}
	rows := query(t, s, "SELECT arrayJoin({a:Array(String)})", store.Params{"a": "[" + strings.Join(quoted, ",") + "]"})
	defer rows.Close()
	for i := 0; rows.Next(); i++ {
		var got string
		if err := rows.Scan(&got); err != nil {
			t.Fatal(err)
		}
		if i >= len(values) || got != values[i] {
			t.Errorf("array element %d: got %q", i, got)
		}
	}
}

func testParamTypes(t *testing.T, s store.Store) {
	rows := query(t, s, `SELECT {i:Int64}, {u:UInt64}, {f:Float64}, {b:Bool}, {a:Array(String)},
		{m:Map(String, String)}, {d:DateTime64(9)} = toDateTime64('2026-03-14 09:26:53.589793238', 9, 'UTC'),
		toInt8(-3), toUInt16(65535), toFloat32(0.5), nan`, store.Params{
		"i": "-9223372036854775808", "u": "18446744073709551615", "f": "3.25", "b": "true",
		"a": `['x', 'y z']`, "m": `{'k': 'v'}`, "d": "2026-03-14 09:26:53.589793238",
	})
	defer closeRows(t, rows)
	if !rows.Next() {
		t.Fatalf("no row: %v", rows.Err())
	}
	var (
		i   int64
		u   uint64
		f   float64
		b   bool
		a   []string
		m   map[string]string
		d   bool
		i8  int8
		u16 uint16
		f32 float32
		nan float64
	)
	if err := rows.Scan(&i, &u, &f, &b, &a, &m, &d, &i8, &u16, &f32, &nan); err != nil {
		t.Fatal(err)
	}
	if i != -1<<63 || u != 1<<64-1 || f != 3.25 || !b || !slices.Equal(a, []string{"x", "y z"}) ||
		!reflect.DeepEqual(m, map[string]string{"k": "v"}) || !d || i8 != -3 || u16 != 65535 || f32 != 0.5 || nan == nan {
		t.Fatalf("got %v %v %v %v %q %v %v %v %v %v %v", i, u, f, b, a, m, d, i8, u16, f32, nan)
	}
}

func testExactCounts(t *testing.T, s store.Store) {
	ctx := context.Background()
	total := 0
	for i, n := range []int{1, 1000, 2345} {
		if err := s.InsertSpans(ctx, Spans(n, t0, 10+i)); err != nil {
			t.Fatal(err)
		}
		if err := s.InsertLogs(ctx, Logs(n, t0, 10+i)); err != nil {
			t.Fatal(err)
		}
		total += n
	}
	for _, tbl := range []string{"otel_traces", "otel_logs"} {
		if n := count(t, s, "SELECT count() FROM "+tbl); n != uint64(total) {
			t.Errorf("%s: %d rows, want %d", tbl, n, total)
		}
	}
}

// testDedupToken: a batch inserted again with its token (a retry after a
// timeout whose insert had landed) is stored once, spread over several
// days' partitions too; another token stores the same rows again.
func testDedupToken(t *testing.T, s store.Store) {
	ti, ok := s.(store.TokenInserter)
	if !ok {
		t.Fatalf("%T does not take deduplication tokens", s)
	}
	ctx := context.Background()
	spans := Spans(300, t0.Add(-50*time.Hour), 40) // over three days
	for i := range spans {
		spans[i].Timestamp = spans[i].Timestamp.Add(time.Duration(i) * 10 * time.Minute)
	}
	logs := Logs(100, t0, 41)
	for _, token := range []string{"batch-1", "batch-1", "batch-2"} {
		if err := ti.InsertSpansOnce(ctx, token, spans); err != nil {
			t.Fatal(err)
		}
		if err := ti.InsertLogsOnce(ctx, token, logs); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, s, "SELECT count() FROM otel_traces"); n != 600 {
		t.Errorf("otel_traces: %d rows after tokens batch-1, batch-1, batch-2; want 600", n)
	}
	if n := count(t, s, "SELECT count() FROM otel_logs"); n != 200 {
		t.Errorf("otel_logs: %d rows, want 200", n)
	}
	if err := ti.InsertSpansOnce(ctx, "x'; DROP TABLE otel_traces; --", spans[:1]); err == nil {
		t.Error("a token with quotes was accepted")
	}
}

func testEmptyBatches(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.InsertSpans(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertLogs(ctx, []store.LogRecord{}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT count() FROM otel_traces"); n != 0 {
		t.Fatalf("%d spans after empty inserts", n)
	}
	rows := query(t, s, "SELECT 1 WHERE 0", nil)
	if rows.Next() {
		t.Fatal("empty result returned a row")
	}
	closeRows(t, rows)
}

func testConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	const writers, batches, size = 4, 5, 300
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				if err := s.InsertSpans(ctx, Spans(size, t0, 100+w*batches+b)); err != nil {
					errs <- err
				}
			}
		})
		wg.Go(func() {
			for range batches {
				if _, err := queryCount(ctx, s, "SELECT count() FROM otel_traces WHERE ServiceName = {s:String}",
					store.Params{"s": services[w%len(services)]}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := count(t, s, "SELECT count() FROM otel_traces"); n != writers*batches*size {
		t.Fatalf("%d spans, want %d", n, writers*batches*size)
	}
}

func testErrors(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.Exec(ctx, "SELEC nonsense", nil); err == nil {
		t.Error("bad SQL: no error")
	}
	if _, err := s.Query(ctx, "SELECT * FROM no_such_table", nil); err == nil {
		t.Error("missing table: no error")
	}
	if _, err := s.Query(ctx, "SELECT {v:UInt8}", store.Params{"v": "not a number"}); err == nil {
		t.Error("bad parameter value: no error")
	}
	rows := query(t, s, "SELECT 1, 2", nil)
	defer closeRows(t, rows)
	var a int
	if !rows.Next() || rows.Scan(&a) == nil {
		t.Error("scan with too few destinations: no error")
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("ping after errors: %v", err)
	}
}

func query(t *testing.T, s store.Store, q string, p store.Params) store.Rows {
	t.Helper()
	rows, err := s.Query(context.Background(), q, p)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func closeRows(t *testing.T, rows store.Rows) {
	t.Helper()
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, s store.Store, q string) uint64 { t.Helper(); return countP(t, s, q, nil) }

func countP(t *testing.T, s store.Store, q string, p store.Params) uint64 {
	t.Helper()
	n, err := queryCount(context.Background(), s, q, p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func queryCount(ctx context.Context, s store.Store, q string, p store.Params) (uint64, error) {
	rows, err := s.Query(ctx, q, p)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n uint64
	if !rows.Next() {
		return 0, fmt.Errorf("%s: no row (%v)", q, rows.Err())
	}
	return n, rows.Scan(&n)
}

func scanString(t *testing.T, s store.Store, q string, p store.Params) string {
	t.Helper()
	rows := query(t, s, q, p)
	defer closeRows(t, rows)
	var v string
	if !rows.Next() {
		t.Fatalf("%s: no row", q)
	}
	if err := rows.Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}
