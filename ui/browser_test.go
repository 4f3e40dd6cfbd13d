package ui

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/flowslo/flowslo/alerting"
	"github.com/flowslo/flowslo/slo/engine"
)

// One headless Chromium per test binary; each test opens tabs in it.
var browser struct {
	once   sync.Once
	ctx    context.Context
	cancel func()
	err    error
}

func chromiumPath() string {
	if p := os.Getenv("FLOWSLO_CHROMIUM"); p != "" {
		return p
	}
	for _, p := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	return ""
}

func startBrowser() (context.Context, error) {
	browser.once.Do(func() {
		path := chromiumPath()
		if path == "" {
			browser.err = fmt.Errorf("chromium not found: make test-deps installs it (apt-get install chromium), or set FLOWSLO_CHROMIUM")
			return
		}
		dir, err := os.MkdirTemp("", "flowslo-chromium-")
		if err != nil {
			browser.err = err
			return
		}
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
			chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
			chromedp.UserDataDir(dir), chromedp.WindowSize(1400, 1000),
			chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-dev-shm-usage", true))
		bctx, cancelBrowser := chromedp.NewContext(actx)
		browser.ctx = bctx
		browser.cancel = func() { cancelBrowser(); cancelAlloc(); os.RemoveAll(dir) }
		browser.err = chromedp.Do(bctx) // start it
	})
	return browser.ctx, browser.err
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	os.Exit(code)
}

// tab is one browser tab on a demo server; it fails the test on any
// console error, uncaught exception, failed load or dialog.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
	mu   sync.Mutex
	errs []string
	dlgs []string
}

func newTab(t *testing.T, srv *Server) *tab {
	t.Helper()
	bctx, err := startBrowser()
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	ctx, cancel := chromedp.NewContext(bctx)
	ctx, cancelT := context.WithTimeout(ctx, 30*time.Second)
	tb := &tab{t: t, ctx: ctx, base: "http://" + srv.Addr()}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Listen(ctx, tb.listen); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		for _, e := range tb.errs {
			t.Errorf("browser console: %s", e)
		}
		for _, d := range tb.dlgs {
			t.Errorf("a dialog opened (script ran): %s", d)
		}
		cancelT()
		cancel()
	})
	return tb
}

func (tb *tab) listen(ev any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range e.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			tb.errs = append(tb.errs, strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		tb.errs = append(tb.errs, e.ExceptionDetails.Text+" "+exceptionText(e.ExceptionDetails))
	case *cdplog.EventEntryAdded:
		if e.Entry.Level == cdplog.EntryLevelError {
			tb.errs = append(tb.errs, e.Entry.Text+" "+e.Entry.URL)
		}
	case *page.EventJavascriptDialogOpening:
		tb.dlgs = append(tb.dlgs, e.Message)
		go chromedp.Call(tb.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
	}
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d.Exception != nil {
		return d.Exception.Description
	}
	return ""
}

func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, actions...); err != nil {
		tb.t.Fatalf("browser: %v", err)
	}
}

func (tb *tab) eval(js string) any {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[any](js))
	if err != nil {
		tb.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// until waits for a JavaScript condition to hold (the tab's deadline
// bounds it).
func (tb *tab) until(js string) {
	tb.t.Helper()
	if _, err := chromedp.Run(tb.ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		tb.t.Fatalf("waiting for %s: %v", js, err)
	}
}

func (tb *tab) text(sel string) string {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Text(sel))
	if err != nil {
		tb.t.Fatalf("text of %s: %v", sel, err)
	}
	return v
}

func (tb *tab) open(path, waitFor string) {
	tb.t.Helper()
	tb.do(chromedp.Navigate(tb.base+path), chromedp.WaitVisible(waitFor))
}

// screenshot saves the page when FLOWSLO_SCREENSHOTS names a folder, in
// light and dark.
func (tb *tab) screenshot(name string) { tb.shoot(name, true) }

func (tb *tab) shoot(name string, full bool) {
	dir := os.Getenv("FLOWSLO_SCREENSHOTS")
	if dir == "" {
		return
	}
	for _, scheme := range []string{"light", "dark"} {
		_, err := chromedp.Call(tb.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		if err != nil {
			tb.t.Fatal(err)
		}
		time.Sleep(150 * time.Millisecond)
		shot := chromedp.CaptureScreenshot()
		if full {
			shot = chromedp.FullScreenshot(100)
		}
		b, err := chromedp.Run(tb.ctx, shot)
		if err != nil {
			tb.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+"-"+scheme+".png"), b, 0o644); err != nil {
			tb.t.Fatal(err)
		}
	}
}

func TestBrowserFlowsPageFilters(t *testing.T) {
	d := newDemo(200)
	tb := newTab(t, newDemoServer(d, true))
	tb.open("/", "#flows .flow")
	if n := tb.eval(`document.querySelectorAll('#flows li.slo').length`); n != float64(200) {
		t.Fatalf("SLO cards: %v, want 200", n)
	}
	if first := tb.eval(`document.querySelector('#flows .flow').dataset.flow`); first != "login" {
		t.Errorf("first flow %v, want login (burning: worst first)", first)
	}
	if n := tb.eval(`document.querySelectorAll('.spark polyline').length`); n.(float64) < 199 {
		t.Errorf("sparklines: %v", n)
	}
	tb.shoot("flows", false)
	tb.do(chromedp.SetValue("#f-flow", "checkout")) // fires change: the form submits itself
	tb.do(chromedp.WaitNotPresent(`#flows .flow[data-flow="login"]`))
	if n := tb.eval(`document.querySelectorAll('#flows .flow').length`); n != float64(1) {
		t.Errorf("flows after filter: %v, want 1", n)
	}
	if loc, _ := chromedp.Run(tb.ctx, chromedp.Location()); !strings.Contains(loc, "flow=checkout") {
		t.Errorf("location %s lacks the filter", loc)
	}
}

func TestBrowserSLOPageChartsRangeAndTrace(t *testing.T) {
	d := newDemo(5)
	tb := newTab(t, newDemoServer(d, true))
	tb.open("/slos/login-success", `#slo-charts[data-state="ready"]`)
	canvases := tb.eval(`Array.from(document.querySelectorAll('#slo-charts canvas')).filter(c => c.width > 0 && c.height > 0).length`)
	if canvases.(float64) < 3 || tb.eval(`window.flowsloCharts.length`) != float64(3) {
		t.Fatalf("charts drawn: %v canvases, %v uPlot instances", canvases, tb.eval(`window.flowsloCharts.length`))
	}
	if p := tb.eval(`+document.getElementById('slo-charts').dataset.points`); p.(float64) < 100 {
		t.Errorf("1d range has %v points", p)
	}
	// hover shows values in the legend
	tb.eval(`(() => { const u = window.flowsloCharts[0]; u.setCursor({left: u.bbox.width / devicePixelRatio / 2, top: 20}); })()`)
	if v := tb.text(`#chart-sli .u-legend .u-series:nth-child(2) .u-value`); !strings.HasSuffix(v, "%") {
		t.Errorf("hover value %q, want a percentage", v)
	}
	tb.screenshot("slo")
	tb.do(chromedp.Click(`button[data-range="7d"]`), chromedp.WaitVisible(`#slo-charts[data-range="7d"][data-state="ready"]`))
	if p := tb.eval(`document.querySelector('button[data-range="7d"]').getAttribute('aria-pressed')`); p != "true" {
		t.Errorf("7d button pressed: %v", p)
	}
	// the breakdown's slice value with markup stays text
	if got := tb.text(`#slices`); !strings.Contains(got, xssName) {
		t.Errorf("slices table lacks the escaped value: %s", got)
	}
	// each example says why it is bad, with its release and platform
	if got := tb.text(`#examples tbody tr:nth-child(2)`); !strings.Contains(got, "attribute http.response.status_code missing") || !strings.Contains(got, "4.1.3") || !strings.Contains(got, "Ok") {
		t.Errorf("why bad: %q", got)
	}
	if got := tb.text(`#examples tbody tr:nth-child(1) td.why-bad`); got != `status.code == "Error"; http.response.status_code >= 500 (503)` {
		t.Errorf("why bad: %q", got)
	}
	// open the trace of the first example bad event
	tb.do(chromedp.Click(`#examples a.trace-link`), chromedp.WaitVisible(`#waterfall`))
	if loc, _ := chromedp.Run(tb.ctx, chromedp.Location()); !strings.Contains(loc, "/traces/"+d.traceID+"?slo=login-success") {
		t.Fatalf("location %s", loc)
	}
	if n := tb.eval(`document.querySelectorAll('#waterfall details').length`); n != float64(6) {
		t.Errorf("waterfall rows %v, want 6", n)
	}
	// attributes show at once, the matched span is marked, the breadcrumb leads back
	if got := tb.text(`#waterfall details[data-span="b2"]`); !strings.Contains(got, "http.response.status_code") || !strings.Contains(got, "counted bad by login-success") {
		t.Errorf("matched span: %q", got)
	}
	if href := tb.eval(`document.getElementById('crumb-slo').getAttribute('href')`); href != "/slos/login-success" {
		t.Errorf("breadcrumb: %v", href)
	}
	if got := tb.text(`#waterfall details[data-span="d4"]`); !strings.Contains(got, xssName) || !strings.Contains(got, xssAttr) {
		t.Errorf("XSS span not shown as text: %q", got)
	}
	if n := tb.eval(`document.querySelectorAll('img, main script').length`); n != float64(0) {
		t.Errorf("injected elements in the page: %v", n)
	}
	if got := tb.text(`#logs`); !strings.Contains(got, "upstream timeout") {
		t.Errorf("logs: %q", got)
	}
	tb.screenshot("trace")
}

// TestBrowserSLOPageTiersAndFailingNow: a tier reads "met" only when
// alerting's rule fires, else why not; the page tells the share failing
// now (5m, 1h) apart from the window SLI, and so do the flow cards.
func TestBrowserSLOPageTiersAndFailingNow(t *testing.T) {
	d := newDemo(5)
	// checkout burns fast over every window, on a handful of events: the
	// rates are met, the minimum of 10 bad events in the short window is not.
	d.counts = map[string]map[time.Duration]alerting.Counts{"checkout-success": {
		5 * time.Minute: {Good: 9, Total: 10}, time.Hour: {Good: 196, Total: 200},
		30 * time.Minute: {Good: 97, Total: 100}, 6 * time.Hour: {Good: 991, Total: 1000},
		2 * time.Hour: {Good: 390, Total: 400}, 24 * time.Hour: {Good: 4000, Total: 4000}, 72 * time.Hour: {Good: 9990, Total: 10000},
	}}
	tb := newTab(t, newDemoServer(d, true))
	tb.open("/slos/checkout-success", `#alerts-h`)
	want := []string{
		"rates met, 1 bad event in 5m, needs 10",
		"rates met, 3 bad events in 30m, needs 10",
		"1d at 0.0×, under 3.0×",
		"rates met, 9 bad events in 6h, needs 10",
	}
	for i, w := range want {
		got := tb.text(fmt.Sprintf(`table.grid tbody tr:nth-child(%d) td.why`, i+1))
		if got != w {
			t.Errorf("tier %d: %q, want %q", i+1, got, w)
		}
	}
	tb.open("/slos/login-success", `#alerts-h`)
	if got := tb.text(`table.grid tbody tr:nth-child(1) td.why`); got != "met" {
		t.Errorf("login's 1h/5m page tier: %q, want met", got)
	}
	if got := tb.text(`table.grid tbody tr:nth-child(2) td.why`); got != "6h at 4.2×, under 6.0×" {
		t.Errorf("login's 6h/30m page tier: %q", got)
	}
	tb.screenshot("slo-tiers")
	// 19.2x over 5m and 16.1x over 1h of a 0.5% budget
	if got := strings.ToLower(tb.text(`#failing-now`)); !strings.Contains(got, "failing now (5m)\n9.6%") || !strings.Contains(got, "8.1% in the last hour") {
		t.Errorf("failing now: %q", got)
	}
	if got := strings.ToLower(tb.text(`.kpi:first-child .lbl`)); got != "sli over the 28d window" {
		t.Errorf("SLI label: %q", got)
	}
	tb.open("/", "#flows .flow")
	tb.shoot("flows-failing-now", false)
	card := strings.ToLower(tb.text(`li.slo[data-slo="login-success"]`))
	for _, w := range []string{"sli over 28d", "failing now: 9.6% of events over the last 5m · 8.1% over the last 1h"} {
		if !strings.Contains(card, w) {
			t.Errorf("login card lacks %q: %q", w, card)
		}
	}
	if strings.Contains(card, "sli now") {
		t.Errorf("the window SLI is labelled as now: %q", card)
	}
}

func TestBrowserReadiness(t *testing.T) {
	tb := newTab(t, newDemoServer(newDemo(5), true))
	tb.open("/readiness", `.verdict`)
	// releases seen in the last 7 days, with their verdicts (4.0.9 is older)
	if got := tb.text(`#recent-releases tr[data-version="4.2.0"]`); !strings.Contains(got, "Not ready") || !strings.Contains(got, "on android, 4.2.0 checkout-success is 95.00%") {
		t.Errorf("4.2.0 row: %q", got)
	}
	if got := tb.text(`#recent-releases tr[data-version="4.1.3"]`); !strings.Contains(got, "Ready") {
		t.Errorf("4.1.3 row: %q", got)
	}
	if n := tb.eval(`document.querySelectorAll('#recent-releases tbody tr').length`); n != float64(2) {
		t.Errorf("recent releases: %v rows, want 2", n)
	}
	if got := tb.text(`.verdict[data-flow="login"] h2`); !strings.Contains(got, "Not ready") {
		t.Errorf("login verdict: %q", got)
	}
	// push has no events: no verdict either way
	if got := tb.text(`.verdict[data-flow="push"]`); !strings.Contains(got, "No data yet") || !strings.Contains(got, "no data yet: push-processing has no events") ||
		strings.Contains(got, "At risk") || strings.Contains(got, "Ready") {
		t.Errorf("push verdict: %q", got)
	}
	tb.screenshot("readiness")
	// the picker opens the release chosen
	tb.do(chromedp.SetValue(`#release-picker`, "4.2.0"), chromedp.WaitVisible(`#release-summary`))
	if loc, _ := chromedp.Run(tb.ctx, chromedp.Location()); !strings.HasSuffix(loc, "/releases/4.2.0") {
		t.Errorf("picker went to %s", loc)
	}
}

func TestBrowserReleasePage(t *testing.T) {
	tb := newTab(t, newDemoServer(newDemo(5), true))
	tb.open("/releases/4.2.0", `#release-summary`)
	if got := tb.text(`#release-summary`); got != "4.2.0 is not ready: on android, 4.2.0 checkout-success is 95.00%, below its 99.90% objective (500 events)." {
		t.Errorf("summary: %q", got)
	}
	if got := tb.text(`#release-verdict`); got != "Not ready" {
		t.Errorf("verdict: %q", got)
	}
	row := tb.text(`tr[data-slo="checkout-success"]`)
	for _, w := range []string{"99.20%", "99.90%", "4.1.3 99.86%", "p < 0.001", "significantly worse", "54.0%", "3,500", "bad events of 4.2.0"} {
		if !strings.Contains(row, w) {
			t.Errorf("checkout row lacks %q: %q", w, row)
		}
	}
	if got := tb.text(`table.platforms[data-slo="checkout-success"] tr[data-platform="android"]`); !strings.Contains(got, "95.0%") || !strings.Contains(got, "significantly worse") {
		t.Errorf("android row: %q", got)
	}
	if got := tb.text(`tr[data-slo="login-success"]`); !strings.Contains(got, "Ready") || !strings.Contains(got, "not significant") {
		t.Errorf("login row: %q", got)
	}
	if n := tb.eval(`document.querySelectorAll('#adoption-chart polyline').length`); n != float64(1) {
		t.Errorf("adoption chart lines: %v", n)
	}
	if href := tb.eval(`document.querySelector('tr[data-slo="checkout-success"] a[href*="release="]').getAttribute('href')`); href != "/slos/checkout-success?raw=24h&release=4.2.0#examples-h" {
		t.Errorf("bad events link: %v", href)
	}
	tb.screenshot("release")
	// the picker, here too, and the page of a release unknown
	tb.do(chromedp.SetValue(`#release-picker`, "4.1.3"), chromedp.WaitVisible(`#release-verdict`))
	tb.until(`document.querySelector('#release-verdict') && document.querySelector('#release-verdict').textContent === 'Ready'`)
}

// TestBrowserAutoRefresh: a number changes on the page without a reload,
// and "updated N s ago" counts.
func TestBrowserAutoRefresh(t *testing.T) {
	d := newDemo(5)
	var mu sync.Mutex
	srv := newDemoServer(d, true)
	srv.opts.SLOs.(*fakeEngine).status = func(context.Context) ([]engine.SLOStatus, error) {
		mu.Lock()
		defer mu.Unlock()
		return append([]engine.SLOStatus(nil), d.statuses...), nil
	}
	tb := newTab(t, srv)
	tb.open("/?refresh=1", `#flows .flow`)
	tb.eval(`window.flowsloMark = 'same page'`)
	before := tb.text(`li.slo[data-slo="feed-latency"] .num-big .val`)
	mu.Lock()
	d.statuses[2].SLI = fp(0.9123)
	mu.Unlock()
	tb.until(`document.querySelector('li.slo[data-slo="feed-latency"] .num-big .val').textContent === '91.2%'`)
	if mark := tb.eval(`window.flowsloMark`); mark != "same page" {
		t.Errorf("the page was reloaded (mark %v); before %q", mark, before)
	}
	tb.until(`/Updated [0-9]+ s ago/.test(document.getElementById('updated').textContent)`)
	if st := tb.eval(`document.getElementById('updated').dataset.state`); st != "live" {
		t.Errorf("refresh state %v, want live while visible", st)
	}
}

// TestBrowserChartMarkers: while an alert fires the charts show 6 hours,
// marked where it started; 7 days also mark the release first seen.
func TestBrowserChartMarkers(t *testing.T) {
	tb := newTab(t, newDemoServer(newDemo(5), true))
	tb.open("/slos/login-success", `#slo-charts[data-state="ready"]`)
	if r := tb.eval(`document.getElementById('slo-charts').dataset.range`); r != "6h" {
		t.Errorf("range while firing: %v, want 6h", r)
	}
	if p := tb.eval(`document.querySelector('button[data-range="6h"]').getAttribute('aria-pressed')`); p != "true" {
		t.Errorf("6h button pressed: %v", p)
	}
	if got := tb.eval(`Array.from(document.querySelectorAll('#chart-sli .marker')).map(m => m.dataset.kind).join(',')`); got != "alert-start" {
		t.Errorf("6h markers: %v, want the alert start", got)
	}
	if title := tb.eval(`document.querySelector('#chart-burn .marker').title`); !strings.Contains(title.(string), "page alert started") {
		t.Errorf("marker title %v", title)
	}
	tb.do(chromedp.Click(`button[data-range="7d"]`), chromedp.WaitVisible(`#slo-charts[data-range="7d"][data-state="ready"]`))
	if got := tb.eval(`Array.from(document.querySelectorAll('#chart-sli .marker')).map(m => m.dataset.kind + ':' + m.textContent).join(',')`); got != "alert-start:page ▶,release:4.2.0" {
		t.Errorf("7d markers: %v", got)
	}
	tb.screenshot("slo-markers")
	// checkout has no firing alert: a day
	tb.open("/slos/checkout-success", `#slo-charts[data-state="ready"]`)
	if r := tb.eval(`document.getElementById('slo-charts').dataset.range`); r != "24h" {
		t.Errorf("range without a firing alert: %v", r)
	}
}

func TestBrowserServicesRange(t *testing.T) {
	tb := newTab(t, newDemoServer(newDemo(5), true))
	tb.open("/services", `#endpoints`)
	if got := tb.text(`#endpoints tbody tr:first-child`); !strings.Contains(got, "POST /v1/login") || !strings.Contains(got, "top") {
		t.Errorf("worst endpoint first: %q", got)
	}
	tb.screenshot("services")
	tb.do(chromedp.SetValue("#f-range", "6h"))
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(tb.text(`.head .sub`), "last 6h") {
		if time.Now().After(deadline) {
			t.Fatalf("range did not change: %q", tb.text(`.head .sub`))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestBrowserAlertsSilence(t *testing.T) {
	tb := newTab(t, newDemoServer(newDemo(5), true))
	tb.open("/alerts", `#silence-form`)
	if got := tb.text(`#firing-h`); !strings.Contains(got, "(1)") {
		t.Errorf("firing: %q", got)
	}
	tb.do(chromedp.SetValue(`#s-target`, "slo:login-success"), chromedp.SetValue(`#s-for`, "4 hours"),
		chromedp.SendKeys(`#s-by`, "ana"), chromedp.SendKeys(`#s-why`, "deploying the auth-db fix"),
		chromedp.Click(`#silence-form button[type="submit"]`), chromedp.WaitVisible(`#silence-list`))
	if got := tb.text(`#silence-list`); !strings.Contains(got, "login-success") || !strings.Contains(got, "deploying the auth-db fix") {
		t.Fatalf("silence list: %q", got)
	}
	tb.screenshot("alerts")
	tb.do(chromedp.Click(`#silence-list button`), chromedp.WaitNotPresent(`#silence-list button`))
	if got := tb.text(`#silence-list`); !strings.Contains(got, "ended") {
		t.Errorf("after expire: %q", got)
	}
}
