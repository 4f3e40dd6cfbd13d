package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"maps"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/flowslo/flowslo/store"
)

// TestQueueRowsSameAsDirect: requests of every odd shape (many resources,
// events and links, attributes over the limits, every value type, spans
// outside the window answered by partial success; protobuf, JSON, gzip)
// store, through the queue's rows entries, exactly the rows the direct
// path (no queue) stores, column by column, and get the same answers.
func TestQueueRowsSameAsDirect(t *testing.T) {
	direct, queued := openCHDB(t), openCHDB(t)
	lim := func(o *Options) { o.Limits = Limits{AttributeCount: 8, ValueLength: 64} }
	pd := startPipeline(t, direct, lim)
	pq := startQueued(t, queued, QueueOptions{}, lim)
	if pq.queue.sink.rows == nil {
		t.Fatal("the embedded store's queue does not keep rows entries")
	}
	for _, r := range oddRequests(t) {
		// The window's bounds in the message are the server's clock's.
		a, b := bounds.ReplaceAllString(r.post(t, pd), "[…]"), bounds.ReplaceAllString(r.post(t, pq), "[…]")
		if a != b {
			t.Errorf("%s: direct answered %q, queued %q", r.name, a, b)
		}
	}
	waitFor(t, "the queue to drain", func() bool { return drained(pq) })
	for _, table := range []string{"otel_traces", "otel_logs"} {
		want, got := allRows(t, direct, table), allRows(t, queued, table)
		if d := os.Getenv("ROWSDUMP"); d != "" {
			os.WriteFile(d+"/"+table+".direct", []byte(strings.Join(slices.Sorted(maps.Keys(want)), "\n")), 0o644)
			os.WriteFile(d+"/"+table+".queued", []byte(strings.Join(slices.Sorted(maps.Keys(got)), "\n")), 0o644)
		}
		if len(want) == 0 {
			t.Fatalf("%s: nothing stored directly", table)
		}
		for _, k := range slices.Sorted(maps.Keys(want)) {
			if got[k] != want[k] {
				t.Errorf("%s: row stored %d times directly, %d through the queue:\n%s", table, want[k], got[k], k)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(got)) {
			if _, ok := want[k]; !ok {
				t.Errorf("%s: row stored only through the queue:\n%s", table, k)
			}
		}
	}
}

var bounds = regexp.MustCompile(`\[[0-9TZ:, -]+\]`)

// allRows is every row of table, every column, as text, and how many
// times each is stored. Maps are sorted by key: their order in a row is
// the order Go's map iteration gave, which differs from run to run; the
// insert time is left out.
func allRows(t *testing.T, st store.Store, table string) map[string]int {
	t.Helper()
	rows, err := st.Query(context.Background(),
		"SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {t:String} AND name != {ins:String} ORDER BY position",
		store.Params{"t": table, "ins": store.InsertedColumn})
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			t.Fatal(err)
		}
		c := "`" + name + "`"
		switch {
		case strings.HasPrefix(typ, "Map("):
			c = "mapSort(" + c + ")"
		case strings.HasPrefix(typ, "Array(Map("):
			c = "arrayMap(m -> mapSort(m), " + c + ")"
		}
		cols = append(cols, c)
	}
	rows.Close()
	if len(cols) == 0 {
		t.Fatalf("no columns in %s", table)
	}
	return countRows(t, st, table, "formatRow('TSVRaw', "+strings.Join(cols, ", ")+")")
}

// oddRequest is one OTLP/HTTP request: its path, body and encoding.
type oddRequest struct {
	name, path string
	body       []byte
	json, gzip bool
}

// post sends r and returns its status and response body, as text.
func (r oddRequest) post(t *testing.T, p *Pipeline) string {
	t.Helper()
	body := r.body
	if r.gzip {
		var b bytes.Buffer
		z := gzip.NewWriter(&b)
		z.Write(body)
		z.Close()
		body = b.Bytes()
	}
	req, err := http.NewRequest(http.MethodPost, "http://"+p.HTTPAddr()+r.path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", map[bool]string{true: jsonType, false: protoType}[r.json])
	if r.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.Status + " " + string(b)
}

// oddRequests are the shapes, a request in each encoding (protobuf, JSON,
// gzipped protobuf), each with its own IDs (twins would be answered by the
// dedup window).
func oddRequests(t *testing.T) []oddRequest {
	var out []oddRequest
	add := func(name, path string, enc int, proto, json []byte, err1, err2 error) {
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		r := oddRequest{name: name, path: path, body: proto}
		switch enc {
		case 1:
			r.name, r.body, r.json = name+" json", json, true
		case 2:
			r.name, r.gzip = name+" gzip", true
		}
		out = append(out, r)
	}
	for enc, td := range oddTraces() {
		req := ptraceotlp.NewExportRequestFromTraces(td)
		p, err1 := req.MarshalProto()
		j, err2 := req.MarshalJSON()
		add("traces", "/v1/traces", enc, p, j, err1, err2)
	}
	for enc, ld := range oddLogs() {
		req := plogotlp.NewExportRequestFromLogs(ld)
		p, err1 := req.MarshalProto()
		j, err2 := req.MarshalJSON()
		add("logs", "/v1/logs", enc, p, j, err1, err2)
	}
	return out
}

// putOdd fills m with attributes of every type, more than the limit, one
// value over the length limit.
func putOdd(m pcommon.Map, tag string) {
	m.PutStr("tag", tag)
	m.PutStr("long", strings.Repeat("é", 100))
	m.PutInt("int", -7)
	m.PutDouble("double", 1.5)
	m.PutBool("bool", true)
	m.PutEmptyBytes("bytes").FromRaw([]byte{0, 1, 0xff})
	s := m.PutEmptySlice("slice")
	s.AppendEmpty().SetStr("a")
	s.AppendEmpty().SetInt(2)
	mm := m.PutEmptyMap("map")
	mm.PutStr("k", "v")
	mm.PutEmptyMap("nested").PutBool("deep", false)
	m.PutEmpty("empty")
	for i := range 5 {
		m.PutStr("extra"+string(rune('0'+i)), "x")
	}
}

// oddTraces: many resources, events and links, limits, partial success.
func oddTraces() []ptrace.Traces {
	now := time.Now()
	ts := func(d time.Duration) pcommon.Timestamp { return pcommon.NewTimestampFromTime(now.Add(d)) }
	var out []ptrace.Traces
	for enc := range 3 { // a request per encoding: twins would be answered by the dedup window
		td := ptrace.NewTraces()
		for r := range 12 {
			rs := td.ResourceSpans().AppendEmpty()
			if r%3 != 0 {
				rs.Resource().Attributes().PutStr("service.name", "odd"+string(rune('a'+r)))
			}
			putOdd(rs.Resource().Attributes(), "resource")
			rs.SetSchemaUrl("https://example.com/schema")
			ss := rs.ScopeSpans().AppendEmpty()
			ss.Scope().SetName("scope")
			ss.Scope().SetVersion("1.2")
			putOdd(ss.Scope().Attributes(), "scope")
			for i := range 6 {
				s := ss.Spans().AppendEmpty()
				s.SetTraceID([16]byte{byte(enc), byte(r), byte(i), 1})
				s.SetSpanID([8]byte{byte(enc), byte(r), byte(i), 2})
				if i%2 == 1 {
					s.SetParentSpanID([8]byte{byte(enc), byte(r), 0, 2})
				}
				s.TraceState().FromRaw("k=v")
				s.SetName("op " + strings.Repeat("n", i*40))
				s.SetKind(ptrace.SpanKind(i % 6))
				s.Status().SetCode(ptrace.StatusCode(i % 3))
				s.Status().SetMessage("status message")
				start := ts(-time.Duration(r*i) * time.Minute)
				switch {
				case r == 5 && i == 0:
					start = ts(-200 * 24 * time.Hour) // outside retention
				case r == 5 && i == 1:
					start = ts(3 * time.Hour) // beyond the lookahead
				}
				s.SetStartTimestamp(start)
				s.SetEndTimestamp(start + pcommon.Timestamp(i)*1e6)
				if r == 6 && i == 2 {
					s.SetEndTimestamp(start - 1) // ends before it starts
				}
				putOdd(s.Attributes(), "span")
				s.SetDroppedAttributesCount(3)
				for e := range i {
					ev := s.Events().AppendEmpty()
					ev.SetName("event")
					ev.SetTimestamp(start + pcommon.Timestamp(e))
					putOdd(ev.Attributes(), "event")
				}
				for l := range i % 3 {
					ln := s.Links().AppendEmpty()
					ln.SetTraceID([16]byte{9, byte(l)})
					ln.SetSpanID([8]byte{9, byte(l)})
					ln.TraceState().FromRaw("a=b")
					putOdd(ln.Attributes(), "link")
				}
			}
		}
		out = append(out, td)
	}
	return out
}

// oddLogs: bodies of every type, no timestamp but the observed one,
// records outside the window.
func oddLogs() []plog.Logs {
	now := time.Now()
	ts := func(d time.Duration) pcommon.Timestamp { return pcommon.NewTimestampFromTime(now.Add(d)) }
	var out []plog.Logs
	for enc := range 3 {
		ld := plog.NewLogs()
		for r := range 5 {
			rl := ld.ResourceLogs().AppendEmpty()
			rl.Resource().Attributes().PutStr("service.name", "oddlogs")
			putOdd(rl.Resource().Attributes(), "resource")
			sl := rl.ScopeLogs().AppendEmpty()
			sl.Scope().SetName("logscope")
			for i := range 7 {
				l := sl.LogRecords().AppendEmpty()
				l.SetTraceID([16]byte{byte(enc), byte(r), byte(i), 3})
				l.SetSpanID([8]byte{byte(enc), byte(r), byte(i), 4})
				l.SetSeverityNumber(plog.SeverityNumber(i * 3))
				l.SetSeverityText("sev")
				l.SetFlags(plog.LogRecordFlags(1))
				l.SetEventName("ev")
				l.SetTimestamp(ts(-time.Duration(r*i) * time.Minute))
				l.SetObservedTimestamp(ts(0))
				switch i {
				case 0:
					l.Body().SetStr(strings.Repeat("body ", 40) + string(rune(enc+'0')))
				case 1:
					putOdd(l.Body().SetEmptyMap(), "body")
				case 2:
					l.Body().SetEmptySlice().AppendEmpty().SetDouble(2.5)
				case 3:
					l.Body().SetEmptyBytes().FromRaw([]byte{1, 2, byte(enc)})
				case 4:
					l.SetTimestamp(0) // the observed time stands in
				case 5:
					l.SetTimestamp(ts(-200 * 24 * time.Hour)) // outside retention
				}
				putOdd(l.Attributes(), "log")
			}
		}
		out = append(out, ld)
	}
	return out
}
