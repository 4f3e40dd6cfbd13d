package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/flowslo/flowslo/ingest/journal"
	"github.com/flowslo/flowslo/store"
)

// flakyStore is the real chDB store that fails when told to: while down,
// every insert fails as with an unreachable ClickHouse, before reaching
// it; the next `landed` inserts are stored and then reported as timed
// out (the unclear failure whose retry must not store twice); while bad,
// inserts are refused as bad data.
type flakyStore struct {
	store.Store
	mu       sync.Mutex
	down     bool
	bad      bool
	landed   int
	poison   string        // a batch with a span of this service is refused as bad data
	failures int           // inserts answered with an error
	failed   chan struct{} // closed at the first failure
}

func newFlaky(st store.Store) *flakyStore { return &flakyStore{Store: st, failed: make(chan struct{})} }

func (f *flakyStore) set(down, bad bool, landed int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down, f.bad, f.landed = down, bad, landed
}

var errUnreachable = errors.New("dial tcp 10.0.0.9:9000: connect: connection refused")

// before is the failure an insert meets before the store, if any.
func (f *flakyStore) before() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.down:
		return f.fail(errUnreachable)
	case f.bad:
		return f.fail(&store.InsertError{Kind: store.BadData, Err: errors.New("Cannot parse input (CANNOT_PARSE_INPUT_ASSERTION_FAILED)")})
	}
	return nil
}

// after turns a landed insert into a timeout while landed lasts.
func (f *flakyStore) after(err error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil && f.landed > 0 {
		f.landed--
		return f.fail(fmt.Errorf("read: %w", context.DeadlineExceeded))
	}
	return err
}

func (f *flakyStore) fail(err error) error {
	if f.failures == 0 {
		close(f.failed)
	}
	f.failures++
	return err
}

func (f *flakyStore) InsertSpansOnce(ctx context.Context, token string, s []store.Span) error {
	if err := f.before(); err != nil {
		return err
	}
	for i := range s {
		if f.poison != "" && s[i].ServiceName == f.poison {
			return &store.InsertError{Kind: store.BadData, Err: errors.New("Too many partitions for single INSERT block (TOO_MANY_PARTS)")}
		}
	}
	return f.after(f.Store.(store.TokenInserter).InsertSpansOnce(ctx, token, s))
}

func (f *flakyStore) InsertLogsOnce(ctx context.Context, token string, l []store.LogRecord) error {
	if err := f.before(); err != nil {
		return err
	}
	return f.after(f.Store.(store.TokenInserter).InsertLogsOnce(ctx, token, l))
}

// flakyRows is flakyStore over the embedded store's row inserts: with it
// the queue keeps encoded rows, as on the all-in-one, where flakyStore
// alone (no row store) makes it keep OTLP, as on a collector.
type flakyRows struct {
	*flakyStore
	rs rowStore
}

func withRows(f *flakyStore) flakyRows { return flakyRows{f, f.Store.(rowStore)} }

func (f flakyRows) RowsFormat() byte { return f.rs.RowsFormat() }
func (f flakyRows) AppendSpanRow(b []byte, s *store.Span) []byte {
	return f.rs.AppendSpanRow(b, s)
}
func (f flakyRows) AppendLogRow(b []byte, l *store.LogRecord) []byte { return f.rs.AppendLogRow(b, l) }

func (f flakyRows) InsertSpanRowsOnce(ctx context.Context, token string, rows []byte) error {
	if err := f.before(); err != nil {
		return err
	}
	if f.poison != "" && bytes.Contains(rows, []byte(f.poison)) {
		return &store.InsertError{Kind: store.BadData, Err: errors.New("Too many partitions for single INSERT block (TOO_MANY_PARTS)")}
	}
	return f.after(f.rs.InsertSpanRowsOnce(ctx, token, rows))
}

func (f flakyRows) InsertLogRowsOnce(ctx context.Context, token string, rows []byte) error {
	if err := f.before(); err != nil {
		return err
	}
	return f.after(f.rs.InsertLogRowsOnce(ctx, token, rows))
}

// bothEntryKinds runs test with the queue keeping OTLP (a store that takes
// only structs) and keeping rows (the embedded store's own encoding).
func bothEntryKinds(t *testing.T, test func(t *testing.T, wrap func(*flakyStore) store.Store)) {
	t.Run("otlp", func(t *testing.T) { test(t, func(f *flakyStore) store.Store { return f }) })
	t.Run("rows", func(t *testing.T) { test(t, func(f *flakyStore) store.Store { return withRows(f) }) })
}

// startQueued runs a pipeline with a persistent queue in a fresh dir.
func startQueued(t *testing.T, st store.Store, q QueueOptions, mod func(*Options)) *Pipeline {
	t.Helper()
	if q.Dir == "" {
		q.Dir = t.TempDir()
	}
	return startPipeline(t, st, func(o *Options) {
		o.Queue = &q
		if mod != nil {
			mod(o)
		}
	})
}

// waitFor polls cond until it holds: the event the test waits for is the
// store's state, which nothing signals. The bound only ends a broken test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s after 60 s", what)
		}
	}
}

func drained(p *Pipeline) bool { tr, lg, _ := p.QueueDepth(); return tr == 0 && lg == 0 }

// TestQueueStoreOutage: while the store is down, the OTel SDK exporters'
// requests are acknowledged from the queue and the pipeline stays ready;
// when it comes back with timeouts after inserts that landed, everything
// acknowledged is stored exactly once.
func TestQueueStoreOutage(t *testing.T) { bothEntryKinds(t, testQueueStoreOutage) }

func testQueueStoreOutage(t *testing.T, wrap func(*flakyStore) store.Store) {
	st := openCHDB(t)
	f := newFlaky(st)
	f.set(true, false, 0)
	p := startQueued(t, wrap(f), QueueOptions{}, nil)
	ex := newExporters(t, p)
	ctx := context.Background()
	want := map[string]bool{}
	for b := range 20 {
		spans := makeSpans(b, 50)
		exp := ex.traceGRPC
		if b%2 == 1 {
			exp = ex.traceHTTP
		}
		if err := exp.ExportSpans(ctx, spans); err != nil {
			t.Fatalf("batch %d while the store is down: %v, want acknowledged from the queue", b, err)
		}
		for _, s := range spans {
			want[spanIDOf(s)] = true
		}
	}
	for b := range 4 {
		if err := ex.logGRPC.Export(ctx, makeLogs(b, 25)); err != nil {
			t.Fatalf("logs %d while the store is down: %v", b, err)
		}
	}
	<-f.failed
	if err := p.Problem(); err != nil {
		t.Errorf("not ready while the queue takes requests: %v", err)
	}
	if p.StoreProblem() == nil {
		t.Error("StoreProblem is nil while every insert fails")
	}
	f.set(false, false, 6) // back, but the first six inserts time out after landing
	waitFor(t, "the queue to drain", func() bool { return drained(p) })
	got := countRows(t, st, "otel_traces", "SpanId")
	for id := range want {
		if got[id] != 1 {
			t.Errorf("span %s stored %d times, want once", id, got[id])
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d span IDs stored, want %d", len(got), len(want))
	}
	logs := countRows(t, st, "otel_logs", "Body")
	for id, n := range logs {
		if n != 1 {
			t.Errorf("log %s stored %d times", id, n)
		}
	}
	if len(logs) != 100 {
		t.Errorf("%d log records stored, want 100", len(logs))
	}
	if p.StoreProblem() != nil {
		t.Errorf("store problem after recovery: %v", p.StoreProblem())
	}
}

// tracesBody is one OTLP/HTTP protobuf request of n spans with payload
// bytes each.
func tracesBody(t *testing.T, batch, n, payload int) []byte {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "feed")
	ss := rs.ScopeSpans().AppendEmpty().Spans()
	now := time.Now()
	for i := range n {
		s := ss.AppendEmpty()
		s.SetName("GET /feed")
		s.SetTraceID([16]byte{byte(batch >> 8), byte(batch), 1})
		s.SetSpanID([8]byte{byte(batch >> 8), byte(batch), byte(i >> 8), byte(i), 1})
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(now))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Millisecond)))
		s.Attributes().PutStr("payload", strings.Repeat("x", payload))
	}
	body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// TestQueueFull: with the store down, requests are acknowledged until the
// queue holds its byte limit; then OTLP/HTTP answers 503 with Retry-After,
// OTLP/gRPC Unavailable, and the pipeline is not ready, saying why. When
// the store is back, every acknowledged request is stored once and the
// pipeline is ready again.
func TestQueueFull(t *testing.T) {
	st := openCHDB(t)
	f := newFlaky(st)
	f.set(true, false, 0)
	p := startQueued(t, f, QueueOptions{MaxBytes: 256 << 10}, func(o *Options) { o.MaxRequestBytes = 64 << 10 })
	url := "http://" + p.HTTPAddr() + "/v1/traces"
	acked := 0
	var resp *http.Response
	for b := 0; b < 100; b++ {
		r, err := http.Post(url, protoType, bytes.NewReader(tracesBody(t, b, 20, 1000)))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
		if r.StatusCode != http.StatusOK {
			resp = r
			break
		}
		acked++
	}
	if resp == nil {
		t.Fatal("100 requests of 20 KiB acknowledged by a 256 KiB queue")
	}
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("full queue answered %d Retry-After=%q, want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if acked < 8 {
		t.Errorf("only %d requests of ~20 KiB acknowledged by a 256 KiB queue", acked)
	}
	err := newExporters(t, p).traceGRPC.ExportSpans(context.Background(), makeSpans(999, 150))
	if st, _ := status.FromError(err); st.Code() != codes.Unavailable || !strings.Contains(st.Message(), "queue full") {
		t.Errorf("gRPC on a full queue: %v, want Unavailable naming the full queue", err)
	}
	if err := p.Problem(); err == nil || !strings.Contains(err.Error(), "traces queue refusing") || !strings.Contains(err.Error(), "unreachable") && !strings.Contains(err.Error(), "refused") {
		t.Errorf("readiness with a full queue and the store down: %v, want the queue and the store named", err)
	}
	f.set(false, false, 0)
	waitFor(t, "the queue to drain", func() bool { return drained(p) })
	if got := countRows(t, st, "otel_traces", "TraceId"); len(got) != acked {
		t.Errorf("%d requests stored, %d acknowledged", len(got), acked)
	} else {
		for id, n := range got {
			if n != 20 {
				t.Errorf("trace %x: %d spans stored, want 20", id, n)
			}
		}
	}
	if err := p.Problem(); err != nil {
		t.Errorf("not ready once drained: %v", err)
	}
}

// TestQueueBadData: a queued request the store refuses as bad data was
// acknowledged already, so it must not vanish silently: it is counted in
// flowslo_ingest_dropped_items_total and logged with its cause, and the
// queue moves on to the next request.
func TestQueueBadData(t *testing.T) {
	st := openCHDB(t)
	f := newFlaky(st)
	f.set(false, true, 0)
	var logged lockedLog
	p := startQueued(t, f, QueueOptions{}, func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logged, nil))
	})
	ex := newExporters(t, p)
	if err := ex.traceGRPC.ExportSpans(context.Background(), makeSpans(1, 30)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the bad batch to be dropped", func() bool { return drained(p) })
	if n := testutil.ToFloat64(p.traces.m.dropped); n != 30 {
		t.Errorf("dropped counter %v, want 30", n)
	}
	if s := logged.String(); !strings.Contains(s, "refused by the store as bad data") || !strings.Contains(s, "CANNOT_PARSE_INPUT") || !strings.Contains(s, "items=30") {
		t.Errorf("log does not name the dropped batch and its cause:\n%s", s)
	}
	f.set(false, false, 0)
	if err := ex.traceGRPC.ExportSpans(context.Background(), makeSpans(2, 10)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the next batch to be stored", func() bool { return len(countRows(t, st, "otel_traces", "SpanId")) == 10 })
}

type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedLog) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestQueueMergedBadData: a queued batch that merged several clients'
// requests and is refused as bad data is split by resource until the
// refused one stands alone: only its spans are dropped (and counted), the
// others stored; the halves' tokens are derived from the batch's, so
// retrying the whole batch stores nothing twice.
func TestQueueMergedBadData(t *testing.T) { bothEntryKinds(t, testQueueMergedBadData) }

func testQueueMergedBadData(t *testing.T, wrap func(*flakyStore) store.Store) {
	st := openCHDB(t)
	f := newFlaky(st)
	f.poison = "poison"
	ws := wrap(f)
	p := startQueued(t, ws, QueueOptions{}, nil)
	td := ptrace.NewTraces()
	now := time.Now()
	for r, svc := range []string{"feed", "auth", "poison", "push", "checkout"} {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", svc)
		spans := rs.ScopeSpans().AppendEmpty().Spans()
		for i := range 10 {
			s := spans.AppendEmpty()
			s.SetName("op")
			s.SetSpanID([8]byte{byte(r), byte(i), 7})
			s.SetStartTimestamp(pcommon.NewTimestampFromTime(now))
			s.SetEndTimestamp(pcommon.NewTimestampFromTime(now))
		}
	}
	// Two queued entries in one group: the first two resources, then the rest.
	first := ptrace.NewTraces()
	td.ResourceSpans().At(0).CopyTo(first.ResourceSpans().AppendEmpty())
	td.ResourceSpans().At(1).CopyTo(first.ResourceSpans().AppendEmpty())
	td.ResourceSpans().RemoveIf(func(rs ptrace.ResourceSpans) bool {
		name, _ := rs.Resource().Attributes().Get("service.name")
		return name.Str() == "feed" || name.Str() == "auth"
	})
	var entries [][]byte
	for _, part := range []ptrace.Traces{first, td} {
		b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(part)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, append([]byte{entryOTLP}, b...))
	}
	sink := &sink{store: ws.(store.TokenInserter), limits: p.opts.Limits, health: p.health, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		m: map[string]*signalMetrics{"traces": p.traces.m}}
	sink.rows, _ = ws.(rowStore)
	for range 2 { // the second as the retry of the same group after a restart
		if err := sink.pushTraceEntries(context.Background(), "batch-merged", entries); err != nil {
			t.Fatal(err)
		}
	}
	got := countRows(t, st, "otel_traces", "ServiceName")
	want := map[string]int{"feed": 10, "auth": 10, "push": 10, "checkout": 10}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("stored by service %v, want %v", got, want)
	}
	if n := testutil.ToFloat64(p.traces.m.dropped); n != 20 {
		t.Errorf("dropped %v, want 20 (the poisoned resource, twice)", n)
	}
}

// TestQueueShutdownKeeps: SIGTERM while the store is down stops within
// its budget, and what was acknowledged stays queued: the next start on
// the same dir stores it, once.
func TestQueueShutdownKeeps(t *testing.T) {
	st := openCHDB(t)
	f := newFlaky(st)
	f.set(true, false, 0)
	dir := t.TempDir()
	opts := Options{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Store: f,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Queue: &QueueOptions{Dir: dir}}
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ex := newExporters(t, p)
	if err := ex.traceGRPC.ExportSpans(context.Background(), makeSpans(3, 40)); err != nil {
		t.Fatal(err)
	}
	<-f.failed
	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Second)
	defer cancel()
	if err := p.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown with the store down: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("shutdown used its whole budget")
	}
	f.set(false, false, 0)
	p2 := startQueued(t, f, QueueOptions{Dir: dir}, nil)
	waitFor(t, "the restarted queue to drain", func() bool { return drained(p2) })
	got := countRows(t, st, "otel_traces", "SpanId")
	if len(got) != 40 {
		t.Errorf("%d spans stored after restart, want the 40 acknowledged", len(got))
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("span %s stored %d times", id, n)
		}
	}
}

// TestQueueDirUnusable: a queue dir that cannot be one gives a clear
// error at New or Start, naming it, and no half-started pipeline.
func TestQueueDirUnusable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := Options{GRPCAddr: "127.0.0.1:0", Store: openCHDB(t),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Queue: &QueueOptions{Dir: file}}
	p, err := New(opts)
	if err == nil {
		err = p.Start(context.Background())
	}
	if err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("queue dir %s that is a file: %v, want an error naming it", file, err)
	}
}

// TestQueueDiskLow: with less free space on the queue's filesystem than
// diskReserve, requests are refused with 503 and Retry-After (and
// readiness says why) instead of written, keeping room for the consumers'
// records. Once space is back, requests are taken and stored.
func TestQueueDiskLow(t *testing.T) {
	st := openCHDB(t)
	p := startQueued(t, st, QueueOptions{}, nil)
	url := "http://" + p.HTTPAddr() + "/v1/traces"
	post := func(b int) *http.Response {
		t.Helper()
		r, err := http.Post(url, protoType, bytes.NewReader(tracesBody(t, b, 20, 100)))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
		return r
	}
	old := diskReserve
	diskReserve = math.MaxUint64 // more than any disk has free
	r := post(1)
	diskReserve = old
	if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Errorf("queue disk low: %d Retry-After=%q, want 503 with Retry-After", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if err := p.Problem(); err == nil || !strings.Contains(err.Error(), "disk almost full") {
		t.Errorf("readiness with the queue disk low: %v, want it named", err)
	}
	if r := post(2); r.StatusCode != http.StatusOK {
		t.Fatalf("with space again: %d, want 200", r.StatusCode)
	}
	waitFor(t, "the queue to drain", func() bool { return drained(p) })
	if got := countRows(t, st, "otel_traces", "TraceId"); len(got) != 1 {
		t.Errorf("%d requests stored, want the one acknowledged", len(got))
	}
}

// countingStore counts the inserts that reach the store.
type countingStore struct {
	store.Store
	mu      sync.Mutex
	inserts int
}

func (c *countingStore) InsertSpansOnce(ctx context.Context, token string, s []store.Span) error {
	c.mu.Lock()
	c.inserts++
	c.mu.Unlock()
	return c.Store.(store.TokenInserter).InsertSpansOnce(ctx, token, s)
}

func (c *countingStore) InsertLogsOnce(ctx context.Context, token string, l []store.LogRecord) error {
	return c.Store.(store.TokenInserter).InsertLogsOnce(ctx, token, l)
}

func (c *countingStore) rs() rowStore { return c.Store.(rowStore) }

func (c *countingStore) RowsFormat() byte { return c.rs().RowsFormat() }
func (c *countingStore) AppendSpanRow(b []byte, s *store.Span) []byte {
	return c.rs().AppendSpanRow(b, s)
}
func (c *countingStore) AppendLogRow(b []byte, l *store.LogRecord) []byte {
	return c.rs().AppendLogRow(b, l)
}

func (c *countingStore) InsertSpanRowsOnce(ctx context.Context, token string, rows []byte) error {
	c.mu.Lock()
	c.inserts++
	c.mu.Unlock()
	return c.rs().InsertSpanRowsOnce(ctx, token, rows)
}

func (c *countingStore) InsertLogRowsOnce(ctx context.Context, token string, rows []byte) error {
	return c.rs().InsertLogRowsOnce(ctx, token, rows)
}

func (c *countingStore) count() int { c.mu.Lock(); defer c.mu.Unlock(); return c.inserts }

// queuedTraces is one queued batch: n spans of trace batch.
func queuedTraces(t *testing.T, batch, n int) *otlpEntry {
	t.Helper()
	e, err := newOTLPEntry(tracesBody(t, batch, n, 10), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestQueueCrashAfterMergedInsert: the process dies after a merged insert
// of ten queued batches landed and before the queue recorded it as
// stored. The next start inserts the same ten batches under the same
// token, and ClickHouse keeps one copy.
func TestQueueCrashAfterMergedInsert(t *testing.T) {
	bothEntryKinds(t, testQueueCrashAfterMergedInsert)
}

func testQueueCrashAfterMergedInsert(t *testing.T, wrap func(*flakyStore) store.Store) {
	cs := &countingStore{Store: openCHDB(t)}
	st := wrap(newFlaky(cs))
	dir := t.TempDir()
	// Built, never started: the consumer's first step is taken by hand.
	p, err := New(Options{GRPCAddr: "127.0.0.1:0", Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Queue: &QueueOptions{Dir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	q := p.queue
	for b := range 10 { // as the OTLP servers pass them on
		if _, err := p.traces.export(context.Background(), tracesBody(t, b, 30, 10), false); err != nil {
			t.Fatal(err)
		}
	}
	g, payloads, err := q.traces.Next(context.Background(), q.opts.InsertBytes)
	if err != nil {
		t.Fatal(err)
	}
	if g.End-g.First != 10 {
		t.Fatalf("group of %d batches, want the 10 waiting", g.End-g.First)
	}
	if err := q.sink.pushTraceEntries(context.Background(), q.traces.Token(g), payloads); err != nil {
		t.Fatal(err)
	}
	if (q.sink.rows != nil) != (payloads[0][0] == entryRows) {
		t.Fatalf("entry kind %d with a row store %v", payloads[0][0], q.sink.rows != nil)
	}
	_ = q.traces.Close() // the crash: the insert landed, Done never ran
	_ = q.logs.Close()

	p2 := startQueued(t, st, QueueOptions{Dir: dir}, nil)
	waitFor(t, "the restarted queue to drain", func() bool { return drained(p2) })
	got := countRows(t, st, "otel_traces", "SpanId")
	if len(got) != 300 {
		t.Errorf("%d spans stored, want 300", len(got))
	}
	for id, n := range got {
		if n != 1 {
			t.Fatalf("span %s stored %d times after the restart repeated its insert", id, n)
		}
	}
	if n := cs.count(); n != 2 {
		t.Errorf("%d inserts, want 2 (the group, then the same group again after the restart)", n)
	}
}

// TestQueueMergesWhatWaits: batches that waited in the queue (here while
// the store was down) are stored in few large inserts, not one each.
func TestQueueMergesWhatWaits(t *testing.T) { bothEntryKinds(t, testQueueMergesWhatWaits) }

func testQueueMergesWhatWaits(t *testing.T, wrap func(*flakyStore) store.Store) {
	cs := &countingStore{Store: openCHDB(t)}
	f := newFlaky(cs)
	f.set(true, false, 0)
	p := startQueued(t, wrap(f), QueueOptions{}, nil)
	ex := newExporters(t, p)
	for b := range 40 {
		if err := ex.traceGRPC.ExportSpans(context.Background(), makeSpans(b, 25)); err != nil {
			t.Fatal(err)
		}
	}
	f.set(false, false, 0)
	waitFor(t, "the queue to drain", func() bool { return drained(p) })
	if got := countRows(t, cs, "otel_traces", "SpanId"); len(got) != 1000 {
		t.Errorf("%d spans stored, want 1000", len(got))
	}
	// The batch taken first is retried alone through the outage; the
	// other 39 go in one insert.
	if n := cs.count(); n > 3 {
		t.Errorf("40 queued batches took %d inserts, want at most 3", n)
	}
}

// blockingStore holds every insert until release is closed, telling
// entered of each.
type blockingStore struct {
	store.TokenInserter
	entered chan struct{}
	release chan struct{}
}

func (b *blockingStore) InsertSpansOnce(ctx context.Context, token string, s []store.Span) error {
	b.entered <- struct{}{}
	<-b.release
	return b.TokenInserter.InsertSpansOnce(ctx, token, s)
}

// TestQueueTwoGroupsOut: while an insert runs, the consumer prepares one
// group more, not two: a backlog holds at most two groups of
// InsertBytes in memory (the one inserted, the next converted).
func TestQueueTwoGroupsOut(t *testing.T) {
	st := openCHDB(t)
	bs := &blockingStore{TokenInserter: st.(store.TokenInserter), entered: make(chan struct{}, 100), release: make(chan struct{})}
	dir := t.TempDir()
	p := startQueued(t, struct {
		store.Store
		*blockingStore
	}{st, bs}, QueueOptions{Dir: dir, InsertBytes: 64 << 10}, nil)
	for b := range 6 {
		if err := p.queue.tracesIn.submit(queuedTraces(t, b, 1200), 1); err != nil {
			t.Fatal(err)
		}
	}
	var once sync.Once
	release := func() { once.Do(func() { close(bs.release) }) }
	t.Cleanup(release)
	<-bs.entered
	groups := p.queue.traces.Groups
	waitFor(t, "the next group prepared", func() bool { return groups() >= 2 })
	// Nothing signals that the consumer holds back; a third group would
	// be recorded within milliseconds.
	for range 20 {
		if n := groups(); n > 2 {
			t.Fatalf("%d groups out while one insert runs, want 2", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	release()
	waitFor(t, "the queue to drain", func() bool { return drained(p) })
	if got := countRows(t, st, "otel_traces", "SpanId"); len(got) != 7200 {
		t.Errorf("%d spans stored, want 7200", len(got))
	}
}

// TestQueueKeepsWhatWasChecked: what the queue keeps is what the checks
// let through, whichever way it is kept: a protobuf request with spans
// outside the accepted range (kept without them), a JSON request, and protobuf
// requests kept as they came and merged by concatenation while the store
// was down. Every span let through is stored once, the refused ones never.
func TestQueueKeepsWhatWasChecked(t *testing.T) { bothEntryKinds(t, testQueueKeepsWhatWasChecked) }

func testQueueKeepsWhatWasChecked(t *testing.T, wrap func(*flakyStore) store.Store) {
	st := openCHDB(t)
	f := newFlaky(st)
	f.set(true, false, 0)
	p := startQueued(t, wrap(f), QueueOptions{}, nil)
	url := "http://" + p.HTTPAddr() + "/v1/traces"
	post := func(body []byte, ctype string) {
		t.Helper()
		r, err := http.Post(url, ctype, bytes.NewReader(body))
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
		if r.StatusCode != http.StatusOK {
			t.Errorf("%s request: %d", ctype, r.StatusCode)
		}
	}
	// 5 spans now, 3 two hours ahead (refused by partial success; spans
	// past retention would do too, but ClickHouse drops those at insert).
	mixed := ptrace.NewTraces()
	ss := mixed.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	now := time.Now()
	for i := range 8 {
		at := now
		if i >= 5 {
			at = now.Add(2 * time.Hour)
		}
		s := ss.AppendEmpty()
		s.SetName("op")
		s.SetTraceID([16]byte{9, 9})
		s.SetSpanID([8]byte{9, byte(i), 1})
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(at))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(at))
	}
	body, err := ptraceotlp.NewExportRequestFromTraces(mixed).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	post(body, protoType)
	js, err := ptraceotlp.NewExportRequestFromTraces(queuedTracesOf(t, 500, 4)).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	post(js, "application/json")
	var wg sync.WaitGroup
	for b := range 10 {
		wg.Go(func() { post(tracesBody(t, 600+b, 7, 10), protoType) })
	}
	wg.Wait()
	f.set(false, false, 0)
	waitFor(t, "the queue to drain", func() bool { return drained(p) })
	got := countRows(t, st, "otel_traces", "SpanId")
	if len(got) != 5+4+70 {
		t.Errorf("%d spans stored, want 79 (5 in retention, 4 from JSON, 70 from 10 requests)", len(got))
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("span %s stored %d times", id, n)
		}
	}
	for i := 5; i < 8; i++ {
		if id := fmt.Sprintf("09%02x010000000000", i); got[id] != 0 {
			t.Errorf("span %s, refused as too far ahead, was stored", id)
		}
	}
}

// queuedTracesOf is tracesBody's request as pdata.
func queuedTracesOf(t *testing.T, batch, n int) ptrace.Traces {
	t.Helper()
	req := ptraceotlp.NewExportRequest()
	if err := req.UnmarshalProto(tracesBody(t, batch, n, 10)); err != nil {
		t.Fatal(err)
	}
	return req.Traces()
}

// TestQueueMixedEntries: a queue dir holding OTLP entries (queued while the
// store took no rows) and then rows entries, opened with the embedded
// store, stores them as one group; repeated after a crash between the
// insert and its record, the group is stored once.
func TestQueueMixedEntries(t *testing.T) {
	st := openCHDB(t)
	dir := t.TempDir()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	queueTo := func(s store.Store, from, to int) *Pipeline {
		p, err := New(Options{GRPCAddr: "127.0.0.1:0", Store: s, Logger: quiet, Registerer: prometheus.NewRegistry(), Queue: &QueueOptions{Dir: dir}})
		if err != nil {
			t.Fatal(err)
		}
		for b := from; b < to; b++ {
			if _, err := p.traces.export(context.Background(), tracesBody(t, b, 30, 10), false); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	closeQueue := func(p *Pipeline) { _ = p.queue.traces.Close(); _ = p.queue.logs.Close() }
	closeQueue(queueTo(newFlaky(st), 0, 3)) // OTLP entries
	p := queueTo(st, 3, 6)                  // rows entries after them
	q := p.queue
	g, payloads, err := q.traces.Next(context.Background(), q.opts.InsertBytes)
	if err != nil {
		t.Fatal(err)
	}
	kinds := ""
	for _, pl := range payloads {
		kinds += fmt.Sprint(pl[0])
	}
	if kinds != "111222" {
		t.Fatalf("group of entry kinds %s, want 111222 (three OTLP, three rows)", kinds)
	}
	if err := q.sink.pushTraceEntries(context.Background(), q.traces.Token(g), payloads); err != nil {
		t.Fatal(err)
	}
	closeQueue(p) // the crash: the insert landed, Done never ran

	p2 := startQueued(t, st, QueueOptions{Dir: dir}, nil)
	waitFor(t, "the restarted queue to drain", func() bool { return drained(p2) })
	got := countRows(t, st, "otel_traces", "SpanId")
	if len(got) != 180 {
		t.Errorf("%d spans stored, want 180", len(got))
	}
	for id, n := range got {
		if n != 1 {
			t.Fatalf("span %s stored %d times", id, n)
		}
	}
}

// TestLeftQueued: what a queue dir holds unstored, for a flowslo started
// with its queue off: nothing for a missing or drained dir, the entries'
// bytes otherwise, and an error for an earlier flowslo's queue.
func TestLeftQueued(t *testing.T) {
	dir := t.TempDir()
	if n, err := LeftQueued(filepath.Join(dir, "none")); n != 0 || err != nil {
		t.Fatalf("missing dir: %d, %v", n, err)
	}
	j, err := journal.Open(filepath.Join(dir, "logs"), journal.Options{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	j.Close()
	if n, err := LeftQueued(dir); n < 100 || err != nil {
		t.Fatalf("a queued entry of 100 bytes: %d, %v", n, err)
	}
	old := t.TempDir()
	if err := os.WriteFile(filepath.Join(old, "exporter_otlp_traces"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LeftQueued(old); err == nil || !strings.Contains(err.Error(), "earlier flowslo") {
		t.Fatalf("an earlier flowslo's queue: %v, want an error saying so", err)
	}
}

// pushTraceEntries stores one group of queued trace batches as one insert
// under token, as the consumer's two steps do.
func (s *sink) pushTraceEntries(ctx context.Context, token string, payloads [][]byte) error {
	n, insert, err := s.prepareTraces(payloads)
	if err != nil {
		return err
	}
	return s.push(ctx, "traces", token, 0, n, insert)
}

// TestQueueLingers: under a steady flow the queue inserts at most every
// InsertLinger (an hour here) unless a quarter of InsertBytes waits: the
// first batch after a quiet spell goes at once, small ones that follow
// wait, enough bytes end the wait, and a shutdown stores what lingers.
func TestQueueLingers(t *testing.T) { bothEntryKinds(t, testQueueLingers) }

func testQueueLingers(t *testing.T, wrap func(*flakyStore) store.Store) {
	cs := &countingStore{Store: openCHDB(t)}
	p := startQueued(t, wrap(newFlaky(cs)), QueueOptions{InsertLinger: time.Hour, InsertBytes: 64 << 10}, nil)
	ex := newExporters(t, p)
	stored := func() int { return len(countRows(t, cs, "otel_traces", "SpanId")) }
	send := func(b, n int) {
		t.Helper()
		if err := ex.traceGRPC.ExportSpans(context.Background(), makeSpans(b, n)); err != nil {
			t.Fatal(err)
		}
	}
	send(0, 1)
	waitFor(t, "the first batch stored at once", func() bool { return stored() == 1 })
	send(1, 1)
	send(2, 1)
	time.Sleep(300 * time.Millisecond)
	if n := stored(); n != 1 {
		t.Fatalf("%d spans stored while two small batches should linger, want 1", n)
	}
	send(3, 300) // over 16 KiB: a quarter of InsertBytes
	waitFor(t, "the batches that waited stored", func() bool { return stored() == 303 })
	// The first alone; the two small ones together, with the large one
	// or before it (as InsertBytes allows); not each alone.
	if n := cs.count(); n > 3 {
		t.Errorf("%d inserts, want at most 3", n)
	}
	send(6, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(countRows(t, cs, "otel_traces", "SpanId")); n != 304 {
		t.Errorf("%d spans stored after shutdown, want the lingering one too (304)", n)
	}
}
