package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/flowslo/flowslo/store/chdb/chdbtest"
	"github.com/flowslo/flowslo/ui"
)

func TestMain(m *testing.M) { chdbtest.Main(m) }

// startApp runs flowslo in-process on 127.0.0.1 ports, as `flowslo serve`
// would, and shuts it down at cleanup.
func startApp(t *testing.T) *App { return startAppWith(t, nil) }

// testOptions listen on 127.0.0.1 and use a database of their own.
func testOptions() Options {
	opts := DefaultOptions()
	opts.DataDir, opts.Database = chdbtest.DataDir(), chdbtest.NewDatabase()
	opts.HTTPAddr, opts.OTLPGRPCAddr, opts.OTLPHTTPAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return opts
}

func startAppWith(t testing.TB, mod func(*Options)) *App {
	t.Helper()
	opts := testOptions()
	if mod != nil {
		mod(&opts)
	}
	a, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return a
}

func TestServeStoresWhatOTLPClientsSend(t *testing.T) {
	a := startApp(t)
	base := "http://" + a.HTTPAddr()
	if code, body := get(t, base+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz = %d %s, want 200", code, body)
	}
	if got := stats(t, base); got != (ui.Stats{}) {
		t.Fatalf("stats before any data = %+v, want zeros", got)
	}

	ctx := context.Background()
	grpcExp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(a.OTLPGRPCAddr()), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	httpExp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(a.OTLPHTTPAddr()), otlptracehttp.WithInsecure(),
		otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
	if err != nil {
		t.Fatal(err)
	}
	logExp, err := otlploghttp.New(ctx, otlploghttp.WithEndpoint(a.OTLPHTTPAddr()), otlploghttp.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	defer grpcExp.Shutdown(ctx)
	defer httpExp.Shutdown(ctx)
	defer logExp.Shutdown(ctx)

	if err := grpcExp.ExportSpans(ctx, loginSpans(0, 700)); err != nil {
		t.Fatalf("export over gRPC: %v", err)
	}
	if err := httpExp.ExportSpans(ctx, loginSpans(1, 300)); err != nil {
		t.Fatalf("export over HTTP: %v", err)
	}
	if err := logExp.Export(ctx, pushLogs(250)); err != nil {
		t.Fatalf("export logs: %v", err)
	}

	// Acknowledged means on the queue's disk; stored a moment later.
	waitDrained(t, a)
	if got, want := stats(t, base), (ui.Stats{Spans: 1000, Logs: 250}); got != want {
		t.Fatalf("stats = %+v, want %+v", got, want)
	}
	_, metrics := get(t, base+"/metrics")
	for _, want := range []string{`flowslo_ingest_stored_items_total{signal="traces"} 1000`, `flowslo_ingest_stored_items_total{signal="logs"} 250`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	a := startApp(t)
	base := "http://" + a.HTTPAddr()
	if code, _ := get(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d", code)
	}
	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := a.ready(context.Background()); err == nil {
		t.Error("ready after shutdown, want an error saying the receivers are down")
	}
}

func loginSpans(batch, n int) []sdktrace.ReadOnlySpan {
	res := resource.NewSchemaless(attribute.String("service.name", "auth-api"), attribute.String("service.version", "4.2.0"))
	stubs := make(tracetest.SpanStubs, n)
	start := time.Now().Add(-time.Minute)
	for i := range stubs {
		var tid trace.TraceID
		var sid trace.SpanID
		copy(tid[:], fmt.Sprintf("%08d%08d", batch, i))
		copy(sid[:], fmt.Sprintf("%02d%06d", batch, i))
		stubs[i] = tracetest.SpanStub{
			Name:        "POST /v1/login",
			SpanKind:    trace.SpanKindServer,
			SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid}),
			StartTime:   start,
			EndTime:     start.Add(120 * time.Millisecond),
			Attributes:  []attribute.KeyValue{attribute.Int("http.response.status_code", 200), attribute.String("app.platform", "ios")},
			Resource:    res,
		}
	}
	return stubs.Snapshots()
}

func pushLogs(n int) []sdklog.Record {
	keep := &keepRecords{}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(keep),
		sdklog.WithResource(resource.NewSchemaless(attribute.String("service.name", "push-worker"))))
	l := lp.Logger("app-test")
	for i := range n {
		var r otellog.Record
		r.SetTimestamp(time.Now())
		r.SetSeverity(otellog.SeverityInfo)
		r.SetBody(attribute.StringValue(fmt.Sprintf("push %d delivered", i)))
		l.Emit(context.Background(), r)
	}
	return keep.records
}

// keepRecords is an sdklog.Processor that keeps what was emitted, so a test
// can hand one exact batch to an exporter and see its answer.
type keepRecords struct{ records []sdklog.Record }

func (k *keepRecords) OnEmit(_ context.Context, r *sdklog.Record) error {
	k.records = append(k.records, r.Clone())
	return nil
}
func (k *keepRecords) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (k *keepRecords) Shutdown(context.Context) error                         { return nil }
func (k *keepRecords) ForceFlush(context.Context) error                       { return nil }

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func stats(t *testing.T, base string) ui.Stats {
	t.Helper()
	code, body := get(t, base+"/api/v1/stats")
	if code != http.StatusOK {
		t.Fatalf("/api/v1/stats = %d %s", code, body)
	}
	var st ui.Stats
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("/api/v1/stats body %q: %v", body, err)
	}
	return st
}
