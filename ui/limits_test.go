package ui

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo/engine"
)

// demoServerWith is newDemoServer with its options changed by mod.
func demoServerWith(d *demo, mod func(*Options)) *Server {
	s := newDemoServer(d, true)
	o := s.opts
	mod(&o)
	return New(o)
}

func send(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestProxyHeaderOnlyFromTrustedProxies: a client at 10.1.2.3 sending
// X-Forwarded-User: mallory is not let in; the same header from the proxy
// on loopback (the default) or from a configured proxy network is.
func TestProxyHeaderOnlyFromTrustedProxies(t *testing.T) {
	d := newDemo(3)
	from := func(h http.Handler, remote string) int {
		r := newRequest(http.MethodGet, "/api/v1/slos", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-User", "mallory")
		return send(h, r).Code
	}
	def := remoteServer(d, Access{ProxyHeader: "X-Forwarded-User"})
	if got := from(def, "10.1.2.3:50000"); got != http.StatusUnauthorized {
		t.Errorf("proxy header from 10.1.2.3, default trusted proxies: %d, want 401", got)
	}
	if got := from(def, "127.0.0.1:50000"); got != http.StatusOK {
		t.Errorf("proxy header from the proxy on loopback: %d, want 200", got)
	}
	nets, err := ParseCIDRs("10.0.0.0/8, 192.0.2.7")
	if err != nil || len(nets) != 2 || nets[1] != netip.MustParsePrefix("192.0.2.7/32") {
		t.Fatalf("ParseCIDRs: %v %v", nets, err)
	}
	lan := remoteServer(d, Access{ProxyHeader: "X-Forwarded-User", TrustedProxies: nets})
	for remote, want := range map[string]int{"10.1.2.3:50000": 200, "192.0.2.7:1": 200, "192.0.2.8:1": 401, "127.0.0.1:1": 401} {
		if got := from(lan, remote); got != want {
			t.Errorf("trusted 10.0.0.0/8 and 192.0.2.7, proxy header from %s: %d, want %d", remote, got, want)
		}
	}
	if _, err := ParseCIDRs("10.0.0.0/33"); err == nil || !strings.Contains(err.Error(), "10.0.0.0/8") {
		t.Errorf("bad CIDR: %v", err)
	}
}

// TestRebindingHostRefused: without a login, a request whose Host is not
// this server (a DNS name rebound to 127.0.0.1) is refused, on a loopback
// listener and on an all-interfaces one alike; this server's names pass.
func TestRebindingHostRefused(t *testing.T) {
	d := newDemo(3)
	loop := newDemoServer(d, true).Handler()
	all := remoteServer(d, Access{})
	public := demoServerWith(d, func(o *Options) { o.Access.PublicURL = "https://slo.example.com" }).Handler()
	for _, c := range []struct {
		name string
		h    http.Handler
		host string
		want int
	}{
		{"loopback listener, rebound name", loop, "evil.example:8080", 403},
		{"loopback listener, localhost", loop, "localhost:8080", 200},
		{"loopback listener, 127.0.0.1", loop, "127.0.0.1:8080", 200},
		{"loopback listener, [::1]", loop, "[::1]:8080", 200},
		{"all interfaces, local client, rebound name", all, "evil.example:8080", 403},
		{"all interfaces, local client, localhost", all, "localhost:8080", 200},
		{"public URL's host", public, "slo.example.com", 200},
		{"public URL set, other name", public, "evil.example", 403},
	} {
		r := newRequest(http.MethodGet, "/api/v1/slos", nil)
		r.RemoteAddr, r.Host = "127.0.0.1:50000", c.host
		w := send(c.h, r)
		if w.Code != c.want {
			t.Errorf("%s: %d, want %d (%s)", c.name, w.Code, c.want, w.Body.String())
		}
		if c.want == 403 && !strings.Contains(w.Body.String(), "--public-url") {
			t.Errorf("%s: the refusal should say what to do: %s", c.name, w.Body.String())
		}
	}
	// probes need no Host check: kubelet sends the pod IP
	r := newRequest(http.MethodGet, "/healthz", nil)
	r.Host = "10.0.0.5:8080"
	if w := send(loop, r); w.Code != 200 {
		t.Errorf("/healthz with a pod IP host: %d", w.Code)
	}
}

// TestOversizedBodyGets413: a 30 MiB silence comment is refused with 413,
// whether the length is declared or the body is streamed.
func TestOversizedBodyGets413(t *testing.T) {
	h := newDemoServer(newDemo(3), true).Handler()
	big := `{"slo":"login-success","until":"2099-01-01T00:00:00Z","created_by":"ana","comment":"` + strings.Repeat("x", 30<<20) + `"}`
	for _, declared := range []bool{true, false} {
		var body io.Reader = strings.NewReader(big)
		if !declared {
			body = io.MultiReader(body) // hides the length: sent chunked
		}
		r := newRequest(http.MethodPost, "/api/v1/silences", body)
		if !declared {
			r.ContentLength = -1
		}
		r.Header.Set("Content-Type", "application/json")
		w := send(h, r)
		if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "1024 KiB") {
			t.Errorf("30 MiB body (length declared %v): %d %s", declared, w.Code, w.Body.String())
		}
	}
	form := "target=slo%3Alogin-success&for=1+hour&by=ana&why=" + strings.Repeat("x", 2<<20)
	r := newRequest(http.MethodPost, "/alerts/silences", strings.NewReader(form))
	r.ContentLength = -1
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if w := send(h, r); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB form: %d", w.Code)
	}
	if w := get(t, h, "/api/v1/slos/login-success/series?slice="+strings.Repeat("a", 2000)); w.Code != 400 || !strings.Contains(w.Body.String(), "slice") || !strings.Contains(w.Body.String(), "is 2000 bytes: the limit is 1024") {
		t.Errorf("2000-byte query parameter: %d %s", w.Code, w.Body.String())
	}
}

// TestExpensiveCallsBoundedWith429: with MaxHeavy calls of /series
// running, the next one gets 429 and Retry-After at once, and a slot
// frees when one finishes.
func TestExpensiveCallsBoundedWith429(t *testing.T) {
	d := newDemo(3)
	entered, release := make(chan struct{}), make(chan struct{})
	eng := d.engine()
	var calls atomic.Int32
	eng.series = func(ctx context.Context, name string, from, to time.Time, step time.Duration, slice string) (engine.Series, error) {
		if calls.Add(1) <= 2 { // the first two hold their slots until released
			entered <- struct{}{}
			<-release
		}
		return engine.Series{}, nil
	}
	srv := demoServerWith(d, func(o *Options) { o.SLOs, o.Limits.MaxHeavy, o.Limits.RetryAfter = eng, 2, 3*time.Second })
	h := srv.Handler()
	var wg sync.WaitGroup
	codes := make(chan int, 2)
	for range 2 {
		wg.Go(func() { codes <- get(t, h, "/api/v1/slos/login-success/series").Code })
		<-entered
	}
	w := get(t, h, "/api/v1/slos/login-success/series")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "3" {
		t.Errorf("third concurrent /series: %d Retry-After %q, want 429 and 3", w.Code, w.Header().Get("Retry-After"))
	}
	if w := get(t, h, "/api/v1/slos"); w.Code != 200 {
		t.Errorf("a cheap call meanwhile: %d", w.Code)
	}
	close(release)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != 200 {
			t.Errorf("admitted call: %d", c)
		}
	}
	if w := get(t, h, "/api/v1/slos/login-success/series"); w.Code != 200 {
		t.Errorf("after the others finished: %d", w.Code)
	}
}

// TestErrorBodiesCarryNoSQL: a store error quoting its query is logged,
// and the client gets a short message without it.
func TestErrorBodiesCarryNoSQL(t *testing.T) {
	var logs bytes.Buffer
	storeErr := errors.New("clickhouse: code 241 (query: SELECT count() FROM otel_traces WHERE secret_column = 1)")
	srv := demoServerWith(newDemo(3), func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		o.Stats = func(context.Context) (Stats, error) { return Stats{}, storeErr }
	})
	w := get(t, srv.Handler(), "/api/v1/stats")
	if w.Code != http.StatusServiceUnavailable || strings.Contains(w.Body.String(), "SELECT") || !strings.Contains(w.Body.String(), "log has the details") {
		t.Errorf("store error: %d %s", w.Code, w.Body.String())
	}
	if !strings.Contains(logs.String(), "secret_column") {
		t.Errorf("the log lacks the cause: %s", logs.String())
	}
}

// TestServerTimeouts: a client that sends headers, then never its body,
// is cut off at the read timeout instead of holding a connection forever.
func TestServerTimeouts(t *testing.T) {
	srv := demoServerWith(newDemo(3), func(o *Options) {
		o.Limits.ReadTimeout, o.Limits.ReadHeaderTimeout = 200*time.Millisecond, 100*time.Millisecond
	})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	hs := srv.front.http
	if hs.ReadTimeout == 0 || hs.ReadHeaderTimeout == 0 || hs.WriteTimeout == 0 || hs.IdleTimeout == 0 {
		t.Fatalf("timeouts: read %v header %v write %v idle %v", hs.ReadTimeout, hs.ReadHeaderTimeout, hs.WriteTimeout, hs.IdleTimeout)
	}
	for name, req := range map[string]string{
		"slow headers": "GET /api/v1/slos HTTP/1.1\r\nHost: localhost\r\n",
		"slow body":    "POST /api/v1/silences HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
	} {
		conn, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		_, _ = conn.Write([]byte(req))
		// The server must end the connection by itself; the deadline here
		// only keeps a broken server from hanging the test.
		_ = conn.SetReadDeadline(time.Now().Add(time.Minute))
		_, err = io.ReadAll(bufio.NewReader(conn))
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("%s: the server kept the connection open", name)
		}
		conn.Close()
	}
}

// TestProxiedRequestNeedsLogin: with no login configured, a reverse proxy
// on the same host (nginx's proxy_pass to 127.0.0.1:8080 sends Host
// 127.0.0.1:8080 and the client's address in X-Forwarded-For) must not open
// the API to the world: forwarded requests are refused, on a loopback
// listener too, and the refusal says what to configure.
func TestProxiedRequestNeedsLogin(t *testing.T) {
	loop := newDemoServer(newDemo(3), true).Handler()
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip"} {
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			r := newRequest(m, "/api/v1/slos", nil)
			if m == http.MethodPost {
				r = newRequest(m, "/api/v1/silences", strings.NewReader(`{"slo":"x","duration":"1h","comment":"c"}`))
			}
			r.RemoteAddr, r.Host = "127.0.0.1:50000", "127.0.0.1:8080"
			r.Header.Set(h, "8.8.8.8")
			w := send(loop, r)
			if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "--auth-token-file") {
				t.Errorf("%s %s via %s: %d %s, want 403 saying to configure a login", m, r.URL.Path, h, w.Code, w.Body.String())
			}
		}
	}
	r := newRequest(http.MethodGet, "/api/v1/slos", nil)
	r.RemoteAddr, r.Host = "127.0.0.1:50000", "127.0.0.1:8080"
	if w := send(loop, r); w.Code != http.StatusOK {
		t.Errorf("direct local request: %d", w.Code)
	}
}

// TestUnknownPathsAndBadTimes: a path nothing serves is a 404 (JSON under
// /api, a page elsewhere), not a 500 with an ERROR line in the log, and a
// time no data can have is a 400 saying the range.
func TestUnknownPathsAndBadTimes(t *testing.T) {
	h := newDemoServer(newDemo(3), true).Handler()
	for path, want := range map[string]struct {
		code int
		says string
	}{
		"/api/v1/nope":        {404, `"error":"no such API path`},
		"/api/v1/slos/x/nope": {404, `"error":"no such API path`},
		"/slos/":              {404, "There is no page here"},
		"/assets/":            {404, "404 page not found"},
		"/api/v1/slos/checkout-success/series?from=-99999999999&to=99999999999": {400, "between 2000 and 2200"},
	} {
		r := newRequest(http.MethodGet, path, nil)
		r.RemoteAddr, r.Host = "127.0.0.1:5", "localhost:8080"
		w := send(h, r)
		if w.Code != want.code || !strings.Contains(w.Body.String(), want.says) {
			t.Errorf("GET %s: %d %.200s; want %d saying %q", path, w.Code, w.Body.String(), want.code, want.says)
		}
	}
}
