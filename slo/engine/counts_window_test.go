package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/store"
)

// TestCountsEveryAlertWindow: during a partial outage every alert window
// Counts returns holds exactly its own events, rolled-up and open minutes
// alike, and no other SLO's (alerting reads nothing else).
func TestCountsEveryAlertWindow(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Date(2026, 3, 10, 12, 0, 30, 0, time.UTC)
	slos, err := slo.Parse("t.yaml", []byte(`slos:
  - name: login-success
    flow: login
    objective: 99
    window: 7d
    indicator: {source: traces, total: 'service.name == "auth-api"', bad: 'status.code == "Error"'}
  - name: feed-success
    flow: feed
    objective: 99
    window: 7d
    indicator: {source: traces, total: 'service.name == "feed-api"', bad: 'status.code == "Error"'}
`))
	if err != nil {
		t.Fatal(err)
	}
	// Each window reaches one group of events further back than the last.
	var spans []store.Span
	add := func(service string, ago time.Duration, good, bad int) {
		for i := range good + bad {
			id := len(spans) + 1
			status := "Ok"
			if i >= good {
				status = "Error"
			}
			spans = append(spans, store.Span{Timestamp: now.Add(-ago), TraceID: hex32(id), SpanID: hex32(id)[16:],
				ServiceName: service, SpanName: "POST /v1/login", StatusCode: status})
		}
	}
	add("auth-api", 2*time.Minute, 2, 3)   // 5m
	add("auth-api", 20*time.Minute, 0, 5)  // 30m
	add("auth-api", 45*time.Minute, 7, 0)  // 1h
	add("auth-api", 90*time.Minute, 0, 11) // 2h
	add("auth-api", 5*time.Hour, 13, 0)    // 6h
	add("auth-api", 20*time.Hour, 0, 17)   // 1d
	add("auth-api", 60*time.Hour, 19, 0)   // 3d
	add("auth-api", 80*time.Hour, 0, 23)   // beyond 3d
	add("feed-api", 2*time.Minute, 0, 100)
	add("feed-api", 50*time.Hour, 100, 0)
	if err := st.InsertSpans(ctx, spans); err != nil {
		t.Fatal(err)
	}
	// A roll margin of 1 ms: the spans just stored are rolled by the Tick.
	e := engine.New(st, engine.Options{Clock: func() time.Time { return now }, RollMargin: time.Millisecond})
	e.SetSLOs(slos)
	if err := e.Backfill(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	windows := []time.Duration{5 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 6 * time.Hour, 24 * time.Hour, 72 * time.Hour}
	got, err := e.Counts(ctx, windows, now)
	if err != nil {
		t.Fatal(err)
	}
	want := map[time.Duration]engine.WindowCounts{
		5 * time.Minute:  {Good: 2, Total: 5},
		30 * time.Minute: {Good: 2, Total: 10},
		time.Hour:        {Good: 9, Total: 17},
		2 * time.Hour:    {Good: 9, Total: 28},
		6 * time.Hour:    {Good: 22, Total: 41},
		24 * time.Hour:   {Good: 22, Total: 58},
		72 * time.Hour:   {Good: 41, Total: 77},
	}
	for _, w := range windows {
		if c := got["login-success"][w]; c != want[w] {
			t.Errorf("login-success over %s: %+v, want %+v", w, c, want[w])
		}
	}
	feed := map[time.Duration]engine.WindowCounts{5 * time.Minute: {Good: 0, Total: 100}, 24 * time.Hour: {Good: 0, Total: 100}, 72 * time.Hour: {Good: 100, Total: 200}}
	for w, c := range feed {
		if g := got["feed-success"][w]; g != c {
			t.Errorf("feed-success over %s: %+v, want %+v", w, g, c)
		}
	}
}
