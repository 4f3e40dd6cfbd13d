package ingest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/flowslo/flowslo/store"
)

// TestAttributeLimits sends a span with 10,000 attributes, one of them
// 1 MiB long: it is stored with 128 attributes (the first ones), values cut
// to 8 KiB, and the dropped count recorded, as the SDK's span limits do.
func TestAttributeLimits(t *testing.T) {
	rec := &recorder{}
	p := startPipeline(t, rec.store(), nil)
	ex := newExporters(t, p)
	attrs := []attribute.KeyValue{attribute.String("big", strings.Repeat("é", 512<<10))}
	for i := range 9999 {
		attrs = append(attrs, attribute.Int(fmt.Sprintf("a%04d", i), i))
	}
	stub := tracetest.SpanStubFromReadOnlySpan(makeSpans(0, 1)[0])
	stub.Attributes = attrs
	// The SDK reports the partial-success warning as an error.
	err := ex.traceGRPC.ExportSpans(context.Background(), []sdktrace.ReadOnlySpan{stub.Snapshot()})
	if err == nil || !strings.Contains(err.Error(), "9872 attributes dropped over the limit of 128") {
		t.Errorf("export: %v, want the partial-success warning", err)
	}
	got := rec.spans[0].SpanAttributes
	if len(got) != 129 || got[droppedKey] != "9872" || got["a0126"] == "" || got["a0127"] != "" {
		t.Errorf("%d attributes stored, dropped count %q; want 128 and the count 9872", len(got), got[droppedKey])
	}
	if len(got["big"]) != 8192 || !strings.HasPrefix(got["big"], "éé") {
		t.Errorf("long value kept %d bytes, want 8192 of whole characters", len(got["big"]))
	}
}

// TestShutdownBounded stops the pipeline while the store fails every insert
// and retries would go on for an hour: Shutdown returns by its deadline,
// and every client is refused with a retryable error, none acknowledged.
func TestShutdownBounded(t *testing.T) {
	var attempts sync.WaitGroup
	attempts.Add(1)
	var once sync.Once
	st := &fakeStore{insertSpans: func(ctx context.Context, _ []store.Span) error {
		once.Do(attempts.Done)
		<-ctx.Done() // an insert that only ends with its deadline
		return ctx.Err()
	}}
	p, err := New(Options{GRPCAddr: "127.0.0.1:0", Store: st, RetryFor: time.Hour, InsertTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	export := func() { _, err := grpcExport(t, p); errs <- err }
	go export()
	attempts.Wait() // the first request alone is in the held insert
	for range 3 {
		go export()
	}
	// The other three wait behind it, or were already refused (the memory
	// guard counts the whole test binary and may refuse at once): either
	// way shutdown must answer every one retryably.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		p.traces.batch.mu.Lock()
		queued := len(p.traces.batch.queue)
		p.traces.batch.mu.Unlock()
		if queued+len(errs) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s, %d requests queued and %d answered, want 3 between them", queued, len(errs))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err = p.Shutdown(ctx)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("shutdown: %v", err)
	}
	for range 4 {
		if err := <-errs; status.Code(err) != codes.Unavailable {
			t.Errorf("client during shutdown: %v, want Unavailable", err)
		}
	}
}

// TestReadinessNamesStoreFailure: while inserts fail with a full disk the
// pipeline reports the problem (readiness turns 503 with it), and clears it
// with the next insert that succeeds.
func TestReadinessNamesStoreFailure(t *testing.T) {
	var full sync.Mutex
	diskFull := true
	st := &fakeStore{insertSpans: func(context.Context, []store.Span) error {
		full.Lock()
		defer full.Unlock()
		if diskFull {
			return &store.InsertError{Kind: store.StorageFull, Err: errors.New("Code: 243. DB::Exception: Cannot reserve 1.00 MiB, not enough space. (NOT_ENOUGH_SPACE)")}
		}
		return nil
	}}
	p := startPipeline(t, st, func(o *Options) { o.RetryFor = 100 * time.Millisecond })
	if _, err := grpcExport(t, p); status.Code(err) != codes.Unavailable {
		t.Fatalf("insert on a full disk: %v, want Unavailable", err)
	}
	if err := p.Problem(); err == nil || !strings.Contains(err.Error(), "storage full") || !strings.Contains(err.Error(), "not enough space") {
		t.Errorf("problem while the disk is full: %v", err)
	}
	full.Lock()
	diskFull = false
	full.Unlock()
	if _, err := grpcExport(t, p); err != nil {
		t.Fatal(err)
	}
	if err := p.Problem(); err != nil {
		t.Errorf("problem after a good insert: %v", err)
	}
}

// TestResourceLimitsAndBadEnds: resource and scope attributes, copied into
// every row, are limited like a span's (a few requests with 5,000 of them
// took 3.6 GiB); spans that end before they start, or ever so far in the
// future, are refused with a message saying why instead of counting as
// 0 ms, fast events.
func TestResourceLimitsAndBadEnds(t *testing.T) {
	now := time.Now()
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	for i := range 5000 {
		rs.Resource().Attributes().PutStr(fmt.Sprintf("r%04d", i), "v")
	}
	ss := rs.ScopeSpans().AppendEmpty()
	for i := range 3000 {
		ss.Scope().Attributes().PutStr(fmt.Sprintf("s%04d", i), "v")
	}
	start := pcommon.NewTimestampFromTime(now.Add(-time.Minute))
	for _, end := range []pcommon.Timestamp{start + 5e6, start - 1, 0, pcommon.Timestamp(1<<64 - 1)} {
		s := ss.Spans().AppendEmpty()
		s.SetStartTimestamp(start)
		s.SetEndTimestamp(end)
	}
	c := newConversion(Limits{AttributeCount: 128, ValueLength: 8192}, "traces", 24*time.Hour, now)
	rows := spansToRows(nil, td, c)
	if len(rows) != 1 || rows[0].Duration != 5*time.Millisecond {
		t.Fatalf("%d rows stored, want only the span with a real end", len(rows))
	}
	if n := len(rows[0].ResourceAttributes); n != 129 || rows[0].ResourceAttributes[droppedKey] != "4872" {
		t.Errorf("resource attributes: %d kept, dropped %q; want 128 and 4872", n, rows[0].ResourceAttributes[droppedKey])
	}
	if msg := c.rangeMessage("spans"); c.rejected != 3 || !strings.Contains(msg, "3 spans refused: end time before the start time") {
		t.Errorf("rejected %d, message %q", c.rejected, msg)
	}
}

// TestSlowClientCut: an OTLP HTTP client that sends its headers and then
// trickles its body is cut at the read timeout instead of holding its
// connection for as long as it likes.
func TestSlowClientCut(t *testing.T) {
	p := startPipeline(t, (&recorder{}).store(), func(o *Options) { o.ReadTimeout = 300 * time.Millisecond })
	conn, err := net.Dial("tcp", p.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000\r\n\r\n")
	start := time.Now()
	closed := false
	for i := 0; i < 50 && !closed; i++ { // a byte every 100 ms, for up to 5 s
		if _, err := conn.Write([]byte{0}); err != nil {
			closed = true
			break
		}
		conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		buf := make([]byte, 512)
		if n, err := conn.Read(buf); n > 0 || (err != nil && !errors.Is(err, os.ErrDeadlineExceeded)) {
			closed = true
		}
	}
	if !closed {
		t.Fatalf("a client trickling its body kept its connection for %s", time.Since(start).Round(time.Millisecond))
	}
}
