package slack_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/flowslo/flowslo/alerting"
	"github.com/flowslo/flowslo/slo"
)

// TestAlertLatency measures, with default settings (evaluation every 15s),
// the time from counts showing a total outage to the page arriving at the
// Slack test server, when the SLO engine calls Trigger after its rollup
// (what the app wires). Without Trigger, add up to one evaluation interval.
//
//	go test ./alerting/slack -run TestAlertLatency -v
func TestAlertLatency(t *testing.T) {
	w := newWorld(t)
	var worst time.Duration
	for i := range 3 {
		w.st.Exec(context.Background(), "TRUNCATE TABLE alerting_alerts", nil)
		w.setDown(false)
		lat := measureOnce(t, w)
		worst = max(worst, lat)
		t.Logf("outage %d: page at Slack after %v", i+1, lat)
	}
	if worst > 2*time.Second {
		t.Errorf("worst latency %v", worst)
	}
}

func measureOnce(t *testing.T, w *world) time.Duration {
	m := w.manager(func(o *alerting.Options) { o.Clock = time.Now })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	time.Sleep(200 * time.Millisecond) // the first, healthy evaluation
	for len(w.slack.got) > 0 {
		<-w.slack.got
	}
	start := time.Now()
	w.setDown(true)
	m.Trigger()
	c := <-w.slack.got
	return c.At.Sub(start)
}

// BenchmarkEvaluate200 is one evaluation of 200 healthy SLOs (the steady
// state: no store writes, no sends); the counts come from memory, so this
// is alerting's own cost per cycle.
//
//	go test ./alerting/slack -run '^$' -bench Evaluate200 -benchmem
func BenchmarkEvaluate200(b *testing.B) {
	var slos []*slo.SLO
	for i := range 200 {
		slos = append(slos, checkout(fmt.Sprintf("slo-%d", i)))
	}
	w := newWorld(b, slos...)
	m := w.manager()
	ctx := context.Background()
	if err := m.Evaluate(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := m.Evaluate(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
