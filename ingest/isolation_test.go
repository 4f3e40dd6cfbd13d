package ingest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb"
	"github.com/flowslo/flowslo/store/chdb/chdbtest"
)

// gatedStore holds the first InsertSpans until the test opens the gate, so
// a test can line up requests behind a running insert (they form the next
// batch). It signals entered when that insert starts waiting.
type gatedStore struct {
	store.Store
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func newGatedStore(s store.Store) *gatedStore {
	return &gatedStore{Store: s, entered: make(chan struct{}), release: make(chan struct{})}
}

func (g *gatedStore) InsertSpans(ctx context.Context, spans []store.Span) error {
	first := false
	g.once.Do(func() { first = true })
	if first {
		close(g.entered)
		<-g.release
	}
	return g.Store.InsertSpans(ctx, spans)
}

// waitQueued waits until n requests wait in b's queue; after 30 s it
// fails the test rather than hang the suite.
func waitQueued[T any](t *testing.T, b *batcher[T], n int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		b.mu.Lock()
		q := len(b.queue)
		b.mu.Unlock()
		if q >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s, %d requests queued, want %d", q, n)
		}
	}
}

// makeSpansOnDays builds one span per day going back from now, IDs as makeSpans.
func makeSpansOnDays(batch, days int) []sdktrace.ReadOnlySpan {
	spans := makeSpans(batch, days)
	out := make([]sdktrace.ReadOnlySpan, days)
	for i, s := range spans {
		stub := tracetest.SpanStubFromReadOnlySpan(s)
		stub.StartTime = time.Now().Add(-time.Duration(i) * 24 * time.Hour)
		stub.EndTime = stub.StartTime.Add(time.Millisecond)
		out[i] = stub.Snapshot()
	}
	return out
}

// spansProto encodes spans as an OTLP/HTTP protobuf body.
func spansProto(t *testing.T, spans []sdktrace.ReadOnlySpan) []byte {
	t.Helper()
	c := &captureClient{}
	exp := otlptrace.NewUnstarted(c)
	if err := exp.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := exp.ExportSpans(context.Background(), spans); err != nil {
		t.Fatal(err)
	}
	return c.body
}

// TestPoisonRequestIsolated merges a request ClickHouse refuses (150 day
// partitions in one block, over the store's limit of 100) with normal
// requests into one batch on the real store: only the poison requests are
// refused, as bad data (gRPC InvalidArgument, HTTP 400) naming the cause;
// every normal request is stored once and acknowledged without waiting for
// retries (RetryFor is an hour: a retried batch would hang the test).
func TestPoisonRequestIsolated(t *testing.T) {
	st := newGatedStore(openCHDB(t)) // TTL 30 days: at most 100 partitions per block
	p := startPipeline(t, st, func(o *Options) {
		o.Retention = 200 * 24 * time.Hour // admits the 150 days
		o.RetryFor = time.Hour
	})
	ex := newExporters(t, p)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var wg sync.WaitGroup
	errs := make([]error, 12)
	wg.Go(func() { errs[0] = ex.traceGRPC.ExportSpans(ctx, makeSpans(0, 10)) })
	<-st.entered
	wg.Go(func() { errs[1] = ex.traceGRPC.ExportSpans(ctx, makeSpansOnDays(1, 150)) })
	var httpCode int
	var httpBody string
	wg.Go(func() {
		resp, err := http.Post("http://"+p.HTTPAddr()+"/v1/traces", protoType,
			bytes.NewReader(spansProto(t, makeSpansOnDays(2, 150))))
		if err != nil {
			errs[2] = err
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		httpCode, httpBody = resp.StatusCode, string(b)
	})
	for b := 3; b < 12; b++ {
		exp := ex.traceGRPC
		if b%2 == 0 {
			exp = ex.traceHTTP
		}
		wg.Go(func() { errs[b] = exp.ExportSpans(ctx, makeSpans(b, 100)) })
	}
	waitQueued(t, p.traces.batch, 11)
	close(st.release)
	wg.Wait()

	if st, _ := status.FromError(errs[1]); st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "Too many partitions") {
		t.Errorf("poison over gRPC: %v, want InvalidArgument naming the partitions", errs[1])
	}
	if httpCode != http.StatusBadRequest || !strings.Contains(httpBody, "Too many partitions") {
		t.Errorf("poison over HTTP: %d %q, want 400 naming the partitions", httpCode, httpBody)
	}
	for b, err := range errs {
		if b != 1 && b != 2 && err != nil {
			t.Errorf("normal request %d: %v", b, err)
		}
	}
	counts := countRows(t, st, "otel_traces", "SpanId")
	for b := range 12 {
		want := 1
		n := 100
		switch b {
		case 0:
			n = 10
		case 1, 2:
			want, n = 0, 150
		}
		for _, s := range makeSpans(b, n) {
			if got := counts[spanIDOf(s)]; got != want {
				t.Fatalf("request %d: span %s stored %d times, want %d", b, spanIDOf(s), got, want)
			}
		}
	}
	if testutil.ToFloat64(p.m.splits.WithLabelValues("traces")) == 0 {
		t.Error("no batch split: the poison was never merged with normal requests")
	}
}

// TestManyDaysStored: a request whose spans fall on 150 different days is
// stored when retention covers them.
func TestManyDaysStored(t *testing.T) {
	st, err := chdb.Open(context.Background(), chdb.Options{DataDir: chdbtest.DataDir(), Database: chdbtest.NewDatabase(), TTLDays: 180})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// 150 parts in one request take 4 s on an idle 2-core machine and four
	// times that under the whole suite: this test is about partitions, so
	// neither the insert nor the client may give up on time.
	p := startPipeline(t, st, func(o *Options) {
		o.Retention = 180 * 24 * time.Hour
		o.InsertTimeout = 2 * time.Minute
	})
	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(p.GRPCAddr()), otlptracegrpc.WithInsecure(),
		otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}), otlptracegrpc.WithTimeout(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = exp.Shutdown(context.Background()) })
	if err := exp.ExportSpans(context.Background(), makeSpansOnDays(0, 150)); err != nil {
		t.Fatal(err)
	}
	days := chdbtest.CountBy(t, st, "SELECT toString(toDate(Timestamp)), count() FROM otel_traces GROUP BY 1")
	if len(days) != 150 {
		t.Errorf("spans on %d days, want 150", len(days))
	}
}

// captureClient is an otlptrace.Client that keeps the request the SDK
// exporter built, for tests that send exact bytes themselves.
type captureClient struct{ body []byte }

func (c *captureClient) Start(context.Context) error { return nil }
func (c *captureClient) Stop(context.Context) error  { return nil }
func (c *captureClient) UploadTraces(_ context.Context, rs []*tracepb.ResourceSpans) error {
	b, err := proto.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: rs})
	c.body = b
	return err
}
