package demo

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	otellog "go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/propagation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// environment is deployment.environment.name of everything the demo sends.
const environment = "production"

// appName is service.name of the mobile app.
const appName = "shop-app"

// Backend services and the versions they run.
var backends = []struct{ name, version string }{
	{"auth-api", "2.14.1"}, {"feed-api", "3.2.0"}, {"orders-api", "1.9.4"}, {"push-worker", "0.18.2"},
}

// appVersionKey is app.version: the mobile app's own release, on its
// resource and, through baggage, on the backend spans it causes.
const appVersionKey = attribute.Key("app.version")

// telemetry is the SDK side: a tracer provider per backend service and per
// kind of phone (each its own resource), one logger for push-worker, and
// exporters over OTLP gRPC that count what flowslo acknowledged.
type telemetry struct {
	spans   *countingSpans
	logs    *countingLogs
	procs   []sdktrace.SpanProcessor
	app     sdktrace.SpanProcessor // shared by the app's providers
	tps     []*sdktrace.TracerProvider
	lp      *sdklog.LoggerProvider
	tracers map[string]trace.Tracer
	pushLog otellog.Logger
	prop    propagation.TextMapPropagator
	ids     *seededIDs
}

func newTelemetry(ctx context.Context, endpoint string, seed int64, problems *problems) (*telemetry, error) {
	texp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(endpoint), otlptracegrpc.WithInsecure())
	if err != nil {
		return nil, fmt.Errorf("trace exporter: %w", err)
	}
	lexp, err := otlploggrpc.New(ctx, otlploggrpc.WithEndpoint(endpoint), otlploggrpc.WithInsecure())
	if err != nil {
		return nil, fmt.Errorf("log exporter: %w", err)
	}
	t := &telemetry{
		spans:   &countingSpans{SpanExporter: texp, problems: problems},
		logs:    &countingLogs{Exporter: lexp, problems: problems},
		tracers: map[string]trace.Tracer{},
		prop:    propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		ids:     newSeededIDs(seed),
	}
	for _, b := range backends {
		t.tracers[b.name] = t.provider(t.processor(), serviceResource(b.name, b.version)).Tracer("flowslo/demo/" + b.name)
	}
	t.lp = sdklog.NewLoggerProvider(
		sdklog.WithResource(serviceResource("push-worker", "0.18.2")),
		sdklog.WithProcessor(sdklog.NewBatchProcessor(t.logs, sdklog.WithExportInterval(500*time.Millisecond),
			sdklog.WithExportMaxBatchSize(2048), sdklog.WithMaxQueueSize(1<<18))))
	t.pushLog = t.lp.Logger("flowslo/demo/push-worker")
	return t, nil
}

// processor is a batch span processor that blocks rather than drops when
// flowslo is slower than the demo, so the numbers on the SLOs are the
// numbers the demo made. Each has one export in flight; several of them
// keep the line busy.
func (t *telemetry) processor() sdktrace.SpanProcessor {
	p := sdktrace.NewBatchSpanProcessor(t.spans, sdktrace.WithBlocking(),
		sdktrace.WithMaxExportBatchSize(2048), sdktrace.WithMaxQueueSize(16384), sdktrace.WithBatchTimeout(500*time.Millisecond))
	t.procs = append(t.procs, p)
	return p
}

// appProcessor is the one processor of all the app's tracer providers, so
// phones share batches the way a fleet behind one gateway would.
func (t *telemetry) appProcessor() sdktrace.SpanProcessor {
	if t.app == nil {
		t.app = t.processor()
	}
	return t.app
}

func (t *telemetry) provider(p sdktrace.SpanProcessor, res *resource.Resource) *sdktrace.TracerProvider {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p), sdktrace.WithResource(res),
		sdktrace.WithIDGenerator(t.ids), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	t.tps = append(t.tps, tp)
	return tp
}

func serviceResource(name, version string) *resource.Resource {
	return resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceName(name), semconv.ServiceVersion(version),
		semconv.DeploymentEnvironmentName(environment))
}

// shutdown flushes everything still queued to flowslo.
func (t *telemetry) shutdown(ctx context.Context) error {
	var errs []error
	for _, p := range t.procs {
		errs = append(errs, p.Shutdown(ctx))
	}
	errs = append(errs, t.lp.Shutdown(ctx), t.spans.SpanExporter.Shutdown(ctx))
	return errors.Join(errs...)
}

// countingSpans counts the spans flowslo acknowledged. Its processors
// share it, so their Shutdown leaves it open; telemetry.shutdown closes it
// after the last of them has flushed.
type countingSpans struct {
	sdktrace.SpanExporter
	acked    atomic.Int64
	problems *problems
}

func (c *countingSpans) Shutdown(context.Context) error { return nil }

func (c *countingSpans) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := c.SpanExporter.ExportSpans(ctx, spans)
	if err != nil {
		c.problems.add(fmt.Errorf("spans not delivered: %w", err))
		return err
	}
	c.acked.Add(int64(len(spans)))
	return nil
}

// countingLogs counts the log records flowslo acknowledged.
type countingLogs struct {
	sdklog.Exporter
	acked    atomic.Int64
	problems *problems
}

func (c *countingLogs) Export(ctx context.Context, records []sdklog.Record) error {
	err := c.Exporter.Export(ctx, records)
	if err != nil {
		c.problems.add(fmt.Errorf("logs not delivered: %w", err))
		return err
	}
	c.acked.Add(int64(len(records)))
	return nil
}

// seededIDs makes trace and span IDs from the seed, so a seeded run has the
// same IDs every time. The SDK calls it from the goroutine that starts
// spans; the lock is for safety, not contention.
type seededIDs struct {
	mu  sync.Mutex
	rng *rand.Rand
}

func newSeededIDs(seed int64) *seededIDs {
	return &seededIDs{rng: rand.New(rand.NewPCG(uint64(seed), 0x1d5))}
}

func (g *seededIDs) NewIDs(context.Context) (trace.TraceID, trace.SpanID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var tid trace.TraceID
	binary.BigEndian.PutUint64(tid[:8], g.rng.Uint64())
	binary.BigEndian.PutUint64(tid[8:], g.rng.Uint64()|1)
	return tid, g.spanID()
}

func (g *seededIDs) NewSpanID(context.Context, trace.TraceID) trace.SpanID {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.spanID()
}

func (g *seededIDs) spanID() trace.SpanID {
	var sid trace.SpanID
	binary.BigEndian.PutUint64(sid[:], g.rng.Uint64()|1) // never the invalid all-zero ID
	return sid
}

// problems collects delivery errors (including OTLP partial success, which
// the SDK reports through otel's error handler) for the status lines.
type problems struct {
	mu    sync.Mutex
	count int
	last  error
}

func (p *problems) add(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count++
	p.last = err
}

// take returns the problems since the last call.
func (p *problems) take() (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n, err := p.count, p.last
	p.count, p.last = 0, nil
	return n, err
}

// The SDK reports partial success (spans flowslo refused, e.g. outside its
// retention) only to the global error handler; route it to every running
// demo's problems.
var (
	handlerOnce sync.Once
	activeMu    sync.Mutex
	active      = map[*problems]bool{}
)

func watchProblems(p *problems) (stop func()) {
	handlerOnce.Do(func() {
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
			activeMu.Lock()
			defer activeMu.Unlock()
			for q := range active {
				q.add(err)
			}
		}))
	})
	activeMu.Lock()
	active[p] = true
	activeMu.Unlock()
	return func() {
		activeMu.Lock()
		delete(active, p)
		activeMu.Unlock()
	}
}
