package ingest

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// The OTLP HTTP fuzz targets send arbitrary bodies to a running pipeline
// (receiver, conversion to rows, a recording store) and require an answer
// a client can act on: stored, refused as bad input, too large, or retry
// later. A 500, a hang or a crash fails. `make test` runs each briefly;
// `go test -run '^$' -fuzz FuzzOTLPHTTPJSON ./ingest/` runs one longer.

func FuzzOTLPHTTPProtobuf(f *testing.F) { fuzzOTLPHTTP(f, "application/x-protobuf") }

func FuzzOTLPHTTPJSON(f *testing.F) { fuzzOTLPHTTP(f, "application/json") }

func fuzzOTLPHTTP(f *testing.F, contentType string) {
	tr, lg := seedRequests()
	for _, b := range [][]byte{mustMarshal(tr.MarshalProto), mustMarshal(tr.MarshalJSON), mustMarshal(lg.MarshalProto), mustMarshal(lg.MarshalJSON)} {
		f.Add(false, b)
		f.Add(true, b)
	}
	rec := &recorder{}
	p := startPipeline(f, rec.store(), func(o *Options) { o.MaxRequestBytes = 1 << 20 })
	base := "http://" + p.HTTPAddr()
	client := &http.Client{Timeout: 10 * time.Second} // a hang fails the input instead of the whole run
	f.Fuzz(func(t *testing.T, logs bool, body []byte) {
		path := "/v1/traces"
		if logs {
			path = "/v1/logs"
		}
		req, err := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests, http.StatusServiceUnavailable:
		default:
			t.Fatalf("POST %s with %d bytes of %s: status %d %q", path, len(body), contentType, resp.StatusCode, answer)
		}
	})
}

// seedRequests are small valid requests with the fields flowslo reads.
func seedRequests() (ptraceotlp.ExportRequest, plogotlp.ExportRequest) {
	now := pcommon.NewTimestampFromTime(time.Now())
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "auth-api")
	sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetName("POST /v1/login")
	sp.SetTraceID(pcommon.TraceID{1, 2, 3})
	sp.SetSpanID(pcommon.SpanID{4, 5, 6})
	sp.SetStartTimestamp(now)
	sp.SetEndTimestamp(now + 1e6)
	sp.Attributes().PutInt("http.response.status_code", 500)
	sp.Status().SetCode(ptrace.StatusCodeError)
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "push-worker")
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetTimestamp(now)
	lr.Body().SetStr("push delivered")
	lr.Attributes().PutStr("push.id", "p-1")
	return ptraceotlp.NewExportRequestFromTraces(td), plogotlp.NewExportRequestFromLogs(ld)
}

func mustMarshal(m func() ([]byte, error)) []byte {
	b, err := m()
	if err != nil {
		panic(err)
	}
	return b
}
