package demo_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configgrpc"
	"go.opentelemetry.io/collector/config/confignet"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/flowslo/flowslo/demo"
)

// sinkEnv makes the test binary a nop OTLP receiver (see TestMain), so the
// benchmarks measure the demo in a process of its own, on one core.
const sinkEnv = "FLOWSLO_DEMO_NOP_SINK"

// runNopSink serves OTLP gRPC into nop consumers at addr until killed.
func runNopSink(addr string) {
	f := otlpreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*otlpreceiver.Config)
	g := configgrpc.NewDefaultServerConfig()
	g.NetAddr = confignet.AddrConfig{Endpoint: addr, Transport: confignet.TransportTypeTCP}
	g.MaxRecvMsgSizeMiB = 64
	cfg.Protocols.GRPC = configoptional.Some(g)
	cfg.Protocols.HTTP = configoptional.None[otlpreceiver.HTTPConfig]()
	set := receivertest.NewNopSettings(f.Type())
	tr, err := f.CreateTraces(context.Background(), set, cfg, consumertest.NewNop())
	if err != nil {
		panic(err)
	}
	lr, err := f.CreateLogs(context.Background(), set, cfg, consumertest.NewNop())
	if err != nil {
		panic(err)
	}
	if err := tr.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		panic(err)
	}
	if err := lr.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		panic(err)
	}
	fmt.Println("ready")
	select {}
}

func startSinkProcess(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), sinkEnv+"="+addr)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive a killed benchmark
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "ready\n" {
		b.Fatalf("the sink process said %q", line)
	}
	return addr
}

// cpuTime is this process's user+system CPU so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkOneCore: the demo on one core (GOMAXPROCS=1) against the
// collector's OTLP receiver into a nop consumer in another process, so the
// demo's process does nothing but the demo. Three runs side by side:
//
//   - sdk-baseline: the OTel SDK alone, one tracer, one batch span processor,
//     spans of 8 attributes made in a loop as fast as they go: what the SDK
//     and exporter can do on one core with no simulation at all.
//
//   - demo-max: the demo's backfill (no waiting for the clock), so the
//     figure is the most the simulation makes on one core.
//
//   - demo-live: the demo live at --rate 15000 (about 50,000 spans/s), for
//     10 s: kept up if it took 10 s.
//
//     go test ./demo -run '^$' -bench OneCore -benchtime 1x -count 3
func BenchmarkOneCore(b *testing.B) {
	addr := startSinkProcess(b)
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	b.Run("sdk-baseline", func(b *testing.B) { benchSDK(b, addr) })
	b.Run("demo-max", func(b *testing.B) {
		opts := demo.DefaultOptions()
		// 2h of history at a fiftieth of the rate, then one live tick.
		opts.Endpoint, opts.Scenarios, opts.Backfill, opts.Duration, opts.Rate = addr, []string{"steady"}, 2*time.Hour, 100*time.Millisecond, 50*50
		benchRun(b, opts, 0)
	})
	b.Run("demo-live", func(b *testing.B) {
		opts := demo.DefaultOptions()
		opts.Endpoint, opts.Scenarios, opts.Duration, opts.Rate = addr, []string{"steady"}, 10*time.Second, 15000
		benchRun(b, opts, opts.Duration)
	})
}

func benchRun(b *testing.B, opts demo.Options, planned time.Duration) {
	for range b.N {
		cpu0, t0 := cpuTime(), time.Now()
		res, err := demo.Run(context.Background(), opts)
		if err != nil {
			b.Fatal(err)
		}
		wall, cpu := time.Since(t0), cpuTime()-cpu0
		b.ReportMetric(float64(res.Spans)/wall.Seconds(), "spans/s")
		b.ReportMetric(float64(cpu.Microseconds())/float64(res.Spans), "cpu-µs/span")
		b.ReportMetric(float64(res.Logs)/wall.Seconds(), "logs/s")
		if planned > 0 {
			b.ReportMetric((wall - planned).Seconds(), "s-behind")
		}
	}
}

func benchSDK(b *testing.B, addr string) {
	const n = 500_000
	for range b.N {
		exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(addr), otlptracegrpc.WithInsecure())
		if err != nil {
			b.Fatal(err)
		}
		tp := sdktrace.NewTracerProvider(sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "bench"))),
			sdktrace.WithSpanProcessor(sdktrace.NewBatchSpanProcessor(exp, sdktrace.WithBlocking(), sdktrace.WithMaxExportBatchSize(2048), sdktrace.WithMaxQueueSize(16384))))
		tr := tp.Tracer("bench")
		attrs := []attribute.KeyValue{attribute.String("http.request.method", "GET"), attribute.String("http.route", "/v1/feed"),
			attribute.String("url.path", "/v1/feed"), attribute.String("url.scheme", "https"), attribute.String("server.address", "api.shop.example"),
			attribute.Int("http.response.status_code", 200), attribute.String("app.version", "4.2.0"), attribute.String("os.name", "iOS")}
		cpu0, t0 := cpuTime(), time.Now()
		for range n {
			_, sp := tr.Start(context.Background(), "GET /v1/feed", trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
			sp.End()
		}
		if err := tp.Shutdown(context.Background()); err != nil {
			b.Fatal(err)
		}
		wall, cpu := time.Since(t0), cpuTime()-cpu0
		b.ReportMetric(n/wall.Seconds(), "spans/s")
		b.ReportMetric(float64(cpu.Microseconds())/n, "cpu-µs/span")
	}
}
