package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/store"
)

// TestExamplesSayWhyBad: an Ok span without http.response.status_code
// fails a good filter that compares it, and says so; a 503 and an error
// status name their clauses; release and platform come along.
func TestExamplesSayWhyBad(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Date(2026, 3, 10, 12, 0, 30, 0, time.UTC)
	slos, err := slo.Parse("t.yaml", []byte(`slos:
  - name: checkout-success
    flow: checkout
    objective: 99
    window: 1d
    indicator:
      source: traces
      total: 'service.name == "orders-api"'
      good: 'status.code != "Error" && attributes["http.response.status_code"] < 500'
`))
	if err != nil {
		t.Fatal(err)
	}
	span := func(i int, at time.Duration, status string, attrs map[string]string) store.Span {
		return store.Span{Timestamp: now.Add(at), TraceID: hex32(i), SpanID: hex32(i)[16:], ServiceName: "orders-api", SpanName: "POST /v1/checkout",
			StatusCode: status, StatusMessage: "gateway said no", SpanAttributes: attrs, ResourceAttributes: map[string]string{"service.version": "4.2.0"}}
	}
	if err := st.InsertSpans(ctx, []store.Span{
		span(1, -3*time.Minute, "Ok", map[string]string{"app.platform": "android"}),
		span(2, -2*time.Minute, "Unset", map[string]string{"http.response.status_code": "503"}),
		span(3, -1*time.Minute, "Error", map[string]string{"http.response.status_code": "200"}),
		span(4, -1*time.Minute, "Ok", map[string]string{"http.response.status_code": "200"}),
	}); err != nil {
		t.Fatal(err)
	}
	e := engine.New(st, engine.Options{Clock: func() time.Time { return now }})
	e.SetSLOs(slos)
	ex, err := e.ExampleTraces(ctx, "checkout-success", now.Add(-time.Hour), now, 10)
	if err != nil || len(ex) != 3 {
		t.Fatalf("examples: %+v %v", ex, err)
	}
	want := map[string]string{hex32(1): "attribute http.response.status_code missing", hex32(2): "http.response.status_code >= 500 (503)", hex32(3): `status.code == "Error"`}
	for _, x := range ex {
		if got := strings.Join(x.Why, "; "); got != want[x.TraceID] {
			t.Errorf("%s: why %q, want %q", x.TraceID, got, want[x.TraceID])
		}
		if x.Version != "4.2.0" || x.Message != "gateway said no" {
			t.Errorf("%s: version %q message %q", x.TraceID, x.Version, x.Message)
		}
	}
	if ex[2].Platform != "android" || ex[1].StatusCode != "503" {
		t.Errorf("platform %q, status code %q", ex[2].Platform, ex[1].StatusCode)
	}
}
