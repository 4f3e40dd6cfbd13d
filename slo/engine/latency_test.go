package engine_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/store"
)

// TestLatencyPercentiles reads p50/p95/p99 from the rollups' histograms
// of spans of known durations: 1 … 1000 ms in the first minute, ten
// times slower in the second; each within the stated bucket error.
func TestLatencyPercentiles(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Date(2026, 3, 10, 12, 0, 30, 0, time.UTC)
	slos, err := slo.Parse("t.yaml", []byte(`slos:
  - {name: feed-latency, flow: feed, objective: 99, window: 28d,
     indicator: {source: traces, total: 'service.name == "feed-api"', latency: {threshold: 300ms}}}
  - {name: feed-errors, flow: feed, objective: 99, window: 28d,
     indicator: {source: traces, total: 'service.name == "feed-api"', bad: 'status.code == "Error"'}}
`))
	if err != nil {
		t.Fatal(err)
	}
	m1 := now.Add(-10 * time.Minute).Truncate(time.Minute)
	var spans []store.Span
	for i := 1; i <= 1000; i++ {
		for j, scale := range []time.Duration{time.Millisecond, 10 * time.Millisecond} {
			spans = append(spans, store.Span{Timestamp: m1.Add(time.Duration(j)*time.Minute + time.Second), TraceID: hex32(len(spans) + 1), SpanID: hex32(len(spans) + 1)[16:],
				ServiceName: "feed-api", SpanName: "GET /v1/feed", StatusCode: "Ok", Duration: time.Duration(i) * scale})
		}
	}
	if err := st.InsertSpans(ctx, spans); err != nil {
		t.Fatal(err)
	}
	e := engine.New(st, engine.Options{Clock: func() time.Time { return now }, RollMargin: time.Millisecond})
	e.SetSLOs(slos)
	backfillAll(t, e)

	ls, err := e.Latency(ctx, "feed-latency", now.Add(-time.Hour), now, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls.Points) != 2 || ls.ThresholdMS != 300 || math.Abs(ls.BucketError-0.0453) > 0.001 {
		t.Fatalf("series: %+v", ls)
	}
	for j, scale := range []float64{1, 10} {
		p := ls.Points[j]
		if !p.T.Equal(m1.Add(time.Duration(j)*time.Minute)) || p.Total != 1000 {
			t.Errorf("point %d: %+v", j, p)
		}
		for _, c := range []struct {
			got  *float64
			want float64
		}{{p.P50, 500 * scale}, {p.P95, 950 * scale}, {p.P99, 990 * scale}} {
			if c.got == nil || math.Abs(*c.got-c.want)/c.want > ls.BucketError {
				t.Errorf("point %d: got %v, want %.0f ms ± %.1f%%", j, c.got, c.want, ls.BucketError*100)
			}
		}
	}
	// Over 300 ms: about 700 in the first minute and 970 in the second,
	// less the bucket the threshold falls in.
	if o := ls.Points[0].Over; o < 650 || o > 700 {
		t.Errorf("over the threshold in the first minute: %d", o)
	}
	if hours, err := e.Latency(ctx, "feed-latency", now.Add(-2*time.Hour), now, time.Hour); err != nil || len(hours.Points) != 1 || hours.Points[0].Total != 2000 {
		t.Errorf("hourly: %+v %v", hours, err)
	}
	if _, err := e.Latency(ctx, "feed-errors", now.Add(-time.Hour), now, time.Minute); !errors.Is(err, engine.ErrBadRequest) {
		t.Errorf("a ratio SLO: %v", err)
	}
}
