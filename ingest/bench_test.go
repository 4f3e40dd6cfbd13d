package ingest

import (
	"context"
	"encoding/binary"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configgrpc"
	"go.opentelemetry.io/collector/config/confignet"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/flowslo/flowslo/store"
)

// BenchmarkIngestGRPC measures OTLP/gRPC → acknowledged spans per second
// from 48 concurrent clients, against the collector's OTLP receiver with a
// nop consumer (the baseline), flowslo's pipeline with storage removed, and
// flowslo on the real chDB store, side by side in one run.
//
//	go test ./ingest -run '^$' -bench IngestGRPC -benchtime 400x
func BenchmarkIngestGRPC(b *testing.B) {
	for _, t := range benchTargets() {
		b.Run(t.name, func(b *testing.B) { addr, p := t.start(b); benchIngest(b, addr, p) })
	}
}

// benchTarget starts an OTLP server and returns its gRPC address, and for
// a queued pipeline the pipeline, whose drain the benchmark waits for.
type benchTarget struct {
	name  string
	start func(testing.TB) (string, *Pipeline)
}

func benchTargets() []benchTarget {
	pipeline := func(p *Pipeline) (string, *Pipeline) { return p.GRPCAddr(), nil }
	queuedTo := func(tb testing.TB, st store.Store, q QueueOptions) (string, *Pipeline) {
		q.Dir = tb.TempDir()
		p := startPipeline(tb, st, func(o *Options) { o.Queue = &q })
		return p.GRPCAddr(), p
	}
	queued := func(tb testing.TB, q QueueOptions) (string, *Pipeline) { return queuedTo(tb, openCHDB(tb), q) }
	return []benchTarget{
		{"otlp-nop", func(tb testing.TB) (string, *Pipeline) { return startNopReceiver(tb), nil }},
		{"flowslo-nop", func(tb testing.TB) (string, *Pipeline) { return pipeline(startPipeline(tb, &fakeStore{}, nil)) }},
		{"flowslo-chdb", func(tb testing.TB) (string, *Pipeline) { return pipeline(startPipeline(tb, openCHDB(tb), nil)) }},
		// Acknowledged once on the persistent queue's disk (fsync), stored
		// from there: spans/s is the acknowledgements, stored-spans/s
		// counts until the queue has drained.
		{"flowslo-queue", func(tb testing.TB) (string, *Pipeline) { return queued(tb, QueueOptions{}) }},
		{"flowslo-queue-nofsync", func(tb testing.TB) (string, *Pipeline) { return queued(tb, QueueOptions{NoFSync: true}) }},
		// As before InsertLinger: each insert takes what waits the moment
		// the one before ends.
		{"flowslo-queue-nolinger", func(tb testing.TB) (string, *Pipeline) {
			return queued(tb, QueueOptions{InsertLinger: time.Nanosecond})
		}},
		// The journal (fsync) in front of a store that drops everything:
		// a collector whose ClickHouse runs on other machines.
		{"flowslo-queue-nop", func(tb testing.TB) (string, *Pipeline) { return queuedTo(tb, tokenNop{&fakeStore{}}, QueueOptions{}) }},
		{"flowslo-queue-nop-nofsync", func(tb testing.TB) (string, *Pipeline) {
			return queuedTo(tb, tokenNop{&fakeStore{}}, QueueOptions{NoFSync: true})
		}},
	}
}

// tokenNop is a store that takes deduplication tokens and drops everything.
type tokenNop struct{ *fakeStore }

func (tokenNop) InsertSpansOnce(context.Context, string, []store.Span) error     { return nil }
func (tokenNop) InsertLogsOnce(context.Context, string, []store.LogRecord) error { return nil }

// reportDrain waits for a queued pipeline to store what it acknowledged
// and reports the spans stored per second from start until then.
func reportDrain(b *testing.B, p *Pipeline, spans int, start time.Time) {
	if p == nil {
		return
	}
	for !drained(p) {
		time.Sleep(5 * time.Millisecond)
	}
	b.ReportMetric(float64(spans)/time.Since(start).Seconds(), "stored-spans/s")
}

// startNopReceiver runs the collector's OTLP receiver into a nop consumer:
// what an OTLP server costs with nothing stored.
func startNopReceiver(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	f := otlpreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*otlpreceiver.Config)
	g := configgrpc.NewDefaultServerConfig()
	g.NetAddr = confignet.AddrConfig{Endpoint: addr, Transport: confignet.TransportTypeTCP}
	g.MaxRecvMsgSizeMiB = 20
	cfg.Protocols.GRPC = configoptional.Some(g)
	cfg.Protocols.HTTP = configoptional.None[otlpreceiver.HTTPConfig]()
	r, err := f.CreateTraces(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, consumertest.NewNop())
	if err != nil {
		tb.Fatal(err)
	}
	if err := r.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = r.Shutdown(context.Background()) })
	return addr
}

// BenchmarkSDKClient is one application exporting through the OTel Go SDK's
// batch span processor (512 spans per export, one export at a time, as
// every SDK does), two goroutines making spans as fast as they can, like
// telemetrygen with 2 workers. spans/s is what reached the server.
//
//	go test ./ingest -run '^$' -bench SDKClient -benchtime 200000x
func BenchmarkSDKClient(b *testing.B) {
	for _, t := range benchTargets() {
		b.Run(t.name, func(b *testing.B) { addr, p := t.start(b); benchSDK(b, addr, p) })
	}
}

func benchSDK(b *testing.B, addr string, p *Pipeline) {
	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(addr), otlptracegrpc.WithInsecure())
	if err != nil {
		b.Fatal(err)
	}
	var failed atomic.Int64
	counted := &countingExporter{SpanExporter: exp, failed: &failed}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(counted, sdktrace.WithBlocking()), sdktrace.WithResource(testResource))
	tracer := tp.Tracer("bench")
	var next atomic.Int64
	b.ResetTimer()
	cpu0 := processCPU()
	start := time.Now()
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				_, s := tracer.Start(context.Background(), "GET /feed", trace.WithSpanKind(trace.SpanKindServer))
				s.SetAttributes(attribute.String("http.request.method", "GET"), attribute.String("http.route", "/feed"),
					attribute.Int("http.response.status_code", 200), attribute.String("app.release", "4.2.0"))
				s.End()
			}
		})
	}
	wg.Wait()
	if err := tp.ForceFlush(context.Background()); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	reportDrain(b, p, b.N, start)
	cpu := processCPU() - cpu0
	b.StopTimer()
	_ = tp.Shutdown(context.Background())
	if failed.Load() > 0 {
		b.Fatalf("%d spans failed to export", failed.Load())
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "spans/s")
	// The whole process's CPU per span, the SDK making the spans included:
	// on a machine whose cores the client and the server share, the
	// ratio of two targets' spans/s cannot pass the inverse ratio of this.
	b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(b.N), "cpu-us/span")
}

// countingExporter counts spans whose export failed.
type countingExporter struct {
	sdktrace.SpanExporter
	failed *atomic.Int64
}

func (c *countingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := c.SpanExporter.ExportSpans(ctx, spans)
	if err != nil {
		c.failed.Add(int64(len(spans)))
	}
	return err
}

// BenchmarkLoneRequest sends one 100-span request at a time to an idle
// server and reports the latency percentiles of the acknowledgements.
//
//	go test ./ingest -run '^$' -bench LoneRequest -benchtime 500x
func BenchmarkLoneRequest(b *testing.B) {
	for _, t := range benchTargets() {
		b.Run(t.name, func(b *testing.B) { addr, p := t.start(b); benchLone(b, addr, p) })
	}
}

func benchLone(b *testing.B, addr string, p *Pipeline) {
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	defer cc.Close()
	client := ptraceotlp.NewGRPCClient(cc)
	req := benchRequestN(100)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		stamp(req, int64(i))
		start := time.Now()
		if _, err := client.Export(context.Background(), req); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		if p != nil {
			// Idle means drained: the next request finds no insert running.
			for !drained(p) {
				time.Sleep(time.Millisecond)
			}
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

const (
	benchSpansPerRequest = 1000
	benchClients         = 48
)

func benchIngest(b *testing.B, addr string, p *Pipeline) {
	clients := make([]ptraceotlp.GRPCClient, benchClients)
	for i := range clients {
		cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { cc.Close() })
		clients[i] = ptraceotlp.NewGRPCClient(cc)
	}
	var next atomic.Int64
	var failed atomic.Int64
	b.ResetTimer()
	cpu0 := processCPU()
	start := time.Now()
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() {
			req := benchRequestN(benchSpansPerRequest)
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				stamp(req, n)
				if _, err := c.Export(context.Background(), req); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	reportDrain(b, p, b.N*benchSpansPerRequest, start)
	cpu := processCPU() - cpu0
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d of %d requests failed", failed.Load(), b.N)
	}
	b.ReportMetric(float64(b.N*benchSpansPerRequest)/elapsed.Seconds(), "spans/s")
	// CPU time of the whole process (clients, pipeline, chDB's threads)
	// per span: steadier than spans/s on a shared machine.
	b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(b.N*benchSpansPerRequest), "cpu-us/span")
}

// processCPU is the user+system CPU time this process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// stamp makes req unique (its first span's ID holds n), so that no
// request is a byte-identical retry of another.
func stamp(req ptraceotlp.ExportRequest, n int64) {
	var id [8]byte
	binary.BigEndian.PutUint64(id[:], uint64(n)|1<<63)
	req.Traces().ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).SetSpanID(id)
}

// benchRequestN is one request of a mobile backend's batch: n server
// spans of one service, ten attributes each.
func benchRequestN(n int) ptraceotlp.ExportRequest {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "feed")
	rs.Resource().Attributes().PutStr("host.name", "feed-7d9f")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("otelhttp")
	now := time.Now()
	for i := range n {
		s := ss.Spans().AppendEmpty()
		s.SetName("GET /feed")
		s.SetKind(ptrace.SpanKindServer)
		s.SetTraceID([16]byte{byte(i), byte(i >> 8), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14})
		s.SetSpanID([8]byte{byte(i), byte(i >> 8), 1, 2, 3, 4, 5, 6})
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(now))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Duration(i) * time.Millisecond)))
		a := s.Attributes()
		a.PutStr("http.request.method", "GET")
		a.PutStr("http.route", "/feed")
		a.PutInt("http.response.status_code", 200)
		a.PutStr("url.scheme", "https")
		a.PutStr("server.address", "api.example.com")
		a.PutInt("server.port", 443)
		a.PutStr("user_agent.original", "app/4.2 (iOS 18)")
		a.PutStr("app.release", "4.2.0")
		a.PutStr("app.platform", "ios")
		a.PutInt("feed.items", int64(i%50))
	}
	return ptraceotlp.NewExportRequestFromTraces(td)
}
