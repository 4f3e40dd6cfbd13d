package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/store"
)

// TestBadBySliceSLOBad: with more values than the 10 listed, each row
// still carries all the SLO's bad events, the denominator of a share.
func TestBadBySliceSLOBad(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Date(2026, 3, 10, 12, 0, 30, 0, time.UTC)
	slos, err := slo.Parse("t.yaml", []byte(`slos:
  - name: login-success
    flow: login
    objective: 99
    window: 1d
    indicator:
      source: traces
      total: 'service.name == "auth-api"'
      bad: 'status.code == "Error"'
    slices: ['resource.attributes["service.version"]']
`))
	if err != nil {
		t.Fatal(err)
	}
	// 4.2.0 has 10 bad events; 14 other versions have 5 each: 80 bad.
	var spans []store.Span
	add := func(version string, bad int) {
		for range bad {
			id := len(spans) + 1
			spans = append(spans, store.Span{Timestamp: now.Add(-10 * time.Minute), TraceID: hex32(id), SpanID: hex32(id)[16:],
				ServiceName: "auth-api", SpanName: "POST /v1/login", StatusCode: "Error",
				ResourceAttributes: map[string]string{"service.version": version}})
		}
	}
	add("4.2.0", 10)
	for i := range 14 {
		add(fmt.Sprintf("4.1.%d", i), 5)
	}
	if err := st.InsertSpans(ctx, spans); err != nil {
		t.Fatal(err)
	}
	e := engine.New(st, engine.Options{Clock: func() time.Time { return now }})
	e.SetSLOs(slos)
	got, err := e.BadBySlice(ctx, "login-success", now.Add(-time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 || got[0].Value != "4.2.0" || got[0].Bad != 10 {
		t.Fatalf("want the top 10 values, 4.2.0 first with 10 bad: %+v", got)
	}
	for _, c := range got {
		if c.SLOBad != 80 {
			t.Errorf("%s: SLOBad %d, want 80 (all bad events, not the top 10's 55)", c.Value, c.SLOBad)
		}
	}
}
