package ingest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// TestCopiedAttributesBounded: a small request whose large resource
// attributes every one of its many rows would copy (memory many times the
// request's size) is refused with 400 and what to do, on the queued and
// the direct path, traces and logs; one within the bound is stored.
func TestCopiedAttributesBounded(t *testing.T) {
	defer func(old int64) { maxCopiedBytes = old }(maxCopiedBytes)
	maxCopiedBytes = 1 << 20 // 16 attributes of 4 KiB: 64 KiB a row, 16 rows
	for _, queued := range []bool{true, false} {
		t.Run(fmt.Sprintf("queued=%v", queued), func(t *testing.T) {
			st := openCHDB(t)
			var p *Pipeline
			if queued {
				p = startQueued(t, st, QueueOptions{}, nil)
			} else {
				p = startPipeline(t, st, nil)
			}
			for _, signal := range []string{"traces", "logs"} {
				if code, msg := postCopying(t, p, signal, 17); code != http.StatusBadRequest || !strings.Contains(msg, "fewer items per request") {
					t.Errorf("%s: 17 rows of 64 KiB resource attributes answered %d %q, want 400 saying to send fewer", signal, code, msg)
				}
				if code, msg := postCopying(t, p, signal, 15); code != http.StatusOK {
					t.Errorf("%s: 15 rows answered %d %q, want 200", signal, code, msg)
				}
			}
			waitFor(t, "the queue to drain", func() bool { return drained(p) })
			for table, want := range map[string]int{"otel_traces": 15, "otel_logs": 15} {
				if got := countRows(t, st, table, "ServiceName")["copy"]; got != want {
					t.Errorf("%s: %d rows stored, want %d", table, got, want)
				}
			}
		})
	}
}

// postCopying posts n items of signal under one resource of 16
// attributes of 4 KiB and returns the status and body.
func postCopying(t *testing.T, p *Pipeline, signal string, n int) (int, string) {
	t.Helper()
	fill := func(m pcommon.Map) {
		m.PutStr("service.name", "copy")
		for i := range 16 {
			m.PutStr(fmt.Sprintf("a%02d", i), strings.Repeat("v", 4096-3))
		}
	}
	now := pcommon.NewTimestampFromTime(time.Now())
	var body []byte
	var err error
	if signal == "traces" {
		td := ptrace.NewTraces()
		rs := td.ResourceSpans().AppendEmpty()
		fill(rs.Resource().Attributes())
		spans := rs.ScopeSpans().AppendEmpty().Spans()
		for i := range n {
			s := spans.AppendEmpty()
			s.SetSpanID([8]byte{byte(n), byte(i), 9})
			s.SetStartTimestamp(now)
			s.SetEndTimestamp(now)
		}
		body, err = ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	} else {
		ld := plog.NewLogs()
		rl := ld.ResourceLogs().AppendEmpty()
		fill(rl.Resource().Attributes())
		recs := rl.ScopeLogs().AppendEmpty().LogRecords()
		for i := range n {
			r := recs.AppendEmpty()
			r.SetSpanID([8]byte{byte(n), byte(i), 9})
			r.SetTimestamp(now)
		}
		body, err = plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	}
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+p.HTTPAddr()+"/v1/"+signal, protoType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
