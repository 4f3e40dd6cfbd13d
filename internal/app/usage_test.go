package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"

	"github.com/flowslo/flowslo/usage"
)

// TestUsageAPIAndPage: spans sent over OTLP show in GET /api/v1/usage in
// the shape, and on the Usage page.
func TestUsageAPIAndPage(t *testing.T) {
	a := startApp(t)
	ctx := context.Background()
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(a.OTLPGRPCAddr()), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	defer exp.Shutdown(ctx)
	if err := exp.ExportSpans(ctx, loginSpans(0, 300)); err != nil {
		t.Fatal(err)
	}
	waitDrained(t, a)
	base := "http://" + a.HTTPAddr()
	code, body := get(t, base+"/api/v1/usage")
	if code != http.StatusOK {
		t.Fatalf("/api/v1/usage = %d %s", code, body)
	}
	var shape map[string]any
	if err := json.Unmarshal([]byte(body), &shape); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"services", "retention", "total_bytes"} {
		if _, ok := shape[k]; !ok {
			t.Errorf("usage lacks %q: %s", k, body)
		}
	}
	var rep usage.Report
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Services) != 1 || rep.Services[0].Spans != 300 || rep.Services[0].Bytes == 0 || len(rep.Services[0].Days) != 1 {
		t.Fatalf("services %+v, want one with 300 spans and their bytes", rep.Services)
	}
	svc := rep.Services[0]
	if !strings.Contains(body, `"days":[{"day":"`+svc.Days[0].Day+`","spans":300,`) || !strings.Contains(body, `"read_by_slos":[]`) {
		t.Errorf("usage body not in the documented shape: %s", body)
	}
	code, page := get(t, base+"/usage")
	if code != http.StatusOK || !strings.Contains(page, "Usage and cost") || !strings.Contains(page, svc.Service) {
		t.Errorf("/usage = %d, lacks the service:\n%.800s", code, page)
	}
}

// TestSignalRetentionWired: with retention_logs 7d beside a 30-day
// default, otel_logs' TTL is 7 days and otel_traces' 30; a log record
// 10 days old is refused with the logs' range named; the usage API
// reports each signal's retention.
func TestSignalRetentionWired(t *testing.T) {
	cfgFile := filepath.Join(t.TempDir(), "flowslo.yaml")
	writeFile(t, cfgFile, "storage:\n  retention: 30d\n  retention_logs: 7d\n")
	a := startAppWith(t, func(o *Options) { o.ConfigFile = cfgFile })
	for table, ttl := range map[string]string{"otel_traces": "toIntervalDay(30)", "otel_logs": "toIntervalDay(7)"} {
		rows, err := a.store.Query(context.Background(), "SELECT create_table_query FROM system.tables WHERE database = currentDatabase() AND name = {t:String}", map[string]string{"t": table})
		if err != nil {
			t.Fatal(err)
		}
		var ddl string
		for rows.Next() {
			if err := rows.Scan(&ddl); err != nil {
				t.Fatal(err)
			}
		}
		rows.Close()
		if !strings.Contains(ddl, "TTL ") || !strings.Contains(ddl[strings.Index(ddl, "TTL "):], ttl) {
			t.Errorf("%s: TTL is not %s: %s", table, ttl, ddl)
		}
	}

	req := plogotlp.NewExportRequest()
	lr := req.Logs().ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Now().Add(-10 * 24 * time.Hour)))
	body, _ := req.MarshalProto()
	resp, err := http.Post("http://"+a.OTLPHTTPAddr()+"/v1/logs", "application/x-protobuf", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	out := plogotlp.NewExportResponse()
	if err := out.UnmarshalProto(b); err != nil {
		t.Fatal(err)
	}
	if ps := out.PartialSuccess(); ps.RejectedLogRecords() != 1 || !strings.Contains(ps.ErrorMessage(), "logs retention 7d") {
		t.Errorf("a 10-day-old log record: rejected %d %q, want refused under the logs retention", ps.RejectedLogRecords(), ps.ErrorMessage())
	}

	code, usageBody := get(t, "http://"+a.HTTPAddr()+"/api/v1/usage")
	var rep usage.Report
	if err := json.Unmarshal([]byte(usageBody), &rep); code != http.StatusOK || err != nil {
		t.Fatalf("/api/v1/usage = %d %v %s", code, err, usageBody)
	}
	if r := rep.Retention; r.TracesDays != 30 || r.LogsDays != 7 || r.Logs.Days != 7 || r.Traces.Days != 30 {
		t.Errorf("usage retention %+v, want traces 30 and logs 7", r)
	}
	code, page := get(t, "http://"+a.HTTPAddr()+"/usage")
	if code != http.StatusOK || !strings.Contains(page, "Spans are kept 30 days and logs 7 days") {
		t.Errorf("/usage = %d, does not state each signal's retention:\n%.1500s", code, page)
	}
}
