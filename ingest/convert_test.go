package ingest

import (
	"reflect"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/flowslo/flowslo/store"
)

var (
	t0      = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	traceID = pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	spanID  = pcommon.SpanID{0xa, 0xb, 0xc, 0xd, 1, 2, 3, 4}
)

func TestSpansToRows(t *testing.T) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "checkout")
	rs.Resource().Attributes().PutInt("pid", 42)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("shop")
	ss.Scope().SetVersion("1.2")
	s := ss.Spans().AppendEmpty()
	s.SetTraceID(traceID)
	s.SetSpanID(spanID)
	s.SetName("POST /pay")
	s.SetKind(ptrace.SpanKindServer)
	s.SetStartTimestamp(pcommon.NewTimestampFromTime(t0))
	s.SetEndTimestamp(pcommon.NewTimestampFromTime(t0.Add(1500 * time.Millisecond)))
	s.Status().SetCode(ptrace.StatusCodeError)
	s.Status().SetMessage("card declined")
	s.TraceState().FromRaw("k=v")
	s.Attributes().PutBool("retry", true)
	s.Attributes().PutDouble("amount", 9.5)
	ev := s.Events().AppendEmpty()
	ev.SetName("exception")
	ev.SetTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Second)))
	ev.Attributes().PutStr("exception.type", "Declined")
	l := s.Links().AppendEmpty()
	l.SetTraceID(traceID)
	l.SetSpanID(spanID)
	l.Attributes().PutInt("n", 1)

	rows := spansToRows(nil, td, testConversion())
	if len(rows) != 1 {
		t.Fatalf("got %d rows, want 1", len(rows))
	}
	got := rows[0]
	checks := []struct{ name, got, want string }{
		{"TraceID", got.TraceID, "0102030405060708090a0b0c0d0e0f10"},
		{"SpanID", got.SpanID, "0a0b0c0d01020304"},
		{"ParentSpanID", got.ParentSpanID, ""},
		{"TraceState", got.TraceState, "k=v"},
		{"SpanName", got.SpanName, "POST /pay"},
		{"SpanKind", got.SpanKind, "Server"},
		{"ServiceName", got.ServiceName, "checkout"},
		{"ScopeName", got.ScopeName, "shop"},
		{"ScopeVersion", got.ScopeVersion, "1.2"},
		{"StatusCode", got.StatusCode, "Error"},
		{"StatusMessage", got.StatusMessage, "card declined"},
		{"res pid", got.ResourceAttributes["pid"], "42"},
		{"attr retry", got.SpanAttributes["retry"], "true"},
		{"attr amount", got.SpanAttributes["amount"], "9.5"},
		{"event name", got.Events[0].Name, "exception"},
		{"event attr", got.Events[0].Attributes["exception.type"], "Declined"},
		{"link trace", got.Links[0].TraceID, "0102030405060708090a0b0c0d0e0f10"},
		{"link attr", got.Links[0].Attributes["n"], "1"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !got.Timestamp.Equal(t0) || got.Duration != 1500*time.Millisecond {
		t.Errorf("Timestamp %v Duration %v, want %v and 1.5s", got.Timestamp, got.Duration, t0)
	}
	if !got.Events[0].Timestamp.Equal(t0.Add(time.Second)) {
		t.Errorf("event time %v", got.Events[0].Timestamp)
	}
}

func TestSpanKindAndStatusNames(t *testing.T) {
	kinds := map[ptrace.SpanKind]string{
		ptrace.SpanKindUnspecified: "Unspecified", ptrace.SpanKindInternal: "Internal",
		ptrace.SpanKindServer: "Server", ptrace.SpanKindClient: "Client",
		ptrace.SpanKindProducer: "Producer", ptrace.SpanKindConsumer: "Consumer",
	}
	for k, want := range kinds {
		if got := spanKind(k); got != want {
			t.Errorf("spanKind(%d) = %q, want %q", k, got, want)
		}
	}
	codes := map[ptrace.StatusCode]string{ptrace.StatusCodeUnset: "Unset", ptrace.StatusCodeOk: "Ok", ptrace.StatusCodeError: "Error"}
	for c, want := range codes {
		if got := statusCode(c); got != want {
			t.Errorf("statusCode(%d) = %q, want %q", c, got, want)
		}
	}
}

func TestLogsToRows(t *testing.T) {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.SetSchemaUrl("https://res")
	rl.Resource().Attributes().PutStr("service.name", "push")
	sl := rl.ScopeLogs().AppendEmpty()
	sl.SetSchemaUrl("https://scope")
	sl.Scope().SetName("pusher")
	sl.Scope().Attributes().PutStr("lib", "x")
	withTime := sl.LogRecords().AppendEmpty()
	withTime.SetTimestamp(pcommon.NewTimestampFromTime(t0))
	withTime.SetObservedTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Second)))
	withTime.Body().SetEmptyMap().PutInt("code", 7)
	withTime.SetSeverityNumber(plog.SeverityNumberError)
	withTime.SetSeverityText("ERROR")
	withTime.SetTraceID(traceID)
	withTime.SetSpanID(spanID)
	withTime.SetFlags(plog.DefaultLogRecordFlags.WithIsSampled(true))
	withTime.SetEventName("push.failed")
	withTime.Attributes().PutInt("attempt", 3)
	observedOnly := sl.LogRecords().AppendEmpty()
	observedOnly.SetObservedTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Minute)))
	observedOnly.Body().SetStr("plain")

	rows := logsToRows(nil, ld, testConversion())
	if len(rows) != 2 {
		t.Fatalf("got %d rows, want 2", len(rows))
	}
	want := store.LogRecord{
		Timestamp: t0, ObservedTimestamp: t0.Add(time.Second),
		TraceID: "0102030405060708090a0b0c0d0e0f10", SpanID: "0a0b0c0d01020304", TraceFlags: 1,
		SeverityText: "ERROR", SeverityNumber: 17, ServiceName: "push", Body: `{"code":7}`,
		ResourceSchemaURL: "https://res", ScopeSchemaURL: "https://scope", ScopeName: "pusher",
		EventName: "push.failed",
	}
	got := rows[0]
	if got.ResourceAttributes["service.name"] != "push" || got.ScopeAttributes["lib"] != "x" || got.LogAttributes["attempt"] != "3" {
		t.Errorf("attributes: %v %v %v", got.ResourceAttributes, got.ScopeAttributes, got.LogAttributes)
	}
	got.ResourceAttributes, got.ScopeAttributes, got.LogAttributes = nil, nil, nil
	if !got.Timestamp.Equal(want.Timestamp) || !got.ObservedTimestamp.Equal(want.ObservedTimestamp) {
		t.Errorf("times %v %v", got.Timestamp, got.ObservedTimestamp)
	}
	got.Timestamp, got.ObservedTimestamp = want.Timestamp, want.ObservedTimestamp
	if !reflect.DeepEqual(got, want) {
		t.Errorf("row\n got %+v\nwant %+v", got, want)
	}
	if !rows[1].Timestamp.Equal(t0.Add(time.Minute)) || rows[1].Body != "plain" {
		t.Errorf("observed-only row: Timestamp %v Body %q, want the observed time", rows[1].Timestamp, rows[1].Body)
	}
}

// testConversion converts as a server at t0 with the default limits.
func testConversion() *conversion {
	return newConversion(Limits{AttributeCount: 128, ValueLength: 8 << 10}, "traces", 30*24*time.Hour, t0)
}
