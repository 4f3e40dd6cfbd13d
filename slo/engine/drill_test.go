package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/store"
)

// TestSeriesAndDrillDown checks the chart series, the bad-events breakdown
// and the example traces on a small known data set.
func TestSeriesAndDrillDown(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Date(2026, 3, 10, 12, 0, 30, 0, time.UTC)
	slos, err := slo.Parse("t.yaml", []byte(`slos:
  - name: login-success
    flow: login
    objective: 90
    window: 1d
    indicator:
      source: traces
      total: 'service.name == "auth-api"'
      bad: 'status.code == "Error"'
    slices: ['attributes["app.platform"]']
`))
	if err != nil {
		t.Fatal(err)
	}
	var spans []store.Span
	add := func(at time.Duration, status, platform string, n int) {
		for range n {
			id := len(spans) + 1
			spans = append(spans, store.Span{Timestamp: now.Add(at), TraceID: hex32(id), SpanID: hex32(id)[16:],
				ServiceName: "auth-api", SpanName: "POST /v1/login", StatusCode: status,
				SpanAttributes: map[string]string{"app.platform": platform}})
		}
	}
	add(-90*time.Minute, "Ok", "ios", 9)
	add(-90*time.Minute, "Error", "ios", 1)
	add(-30*time.Minute, "Ok", "android", 8)
	add(-30*time.Minute, "Error", "android", 2)
	add(-2*time.Minute, "Error", "android", 1)
	if err := st.InsertSpans(ctx, spans); err != nil {
		t.Fatal(err)
	}
	e := engine.New(st, engine.Options{Clock: func() time.Time { return now }})
	e.SetSLOs(slos)
	if err := e.Backfill(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	s, err := e.Series(ctx, "login-success", now.Add(-2*time.Hour), now, time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Points) != 2 {
		t.Fatalf("points: %+v", s.Points)
	}
	// hour 1 [10:00, 11:00): 10 events, 1 bad; hour 2: 11 events, 3 bad
	p0, p1 := s.Points[0], s.Points[1]
	if p0.Total != 10 || p1.Total != 11 || !near(*p0.BurnRate, 1) || !near(*p1.SLI, 17.0/21) || !near(*p1.BurnRate, 3.0/11/0.1) {
		t.Errorf("series: %+v %+v", p0, p1)
	}
	sl, err := e.Series(ctx, "login-success", now.Add(-2*time.Hour), now, time.Hour, `attributes["app.platform"]=android`)
	if err != nil || sl.Points[0].Total != 0 || sl.Points[1].Total != 11 {
		t.Errorf("slice series: %+v %v", sl.Points, err)
	}
	if _, err := e.Series(ctx, "login-success", now.Add(-2*time.Hour), now, time.Hour, "nope=x"); err == nil {
		t.Error("unknown slice accepted")
	}
	bad, err := e.BadBySlice(ctx, "login-success", now.Add(-time.Hour), now.Add(time.Minute))
	if err != nil || len(bad) != 1 || bad[0].Value != "android" || bad[0].Bad != 3 || bad[0].Total != 11 {
		t.Errorf("bad by slice: %+v %v", bad, err)
	}
	ex, err := e.ExampleTraces(ctx, "login-success", now.Add(-time.Hour), now.Add(time.Minute), 2)
	if err != nil || len(ex) != 2 || ex[0].Status != "Error" || !ex[0].Time.Equal(now.Add(-2*time.Minute)) {
		t.Errorf("examples: %+v %v", ex, err)
	}
	if _, err := e.StatusOf(ctx, "nope"); err != engine.ErrUnknownSLO {
		t.Errorf("unknown slo: %v", err)
	}
}

func hex32(i int) string {
	const digits = "0123456789abcdef"
	b := []byte("00000000000000000000000000000000")
	for j := len(b) - 1; i > 0; j-- {
		b[j] = digits[i%16]
		i /= 16
	}
	return string(b)
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
