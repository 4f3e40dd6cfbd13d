package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/flowslo/flowslo/store"
)

// TestCollectorStartsBeforeClickHouse: a collector whose ClickHouse is
// down at start listens at once and acknowledges into its disk queue;
// /readyz answers 200 saying it queues and why ClickHouse is not there,
// and 503 once the queue is full. When ClickHouse comes up, the store is
// opened in the background and everything acknowledged is stored exactly
// once, even though its first inserts land and then time out (the
// insert deduplication tokens). ClickHouse going away again later: the
// same, /readyz saying since when.
//
// There is no ClickHouse server on the test machines, so the server
// store's opener is injected (Options.openServer): its first attempt dials
// a closed port (a real "connection refused"), the next ones hang as a
// connect to a silent host does, until the test brings ClickHouse "up";
// then it returns the real chDB store, migrated with the collector's
// schema. cmd/flowslo's TestCollectorStartsWithClickHouseDown runs the
// binary against a closed port for the "down" part.
func TestCollectorStartsBeforeClickHouse(t *testing.T) {
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close()

	opts := testOptions()
	cfg, err := LoadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	real, err := openEmbedded(context.Background(), opts, cfg, schemaOf(RoleCollector))
	if err != nil {
		t.Fatal(err)
	}
	ch := &landsThenTimesOut{Store: real, deadAddr: deadAddr}
	ch.timeouts.Store(3)
	up := make(chan struct{})
	var attempts atomic.Int32
	refused := make(chan struct{})
	open := func(ctx context.Context) (store.Store, error) {
		if attempts.Add(1) == 1 {
			defer close(refused)
			_, err := net.Dial("tcp", deadAddr)
			return nil, fmt.Errorf("open clickhouse: %w", err)
		}
		select {
		case <-up:
			return ch, nil
		case <-ctx.Done():
			return nil, fmt.Errorf("open clickhouse: %w", ctx.Err())
		}
	}
	dir := t.TempDir()
	config := filepath.Join(dir, "collector.yml")
	if err := os.WriteFile(config, fmt.Appendf(nil, "queue:\n  dir: %s\n  max_bytes: %d\n", filepath.Join(dir, "queue"), 21<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	a := startAppWith(t, func(o *Options) {
		*o = opts
		o.Role, o.ConfigFile, o.openServer = RoleCollector, config, open
	})
	<-refused
	base := "http://" + a.HTTPAddr()

	ctx := context.Background()
	want := map[string]bool{}
	grpcExp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(a.OTLPGRPCAddr()), otlptracegrpc.WithInsecure(),
		otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	defer grpcExp.Shutdown(ctx)
	httpExp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(a.OTLPHTTPAddr()), otlptracehttp.WithInsecure(),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	defer httpExp.Shutdown(ctx)
	for b := range 4 {
		exp := sdktrace.SpanExporter(grpcExp)
		if b%2 == 1 {
			exp = httpExp
		}
		if err := exp.ExportSpans(ctx, payloadSpans(want, b, 100, 10)); err != nil {
			t.Fatalf("batch %d with ClickHouse down: %v, want acknowledged into the queue", b, err)
		}
	}
	// A byte-identical retry is answered from the fingerprints, not queued
	// twice (each enqueue takes a token of its own).
	body, ids := retriedBody(t)
	for try := range 2 {
		resp, err := http.Post("http://"+a.OTLPHTTPAddr()+"/v1/traces", "application/x-protobuf", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("try %d of a request with ClickHouse down: %d, want acknowledged", try, resp.StatusCode)
		}
	}
	for _, id := range ids {
		want[id] = true
	}
	code, reason := readyz(t, base)
	if code != http.StatusOK || !strings.Contains(reason, "accepting into the disk queue (") ||
		!strings.Contains(reason, "KiB queued); ClickHouse unreachable since ") || !strings.Contains(reason, "connection refused") {
		t.Errorf("/readyz with ClickHouse down = %d %q, want 200 saying it queues and that ClickHouse refuses connections", code, reason)
	}

	// Fill the queue: ~1 MiB requests until one is refused.
	var full error
	for b := 10; b < 60 && full == nil; b++ {
		got := map[string]bool{}
		if full = grpcExp.ExportSpans(ctx, payloadSpans(got, b, 500, 2000)); full == nil {
			for id := range got {
				want[id] = true
			}
		}
	}
	if st, _ := status.FromError(full); st.Code() != codes.Unavailable || !strings.Contains(st.Message(), "queue full") {
		t.Fatalf("refusal with the queue full: %v, want Unavailable naming the full queue", full)
	}
	if code, reason := readyz(t, base); code != http.StatusServiceUnavailable || !strings.Contains(reason, "traces queue refusing") ||
		!strings.Contains(reason, "not reachable yet") {
		t.Errorf("/readyz with the queue full = %d %q, want 503 naming the queue and ClickHouse", code, reason)
	}

	close(up)
	waitDrained(t, a)
	stored := storedSpans(t, real)
	for id := range want {
		if stored[id] != 1 {
			t.Errorf("acknowledged span %s stored %d times, want once", id, stored[id])
		}
	}
	if len(stored) != len(want) {
		t.Errorf("%d spans stored, %d acknowledged", len(stored), len(want))
	}
	if ch.timeouts.Load() > 0 {
		t.Error("no insert landed and timed out: the tokens were not tested")
	}
	if code, reason := readyz(t, base); code != http.StatusOK || reason != "" {
		t.Errorf("/readyz after the queue drained = %d %q, want 200 with no caveat", code, reason)
	}

	// ClickHouse goes away again: the same queue, and /readyz says since
	// when.
	ch.down.Store(true)
	if code, reason := readyz(t, base); code != http.StatusOK || !strings.Contains(reason, "accepting into the disk queue") ||
		!strings.Contains(reason, "ClickHouse unreachable since ") || !strings.Contains(reason, "connection refused") {
		t.Errorf("/readyz with ClickHouse gone after start = %d %q, want 200 saying it queues and that ClickHouse refuses connections", code, reason)
	}
	if err := httpExp.ExportSpans(ctx, payloadSpans(want, 90, 100, 10)); err != nil {
		t.Fatalf("batch with ClickHouse gone after start: %v, want acknowledged into the queue", err)
	}
	ch.down.Store(false)
	waitDrained(t, a)
	if got := storedSpans(t, real); len(got) != len(want) {
		t.Errorf("%d spans stored after the second outage, %d acknowledged", len(got), len(want))
	}
	if code, reason := readyz(t, base); code != http.StatusOK || reason != "" {
		t.Errorf("/readyz after the second outage = %d %q, want 200 with no caveat", code, reason)
	}
	t.Logf("%d spans acknowledged with ClickHouse down; %d open attempts", len(want), attempts.Load())
}

// landsThenTimesOut inserts, then reports its first `timeouts` inserts as
// timed out: the unclear failure a retry must not store twice. While down,
// inserts and pings are refused as by a server gone away.
type landsThenTimesOut struct {
	store.Store
	timeouts atomic.Int32
	down     atomic.Bool
	deadAddr string
}

// gone is the error of a server that refuses connections.
func (s *landsThenTimesOut) gone() error {
	_, err := net.Dial("tcp", s.deadAddr)
	return fmt.Errorf("clickhouse: %w", err)
}

func (s *landsThenTimesOut) Ping(ctx context.Context) error {
	if s.down.Load() {
		return s.gone()
	}
	return s.Store.Ping(ctx)
}

func (s *landsThenTimesOut) unclear(err error) error {
	if err == nil && s.timeouts.Add(-1) >= 0 {
		return fmt.Errorf("insert: %w", context.DeadlineExceeded)
	}
	return err
}

func (s *landsThenTimesOut) InsertSpansOnce(ctx context.Context, token string, spans []store.Span) error {
	if s.down.Load() {
		return s.gone()
	}
	return s.unclear(s.Store.(store.TokenInserter).InsertSpansOnce(ctx, token, spans))
}

func (s *landsThenTimesOut) InsertLogsOnce(ctx context.Context, token string, logs []store.LogRecord) error {
	if s.down.Load() {
		return s.gone()
	}
	return s.unclear(s.Store.(store.TokenInserter).InsertLogsOnce(ctx, token, logs))
}

// payloadSpans are n spans of batch with payload bytes of attribute each;
// their span IDs are added to ids.
func payloadSpans(ids map[string]bool, batch, n, payload int) []sdktrace.ReadOnlySpan {
	res := resource.NewSchemaless(attribute.String("service.name", "auth-api"))
	stubs := make(tracetest.SpanStubs, n)
	start := time.Now().Add(-time.Minute)
	for i := range stubs {
		var tid trace.TraceID
		var sid trace.SpanID
		copy(tid[:], fmt.Sprintf("%08d%08d", batch, i))
		copy(sid[:], fmt.Sprintf("%02d%06d", batch, i))
		ids[sid.String()] = true
		stubs[i] = tracetest.SpanStub{
			Name: "POST /v1/login", SpanKind: trace.SpanKindServer, Resource: res,
			SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid}),
			StartTime:   start, EndTime: start.Add(120 * time.Millisecond),
			Attributes: []attribute.KeyValue{attribute.String("payload", strings.Repeat("p", payload))},
		}
	}
	return stubs.Snapshots()
}

// retriedBody is one OTLP/HTTP protobuf request of three spans, and
// their span IDs.
func retriedBody(t *testing.T) ([]byte, []string) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "auth-api")
	ss := rs.ScopeSpans().AppendEmpty().Spans()
	now := time.Now()
	var ids []string
	for i := range 3 {
		sp := ss.AppendEmpty()
		sp.SetName("POST /v1/login")
		sp.SetTraceID([16]byte{9, 9, byte(i)})
		id := [8]byte{9, 9, 9, byte(i)}
		sp.SetSpanID(id)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(now))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Millisecond)))
		ids = append(ids, pcommon.SpanID(id).String())
	}
	body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	return body, ids
}

// readyz is /readyz's status code and reason.
func readyz(t *testing.T, base string) (int, string) {
	t.Helper()
	code, body := get(t, base+"/readyz")
	var r struct{ Reason string }
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("/readyz body %q: %v", body, err)
	}
	return code, r.Reason
}

// waitDrained polls the queue's depth: its consumers signal nothing
// outside ingest. The bound only ends a broken test.
func waitDrained(t *testing.T, a *App) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if a.Drained() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the queue did not drain within 60 s")
		}
	}
}

// storedSpans counts the stored rows per span ID.
func storedSpans(t *testing.T, st store.Store) map[string]int {
	t.Helper()
	rows, err := st.Query(context.Background(), "SELECT SpanId, count() FROM otel_traces GROUP BY SpanId", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n uint64
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		out[id] = int(n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCollectorClickHouseRefusesLogin: a ClickHouse that answers but
// refuses the collector (its password wrong) is a failure waiting does
// not cure, and one that shows only once ClickHouse answers: the
// collector keeps acknowledging into its queue, /readyz names the error,
// and it keeps trying, so once the password is put right the queue is
// stored. (The opener is injected, over the real chDB store, as in
// TestCollectorStartsBeforeClickHouse.) A DSN whose database name is
// wrong fails at once, as on a server.
func TestCollectorClickHouseRefusesLogin(t *testing.T) {
	opts := testOptions()
	opts.Role = RoleCollector
	opts.ConfigFile = queueConfig(t)
	cfg, err := LoadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	real, err := openEmbedded(context.Background(), opts, cfg, schemaOf(RoleCollector))
	if err != nil {
		t.Fatal(err)
	}
	fixed := make(chan struct{})
	var attempts atomic.Int32
	opts.openServer = func(ctx context.Context) (store.Store, error) {
		if attempts.Add(1) == 1 {
			return nil, errors.New("open clickhouse: code: 516, message: flowslo: Authentication failed: password is incorrect")
		}
		select {
		case <-fixed: // the password is put right
			return real, nil
		case <-ctx.Done():
			return nil, fmt.Errorf("open clickhouse: %w", ctx.Err())
		}
	}
	a := startAppWith(t, func(o *Options) { *o = opts })
	ctx := context.Background()
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(a.OTLPGRPCAddr()), otlptracegrpc.WithInsecure(),
		otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	defer exp.Shutdown(ctx)
	if err := exp.ExportSpans(ctx, loginSpans(0, 10)); err != nil {
		t.Fatalf("export while ClickHouse refuses the collector: %v, want acknowledged into the queue", err)
	}
	// The first attempt runs in the background, which signals nothing:
	// poll. The bound only ends a broken test.
	code, reason := readyz(t, "http://"+a.HTTPAddr())
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(reason, "Authentication failed") && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		code, reason = readyz(t, "http://"+a.HTTPAddr())
	}
	if code != http.StatusOK || !strings.Contains(reason, "accepting into the disk queue") || !strings.Contains(reason, "ClickHouse failing since ") ||
		!strings.Contains(reason, "Authentication failed") {
		t.Errorf("/readyz with ClickHouse refusing the login = %d %q, want 200 naming the refusal", code, reason)
	}
	close(fixed)
	waitDrained(t, a)
	if got := storedSpans(t, real); len(got) != 10 {
		t.Errorf("%d spans stored once the login works, want the 10 acknowledged", len(got))
	}

	bad := testOptions()
	bad.Role = RoleCollector
	bad.ClickHouseDSN = "clickhouse://127.0.0.1:1/not-a-name!"
	if a, err := New(ctx, bad); err == nil || !strings.Contains(err.Error(), "database name") {
		if a != nil {
			_ = a.Shutdown(ctx)
		}
		t.Errorf("collector with a bad database name: %v, want an error at once", err)
	}
}

// queueConfig is a service config whose queue is in a directory of the
// test's own.
func queueConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	config := filepath.Join(dir, "collector.yml")
	if err := os.WriteFile(config, fmt.Appendf(nil, "queue:\n  dir: %s\n", filepath.Join(dir, "queue")), 0o644); err != nil {
		t.Fatal(err)
	}
	return config
}
