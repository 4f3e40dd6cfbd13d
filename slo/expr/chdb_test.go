package expr_test

import (
	"context"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo/expr"
	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb"
)

// TestOnChDB runs compiled filters on the real engine (skipped without
// libchdb.so): the SQL must parse, bind its parameters and count the right
// rows, including rows whose values look like SQL. It is an external test
// package, so package expr itself still imports no store driver.
func TestOnChDB(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := chdb.Open(ctx, chdb.Options{DataDir: dir, Database: "exprcheck"})
	if err != nil {
		t.Fatalf("open chDB (run make setup, or set FLOWSLO_CHDB_LIB): %v", err)
	}
	defer s.Close()
	if err := store.Migrate(ctx, s, store.MigrateOptions{}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	spans := []store.Span{
		{Timestamp: now, TraceID: "01", SpanID: "01", SpanName: "POST /v1/login", SpanKind: "Server", ServiceName: "auth-api", StatusCode: "Error", Duration: 500 * time.Millisecond,
			SpanAttributes: map[string]string{"http.response.status_code": "503", "app.platform": "ios"}, ResourceAttributes: map[string]string{"service.version": "4.2"}},
		{Timestamp: now, TraceID: "02", SpanID: "02", SpanName: "POST /v1/login", SpanKind: "Server", ServiceName: "auth-api", StatusCode: "Ok", Duration: 100 * time.Millisecond,
			SpanAttributes: map[string]string{"http.response.status_code": "200", "app.platform": "android"}},
		{Timestamp: now, TraceID: "03", SpanID: "03", SpanName: "x'); DROP TABLE otel_traces; --", SpanKind: "Client", ServiceName: "feed-api", StatusCode: "Unset", Duration: time.Second,
			SpanAttributes: map[string]string{"a'b": "{p0:String}"}},
	}
	if err := s.InsertSpans(ctx, spans); err != nil {
		t.Fatal(err)
	}
	logs := []store.LogRecord{{Timestamp: now, SeverityNumber: 17, Body: "panic: boom", EventName: "push.delivery", ServiceName: "push-worker", LogAttributes: map[string]string{"push.result": "timeout"}}}
	if err := s.InsertLogs(ctx, logs); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		src  expr.Source
		e    string
		want int
	}{
		{expr.Traces, `status.code == "Error" || attributes["http.response.status_code"] >= 500`, 1},
		{expr.Traces, `!(attributes["http.response.status_code"] >= 500)`, 2},
		{expr.Traces, `attributes["http.response.status_code"] in [200, 503]`, 2},
		{expr.Traces, `status.code in ["Ok", "Unset"]`, 2},
		{expr.Traces, `duration > duration("300ms")`, 2},
		{expr.Traces, `duration <= duration("100ms")`, 1},
		{expr.Traces, `"app.platform" in attributes && has(attributes.app)`, 0},
		{expr.Traces, `"app.platform" in attributes`, 2},
		{expr.Traces, `name.startsWith("POST") && name.endsWith("login") && name.contains("v1")`, 2},
		{expr.Traces, `name.matches("^POST /v[0-9]+/login$")`, 2},
		{expr.Traces, `name == "x'); DROP TABLE otel_traces; --"`, 1},
		{expr.Traces, `attributes["a'b"] == "{p0:String}"`, 1},
		{expr.Traces, `resource.attributes["service.version"] == "4.2" && kind == "Server"`, 1},
		{expr.Traces, `attributes["ratio"] < 0.5`, 0},
		{expr.Traces, `true`, 3},
		{expr.Traces, `name in []`, 0},
		{expr.Logs, `severity.number >= 17 && body.contains("panic") && attributes["push.result"] in ["rejected", "timeout"]`, 1},
	}
	for _, c := range cases {
		comp, err := expr.Compile(c.src, c.e, expr.WithPrefix("f"))
		if err != nil {
			t.Fatalf("%s: %v", c.e, err)
		}
		n := count(t, s, "SELECT count() FROM "+c.src.Table()+" WHERE "+comp.SQL, comp.Params)
		if n != c.want {
			t.Errorf("%s: %d rows, want %d (%s)", c.e, n, c.want, comp.SQL)
		}
	}
	v, _ := expr.CompileValue(expr.Traces, `attributes["app.platform"]`)
	if n := count(t, s, "SELECT count(DISTINCT "+v.SQL+") FROM otel_traces", v.Params); n != 3 {
		t.Errorf("slices: %d", n)
	}
}

func count(t *testing.T, s store.Store, q string, p expr.Params) int {
	rows, err := s.Query(context.Background(), q, store.Params(p))
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var n uint64
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	return int(n)
}
