package ingest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb/chdbtest"
)

// outOfWindow are start times retention would delete or that lie too far
// ahead: the epoch, past 2^63 ns, the year 2200, 31 days ago (retention 30
// days), two hours ahead.
func outOfWindow(now time.Time) []pcommon.Timestamp {
	return []pcommon.Timestamp{
		0,
		pcommon.Timestamp(1<<63 + 5),
		pcommon.NewTimestampFromTime(time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)),
		pcommon.NewTimestampFromTime(now.Add(-31 * 24 * time.Hour)),
		pcommon.NewTimestampFromTime(now.Add(2 * time.Hour)),
	}
}

// TestTimestampWindow sends spans (gRPC) and logs (HTTP) with timestamps
// outside [now − retention, now + 1h] next to good ones, on the real store:
// the bad ones are refused by partial success with the valid range in the
// message, the good ones stored, and the counters agree with the table.
func TestTimestampWindow(t *testing.T) {
	st := openCHDB(t)
	p := startPipeline(t, st, nil) // retention: the default 30 days
	now := time.Now()
	bad := outOfWindow(now)

	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	for i, ts := range append(bad, goodTimes(now)...) {
		s := spans.AppendEmpty()
		s.SetSpanID([8]byte{byte(i + 1)})
		s.SetStartTimestamp(ts)
		s.SetEndTimestamp(ts)
	}
	cc, err := grpc.NewClient(p.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	resp, err := ptraceotlp.NewGRPCClient(cc).Export(context.Background(), ptraceotlp.NewExportRequestFromTraces(td))
	if err != nil {
		t.Fatal(err)
	}
	ps := resp.PartialSuccess()
	if ps.RejectedSpans() != int64(len(bad)) || !strings.Contains(ps.ErrorMessage(), "outside the accepted range for traces [") {
		t.Errorf("partial success: rejected %d %q, want %d and the range", ps.RejectedSpans(), ps.ErrorMessage(), len(bad))
	}

	logs := plogotlp.NewExportRequest()
	lrs := logs.Logs().ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, ts := range append(bad, goodTimes(now)...) {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(ts)
		lr.SetObservedTimestamp(ts)
	}
	lresp := postLogs(t, p, logs)
	if lresp.PartialSuccess().RejectedLogRecords() != int64(len(bad)) || !strings.Contains(lresp.PartialSuccess().ErrorMessage(), "log records refused") {
		t.Errorf("logs partial success: %d %q", lresp.PartialSuccess().RejectedLogRecords(), lresp.PartialSuccess().ErrorMessage())
	}

	for _, c := range []struct{ signal, table string }{{"traces", "otel_traces"}, {"logs", "otel_logs"}} {
		rows := tableRows(t, st, c.table)
		accepted := testutil.ToFloat64(p.m.accepted.WithLabelValues(c.signal))
		stored := testutil.ToFloat64(p.m.stored.WithLabelValues(c.signal))
		rejected := testutil.ToFloat64(p.m.rejected.WithLabelValues(c.signal))
		if rows != 5 || accepted != 5 || stored != 5 || rejected != float64(len(bad)) {
			t.Errorf("%s: table %d, accepted %v, stored %v, rejected %v; want 5, 5, 5, %d", c.signal, rows, accepted, stored, rejected, len(bad))
		}
	}
}

// goodTimes are five timestamps inside the window, at its edges too.
func goodTimes(now time.Time) []pcommon.Timestamp {
	var out []pcommon.Timestamp
	for _, d := range []time.Duration{-29 * 24 * time.Hour, -time.Hour, 0, time.Minute, 59 * time.Minute} {
		out = append(out, pcommon.NewTimestampFromTime(now.Add(d)))
	}
	return out
}

func postLogs(t *testing.T, p *Pipeline, req plogotlp.ExportRequest) plogotlp.ExportResponse {
	t.Helper()
	body, _ := req.MarshalProto()
	resp, err := http.Post("http://"+p.HTTPAddr()+"/v1/logs", protoType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("logs: %d %s", resp.StatusCode, b)
	}
	out := plogotlp.NewExportResponse()
	if err := out.UnmarshalProto(b); err != nil {
		t.Fatal(err)
	}
	return out
}

// tableRows counts the rows of table.
func tableRows(t *testing.T, st store.Store, table string) int {
	return chdbtest.CountBy(t, st, "SELECT 'all', count() FROM "+table)["all"]
}

// TestSignalRetention: logs kept 7 days, traces the default 30. A span
// and a log record from 10 days ago: the span is stored, the log record
// refused with the logs' range and retention named in the message.
func TestSignalRetention(t *testing.T) {
	st := openCHDB(t)
	p := startPipeline(t, st, func(o *Options) { o.LogsRetention = 7 * 24 * time.Hour })
	now := time.Now()
	old := pcommon.NewTimestampFromTime(now.Add(-10 * 24 * time.Hour))

	td := ptrace.NewTraces()
	s := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	s.SetSpanID([8]byte{1})
	s.SetStartTimestamp(old)
	s.SetEndTimestamp(old)
	cc, err := grpc.NewClient(p.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	resp, err := ptraceotlp.NewGRPCClient(cc).Export(context.Background(), ptraceotlp.NewExportRequestFromTraces(td))
	if err != nil {
		t.Fatal(err)
	}
	if ps := resp.PartialSuccess(); ps.RejectedSpans() != 0 {
		t.Errorf("a 10-day-old span refused under a 30-day traces retention: %q", ps.ErrorMessage())
	}

	logs := plogotlp.NewExportRequest()
	lrs := logs.Logs().ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, ts := range []pcommon.Timestamp{old, pcommon.NewTimestampFromTime(now)} {
		lrs.AppendEmpty().SetTimestamp(ts)
	}
	ps := postLogs(t, p, logs).PartialSuccess()
	from := now.Add(-7 * 24 * time.Hour).UTC().Format("2006-01-02T15")
	if ps.RejectedLogRecords() != 1 || !strings.Contains(ps.ErrorMessage(), "accepted range for logs ["+from) ||
		!strings.Contains(ps.ErrorMessage(), "logs retention 7d") {
		t.Errorf("logs partial success: %d %q, want 1 refused, the range from %s and the logs retention", ps.RejectedLogRecords(), ps.ErrorMessage(), from)
	}
	if n := tableRows(t, st, "otel_traces"); n != 1 {
		t.Errorf("otel_traces holds %d rows, want 1", n)
	}
	if n := tableRows(t, st, "otel_logs"); n != 1 {
		t.Errorf("otel_logs holds %d rows, want 1", n)
	}
}
