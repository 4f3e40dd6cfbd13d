package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/flowslo/flowslo/slo/engine"
)

const checkoutSLO = `slos:
  - name: checkout-success
    flow: checkout
    service: orders-api
    objective: 99
    window: 28d
    indicator:
      source: traces
      total: 'service.name == "orders-api" && name == "POST /v1/checkout"'
      bad: 'status.code == "Error"'
    slices: ['resource.attributes["service.version"]', 'attributes["app.platform"]']
`

// checkouts builds n checkout spans of one release and platform at `at`,
// the first `bad` of them failed.
func checkouts(seq *int, at time.Time, version, platform string, n, bad int) []sdktrace.ReadOnlySpan {
	res := resource.NewSchemaless(attribute.String("service.name", "orders-api"), attribute.String("service.version", version))
	stubs := make(tracetest.SpanStubs, n)
	for i := range stubs {
		*seq++
		var tid trace.TraceID
		var sid trace.SpanID
		copy(tid[:], fmt.Sprintf("%016d", *seq))
		copy(sid[:], fmt.Sprintf("%08d", *seq))
		st := sdktrace.Status{Code: codes.Ok}
		if i < bad {
			st = sdktrace.Status{Code: codes.Error, Description: "payment declined by the gateway"}
		}
		stubs[i] = tracetest.SpanStub{Name: "POST /v1/checkout", SpanKind: trace.SpanKindServer,
			SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid}),
			StartTime:   at, EndTime: at.Add(80 * time.Millisecond), Status: st, Resource: res,
			Attributes: []attribute.KeyValue{attribute.String("app.platform", platform), attribute.Int("http.response.status_code", 200)}}
	}
	return stubs.Snapshots()
}

// TestReleaseVerdictsOverOTLP sends checkouts of four releases with the
// OTel SDK exporter and reads their verdicts from the API: 4.2.0 worse on
// Android only, 4.3.0 better than 4.2.0, 4.3.1 with too few events.
func TestReleaseVerdictsOverOTLP(t *testing.T) {
	dir := t.TempDir()
	sloFile := filepath.Join(dir, "slos.yaml")
	writeFile(t, sloFile, checkoutSLO)
	a := startAppWith(t, func(o *Options) { o.SLOPath = sloFile })
	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(a.OTLPGRPCAddr()), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	defer exp.Shutdown(context.Background())
	now := time.Now().UTC()
	seq := 0
	send := func(ago time.Duration, version, platform string, n, bad int) {
		if err := exp.ExportSpans(context.Background(), checkouts(&seq, now.Add(-ago), version, platform, n, bad)); err != nil {
			t.Fatal(err)
		}
	}
	send(3*time.Hour, "4.1.3", "ios", 1000, 1)
	send(30*time.Minute, "4.1.3", "ios", 3000, 3)
	send(30*time.Minute, "4.1.3", "android", 1000, 10)
	send(2*time.Hour, "4.2.0", "ios", 1000, 0)    // first seen
	send(30*time.Minute, "4.2.0", "ios", 5000, 0) // 6000 on iOS, none bad
	send(30*time.Minute, "4.2.0", "android", 500, 30)
	send(time.Hour, "4.3.0", "ios", 1000, 0)
	send(20*time.Minute, "4.3.0", "android", 1000, 1)
	send(10*time.Minute, "4.3.1", "ios", 30, 0)
	base := "http://" + a.HTTPAddr()
	waitRelease(t, base, "4.3.1", 30)

	r420 := releaseReport(t, base, "4.2.0")
	c := r420.SLOs[0]
	if r420.Verdict != engine.NotReady || c.Total != 6500 || c.Good != 6470 || c.Previous == nil || c.Previous.Version != "4.1.3" || c.Previous.Total != 4000 {
		t.Fatalf("4.2.0: %+v", r420)
	}
	// overall 99.54% against 99.67%: not significant; Android 94% against 99%: it is
	if c.Significant || len(c.Platforms) != 2 || c.Platforms[1].Platform != "android" || !c.Platforms[1].Significant || !c.Platforms[1].Worse || c.Platforms[0].Worse {
		t.Errorf("4.2.0 comparison: %+v", c)
	}
	reasons := strings.Join(r420.Reasons, " | ")
	for _, w := range []string{"on android, 4.2.0 checkout-success is 94.00%, below its 99.00% objective (500 events)"} {
		if !strings.Contains(reasons, w) {
			t.Errorf("4.2.0 reasons lack %q: %s", w, reasons)
		}
	}
	if strings.Contains(reasons, "on ios") || strings.Contains(reasons, "below its 99.00% objective (6500") {
		t.Errorf("4.2.0 blamed beyond Android: %s", reasons)
	}

	r430 := releaseReport(t, base, "4.3.0")
	c = r430.SLOs[0]
	if r430.Verdict != engine.Ready || c.Previous == nil || c.Previous.Version != "4.2.0" || !c.Significant || c.Comparison.Worse ||
		!strings.Contains(r430.Reasons[0], "significantly better than 4.2.0's") {
		t.Errorf("4.3.0: %+v", r430)
	}
	if c.Adoption == nil || *c.Adoption <= 0 || *c.Adoption >= 1 {
		t.Errorf("4.3.0 adoption: %v", c.Adoption)
	}

	r431 := releaseReport(t, base, "4.3.1")
	if r431.Verdict != engine.Unknown || !strings.Contains(r431.Reasons[0], "not enough events yet: 4.3.1 has 30 events in checkout-success") {
		t.Errorf("4.3.1: %+v", r431)
	}

	var list struct{ Releases []engine.ReleaseInfo }
	getInto(t, base+"/api/v1/releases", &list)
	if len(list.Releases) != 4 || list.Releases[0].Version != "4.3.1" || list.Releases[3].Version != "4.1.3" ||
		!list.Releases[3].FirstSeen.Equal(now.Add(-3*time.Hour).Truncate(time.Minute)) {
		t.Errorf("releases: %+v", list.Releases)
	}
	if code, body := get(t, base+"/releases/4.2.0"); code != http.StatusOK || !strings.Contains(body, "4.2.0 is not ready: on android") {
		t.Errorf("release page: %d", code)
	}
}

func releaseReport(t *testing.T, base, version string) engine.ReleaseReport {
	t.Helper()
	var r engine.ReleaseReport
	getInto(t, base+"/api/v1/releases/"+version, &r)
	if len(r.SLOs) != 1 {
		t.Fatalf("%s: %+v", version, r)
	}
	return r
}

func getInto(t *testing.T, url string, v any) {
	t.Helper()
	code, body := get(t, url)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, code, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// waitRelease waits until the rollups hold a release's events (rolls run
// every few seconds).
func waitRelease(t *testing.T, base, version string, total uint64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/api/v1/releases/" + version)
		if err == nil {
			var r engine.ReleaseReport
			_ = json.NewDecoder(resp.Body).Decode(&r)
			resp.Body.Close()
			if len(r.SLOs) == 1 && r.SLOs[0].Total == total {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("release %s never reached %d events", version, total)
}
