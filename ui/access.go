package ui

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/flowslo/flowslo/internal/bearer"
)

// Access says who may read the pages and API. On a loopback address
// nobody needs to log in; elsewhere a request must carry the token
// (Authorization: Bearer, or the cookie the login form sets) or come
// through an auth proxy that sets ProxyHeader.
type Access struct {
	// Token is the shared secret (the app reads it from --auth-token-file).
	Token string
	// ProxyHeader names the header a trusted auth proxy sets to the
	// signed-in user (X-Forwarded-User, X-Auth-Request-Email …). Only
	// configure it when the proxy is the sole way to reach flowslo.
	ProxyHeader string
	// TrustedProxies are the client addresses whose ProxyHeader counts
	// (--trusted-proxies); empty means loopback only, a proxy on this host.
	TrustedProxies []netip.Prefix
	// PublicURL is the address people open flowslo at (--public-url): its
	// host is accepted in the Host header besides the listen address.
	PublicURL string
}

// loopbackNets are the default trusted proxies.
var loopbackNets = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// ParseCIDRs reads a comma-separated list of CIDRs or single addresses,
// as --trusted-proxies takes them.
func ParseCIDRs(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if a, err := netip.ParseAddr(f); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR: write e.g. 10.0.0.0/8 or 192.0.2.7", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// trustedProxy says whether r came straight from a configured proxy.
func (a Access) trustedProxy(r *http.Request) bool {
	ip, ok := remoteIP(r)
	if !ok {
		return false
	}
	nets := a.TrustedProxies
	if len(nets) == 0 {
		nets = loopbackNets
	}
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

func remoteIP(r *http.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}

// ErrOpenAccess: flowslo would listen beyond loopback with no login.
var ErrOpenAccess = errors.New("listening beyond loopback needs --auth-token-file or --auth-proxy-header: anyone could read and silence alerts")

// AccessProblem reports a configuration that would leave pages open to
// the network; the app refuses to start on it.
func (o Options) AccessProblem() error {
	if isLoopback(o.Addr) || o.Access.Token != "" || o.Access.ProxyHeader != "" {
		return nil
	}
	return ErrOpenAccess
}

// IsLoopback is true when addr binds only the loopback interface.
func IsLoopback(addr string) bool { return isLoopback(addr) }

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

const sessionCookie = "flowslo_session"

// session is the cookie value for token: a hash, so the cookie never
// holds the token itself.
func session(token string) string {
	h := sha256.Sum256([]byte("flowslo session\x00" + token))
	return hex.EncodeToString(h[:])
}

// equal compares secrets in constant time (hashes equalise the lengths).
func equal(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// openPath needs no login: probes, assets and the login form.
func openPath(p string) bool {
	return p == "/healthz" || p == "/readyz" || p == "/login" || strings.HasPrefix(p, "/assets/")
}

// authorized says whether r may pass.
func (a Access) authorized(r *http.Request) bool {
	if a.ProxyHeader != "" && r.Header.Get(a.ProxyHeader) != "" && a.trustedProxy(r) {
		return true
	}
	if a.Token == "" {
		return false
	}
	if v, ok := bearer.Token(r.Header.Get("Authorization")); ok {
		return equal(strings.TrimSpace(v), a.Token)
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		return equal(c.Value, session(a.Token))
	}
	return false
}

// requireAuth lets loopback servers through and asks everyone else for
// the token: API clients get 401, browsers the login form.
func (s *Server) requireAuth(next echo.HandlerFunc) echo.HandlerFunc {
	// A loopback listener is open to its own machine only, unless a login
	// is configured: then a reverse proxy on this host may be forwarding
	// the world, and everyone logs in.
	open := isLoopback(s.opts.Addr) && s.opts.Access.Token == "" && s.opts.Access.ProxyHeader == ""
	return func(c echo.Context) error {
		r := c.Request()
		// A collector's port holds no telemetry, only its own counters:
		// Prometheus scrapes them without a token.
		if openPath(r.URL.Path) || s.opts.ProbesOnly || s.opts.Access.authorized(r) {
			return next(c)
		}
		if open && forwarded(r) {
			return &apiError{status: http.StatusForbidden, message: "this request came through a proxy, and flowslo has no login configured: give --auth-token-file or --auth-proxy-header to serve it through a proxy"}
		}
		if open || s.localWithoutLogin(r) {
			if !s.knownHost(r.Host) {
				return &apiError{status: http.StatusForbidden, message: fmt.Sprintf("Host %q is not this server: open flowslo at %s, or give --public-url", r.Host, s.localURL())}
			}
			return next(c)
		}
		if s.opts.AccessProblem() != nil {
			return &apiError{status: http.StatusForbidden, message: ErrOpenAccess.Error()}
		}
		if r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/api/") && r.URL.Path != "/metrics" {
			return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(r.URL.RequestURI()))
		}
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="flowslo"`)
		return &apiError{status: http.StatusUnauthorized, message: "log in: send Authorization: Bearer <token from --auth-token-file>"}
	}
}

// forwarded says whether r carries a proxy's forwarding headers: it came
// from wherever the proxy serves, not from this machine.
func forwarded(r *http.Request) bool {
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return true
		}
	}
	return false
}

// localWithoutLogin lets a client on this machine in when no login is
// configured, so `flowslo serve` on its default address works at
// http://localhost:8080 while the network is refused. Once a token or proxy
// header is configured everyone must use it: a reverse proxy on the same
// host would otherwise pass the whole world in as loopback. Requests that
// carry forwarding headers came through a proxy and never count as local.
func (s *Server) localWithoutLogin(r *http.Request) bool {
	a := s.opts.Access
	if a.Token != "" || a.ProxyHeader != "" {
		return false
	}
	if forwarded(r) {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// knownHost says whether a Host header names this server: the listen
// address, a loopback name or address, or --public-url's host. Without
// a login, that is the defence against DNS rebinding: a page on
// evil.example whose name now resolves to 127.0.0.1 reaches the port,
// but its requests carry Host: evil.example.
func (s *Server) knownHost(hostport string) bool {
	host := strings.ToLower(hostport)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true // resolved to loopback by the browser itself (RFC 6761)
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.Unmap().IsLoopback() {
		return true
	}
	if listen, _, err := net.SplitHostPort(s.opts.Addr); err == nil && listen != "" && strings.EqualFold(strings.Trim(listen, "[]"), host) {
		return true
	}
	if u, err := url.Parse(s.opts.Access.PublicURL); err == nil && u.Hostname() != "" && strings.EqualFold(u.Hostname(), host) {
		return true
	}
	return false
}

// localURL is where to open the UI on this machine, for error messages.
func (s *Server) localURL() string {
	if s.opts.Access.PublicURL != "" {
		return s.opts.Access.PublicURL
	}
	_, port, _ := net.SplitHostPort(s.Addr())
	if port == "" {
		_, port, _ = net.SplitHostPort(s.opts.Addr)
	}
	return "http://localhost:" + port
}

// securityHeaders: no inline scripts or styles, no framing, no sniffing.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		return next(c)
	}
}

// crossOrigin refuses state-changing browser requests from other origins
// (Sec-Fetch-Site / Origin); clients that send neither, such as the CLI,
// pass and are held to the token instead.
func crossOrigin() echo.MiddlewareFunc {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"error":"cross-origin request refused"}` + "\n"))
	}))
	return echo.WrapMiddleware(cop.Handler)
}

// csrf guards the pages' forms: a random token in a SameSite=Strict
// cookie that each form echoes in a hidden field (double submit). The
// cross-origin check runs too, so this is the second line.
func csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		tok := ""
		if ck, err := c.Cookie(csrfCookie); err == nil && len(ck.Value) == 43 {
			tok = ck.Value
		} else {
			b := make([]byte, 32)
			_, _ = rand.Read(b)
			tok = base64.RawURLEncoding.EncodeToString(b)
			c.SetCookie(&http.Cookie{Name: csrfCookie, Value: tok, Path: "/", HttpOnly: true,
				SameSite: http.SameSiteStrictMode, Secure: c.Scheme() == "https"})
		}
		c.Set("csrf", tok)
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		sent := c.Request().Header.Get("X-CSRF-Token")
		if sent == "" {
			sent = c.FormValue("_csrf")
		}
		if sent == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(tok)) != 1 {
			return &apiError{status: http.StatusForbidden, message: "the form expired or came from another site: reload the page and try again"}
		}
		return next(c)
	}
}

const csrfCookie = "flowslo_csrf"

func csrfToken(c echo.Context) string {
	v, _ := c.Get("csrf").(string)
	return v
}

func (s *Server) accessRoutes() {
	s.echo.Use(securityHeaders, s.requireAuth, crossOrigin())
}

func (s *Server) loginForm(c echo.Context) error {
	return s.render(c, http.StatusOK, "login", "Log in", loginView{Next: safeNext(c.QueryParam("next"))})
}

type loginView struct {
	Next  string
	Error string
}

func (s *Server) login(c echo.Context) error {
	next := safeNext(c.FormValue("next"))
	if s.opts.Access.Token == "" || !equal(c.FormValue("token"), s.opts.Access.Token) {
		return s.render(c, http.StatusUnauthorized, "login", "Log in", loginView{Next: next, Error: "That token is not the one in --auth-token-file."})
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: session(s.opts.Access.Token), Path: "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https",
		MaxAge: int((30 * 24 * time.Hour).Seconds())})
	return c.Redirect(http.StatusSeeOther, next)
}

// safeNext keeps redirects on this site.
func safeNext(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return "/"
	}
	return p
}
