package engine_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/store"
)

// TestReleaseReport checks a release's counts over its period (from the
// minute it was first seen, across an hour boundary), the previous
// release over the same period, adoption and the platform split, on known
// spans: 4.2.0 meets the objective overall and fails it on Android only.
func TestReleaseReport(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Date(2026, 3, 10, 12, 0, 30, 0, time.UTC)
	slos, err := slo.Parse("t.yaml", []byte(`slos:
  - name: checkout-success
    flow: checkout
    service: orders-api
    objective: 99
    window: 28d
    indicator:
      source: traces
      total: 'service.name == "orders-api"'
      bad: 'status.code == "Error"'
    slices: ['resource.attributes["service.version"]', 'attributes["app.platform"]']
  - name: login-success
    flow: login
    objective: 99
    window: 28d
    indicator:
      source: traces
      total: 'service.name == "auth-api"'
      bad: 'status.code == "Error"'
`))
	if err != nil {
		t.Fatal(err)
	}
	var spans []store.Span
	add := func(at time.Time, version, platform string, n, bad int) {
		for i := range n {
			id := len(spans) + 1
			status := "Ok"
			if i < bad {
				status = "Error"
			}
			spans = append(spans, store.Span{Timestamp: at, TraceID: hex32(id), SpanID: hex32(id)[16:],
				ServiceName: "orders-api", SpanName: "POST /v1/checkout", StatusCode: status,
				ResourceAttributes: map[string]string{"service.version": version},
				SpanAttributes:     map[string]string{"app.platform": platform}})
		}
	}
	first := time.Date(2026, 3, 10, 10, 30, 10, 0, time.UTC)
	add(now.Add(-72*time.Hour), "4.1.3", "ios", 500, 0)      // before the period
	add(first.Add(-20*time.Minute), "4.1.3", "ios", 300, 30) // before the period, in the same hour
	add(first.Add(15*time.Minute), "4.1.3", "ios", 1000, 1)  // 10:45, minutes of the period
	add(first.Add(60*time.Minute), "4.1.3", "ios", 1000, 1)  // 11:30, an hour of the period
	add(first.Add(60*time.Minute), "4.1.3", "android", 1000, 2)
	add(first, "4.2.0", "ios", 1000, 1)
	add(first.Add(61*time.Minute), "4.2.0", "ios", 2000, 2)
	add(first.Add(62*time.Minute), "4.2.0", "android", 500, 25) // 95% on Android
	if err := st.InsertSpans(ctx, spans); err != nil {
		t.Fatal(err)
	}
	// A tiny roll margin: the rows just inserted are rolled at once (the
	// release numbers read rollups only).
	e := engine.New(st, engine.Options{Clock: func() time.Time { return now }, RollMargin: time.Millisecond})
	e.SetSLOs(slos)
	backfillAll(t, e)

	list, err := e.Releases(ctx, engine.ReleaseFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Version != "4.2.0" || list[1].Version != "4.1.3" ||
		!list[0].FirstSeen.Equal(first.Truncate(time.Minute)) || !list[1].FirstSeen.Equal(now.Add(-72*time.Hour).Truncate(time.Minute)) ||
		!list[0].LastSeen.Equal(first.Add(62*time.Minute).Truncate(time.Minute)) || list[0].Events != 3500 || list[1].Events != 3800 ||
		len(list[0].Services) != 1 || list[0].Services[0].Service != "orders-api" {
		t.Fatalf("releases: %+v", list)
	}

	rep, err := e.Release(ctx, "4.2.0", engine.ReleaseQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.SLOs) != 1 || !reflect.DeepEqual(rep.Seen, []string{"4.2.0", "4.1.3"}) {
		t.Fatalf("report: %+v", rep)
	}
	r := rep.SLOs[0]
	if r.SLO != "checkout-success" || r.Good != 3472 || r.Total != 3500 || r.Objective != 0.99 || !r.From.Equal(first.Truncate(time.Minute)) {
		t.Errorf("release counts: %+v", r)
	}
	// 4.1.3 over the same period: 3000 events, 4 bad (the 300 at 10:10 are before it)
	if r.Previous == nil || r.Previous.Version != "4.1.3" || r.Previous.Total != 3000 || r.Previous.Good != 2996 {
		t.Errorf("previous: %+v", r.Previous)
	}
	if r.Adoption == nil || !near(*r.Adoption, 3500.0/6500) {
		t.Errorf("adoption: %v", r.Adoption)
	}
	if len(r.Platforms) != 2 || r.Platforms[0].Platform != "ios" || r.Platforms[0].Total != 3000 || r.Platforms[1].Platform != "android" ||
		r.Platforms[1].Good != 475 || r.Platforms[1].Previous == nil || r.Platforms[1].Previous.Total != 1000 || !r.Platforms[1].Worse || !r.Platforms[1].Significant {
		t.Errorf("platforms: %+v", r.Platforms)
	}
	if rep.Verdict != engine.NotReady || !strings.Contains(strings.Join(rep.Reasons, "|"), "on android, 4.2.0 checkout-success is 95.00%, below its 99.00% objective (500 events)") {
		t.Errorf("verdict %s: %q", rep.Verdict, rep.Reasons)
	}
	if !strings.HasPrefix(rep.Summary, "4.2.0 is not ready: ") {
		t.Errorf("summary: %q", rep.Summary)
	}
	if n := len(rep.AdoptionSeries); n != 2 || *rep.AdoptionSeries[0].Share != 1000.0/2300 {
		t.Errorf("adoption series: %+v", rep.AdoptionSeries)
	}
	// The split from the pair slice's rollups is what raw rows say.
	engine.UseRawPlatformSplit(e, true)
	raw, err := e.Release(ctx, "4.2.0", engine.ReleaseQuery{})
	if err != nil || !reflect.DeepEqual(raw.SLOs[0].Platforms, r.Platforms) {
		t.Errorf("platforms from raw rows %+v, from rollups %+v (%v)", raw.SLOs[0].Platforms, r.Platforms, err)
	}
	if _, err := e.Release(ctx, "9.9.9", engine.ReleaseQuery{}); err == nil || !strings.Contains(err.Error(), "carry 4.2.0, 4.1.3") {
		t.Errorf("unknown release: %v", err)
	}
}

// backfillAll runs backfill chunks until every SLO is current, then a cycle.
func backfillAll(t *testing.T, e *engine.Engine) {
	t.Helper()
	ctx := context.Background()
	for range 100 {
		if err := e.Backfill(ctx); err != nil {
			t.Fatal(err)
		}
		done := true
		for _, p := range e.Progress() {
			done = done && p.State == "current"
		}
		if done {
			break
		}
	}
	if err := e.Tick(ctx); err != nil {
		t.Fatal(err)
	}
}
