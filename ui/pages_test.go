package ui

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/flowslo/flowslo/alerting"
	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
)

func get(t *testing.T, h http.Handler, path string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := newRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			r.Host = hdr[i+1]
		}
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// newRequest is httptest.NewRequest as a browser on this machine sends
// it: to Host localhost (httptest's default, example.com, is refused as a
// rebinding Host by a server without login).
func newRequest(method, target string, body io.Reader) *http.Request {
	r := httptest.NewRequest(method, target, body)
	r.Host = "localhost:8080"
	return r
}

func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %s: %v", w.Body.String(), err)
	}
	return v
}

func TestPagesRenderWithData(t *testing.T) {
	h := newDemoServer(newDemo(12), true).Handler()
	for _, p := range []string{"/", "/?flow=login", "/slos/login-success", "/slos/login-success?raw=6h", "/traces/4bf92f3577b34da6a3ce929d0e0e4736",
		"/readiness", "/alerts", "/services", "/services?range=1d", "/login"} {
		w := get(t, h, p)
		if w.Code != http.StatusOK || !strings.Contains(w.Header().Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %s", p, w.Code, w.Body.String())
		}
	}
	// A slice value of events without the attribute reads as such.
	if w := get(t, h, "/slos/login-success"); !strings.Contains(w.Body.String(), "(not set)</em>") {
		t.Error("the SLO page shows an empty slice value as nothing, want (not set)")
	}
	for p, code := range map[string]int{"/slos/nope": 404, "/traces/not-hex!": 400, "/traces/abcdef": 404, "/services?range=2y": 400} {
		if w := get(t, h, p); w.Code != code || !strings.Contains(w.Body.String(), "<html") {
			t.Errorf("%s: %d, want %d as a page", p, w.Code, code)
		}
	}
}

func TestPagesAreFastWith200SLOs(t *testing.T) {
	h := newDemoServer(newDemo(200), true).Handler()
	for _, p := range []string{"/", "/slos/login-success", "/readiness", "/alerts", "/services", "/api/v1/flows"} {
		get(t, h, p) // warm
		start := time.Now()
		const n = 5
		for range n {
			if w := get(t, h, p); w.Code != 200 {
				t.Fatalf("%s: %d", p, w.Code)
			}
		}
		if d := time.Since(start) / n; d > 300*time.Millisecond {
			t.Errorf("%s took %v with 200 SLOs, want < 300ms", p, d)
		} else {
			t.Logf("%s: %v per request (200 SLOs, fake engine)", p, d)
		}
	}
}

func TestFlowsJSONWorstFirstAndFilter(t *testing.T) {
	h := newDemoServer(newDemo(20), true).Handler()
	v := decode[FlowsView](t, get(t, h, "/api/v1/flows"))
	if v.Total != 20 || v.Flows[0].Flow != "login" || v.Flows[0].SLOs[0].Name != "login-success" {
		t.Fatalf("worst first: total %d, first %s/%s", v.Total, v.Flows[0].Flow, v.Flows[0].SLOs[0].Name)
	}
	if len(v.Flows[0].SLOs[0].History) != int(historySpan/historyStep) {
		t.Errorf("history points %d", len(v.Flows[0].SLOs[0].History))
	}
	if v.Flows[len(v.Flows)-1].Status != engine.StatusNoData && v.Flows[len(v.Flows)-1].Flow != "push" {
		t.Errorf("no-data flow should sort last: %s", v.Flows[len(v.Flows)-1].Flow)
	}
	v = decode[FlowsView](t, get(t, h, "/api/v1/flows?service=payments"))
	if len(v.Flows) != 1 || v.Flows[0].Flow != "checkout" {
		t.Errorf("service filter: %+v", v.Flows)
	}
}

func TestTraceServicesReleasesJSON(t *testing.T) {
	d := newDemo(5)
	h := newDemoServer(d, true).Handler()
	tr := decode[Trace](t, get(t, h, "/api/v1/traces/"+strings.ToUpper(d.traceID)))
	if tr.TraceID != d.traceID || len(tr.Spans) != 6 || len(tr.Logs) != 2 {
		t.Errorf("trace: %s, %d spans, %d logs", tr.TraceID, len(tr.Spans), len(tr.Logs))
	}
	if w := get(t, h, "/api/v1/traces/ffff"); w.Code != 404 {
		t.Errorf("unknown trace: %d", w.Code)
	}
	sv := decode[ServicesView](t, get(t, h, "/api/v1/services?range=15m"))
	if sv.Range != "15m" || sv.Endpoints[0].Name != "POST /v1/login" || !sv.Endpoints[0].Top || sv.Endpoints[1].Top || sv.TopCount != 1 {
		t.Errorf("services: %+v", sv)
	}
	list := decode[struct{ Releases []engine.ReleaseInfo }](t, get(t, h, "/api/v1/releases"))
	if len(list.Releases) != 3 || list.Releases[0].Version != "4.2.0" {
		t.Errorf("releases: %+v", list.Releases)
	}
	if recent := decode[struct{ Releases []engine.ReleaseInfo }](t, get(t, h, "/api/v1/releases?since=7d")); len(recent.Releases) != 2 {
		t.Errorf("releases since 7d: %+v", recent.Releases)
	}
	if w := get(t, h, "/api/v1/releases?since=soon"); w.Code != 400 || !strings.Contains(w.Body.String(), "RFC 3339") {
		t.Errorf("bad since: %d %s", w.Code, w.Body)
	}
	// the shape pipelines read, key by key
	var rep map[string]any
	if err := json.Unmarshal(get(t, h, "/api/v1/releases/4.2.0").Body.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	slo0 := rep["slos"].([]any)[0].(map[string]any)
	for _, k := range []string{"slo", "flow", "good", "total", "sli", "objective", "previous", "significant", "adoption", "platforms"} {
		if _, ok := slo0[k]; !ok {
			t.Errorf("release SLO lacks %q: %v", k, slo0)
		}
	}
	plat := slo0["platforms"].([]any)[1].(map[string]any)
	if rep["version"] != "4.2.0" || rep["verdict"] != "not_ready" || len(rep["reasons"].([]any)) != 2 ||
		slo0["previous"].(map[string]any)["version"] != "4.1.3" || plat["platform"] != "android" || plat["total"] != 500.0 {
		t.Errorf("release: %v", rep)
	}
	if w := get(t, h, "/releases/9.9.9"); w.Code != 404 || !strings.Contains(w.Body.String(), "No SLO has seen that release") {
		t.Errorf("unknown release page: %d %s", w.Code, w.Body)
	}
	if w := get(t, h, "/releases?version=4.1.3"); w.Code != 303 || w.Header().Get("Location") != "/releases/4.1.3" {
		t.Errorf("picker without JavaScript: %d %v", w.Code, w.Header())
	}
	if w := get(t, h, "/api/v1/releases/9.9.9"); w.Code != 404 || !strings.Contains(w.Body.String(), "carry 4.2.0") {
		t.Errorf("unknown release: %d %s", w.Code, w.Body)
	}
}

func TestXSSThroughSpansRendersInert(t *testing.T) {
	d := newDemo(5)
	h := newDemoServer(d, true).Handler()
	for _, p := range []string{"/traces/" + d.traceID, "/slos/login-success", "/services"} {
		body := get(t, h, p).Body.String()
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
			t.Errorf("%s: raw markup from telemetry in the page", p)
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: escaped span name missing", p)
		}
	}
	if body := get(t, h, "/traces/"+d.traceID).Body.String(); !strings.Contains(body, "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;") {
		t.Error("escaped attribute missing from the trace page")
	}
}

func TestEmptyStates(t *testing.T) {
	d := newDemo(0)
	d.statuses = nil
	h := newDemoServer(d, false).Handler()
	if body := get(t, h, "/").Body.String(); !strings.Contains(body, "No SLOs loaded yet") {
		t.Error("no SLOs: missing the empty state")
	}
	d.statuses = newDemo(5).statuses[4:] // push-processing: no events
	d.statuses[0].Expects = slo.Expectation{Signal: "span", Service: "push-worker", Name: "process push", Kind: "Consumer",
		Attributes: map[string]string{"push.provider": "apns"}, Total: `service.name == "push-worker"`, Good: "duration <= 2s"}
	srv := newDemoServer(d, false)
	srv.opts.Stats = func(context.Context) (Stats, error) { return Stats{}, nil }
	srv.opts.OTLP = func() OTLPInfo { return OTLPInfo{GRPCAddr: "127.0.0.1:14317", HTTPAddr: "[::]:14318"} }
	for _, p := range []string{"/", "/readiness", "/slos/push-processing"} {
		body := html.UnescapeString(get(t, srv.Handler(), p).Body.String())
		for _, want := range []string{"No data yet: send traces and logs to 127.0.0.1:14317 or localhost:14318",
			"OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:14318", "http://localhost:14318/v1/traces", "http://localhost:14318/v1/logs",
			`"name":"process push","kind":5`, `{"key":"push.provider","value":{"stringValue":"apns"}}`,
			"push.provider=apns", "duration <= 2s"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the no-data state lacks %q", p, want)
			}
		}
	}
	if body := get(t, h, "/alerts").Body.String(); !strings.Contains(body, "Alerting is not configured") {
		t.Error("alerts page without alerting")
	}
	if w := get(t, h, "/api/v1/alerts"); w.Code != 404 {
		t.Errorf("alerts API without alerting: %d", w.Code)
	}
}

func TestSecurityHeaders(t *testing.T) {
	w := get(t, newDemoServer(newDemo(3), true).Handler(), "/")
	csp := w.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"} {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s: %q", k, got)
		}
	}
}

func remoteServer(d *demo, a Access) http.Handler {
	return New(Options{Addr: "0.0.0.0:8080", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Gatherer: prometheus.NewRegistry(),
		Ready: func(context.Context) error { return nil }, Stats: func(context.Context) (Stats, error) { return Stats{}, nil },
		SLOs: d.engine(), Telemetry: d.telemetry(), Alerting: d.alerting(), Access: a}).Handler()
}

func TestAccessBeyondLoopback(t *testing.T) {
	d := newDemo(3)
	h := remoteServer(d, Access{Token: "s3cret", ProxyHeader: "X-Forwarded-User"})
	if w := get(t, h, "/api/v1/slos"); w.Code != 401 {
		t.Errorf("API without token: %d", w.Code)
	}
	if w := get(t, h, "/slos/login-success"); w.Code != 303 || !strings.HasPrefix(w.Header().Get("Location"), "/login?next=%2Fslos%2Flogin-success") {
		t.Errorf("page without token: %d %s", w.Code, w.Header().Get("Location"))
	}
	// (the proxy header: TestProxyHeaderOnlyFromTrustedProxies)
	for _, hdr := range [][]string{{"Authorization", "Bearer s3cret"}, {"Cookie", sessionCookie + "=" + session("s3cret")}} {
		if w := get(t, h, "/api/v1/slos", hdr...); w.Code != 200 {
			t.Errorf("%s: %d", hdr[0], w.Code)
		}
	}
	if w := get(t, h, "/api/v1/slos", "Authorization", "Bearer wrong"); w.Code != 401 {
		t.Errorf("wrong token: %d", w.Code)
	}
	for _, p := range []string{"/healthz", "/login", "/assets/app.css"} {
		if w := get(t, h, p); w.Code != 200 {
			t.Errorf("%s should be open: %d", p, w.Code)
		}
	}
	// nothing configured: refused, and the app is told so
	if w := get(t, remoteServer(d, Access{}), "/api/v1/slos"); w.Code != 403 {
		t.Errorf("open server beyond loopback: %d", w.Code)
	}
	if (Options{Addr: ":8080"}).AccessProblem() == nil || (Options{Addr: "127.0.0.1:8080"}).AccessProblem() != nil || (Options{Addr: "[::1]:80"}).AccessProblem() != nil {
		t.Error("AccessProblem")
	}
}

// TestLocalClientsWithoutLogin: on an all-interfaces address with no login
// configured (the default `flowslo serve`), this machine's browser gets in
// and the network does not; a configured token binds local clients too.
func TestLocalClientsWithoutLogin(t *testing.T) {
	d := newDemo(3)
	fetch := func(h http.Handler, remote string, hdr ...string) int {
		r := newRequest(http.MethodGet, "/api/v1/slos", nil)
		r.RemoteAddr = remote
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	open := remoteServer(d, Access{})
	for _, tc := range []struct {
		remote string
		hdr    []string
		want   int
	}{
		{"127.0.0.1:50000", nil, 200},
		{"[::1]:50000", nil, 200},
		{"10.1.2.3:50000", nil, 403},
		{"127.0.0.1:50000", []string{"X-Forwarded-For", "203.0.113.9"}, 403},
	} {
		if got := fetch(open, tc.remote, tc.hdr...); got != tc.want {
			t.Errorf("no login configured, client %s %v: %d, want %d", tc.remote, tc.hdr, got, tc.want)
		}
	}
	if got := fetch(remoteServer(d, Access{Token: "s3cret"}), "127.0.0.1:50000"); got != 401 {
		t.Errorf("token configured, local client without it: %d, want 401", got)
	}
}

func TestLoginForm(t *testing.T) {
	h := remoteServer(newDemo(3), Access{Token: "s3cret"})
	form := get(t, h, "/login?next=/alerts")
	var csrf string
	for _, c := range form.Result().Cookies() {
		if c.Name == csrfCookie {
			csrf = c.Value
		}
	}
	post := func(token, csrfField string) *httptest.ResponseRecorder {
		body := url.Values{"token": {token}, "next": {"/alerts"}, "_csrf": {csrfField}}.Encode()
		r := newRequest(http.MethodPost, "/login", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(&http.Cookie{Name: csrfCookie, Value: csrf})
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	if w := post("s3cret", "forged"); w.Code != 403 {
		t.Errorf("login without the CSRF token: %d", w.Code)
	}
	if w := post("nope", csrf); w.Code != 401 {
		t.Errorf("wrong token: %d", w.Code)
	}
	w := post("s3cret", csrf)
	if w.Code != 303 || w.Header().Get("Location") != "/alerts" || !strings.Contains(w.Header().Get("Set-Cookie"), sessionCookie) {
		t.Errorf("login: %d %v", w.Code, w.Header())
	}
	if safeNext("//evil.example") != "/" || safeNext("https://evil") != "/" || safeNext("/slos/x") != "/slos/x" {
		t.Error("safeNext")
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	h := newDemoServer(newDemo(3), true).Handler()
	body := `{"slo":"login-success","until":"` + time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + `","created_by":"ana","comment":"x"}`
	send := func(hdr ...string) int {
		r := newRequest(http.MethodPost, "/api/v1/silences", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	if c := send("Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"); c != 403 {
		t.Errorf("cross-site POST: %d", c)
	}
	if c := send(); c != 201 {
		t.Errorf("CLI POST: %d", c)
	}
	if c := send("Sec-Fetch-Site", "same-origin"); c != 201 {
		t.Errorf("same-origin POST: %d", c)
	}
}

func TestSilenceAPI(t *testing.T) {
	h := newDemoServer(newDemo(3), true).Handler()
	do := func(method, path, body string) *httptest.ResponseRecorder {
		r := newRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	if w := do("POST", "/api/v1/silences", `{"slo":"login-success","until":"2099-01-01T00:00:00Z"}`); w.Code != 400 || !strings.Contains(w.Body.String(), "created_by") {
		t.Errorf("invalid silence: %d %s", w.Code, w.Body.String())
	}
	if w := do("POST", "/api/v1/silences/nope/expire", ""); w.Code != 404 {
		t.Errorf("expire unknown: %d", w.Code)
	}
	a := decode[struct{ Alerts []alerting.Alert }](t, get(t, h, "/api/v1/alerts"))
	if len(a.Alerts) != 2 || len(a.Alerts[0].Deliveries) != 2 || a.Alerts[0].Deliveries[1].State != alerting.Due {
		t.Errorf("alerts: %+v", a.Alerts)
	}
	// The page shows each notification's state per receiver.
	body := get(t, h, "/alerts").Body.String()
	for _, want := range []string{`data-delivery="firing slack"`, `pill-d-delivered">delivered`, `data-delivery="firing pd-auth"`,
		`pill-d-due">due`, "HTTP 503: upstream unavailable", "to #oncall-auth, pd-auth"} {
		if !strings.Contains(body, want) {
			t.Errorf("alerts page lacks %q", want)
		}
	}
}

// TestSeriesDefaults: without parameters, /series is the last day in
// whole-minute steps (the engine refuses others).
func TestSeriesDefaults(t *testing.T) {
	h := newDemoServer(newDemo(5), true).Handler()
	s := decode[engine.Series](t, get(t, h, "/api/v1/slos/login-success/series"))
	if s.StepS%60 != 0 || s.StepS < 60 || s.To.Sub(s.From) != 24*time.Hour || len(s.Points) < 100 {
		t.Errorf("default series: step %ds from %s to %s, %d points", s.StepS, s.From, s.To, len(s.Points))
	}
}

func TestServiceAPI(t *testing.T) {
	h := newDemoServer(newDemo(5), false).Handler()
	v := decode[ServiceView](t, get(t, h, "/api/v1/services/payments?range=1h"))
	if v.Service != "payments" || len(v.Endpoints) != 1 || v.Endpoints[0].Name != "POST /v1/checkout" || len(v.SLOs) != 1 || v.SLOs[0].Name != "checkout-success" {
		t.Errorf("payments: %+v", v)
	}
	if w := get(t, h, "/api/v1/services/nope"); w.Code != 404 || !strings.Contains(w.Body.String(), "the services page lists those seen") {
		t.Errorf("unknown service: %d %s", w.Code, w.Body)
	}
}

// TestAlertsPageSaysNothingIsSent: with alerting running but no receiver
// configured, the Alerts page says at the top that no notification goes
// out, and what to configure; with a receiver it does not.
func TestAlertsPageSaysNothingIsSent(t *testing.T) {
	d := newDemo(3)
	for _, none := range []bool{true, false} {
		h := demoServerWith(d, func(o *Options) { o.NoReceivers = none }).Handler()
		body := html.UnescapeString(get(t, h, "/alerts").Body.String())
		if has := strings.Contains(body, "No notification is sent") && strings.Contains(body, "alerting.receivers"); has != none {
			t.Errorf("no receivers %v: banner shown %v", none, has)
		}
	}
}

// TestAPIWindowKeys: burn rates go out keyed by the window strings the API
// has always used, from the SLO, readiness, flows and alerts endpoints, and
// the pages name the same windows.
func TestAPIWindowKeys(t *testing.T) {
	h := newDemoServer(newDemo(5), true).Handler()
	const login = `"burn_rates":{"1d":1.7,"1h":16.1,"2h":9.8,"30m":17.5,"3d":0.9,"5m":19.2,"6h":4.2}`
	for path, want := range map[string]string{
		"/api/v1/slos/login-success": login,
		"/api/v1/slos":               login,
		"/api/v1/flows":              login,
		"/api/v1/readiness":          login,
		"/api/v1/alerts":             `"burn_rates":{"1h":16.1,"5m":19.2}`,
	} {
		if body := get(t, h, path).Body.String(); !strings.Contains(body, want) {
			t.Errorf("%s lacks %s in\n%s", path, want, body)
		}
	}
	page := get(t, h, "/slos/login-success").Body.String()
	for _, w := range []string{"5m", "30m", "1h", "2h", "6h", "1d", "3d"} {
		if !strings.Contains(page, `<span class="k">`+w+`</span>`) {
			t.Errorf("SLO page lacks the %s burn badge", w)
		}
	}
	if !strings.Contains(get(t, h, "/alerts").Body.String(), `<span class="k">5m</span> 19.2×</span><span class="badge"><span class="k">1h</span> 16.1×`) {
		t.Errorf("alerts page does not list the firing alert's burn rates by window, shortest first")
	}
}
