package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
)

// TestBrowserEmptyStateTeaches: with no data, the flows page names the
// receivers' real addresses, shows a command to send a test span and log
// built from an SLO's expected event, and what each SLO counts; the
// readiness page says "No data yet", not "At risk".
func TestBrowserEmptyStateTeaches(t *testing.T) {
	d := newDemo(5)
	d.statuses = d.statuses[4:] // push-processing: no events
	d.statuses[0].Expects = slo.Expectation{Signal: "span", Service: "notifier", Name: "process push", Kind: "Consumer",
		Attributes: map[string]string{"push.provider": "apns"}, Total: `service.name == "notifier" && name == "process push"`, Good: "duration <= 30s"}
	srv := newDemoServer(d, false)
	srv.opts.Stats = func(context.Context) (Stats, error) { return Stats{}, nil }
	srv.opts.OTLP = func() OTLPInfo { return OTLPInfo{GRPCAddr: "127.0.0.1:24317", HTTPAddr: "0.0.0.0:24318"} }
	tb := newTab(t, srv)
	tb.open("/", "#test-command")
	if g, h := tb.text("#otlp-grpc"), tb.text("#otlp-http"); g != "127.0.0.1:24317" || h != "127.0.0.1:24318" {
		t.Errorf("addresses shown: %q, %q (OTLP/HTTP on every interface is reached by the page's host)", g, h)
	}
	cmd := tb.text("#test-command")
	for _, want := range []string{"http://127.0.0.1:24318/v1/traces", "http://127.0.0.1:24318/v1/logs", `"name":"process push","kind":5`, `"stringValue":"notifier"`} {
		if !strings.Contains(cmd, want) {
			t.Errorf("test command lacks %q:\n%s", want, cmd)
		}
	}
	row := tb.text(`#expects tr[data-slo="push-processing"]`)
	for _, want := range []string{"span", "notifier", "process push", "Consumer", "push.provider=apns", "duration <= 30s"} {
		if !strings.Contains(row, want) {
			t.Errorf("expectation row lacks %q: %q", want, row)
		}
	}
	tb.screenshot("empty")
	tb.open("/readiness", "#flow-verdicts")
	if v := tb.text(`#flow-verdicts [data-flow="push"] h2 .pill`); v != "No data yet" {
		t.Errorf("readiness of a flow without data: %q", v)
	}
}

// TestBrowserLatencyPercentiles: a latency SLO's page draws p50, p95 and
// p99 from the latency API next to its threshold, and states the bucket
// error.
func TestBrowserLatencyPercentiles(t *testing.T) {
	d := newDemo(5)
	d.statuses[2].LatencyThresholdMS = 300 // feed-latency
	srv := newDemoServer(d, true)
	var asked time.Duration
	srv.opts.SLOs.(*fakeEngine).latency = func(_ context.Context, name string, from, to time.Time, step time.Duration) (engine.LatencySeries, error) {
		asked = step
		out := engine.LatencySeries{SLO: name, ThresholdMS: 300, BucketError: engine.BucketError, StepS: int64(step.Seconds())}
		for t := from; t.Before(to); t = t.Add(step) {
			out.Points = append(out.Points, engine.LatencyPoint{T: t, Total: 100, P50: fp(120), P95: fp(280), P99: fp(410)})
		}
		return out, nil
	}
	tb := newTab(t, srv)
	tb.open("/slos/feed-latency", `#chart-latency[data-points]`)
	if n := tb.eval(`window.flowsloCharts.length`); n != float64(4) {
		t.Errorf("charts: %v, want 4 with the latency chart", n)
	}
	if p := tb.eval(`+document.getElementById('chart-latency').dataset.points`); p.(float64) < 100 || asked <= 0 {
		t.Errorf("latency points: %v (step %s)", p, asked)
	}
	if c := tb.text("#latency-fig figcaption"); !strings.Contains(c, "300 ms threshold") || !strings.Contains(c, "±4.5%") {
		t.Errorf("caption: %q", c)
	}
	tb.eval(`(() => { const u = window.flowsloCharts[3]; u.setCursor({left: u.bbox.width / devicePixelRatio / 2, top: 20}); })()`)
	if v := tb.text(`#chart-latency .u-legend .u-series:nth-child(4) .u-value`); v != "410 ms" {
		t.Errorf("p99 in the legend: %q", v)
	}
	tb.screenshot("slo-latency")
	tb.open("/slos/login-success", `#slo-charts[data-state="ready"]`)
	if n := tb.eval(`document.querySelectorAll('#chart-latency').length`); n != float64(0) {
		t.Errorf("a ratio SLO has a latency chart")
	}
}

// TestBrowserMissingAttributeWarning: the SLO page warns when an attribute
// its good filter reads is missing on a large share of its events.
func TestBrowserMissingAttributeWarning(t *testing.T) {
	d := newDemo(5)
	srv := newDemoServer(d, true)
	srv.opts.SLOs.(*fakeEngine).missing = func(_ context.Context, name string, _, _ time.Time) ([]engine.MissingAttribute, error) {
		if name != "checkout-success" {
			return []engine.MissingAttribute{{Attribute: "http.response.status_code", Filter: "good", Missing: 1, Total: 1000, Share: 0.001}}, nil
		}
		return []engine.MissingAttribute{
			{Attribute: "http.response.status_code", Filter: "good", Missing: 300, Total: 1000, Share: 0.3, Warn: true},
			{Attribute: "service.version", Resource: true, Filter: "good", Total: 1000},
		}, nil
	}
	tb := newTab(t, srv)
	tb.open("/slos/checkout-success", "#missing-attrs")
	w := tb.text("#missing-attrs")
	for _, want := range []string{"30.0%", `attributes["http.response.status_code"]`, "300 of 1,000", "count as bad"} {
		if !strings.Contains(w, want) {
			t.Errorf("warning lacks %q: %q", want, w)
		}
	}
	if strings.Contains(w, "service.version") {
		t.Errorf("warns about an attribute every event has: %q", w)
	}
	tb.open("/slos/login-success", "#slo-kpis")
	tb.do(chromedp.WaitReady("body"))
	if n := tb.eval(`document.querySelectorAll('#missing-attrs').length`); n != float64(0) {
		t.Error("warns about an attribute 0.1% of events lack")
	}
}

// TestBrowserServiceView: a Services row leads to the service's view with
// its endpoints' RED only and the SLOs on it, keeping the range.
func TestBrowserServiceView(t *testing.T) {
	d := newDemo(5)
	tb := newTab(t, newDemoServer(d, true))
	tb.open("/services?range=6h", "#endpoints")
	tb.do(chromedp.Click(`#endpoints a.service-link[href^="/services/auth-api"]`, chromedp.NodeVisible), chromedp.WaitVisible("#service-slos"))
	if loc, _ := chromedp.Run(tb.ctx, chromedp.Location()); !strings.HasSuffix(loc, "/services/auth-api?range=6h") {
		t.Errorf("location %s", loc)
	}
	if h := tb.text("h1"); h != "auth-api" {
		t.Errorf("heading %q", h)
	}
	eps := tb.eval(`Array.from(document.querySelectorAll('#endpoints tbody tr td:first-child')).map(td => td.textContent)`).([]any)
	if len(eps) != 2 || eps[0] != "POST /v1/login" {
		t.Errorf("endpoints of auth-api: %v", eps)
	}
	if r := tb.text(`#endpoints tbody tr:first-child td:nth-child(2)`); !strings.HasSuffix(r, "/s") {
		t.Errorf("rate %q", r)
	}
	slos := tb.eval(`Array.from(document.querySelectorAll('#service-slos tbody tr')).map(tr => tr.dataset.slo)`).([]any)
	if len(slos) != 2 || slos[0] != "login-success" || slos[1] != "login-latency" {
		t.Errorf("SLOs on auth-api: %v", slos)
	}
	if sel := tb.eval(`document.getElementById('f-range').value`); sel != "6h" {
		t.Errorf("range kept: %v", sel)
	}
	tb.screenshot("service")
	tb.do(chromedp.Click(`#service-slos a[href="/slos/login-success"]`, chromedp.NodeVisible), chromedp.WaitVisible("#slo-kpis"))
}
