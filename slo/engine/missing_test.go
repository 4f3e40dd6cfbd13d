package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/store"
)

// TestMissingAttributes: checkout's good filter compares
// http.response.status_code, which 30 of its 100 spans lack (and which
// other services' spans lacking it do not change).
func TestMissingAttributes(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Date(2026, 3, 10, 12, 0, 30, 0, time.UTC)
	slos, err := slo.Parse("t.yaml", []byte(`slos:
  - {name: checkout-success, flow: checkout, objective: 99, window: 28d,
     indicator: {source: traces, total: 'service.name == "orders-api"',
       good: 'status.code != "Error" && attributes["http.response.status_code"] < 500 && resource.attributes["service.version"] != ""'}}
`))
	if err != nil {
		t.Fatal(err)
	}
	var spans []store.Span
	for i := range 120 {
		attrs := map[string]string{"http.response.status_code": "200"}
		if i%10 < 3 {
			attrs = nil
		}
		svc := "orders-api"
		if i >= 100 {
			svc = "other"
		}
		spans = append(spans, store.Span{Timestamp: now.Add(-time.Minute), TraceID: hex32(i + 1), SpanID: hex32(i + 1)[16:], ServiceName: svc,
			SpanName: "POST /v1/checkout", StatusCode: "Ok", SpanAttributes: attrs, ResourceAttributes: map[string]string{"service.version": "4.2.0"}})
	}
	if err := st.InsertSpans(ctx, spans); err != nil {
		t.Fatal(err)
	}
	e := engine.New(st, engine.Options{Clock: func() time.Time { return now }})
	e.SetSLOs(slos)
	got, err := e.MissingAttributes(ctx, "checkout-success", now.Add(-time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("attributes: %+v", got)
	}
	if a := got[0]; a.Attribute != "http.response.status_code" || a.Resource || a.Filter != "good" || a.Missing != 30 || a.Total != 100 || !a.Warn {
		t.Errorf("status code: %+v", a)
	}
	if a := got[1]; a.Attribute != "service.version" || !a.Resource || a.Missing != 0 || a.Warn {
		t.Errorf("service.version: %+v", a)
	}
}
