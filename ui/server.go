package ui

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/flowslo/flowslo/alerting"
)

// Stats are the exact row counts of the stored telemetry.
type Stats struct {
	Spans uint64 `json:"spans"`
	Logs  uint64 `json:"logs"`
}

// StatsFunc counts the stored spans and logs.
type StatsFunc func(ctx context.Context) (Stats, error)

// ReadyFunc reports whether flowslo can take traffic, and why not if it
// can't. A Degraded error means it takes traffic, with a caveat.
type ReadyFunc func(ctx context.Context) error

// Degraded is a ReadyFunc answer for a process that takes traffic but not
// at its best (a collector queueing while ClickHouse is down): /readyz
// answers 200, with Reason.
type Degraded struct{ Reason string }

func (d Degraded) Error() string { return d.Reason }

// Options are what the server needs from the rest of flowslo.
type Options struct {
	Addr     string
	Logger   *slog.Logger
	Gatherer prometheus.Gatherer
	Ready    ReadyFunc
	Stats    StatsFunc
	// SLOs serves the SLO endpoints.
	SLOs SLOEngine
	// Telemetry reads raw spans, logs and rollups for the trace, services
	// and flows pages: ui.NewTelemetry(the UI's store connection).
	Telemetry Telemetry
	// Alerting serves /alerts and the alerts and silences API; nil shows
	// "alerting is not configured". *alerting.Manager satisfies it.
	Alerting Alerting
	// NoReceivers: alerting runs with no receiver configured, so alerts are
	// shown but nothing is sent; the Alerts page says so.
	NoReceivers bool
	// AlertTiers evaluates an SLO's alert rules now for its page
	// (optional): (*alerting.Manager).Tiers, the decision alerting takes,
	// so a tier reads "met" only when it fires. ok is false for an SLO
	// alerting does not know.
	AlertTiers func(ctx context.Context, slo string) (tiers []alerting.RuleResult, ok bool, err error)
	// Releases serves the release endpoints and pages; *engine.Engine
	// satisfies it. Nil: they answer 503.
	Releases Releases
	// OTLP tells the empty states where to send telemetry (called per
	// page: the receivers bind after the server is built). Nil: the
	// default ports are named.
	OTLP func() OTLPInfo
	// Access: the token (--auth-token-file) and trusted proxy header
	// (--auth-proxy-header) required beyond loopback.
	Access Access
	// Limits bound bodies, parameters, expensive reads and timeouts.
	Limits Limits
	// TLSCertFile and TLSKeyFile serve HTTPS instead of HTTP (Start).
	TLSCertFile, TLSKeyFile string
	// Usage serves /usage and /api/v1/usage; nil answers 503.
	Usage Usage
	// SLOLoadError is the last refused reload of the SLO files, nil while
	// the files on disk are the ones in force (optional).
	SLOLoadError func() *SLOLoadError
	// ProbesOnly serves /healthz, /readyz and /metrics and nothing else:
	// the HTTP port of a collector, which has no engine behind a UI.
	ProbesOnly bool
}

// Server serves the API, health endpoints and metrics.
type Server struct {
	opts  Options
	echo  *echo.Echo
	heavy *heavy
	front *Front
}

// New builds the server and its routes; Start makes it listen.
func New(opts Options) *Server {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler(opts.Logger)
	opts.Limits = opts.Limits.withDefaults()
	s := &Server{opts: opts, echo: e, heavy: newHeavy(opts.Limits.MaxHeavy, opts.Limits.RetryAfter)}
	s.routes()
	return s
}

// Handler exposes the routes, for tests that need no listener.
func (s *Server) Handler() http.Handler { return s.echo }

func (s *Server) routes() {
	s.echo.Use(recoverMiddleware(s.opts.Logger), bodyLimit(s.opts.Limits.MaxBodyBytes))
	s.accessRoutes()
	s.echo.Use(paramLimit(s.opts.Limits.MaxParamBytes))
	s.echo.GET("/healthz", s.healthz)
	s.echo.GET("/readyz", s.readyz)
	s.echo.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.opts.Gatherer, promhttp.HandlerOpts{})))
	if s.opts.ProbesOnly {
		return
	}
	api := s.echo.Group("/api/v1")
	api.GET("/stats", s.stats)
	s.sloRoutes(api)
	s.pageRoutes(api)
}

// Start listens on Options.Addr and serves in the background.
func (s *Server) Start() error {
	f, err := Listen(FrontOptions{Addr: s.opts.Addr, TLSCertFile: s.opts.TLSCertFile, TLSKeyFile: s.opts.TLSKeyFile,
		Limits: s.opts.Limits, Logger: s.opts.Logger})
	if err != nil {
		return err
	}
	f.Mount(s)
	return nil
}

// Addr is the address the server listens on (useful with ":0").
func (s *Server) Addr() string {
	if s.front == nil {
		return ""
	}
	return s.front.Addr()
}

// Shutdown stops accepting requests and waits for those in flight.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.front == nil {
		return nil
	}
	return s.front.Shutdown(ctx)
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	err := s.opts.Ready(c.Request().Context())
	var d Degraded
	if errors.As(err, &d) {
		return c.JSON(http.StatusOK, map[string]string{"status": "ready", "reason": d.Reason})
	}
	if err != nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": err.Error()})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) stats(c echo.Context) error {
	st, err := s.opts.Stats(c.Request().Context())
	if err != nil {
		return unavailable("count stored rows", err)
	}
	return c.JSON(http.StatusOK, st)
}
