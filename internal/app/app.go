package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/flowslo/flowslo/alerting"
	"github.com/flowslo/flowslo/ingest"
	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/ui"
)

// Version is set at build time with -ldflags "-X .../internal/app.Version=…".
var Version = "dev"

// shutdownBudget is how long a SIGTERM may take in all: the issue promises
// exit within 10 s, so flushing gets most of it and the rest has a margin.
const shutdownBudget = 9 * time.Second

// Options are the flags of `flowslo serve`.
type Options struct {
	DataDir       string
	HTTPAddr      string
	OTLPGRPCAddr  string
	OTLPHTTPAddr  string
	ClickHouseDSN string
	ConfigFile    string
	SLOPath       string
	Logger        *slog.Logger
	// AuthTokenFile holds the token the UI and API require beyond loopback.
	AuthTokenFile string
	// AuthProxyHeader names the header a trusted auth proxy sets.
	AuthProxyHeader string
	// Reload delivers SIGHUP: re-read the SLO files.
	Reload <-chan struct{}
	// Database is the ClickHouse database flowslo uses; default "flowslo".
	// Tests that share one embedded data dir give each app its own.
	Database string
}

// DefaultOptions are the flag defaults.
func DefaultOptions() Options {
	return Options{
		DataDir:      "./data",
		HTTPAddr:     ":8080",
		OTLPGRPCAddr: ":4317",
		OTLPHTTPAddr: ":4318",
		Logger:       slog.Default(),
		Database:     "flowslo",
	}
}

// App is one running flowslo process.
type App struct {
	opts     Options
	cfg      Config
	log      *slog.Logger
	registry *prometheus.Registry
	store    store.Store
	ingest   *ingest.Pipeline
	http     *ui.Server
	// httpOptions are kept to report an open access configuration at start.
	httpOptions ui.Options
	engine      *engine.Engine
	alerts      *alerting.Manager
	slos        *sloSource
	started     atomic.Bool

	// stop ends the background loops (SLO engine, file watch); wg waits
	// for them.
	stop context.CancelFunc
	wg   sync.WaitGroup

	// closers stop the alert receivers that run in the background.
	closers []func()

	stopOnce    sync.Once
	shutdownErr error
}

// Run starts flowslo and blocks until ctx is done, then shuts down cleanly.
func Run(ctx context.Context, opts Options) error {
	a, err := New(ctx, opts)
	if err != nil {
		return err
	}
	if err := a.Start(ctx); err != nil {
		_ = a.Shutdown(context.Background())
		return err
	}
	<-ctx.Done()
	a.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownBudget)
	defer cancel()
	return a.Shutdown(sctx)
}

// New opens the store, migrates it and builds every part without serving.
func New(ctx context.Context, opts Options) (*App, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	cfg, err := LoadConfig(opts.ConfigFile)
	if err != nil {
		return nil, err
	}
	a := &App{opts: opts, cfg: cfg, log: opts.Logger, registry: newRegistry()}
	if a.store, err = openStore(ctx, opts, cfg); err != nil {
		return nil, err
	}
	if err := a.build(); err != nil {
		_ = a.store.Close()
		return nil, err
	}
	return a, nil
}

func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

func (a *App) build() error {
	p, err := ingest.New(ingest.Options{
		GRPCAddr:   a.opts.OTLPGRPCAddr,
		HTTPAddr:   a.opts.OTLPHTTPAddr,
		Store:      a.store,
		Logger:     a.log,
		Registerer: a.registry,
		// The TTL the store applies, in whole days: ingest refuses
		// what it would delete.
		Retention: time.Duration(a.cfg.Storage.RetentionDays()) * 24 * time.Hour,
	})
	if err != nil {
		return fmt.Errorf("build ingest pipeline: %w", err)
	}
	a.ingest = p
	a.engine = newEngine(a)
	a.slos = newSLOSource(a)
	if err := a.slos.load(); err != nil {
		return err
	}
	if a.alerts, err = newAlerting(a); err != nil {
		return fmt.Errorf("alerting: %w", err)
	}
	a.registry.MustRegister(&sloCollector{engine: a.engine, alerts: a.alerts.Firing, log: a.log, since: time.Now().Truncate(time.Minute)})
	access, err := a.access()
	if err != nil {
		return err
	}
	a.httpOptions = ui.Options{
		SLOs:       a.engine,
		Telemetry:  ui.NewTelemetry(a.store),
		Alerting:   a.alerts,
		AlertTiers: a.alerts.Tiers,
		Access:     access,
		Addr:       a.opts.HTTPAddr,
		Logger:     a.log,
		Gatherer:   a.registry,
		Ready:      a.ready,
		Stats:      a.stats,
	}
	a.http = ui.New(a.httpOptions)
	return nil
}

// access reads the UI's token file, when one is given.
func (a *App) access() (ui.Access, error) {
	acc := ui.Access{ProxyHeader: a.opts.AuthProxyHeader}
	if a.opts.AuthTokenFile == "" {
		return acc, nil
	}
	data, err := readLimited(a.opts.AuthTokenFile, 4096)
	if err != nil {
		return acc, fmt.Errorf("read --auth-token-file: %w", err)
	}
	acc.Token = strings.TrimSpace(string(data))
	if len(acc.Token) < 16 {
		return acc, fmt.Errorf("the token in %s is too short: use at least 16 random characters, e.g. `openssl rand -hex 32 > %s`", a.opts.AuthTokenFile, a.opts.AuthTokenFile)
	}
	return acc, nil
}

// Start opens the HTTP server first (so /healthz answers while the receivers
// come up), then the OTLP receivers.
func (a *App) Start(ctx context.Context) error {
	if err := a.http.Start(); err != nil {
		return fmt.Errorf("listen on %s: %w", a.opts.HTTPAddr, err)
	}
	if err := a.ingest.Start(ctx); err != nil {
		return fmt.Errorf("start OTLP receivers: %w", err)
	}
	a.startLoops()
	a.started.Store(true)
	if err := a.httpOptions.AccessProblem(); err != nil {
		a.log.Warn("the UI and API answer only clients on this machine until --auth-token-file or --auth-proxy-header is given", "http", a.opts.HTTPAddr)
	}
	a.log.Info("flowslo serving", "http", a.http.Addr(), "otlp_grpc", a.ingest.GRPCAddr(), "otlp_http", a.ingest.HTTPAddr(), "version", Version)
	return nil
}

// Shutdown stops receiving, flushes what was accepted into the store, stops
// the HTTP server and closes the store, in that order.
func (a *App) Shutdown(ctx context.Context) error {
	a.started.Store(false)
	a.stopOnce.Do(func() { a.shutdownErr = a.shutdown(ctx) })
	return a.shutdownErr
}

// startLoops runs the SLO engine and the SLO file watch until Shutdown.
func (a *App) startLoops() {
	ctx, cancel := context.WithCancel(context.Background())
	a.stop = cancel
	a.wg.Go(func() { _ = a.engine.Run(ctx) })
	a.wg.Go(func() { _ = a.alerts.Run(ctx) })
	a.wg.Go(func() { a.slos.watch(ctx, a.opts.Reload) })
}

func (a *App) shutdown(ctx context.Context) error {
	if a.stop != nil {
		a.stop()
		a.wg.Wait()
	}
	var errs []error
	for _, c := range a.closers {
		c()
	}
	if a.ingest != nil {
		errs = append(errs, wrap("flush ingest", a.ingest.Shutdown(ctx)))
	}
	if a.http != nil {
		errs = append(errs, wrap("stop http", a.http.Shutdown(ctx)))
	}
	if a.store != nil {
		errs = append(errs, wrap("close store", a.store.Close()))
	}
	return errors.Join(errs...)
}

// HTTPAddr, GRPCAddr and OTLPHTTPAddr are the bound addresses, for tests
// that listen on port 0.
func (a *App) HTTPAddr() string     { return a.http.Addr() }
func (a *App) OTLPGRPCAddr() string { return a.ingest.GRPCAddr() }
func (a *App) OTLPHTTPAddr() string { return a.ingest.HTTPAddr() }

// Store is the open store, for tests and tools that run in-process.
func (a *App) Store() store.Store { return a.store }

func (a *App) ready(ctx context.Context) error {
	if !a.started.Load() || !a.ingest.Ready() {
		return errors.New("OTLP receivers are not listening yet")
	}
	if err := a.ingest.Problem(); err != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := a.store.Ping(pctx); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

func (a *App) stats(ctx context.Context) (ui.Stats, error) {
	var st ui.Stats
	var err error
	if st.Spans, err = countRows(ctx, a.store, "otel_traces"); err != nil {
		return st, err
	}
	st.Logs, err = countRows(ctx, a.store, "otel_logs")
	return st, err
}

// countRows is exact: count() over a MergeTree is answered from part
// metadata, so it stays cheap at any size.
func countRows(ctx context.Context, s store.Store, table string) (uint64, error) {
	rows, err := s.Query(ctx, "SELECT count() FROM "+table, nil)
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", table, err)
	}
	defer rows.Close()
	var n uint64
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, fmt.Errorf("count %s: %w", table, err)
		}
	}
	return n, rows.Err()
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}
