package ingest

import (
	"context"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/flowslo/flowslo/store"
)

// BenchmarkIngestGRPC measures OTLP/gRPC → acknowledged spans per second,
// with the real chDB store and, side by side, with storage removed (a store
// whose inserts do nothing), through the same receiver and pipeline.
//
//	go test ./ingest -run '^$' -bench IngestGRPC -benchtime 400x
func BenchmarkIngestGRPC(b *testing.B) {
	b.Run("nop", func(b *testing.B) { benchIngest(b, &fakeStore{}) })
	b.Run("chdb", func(b *testing.B) { benchIngest(b, openCHDB(b)) })
}

const (
	benchSpansPerRequest = 1000
	benchClients         = 48
)

func benchIngest(b *testing.B, st store.Store) {
	p := startPipeline(b, st, nil)
	req := benchRequest()
	clients := make([]ptraceotlp.GRPCClient, benchClients)
	for i := range clients {
		cc, err := grpc.NewClient(p.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
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
			for next.Add(1) <= int64(b.N) {
				if _, err := c.Export(context.Background(), req); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
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

// benchRequest is one request of a mobile backend's batch: 1000 server
// spans of one service, ten attributes each.
func benchRequest() ptraceotlp.ExportRequest {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "feed")
	rs.Resource().Attributes().PutStr("host.name", "feed-7d9f")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("otelhttp")
	now := time.Now()
	for i := range benchSpansPerRequest {
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
