package ingest

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/flowslo/flowslo/store"
)

// startPipeline runs a pipeline on 127.0.0.1 ports and stops it at cleanup.
func startPipeline(t testing.TB, st store.Store, mod func(*Options)) *Pipeline {
	t.Helper()
	opts := Options{
		GRPCAddr:   "127.0.0.1:0",
		HTTPAddr:   "127.0.0.1:0",
		Store:      st,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registerer: prometheus.NewRegistry(),
	}
	if mod != nil {
		mod(&opts)
	}
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := p.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	if !p.Ready() || p.GRPCAddr() == "" || p.HTTPAddr() == "" {
		t.Fatalf("not ready after Start: ready=%v grpc=%q http=%q", p.Ready(), p.GRPCAddr(), p.HTTPAddr())
	}
	return p
}

var testResource = resource.NewSchemaless(attribute.String("service.name", "feed"))

// makeSpans builds n spans whose span IDs encode (batch, i), with ten
// attributes each, like a busy backend's server spans.
func makeSpans(batch, n int) []sdktrace.ReadOnlySpan {
	out := make([]sdktrace.ReadOnlySpan, n)
	start := time.Now()
	for i := range out {
		var tid trace.TraceID
		var sid trace.SpanID
		binary.BigEndian.PutUint64(tid[:8], uint64(batch)+1)
		binary.BigEndian.PutUint32(sid[:4], uint32(batch)+1)
		binary.BigEndian.PutUint32(sid[4:], uint32(i))
		out[i] = tracetest.SpanStub{
			Name:        "GET /feed",
			SpanKind:    trace.SpanKindServer,
			SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid}),
			StartTime:   start,
			EndTime:     start.Add(time.Duration(i) * time.Microsecond),
			Resource:    testResource,
			Attributes: []attribute.KeyValue{
				attribute.String("http.request.method", "GET"),
				attribute.String("http.route", "/feed"),
				attribute.Int("http.response.status_code", 200),
				attribute.String("url.scheme", "https"),
				attribute.String("server.address", "api.example.com"),
				attribute.Int("server.port", 443),
				attribute.String("user_agent.original", "app/4.2 (iOS 18)"),
				attribute.String("app.release", "4.2.0"),
				attribute.String("app.platform", "ios"),
				attribute.Int("feed.items", i%50),
			},
		}.Snapshot()
	}
	return out
}

func spanIDOf(s sdktrace.ReadOnlySpan) string { return s.SpanContext().SpanID().String() }

// makeLogs builds n log records whose bodies are unique per (batch, i).
func makeLogs(batch, n int) []sdklog.Record {
	col := &collect{}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(col), sdklog.WithResource(testResource))
	l := lp.Logger("test")
	for i := range n {
		var r otellog.Record
		r.SetTimestamp(time.Now())
		r.SetBody(attribute.StringValue(fmt.Sprintf("log-%d-%d", batch, i)))
		r.SetSeverity(otellog.SeverityInfo)
		r.AddAttributes(attribute.Int("seq", i))
		l.Emit(context.Background(), r)
	}
	return col.records
}

// collect is an sdklog.Processor that keeps what was emitted, so tests can
// hand exact batches to an exporter and see each batch's answer.
type collect struct {
	mu      sync.Mutex
	records []sdklog.Record
}

func (c *collect) OnEmit(_ context.Context, r *sdklog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records = append(c.records, r.Clone())
	return nil
}
func (c *collect) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (c *collect) Shutdown(context.Context) error                         { return nil }
func (c *collect) ForceFlush(context.Context) error                       { return nil }

// exporters are the OTel SDK's OTLP exporters pointed at a pipeline, with
// their own retries off so every answer reaches the test.
type exporters struct {
	traceGRPC, traceHTTP sdktrace.SpanExporter
	logGRPC, logHTTP     sdklog.Exporter
}

func newExporters(t testing.TB, p *Pipeline) exporters {
	t.Helper()
	ctx := context.Background()
	tg, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(p.GRPCAddr()), otlptracegrpc.WithInsecure(),
		otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	th, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(p.HTTPAddr()), otlptracehttp.WithInsecure(),
		otlptracehttp.WithCompression(otlptracehttp.GzipCompression),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	lg, err := otlploggrpc.New(ctx, otlploggrpc.WithEndpoint(p.GRPCAddr()), otlploggrpc.WithInsecure(),
		otlploggrpc.WithRetry(otlploggrpc.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	lh, err := otlploghttp.New(ctx, otlploghttp.WithEndpoint(p.HTTPAddr()), otlploghttp.WithInsecure(),
		otlploghttp.WithRetry(otlploghttp.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	e := exporters{tg, th, lg, lh}
	t.Cleanup(func() {
		for _, s := range []interface{ Shutdown(context.Context) error }{tg, th, lg, lh} {
			_ = s.Shutdown(context.Background())
		}
	})
	return e
}
