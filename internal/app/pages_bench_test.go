package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// BenchmarkPages times every page and its API with 200 SLOs (a quarter
// sliced by version and platform) evaluated by the real engine on chDB,
// over 20,000 spans of 20 releases on two platforms, as a browser would
// fetch them.
//
//	go test ./internal/app -run '^$' -bench Pages -benchtime 20x
//	FLOWSLO_BENCH_RELEASES=1 go test …   # one release, as before 20
func BenchmarkPages(b *testing.B) {
	dir := b.TempDir()
	sloFile := filepath.Join(dir, "slos.yaml")
	writeFile(b, sloFile, manySLOs(200))
	a := startAppWith(b, func(o *Options) { o.SLOPath = sloFile })
	sendReleases(b, a, 20)
	t0 := time.Now()
	waitBackfilled(b, a, 25*time.Minute)
	b.Logf("200 SLOs backfilled over 28 days in %s", time.Since(t0).Round(time.Second))

	base := "http://" + a.HTTPAddr()
	for _, path := range []string{"/", "/slos/slo-7", "/readiness", "/services", "/alerts", "/traces/" + strings.Repeat("30", 16),
		"/api/v1/slos", "/api/v1/flows", "/api/v1/readiness", "/api/v1/slos/slo-7/series?step=300",
		"/releases/4.2.0", "/api/v1/releases/4.2.0", "/api/v1/releases"} {
		b.Run(strings.ReplaceAll(strings.TrimPrefix(path, "/"), "/", "_"), func(b *testing.B) {
			var worst time.Duration
			for b.Loop() {
				t0 := time.Now()
				resp, err := http.Get(base + path)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %s", path, resp.Status)
				}
				worst = max(worst, time.Since(t0))
			}
			b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
		})
	}
}

// manySLOs writes n SLOs over 4 flows; every fourth is sliced.
func manySLOs(n int) string {
	var sb strings.Builder
	sb.WriteString("slos:\n")
	flows := []string{"login", "feed", "checkout", "push"}
	for i := range n {
		fmt.Fprintf(&sb, `  - name: slo-%d
    flow: %s
    service: auth-api
    objective: 99.5
    window: 28d
    indicator:
      source: traces
      total: 'name == "POST /v1/login" && attributes["app.platform"] != "slo-%d"'
      bad: 'status.code == "Error"'
`, i, flows[i%len(flows)], i)
		if i%4 == 0 {
			sb.WriteString(`    slices: ['resource.attributes["service.version"]', 'attributes["app.platform"]']` + "\n")
		}
	}
	return sb.String()
}

// sendReleases sends batches of 1000 login spans with the OTel SDK
// exporter, batch i of release 4.i.0 (FLOWSLO_BENCH_RELEASES=N: 4.(i%N).0,
// and 1 all 4.2.0), half on iOS and half on Android.
func sendReleases(b *testing.B, a *App, batches int) {
	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(a.OTLPGRPCAddr()), otlptracegrpc.WithInsecure())
	if err != nil {
		b.Fatal(err)
	}
	defer exp.Shutdown(context.Background())
	releases := batches
	if n, err := strconv.Atoi(os.Getenv("FLOWSLO_BENCH_RELEASES")); err == nil && n > 0 {
		releases = n
	}
	for i := range batches {
		stubs := tracetest.SpanStubsFromReadOnlySpans(loginSpans(i, 1000))
		version := fmt.Sprintf("4.%d.0", i%releases)
		if releases == 1 {
			version = "4.2.0"
		}
		for j := range stubs {
			stubs[j].Resource = resource.NewSchemaless(attribute.String("service.name", "auth-api"), attribute.String("service.version", version))
			if j%2 == 1 {
				stubs[j].Attributes = []attribute.KeyValue{attribute.Int("http.response.status_code", 200), attribute.String("app.platform", "android")}
			}
		}
		if err := exp.ExportSpans(context.Background(), stubs.Snapshots()); err != nil {
			b.Fatal(err)
		}
	}
}

func waitBackfilled(b *testing.B, a *App, within time.Duration) {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		pending := 0
		for _, p := range a.engine.Progress() {
			if p.State != "current" {
				pending++
			}
		}
		if pending == 0 {
			return
		}
		time.Sleep(time.Second)
	}
	b.Fatalf("SLOs not backfilled within %s", within)
}
