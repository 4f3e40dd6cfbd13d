package ui

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/dashboards"
	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb"
	"github.com/flowslo/flowslo/store/chdb/chdbtest"
)

// TestTelemetryOnChDB runs the trace, RED and SLI-history SQL (the
// dashboards' panels) on the embedded ClickHouse.
func TestTelemetryOnChDB(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := chdb.Open(ctx, chdb.Options{DataDir: dir, Database: "ui_telemetry", Schema: chdbtest.Schema()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := store.Migrate(ctx, s, store.MigrateOptions{}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	tid := "4bf92f3577b34da6a3ce929d0e0e4736"
	res := map[string]string{"service.version": "4.2.0"}
	spans := []store.Span{
		{Timestamp: now.Add(-time.Minute), TraceID: tid, SpanID: "a1", SpanName: "POST /v1/login", SpanKind: "Server", ServiceName: "auth-api",
			ResourceAttributes: res, SpanAttributes: map[string]string{"http.response.status_code": "503", "note": xssAttr}, Duration: 800 * time.Millisecond, StatusCode: "Error"},
		{Timestamp: now.Add(-time.Minute + 10*time.Millisecond), TraceID: tid, SpanID: "b2", ParentSpanID: "a1", SpanName: xssName, SpanKind: "Internal",
			ServiceName: "auth-api", ResourceAttributes: res, Duration: 3 * time.Millisecond, StatusCode: "Unset"},
		{Timestamp: now.Add(-2 * time.Minute), TraceID: "ffff", SpanID: "c3", SpanName: "POST /v1/login", SpanKind: "Server", ServiceName: "auth-api",
			Duration: 40 * time.Millisecond, StatusCode: "Ok"},
		{Timestamp: now.Add(-3 * time.Minute), TraceID: "eeee", SpanID: "d4", SpanName: "GET /v1/feed", SpanKind: "Server", ServiceName: "feed-api",
			Duration: 90 * time.Millisecond, StatusCode: "Unset"},
	}
	if err := s.InsertSpans(ctx, spans); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertLogs(ctx, []store.LogRecord{{Timestamp: now.Add(-time.Minute), ObservedTimestamp: now, TraceID: tid, SpanID: "a1",
		SeverityText: "ERROR", SeverityNumber: 17, ServiceName: "auth-api", Body: "token service unavailable"}}); err != nil {
		t.Fatal(err)
	}
	hour := now.Truncate(time.Hour).Add(-2 * time.Hour)
	// the hourly row a roll writes next to its minutes (res 1)
	if err := s.Exec(ctx, `INSERT INTO slo_rollup (slo, hash, res, slice_key, slice_value, minute, good, total)
SELECT 'login-success', 'h1', 1, '', '', toStartOfHour(toDateTime({m:Int64}, 'UTC')), 990, 1000`, store.Params{"m": itoa(hour.Add(5 * time.Minute).Unix())}); err != nil {
		t.Fatal(err)
	}
	tel := NewTelemetry(s)

	tr, err := tel.Trace(ctx, tid)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Spans) != 2 || tr.Spans[0].Name != "POST /v1/login" || tr.Spans[1].Name != xssName || tr.Spans[0].Attributes["note"] != xssAttr ||
		tr.Spans[0].Resource["service.version"] != "4.2.0" || tr.Spans[0].DurationMs != 800 || len(tr.Logs) != 1 {
		t.Errorf("trace: %+v", tr)
	}
	if _, err := tel.Trace(ctx, "0123"); err != ErrNoTrace {
		t.Errorf("unknown trace: %v", err)
	}

	eps, err := tel.Endpoints(ctx, now.Add(-time.Hour), now.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(eps) != 2 || eps[0].Name != "POST /v1/login" || eps[0].Requests != 2 || eps[0].Errors != 1 || eps[0].P99Ms < 700 {
		t.Errorf("endpoints: %+v", eps)
	}

	hs, err := tel.SLIHistory(ctx, hour.Add(-24*time.Hour), hour.Add(3*time.Hour), 3*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 1 || hs[0].SLO != "login-success" || len(hs[0].Points) != 1 || hs[0].Points[0].Good != 990 {
		t.Errorf("history: %+v", hs)
	}

	// The Grafana form of every panel parses and runs once its macros
	// are given values.
	grafana := strings.NewReplacer("$__fromTime", "toDateTime("+itoa(now.Add(-24*time.Hour).Unix())+")",
		"$__toTime", "toDateTime("+itoa(now.Unix())+")", "$__interval_s", "60")
	for _, d := range dashboards.All {
		for _, p := range d.Panels {
			rows, err := s.Query(ctx, grafana.Replace(dashboards.GrafanaSQL(p, dashboards.GrafanaOptions{})), nil)
			if err != nil {
				t.Errorf("grafana SQL of %s: %v", p.ID, err)
				continue
			}
			rows.Close()
		}
	}
	_ = os.Remove(dir)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
