package app

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb/chdbtest"
)

// TestAlertDetailTopSliceShare: the message's "most responsible" share is
// of all the SLO's bad events, also when more than 10 values have some (the
// breakdown lists 10). 4.2.0 holds 10 of 80 bad events: 12.5%, not the
// 10/55 of the ten values listed.
func TestAlertDetailTopSliceShare(t *testing.T) {
	ctx := context.Background()
	st := chdbtest.Open(t)
	now := time.Now().UTC()
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
	var spans []store.Span
	add := func(version string, bad int) {
		for range bad {
			id := len(spans) + 1
			spans = append(spans, store.Span{Timestamp: now.Add(-10 * time.Minute), TraceID: fmt.Sprintf("%032x", id), SpanID: fmt.Sprintf("%016x", id),
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
	v := newEngineView(st, slog.New(slog.DiscardHandler), func(q engine.Querier, readOnly bool) *engine.Engine {
		return engine.New(q, engine.Options{Clock: func() time.Time { return now }, ReadOnly: readOnly})
	})
	v.SetSLOs(slos)
	d, err := engineDetail(v)(ctx, "login-success", now)
	if err != nil {
		t.Fatal(err)
	}
	if d.TopSlice == nil || d.TopSlice.Value != "4.2.0" || math.Abs(d.TopSlice.Share-0.125) > 1e-9 {
		t.Errorf("top slice %+v, want 4.2.0 with 12.5%% of bad events", d.TopSlice)
	}
}
