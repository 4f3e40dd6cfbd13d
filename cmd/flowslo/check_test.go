package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/ui"
)

// statusEngine serves fixed SLO numbers through the real API server; the
// verdicts are the engine's own (engine.Judge), as `flowslo serve` gives.
type statusEngine struct{ statuses []engine.SLOStatus }

func (f *statusEngine) Status(context.Context) ([]engine.SLOStatus, error) { return f.statuses, nil }
func (f *statusEngine) StatusOf(_ context.Context, name string) (engine.SLOStatus, error) {
	for _, s := range f.statuses {
		if s.Name == name {
			return s, nil
		}
	}
	return engine.SLOStatus{}, engine.ErrUnknownSLO
}
func (f *statusEngine) Series(context.Context, string, time.Time, time.Time, time.Duration, string) (engine.Series, error) {
	return engine.Series{}, nil
}
func (f *statusEngine) BadBySlice(context.Context, string, time.Time, time.Time) ([]engine.SliceCount, error) {
	return nil, nil
}
func (f *statusEngine) ExampleTraces(context.Context, string, time.Time, time.Time, int) ([]engine.Example, error) {
	return nil, nil
}
func (f *statusEngine) Readiness(context.Context) ([]engine.FlowReadiness, error) {
	return engine.Judge(f.statuses, engine.Thresholds{}), nil
}
func (f *statusEngine) Progress() []engine.Progress { return nil }
func (f *statusEngine) Latency(context.Context, string, time.Time, time.Time, time.Duration) (engine.LatencySeries, error) {
	return engine.LatencySeries{}, nil
}
func (f *statusEngine) MissingAttributes(context.Context, string, time.Time, time.Time) ([]engine.MissingAttribute, error) {
	return nil, nil
}

// sloNumbers is a 99% SLO over 28 days with budget left (nil: no events)
// and the same burn rate over every window.
func sloNumbers(name, flow string, budget *float64, burn float64) engine.SLOStatus {
	s := engine.SLOStatus{Name: name, Flow: flow, Objective: 99, Window: "28d", Status: engine.StatusOK,
		ErrorBudgetRemaining: budget, BurnRates: map[slo.Duration]*float64{}}
	if budget == nil {
		s.Status = engine.StatusNoData
		return s
	}
	s.Good, s.Total = 990, 1000
	for _, w := range engine.BurnWindows {
		s.BurnRates[w] = &burn
	}
	return s
}

func startAPI(t *testing.T, statuses ...engine.SLOStatus) string {
	t.Helper()
	srv := ui.New(ui.Options{Addr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Gatherer: prometheus.NewRegistry(), SLOs: &statusEngine{statuses}})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	return "http://" + srv.Addr()
}

func fp(f float64) *float64 { return &f }

// TestCheckObeysServerVerdict: the exit code and first line follow the
// server's readiness verdict for the flow or SLO asked for.
func TestCheckObeysServerVerdict(t *testing.T) {
	base := startAPI(t,
		sloNumbers("login-success", "login", fp(0.8), 0.5),
		sloNumbers("feed-latency", "feed", fp(0.2), 0.5),        // low budget: at risk
		sloNumbers("checkout-success", "checkout", fp(0.9), 20), // pages: not ready
		sloNumbers("push-processing", "push", nil, 0),           // no events yet
		sloNumbers("search-latency", "search", fp(0.9), 0.5),
		sloNumbers("search-success", "search", nil, 0), // one SLO of the flow without data
	)
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"--flow", "login"}, checkReady, "flow login: READY: login-success has 80% of its error budget left"},
		{[]string{"--slo", "login-success"}, checkReady, "SLO login-success: READY"},
		{[]string{"--flow", "feed"}, checkNotReady, "flow feed: AT RISK: feed-latency has 20% of its error budget left (below 25%)"},
		{[]string{"--flow", "feed", "--allow-at-risk"}, checkReady, "flow feed: AT RISK (passing: --allow-at-risk)"},
		{[]string{"--flow", "checkout"}, checkNotReady, "flow checkout: NOT READY: checkout-success has 90% of its error budget left; burning 20.0x over 1h and 20.0x over 5m"},
		{[]string{"--flow", "checkout", "--allow-at-risk"}, checkNotReady, "NOT READY"},
		{[]string{"--flow", "push"}, checkUnknown, "flow push: NO DATA: no data yet: push-processing has no events"},
		{[]string{"--slo", "push-processing", "--allow-at-risk"}, checkUnknown, "NO DATA"},
		{[]string{"--flow", "search", "--allow-at-risk"}, checkUnknown, "flow search: NO DATA: no data yet: search-success"},
		{[]string{"--flow", "billing"}, checkUnknown, `unknown flow "billing": flowslo knows checkout, feed, login, push, search`},
		{[]string{"--slo", "nope"}, checkUnknown, `unknown SLO "nope": flowslo knows`},
		{[]string{"--slo", "login-success", "--min-budget", "20"}, checkUnknown, "set readiness.min_budget_percent"},
		{[]string{"--slo", "login-success", "--flow", "login"}, checkUnknown, "give exactly one of --slo NAME or --flow NAME"},
	} {
		var out strings.Builder
		code := check(append([]string{"--url", base}, tc.args...), &out, &out)
		if code != tc.code || !strings.Contains(out.String(), tc.says) {
			t.Errorf("check %v: exit %d, want %d; output %q should say %q", tc.args, code, tc.code, out.String(), tc.says)
		}
	}
}

func TestCheckUnreachableOrEmpty(t *testing.T) {
	var out strings.Builder
	if code := check([]string{"--url", "http://127.0.0.1:1", "--flow", "login"}, &out, &out); code != checkUnknown || !strings.Contains(out.String(), "flowslo unreachable") {
		t.Errorf("unreachable: exit %d, %q", code, out.String())
	}
	out.Reset()
	base := startAPI(t)
	if code := check([]string{"--url", base, "--flow", "login"}, &out, &out); code != checkUnknown || !strings.Contains(out.String(), "flowslo has no SLOs loaded") {
		t.Errorf("no SLOs: exit %d, %q", code, out.String())
	}
	// A server that is not flowslo (an OTLP port, say) answering 404.
	other := httptest.NewServer(http.NotFoundHandler())
	defer other.Close()
	out.Reset()
	if code := check([]string{"--url", other.URL, "--flow", "login"}, &out, &out); code != checkUnknown || !strings.Contains(out.String(), "is --url flowslo's HTTP address") {
		t.Errorf("not flowslo: exit %d, %q", code, out.String())
	}
}
