package app

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"

	"github.com/flowslo/flowslo/usage"
)

// TestUsageAPIAndPage: spans sent over OTLP show in GET /api/v1/usage in
// the shape, and on the Usage page.
func TestUsageAPIAndPage(t *testing.T) {
	a := startApp(t)
	ctx := context.Background()
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(a.OTLPGRPCAddr()), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	defer exp.Shutdown(ctx)
	if err := exp.ExportSpans(ctx, loginSpans(0, 300)); err != nil {
		t.Fatal(err)
	}
	base := "http://" + a.HTTPAddr()
	code, body := get(t, base+"/api/v1/usage")
	if code != http.StatusOK {
		t.Fatalf("/api/v1/usage = %d %s", code, body)
	}
	var shape map[string]any
	if err := json.Unmarshal([]byte(body), &shape); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"services", "retention", "total_bytes"} {
		if _, ok := shape[k]; !ok {
			t.Errorf("usage lacks %q: %s", k, body)
		}
	}
	var rep usage.Report
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Services) != 1 || rep.Services[0].Spans != 300 || rep.Services[0].Bytes == 0 || len(rep.Services[0].Days) != 1 {
		t.Fatalf("services %+v, want one with 300 spans and their bytes", rep.Services)
	}
	svc := rep.Services[0]
	if !strings.Contains(body, `"days":[{"day":"`+svc.Days[0].Day+`","spans":300,`) || !strings.Contains(body, `"read_by_slos":[]`) {
		t.Errorf("usage body not in the documented shape: %s", body)
	}
	code, page := get(t, base+"/usage")
	if code != http.StatusOK || !strings.Contains(page, "Usage and cost") || !strings.Contains(page, svc.Service) {
		t.Errorf("/usage = %d, lacks the service:\n%.800s", code, page)
	}
}
