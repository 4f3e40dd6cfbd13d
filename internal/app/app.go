package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
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

// Options are the flags of `flowslo serve` and `flowslo collector`.
type Options struct {
	// Role is what this process runs; empty means RoleAll.
	Role          Role
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
	// TrustedProxies are the CIDRs (comma-separated) whose AuthProxyHeader
	// counts; empty means loopback.
	TrustedProxies string
	// PublicURL is where people open flowslo; its host passes the Host check.
	PublicURL string
	// OTLPTokenFile holds the bearer tokens both OTLP receivers require.
	OTLPTokenFile string
	// TLSCertFile and TLSKeyFile serve OTLP and the UI over TLS.
	TLSCertFile, TLSKeyFile string
	// ClickHouseReadDSN serves the UI's reads (default ClickHouseDSN).
	ClickHouseReadDSN string
	// ClickHousePasswordFile and ClickHouseReadPasswordFile hold the
	// passwords (else $FLOWSLO_CLICKHOUSE_PASSWORD and
	// $FLOWSLO_CLICKHOUSE_READ_PASSWORD), so that none is in argv.
	ClickHousePasswordFile, ClickHouseReadPasswordFile string
	// ReadTimeout bounds each UI query on a ClickHouse server
	// (max_execution_time). Default 30 s.
	ReadTimeout time.Duration
	// HTTPListener, when set, is used instead of listening on HTTPAddr
	// (tests that must know the port before New returns).
	HTTPListener net.Listener
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// Reload delivers SIGHUP: re-read the SLO files.
	Reload <-chan struct{}
	// Database is the ClickHouse database flowslo uses; default "flowslo".
	// Tests that share one embedded data dir give each app its own.
	Database string
	// leaseDuration is the leader lease's duration (tests); zero: the
	// lease's default.
	leaseDuration time.Duration
	// wrapStore, when set, wraps the opened store (tests that cut a
	// server off from ClickHouse, as if it died).
	wrapStore func(store.Store) store.Store
	// openServer, when set, replaces opening the ClickHouse server at
	// --clickhouse-dsn (tests of a collector whose ClickHouse comes up
	// late: there is no ClickHouse server on the test machines).
	openServer func(context.Context) (store.Store, error)
}

// DefaultOptions are the flag defaults.
func DefaultOptions() Options {
	return Options{
		DataDir:      "./data",
		HTTPAddr:     ":8080",
		OTLPGRPCAddr: ":4317",
		OTLPHTTPAddr: ":4318",
		Logger:       slog.Default(),
		Role:         RoleAll,
		Database:     "flowslo",
		ReadTimeout:  30 * time.Second,
	}
}

// App is one running flowslo process.
type App struct {
	opts     Options
	cfg      Config
	log      *slog.Logger
	registry *prometheus.Registry
	store    store.Store
	// reads serves the UI's queries: store itself, or a reader on
	// --clickhouse-read-dsn.
	reads  store.Store
	ingest *ingest.Pipeline
	front  *ui.Front
	http   *ui.Server
	// httpOptions are kept to report an open access configuration at start.
	httpOptions ui.Options
	engine      *engineView
	alerts      *alertsView
	leader      *leadership
	// alertOptions build each leader term's alert manager.
	alertOptions alerting.Options
	noReceivers  bool // alerts are evaluated and shown, not sent
	slos         *sloSource
	started      atomic.Bool

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
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Role, err = ParseRole(string(opts.Role)); err != nil {
		return nil, err
	}
	a := &App{opts: opts, cfg: cfg, log: opts.Logger, registry: newRegistry()}
	// Listen first: while the store comes up (a ClickHouse server may take
	// a while), /healthz answers and /readyz says what flowslo waits for.
	if a.front, err = ui.Listen(a.frontOptions()); err != nil {
		return nil, fmt.Errorf("listen on %s: %w", opts.HTTPAddr, err)
	}
	if err := a.open(ctx); err != nil {
		_ = a.front.Shutdown(context.Background())
		return nil, err
	}
	return a, nil
}

func (a *App) frontOptions() ui.FrontOptions {
	return ui.FrontOptions{Addr: a.opts.HTTPAddr, Listener: a.opts.HTTPListener, Logger: a.log,
		TLSCertFile: a.opts.TLSCertFile, TLSKeyFile: a.opts.TLSKeyFile}
}

// open opens the stores and builds every part.
func (a *App) open(ctx context.Context) error {
	var err error
	if a.store, a.reads, err = openStores(ctx, a.opts, a.cfg, a.log, a.front.SetState); err != nil {
		return err
	}
	if w := a.opts.wrapStore; w != nil {
		same := a.reads == a.store
		if a.store = w(a.store); same {
			a.reads = a.store
		}
	}
	if err := a.build(); err != nil {
		a.closeStores()
		return err
	}
	return nil
}

func (a *App) closeStores() {
	if a.reads != nil && a.reads != a.store {
		_ = a.reads.Close()
	}
	_ = a.store.Close()
}

func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// build makes the parts of the process's role: the ingest pipeline for a
// collector, the engine, alerting and UI for a server, both for the
// all-in-one.
func (a *App) build() error {
	if a.opts.Role.receives() {
		if err := a.buildIngest(); err != nil {
			return err
		}
	}
	if !a.opts.Role.evaluates() {
		a.httpOptions = ui.Options{ProbesOnly: true, Addr: a.opts.HTTPAddr, Logger: a.log, Gatherer: a.registry, Ready: a.ready}
		a.http = ui.New(a.httpOptions)
		return nil
	}
	return a.buildServer()
}

func (a *App) buildIngest() error {
	tokens, err := a.otlpTokens()
	if err != nil {
		return err
	}
	queue := a.queueOptions()
	if queue == nil {
		if err := a.noQueueLeft(); err != nil {
			return err
		}
	}
	p, err := ingest.New(ingest.Options{
		GRPCAddr:    a.opts.OTLPGRPCAddr,
		HTTPAddr:    a.opts.OTLPHTTPAddr,
		Store:       a.store,
		Logger:      a.log,
		Registerer:  a.registry,
		Tokens:      tokens,
		TLSCertFile: a.opts.TLSCertFile,
		TLSKeyFile:  a.opts.TLSKeyFile,
		// The TTL the store applies, in whole days: ingest refuses
		// what it would delete.
		Retention:       time.Duration(a.cfg.Storage.RetentionDays()) * 24 * time.Hour,
		TracesRetention: a.cfg.Storage.SignalRetention("traces"),
		LogsRetention:   a.cfg.Storage.SignalRetention("logs"),
		Queue:           queue,
	})
	if err != nil {
		return fmt.Errorf("build ingest pipeline: %w", err)
	}
	a.ingest = p
	return nil
}

// Drained reports whether the persistent queue, if any, has stored
// everything it acknowledged.
func (a *App) Drained() bool {
	if a.ingest == nil {
		return true
	}
	tr, lg, _ := a.ingest.QueueDepth()
	return tr == 0 && lg == 0
}

// queueOptions are the persistent queue's: on wherever OTLP is received,
// the collector and the all-in-one, in <data-dir>/queue unless queue.dir
// says; off (acknowledge once stored) with queue.enabled: false.
func (a *App) queueOptions() *ingest.QueueOptions {
	q := a.cfg.Queue
	if q.Enabled != nil && !*q.Enabled {
		return nil
	}
	if q.Dir == "" {
		q.Dir = filepath.Join(a.opts.DataDir, defaultQueueDir(a.opts.Database))
	}
	return &ingest.QueueOptions{Dir: q.Dir, MaxBytes: q.MaxBytes, NoFSync: q.FSync != nil && !*q.FSync, InsertBytes: q.InsertBytes, InsertLinger: q.InsertLinger}
}

// noQueueLeft refuses to start with the queue turned off on a queue dir
// that still holds what it acknowledged: ignored, it would never be
// stored.
func (a *App) noQueueLeft() error {
	dir := a.cfg.Queue.Dir
	if dir == "" {
		dir = filepath.Join(a.opts.DataDir, defaultQueueDir(a.opts.Database))
	}
	left, err := ingest.LeftQueued(dir)
	if err != nil {
		return fmt.Errorf("queue.enabled is false, and reading the queue left in %s failed: %w", dir, err)
	}
	if left > 0 {
		return fmt.Errorf("queue.enabled is false, but the queue in %s holds %d bytes acknowledged and not stored yet: start once with the queue enabled until it has drained (flowslo_ingest_persistent_queue_bytes 0), then turn it off; or remove %s to drop them", dir, left, dir)
	}
	return nil
}

// defaultQueueDir is the queue's dir in the data dir: "queue", or for a
// database other than the default one "queue-<database>", so flowslos
// sharing a data dir with databases of their own (as tests do) keep
// queues of their own too.
func defaultQueueDir(database string) string {
	if database == "" || database == DefaultOptions().Database {
		return "queue"
	}
	return "queue-" + database
}

func (a *App) buildServer() error {
	var err error
	a.engine = newEngineView(a.store, a.log, func(q engine.Querier, readOnly bool) *engine.Engine { return newEngine(a, q, readOnly) })
	a.slos = newSLOSource(a)
	if err := a.slos.load(); err != nil {
		return err
	}
	if a.alerts, err = newAlerting(a); err != nil {
		return fmt.Errorf("alerting: %w", err)
	}
	if a.leader, err = newLeadership(a); err != nil {
		return err
	}
	a.registry.MustRegister(&sloCollector{engine: a.engine, alerts: a.alerts.Firing, log: a.log})
	access, err := a.access()
	if err != nil {
		return err
	}
	a.httpOptions = ui.Options{
		SLOs:        a.engine,
		Releases:    a.engine,
		Telemetry:   ui.NewTelemetry(a.reads),
		Alerting:    a.alerts,
		AlertTiers:  a.alerts.Tiers,
		NoReceivers: a.noReceivers,
		Usage:       newUsage(a),
		Access:      access,
		// A refused reload of the SLO files, shown where SLOs are read.
		SLOLoadError: a.slos.loadError,
		Addr:         a.opts.HTTPAddr,
		Logger:       a.log,
		Gatherer:     a.registry,
		Ready:        a.ready,
		Stats:        a.stats,
		OTLP:         a.otlpInfo,
	}
	a.http = ui.New(a.httpOptions)
	return nil
}

// otlpInfo is where the OTLP receivers listen, once they do.
func (a *App) otlpInfo() ui.OTLPInfo {
	return ui.OTLPInfo{GRPCAddr: a.ingest.GRPCAddr(), HTTPAddr: a.ingest.HTTPAddr(),
		TLS: a.opts.TLSCertFile != "", Token: a.opts.OTLPTokenFile != ""}
}

// otlpTokens reads --otlp-token-file, when one is given.
func (a *App) otlpTokens() ([]string, error) {
	if a.opts.OTLPTokenFile == "" {
		return nil, nil
	}
	tokens, err := ingest.ReadTokens(a.opts.OTLPTokenFile)
	if err != nil {
		return nil, fmt.Errorf("--otlp-token-file: %w", err)
	}
	return tokens, nil
}

// access reads the UI's token file, when one is given.
func (a *App) access() (ui.Access, error) {
	acc := ui.Access{ProxyHeader: a.opts.AuthProxyHeader, PublicURL: a.opts.PublicURL}
	var err error
	if acc.TrustedProxies, err = ui.ParseCIDRs(a.opts.TrustedProxies); err != nil {
		return acc, fmt.Errorf("--trusted-proxies: %w", err)
	}
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
	a.front.Mount(a.http)
	if a.ingest != nil {
		if err := a.ingest.Start(ctx); err != nil {
			return fmt.Errorf("start OTLP receivers: %w", err)
		}
	}
	if a.engine != nil {
		a.startLoops()
	}
	a.started.Store(true)
	if a.engine != nil {
		a.warnOpenAccess()
	}
	a.log.Info("flowslo serving", "http", a.http.Addr(), "otlp_grpc", a.OTLPGRPCAddr(), "otlp_http", a.OTLPHTTPAddr(), "role", string(a.opts.Role), "version", Version)
	return nil
}

// Shutdown stops receiving, flushes what was accepted into the store, stops
// the HTTP server and closes the store, in that order.
func (a *App) Shutdown(ctx context.Context) error {
	a.started.Store(false)
	a.stopOnce.Do(func() { a.shutdownErr = a.shutdown(ctx) })
	return a.shutdownErr
}

// startLoops campaigns for the leader lease (the leader runs the SLO
// engine's cycle and alerting) and watches the SLO files until Shutdown,
// which releases the lease once the leader's work has stopped.
func (a *App) startLoops() {
	ctx, cancel := context.WithCancel(context.Background())
	a.stop = cancel
	a.wg.Go(func() { a.leader.run(ctx) })
	a.wg.Go(func() { a.slos.watch(ctx, a.opts.Reload) })
}

// Leading says whether this process holds the leader lease now.
func (a *App) Leading() bool {
	if a.alerts == nil {
		return false
	}
	_, leading := a.alerts.current()
	return leading
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
	if a.front != nil {
		errs = append(errs, wrap("stop http", a.front.Shutdown(ctx)))
	}
	if a.reads != nil && a.reads != a.store {
		errs = append(errs, wrap("close read store", a.reads.Close()))
	}
	if a.store != nil {
		errs = append(errs, wrap("close store", a.store.Close()))
	}
	return errors.Join(errs...)
}

// HTTPAddr, GRPCAddr and OTLPHTTPAddr are the bound addresses, for tests
// that listen on port 0; the OTLP ones are empty on a server.
func (a *App) HTTPAddr() string { return a.front.Addr() }

func (a *App) OTLPGRPCAddr() string {
	if a.ingest == nil {
		return ""
	}
	return a.ingest.GRPCAddr()
}

func (a *App) OTLPHTTPAddr() string {
	if a.ingest == nil {
		return ""
	}
	return a.ingest.HTTPAddr()
}

// Store is the open store, for tests and tools that run in-process.
func (a *App) Store() store.Store { return a.store }

func (a *App) ready(ctx context.Context) error {
	if !a.started.Load() {
		return errors.New("starting")
	}
	if a.ingest != nil {
		if !a.ingest.Ready() {
			return errors.New("OTLP receivers are not listening yet")
		}
		if err := a.ingest.Problem(); err != nil {
			return err
		}
		if a.opts.Role == RoleCollector && a.ingest.Queued() {
			return a.queueReady(ctx)
		}
	}
	if err := a.ping(ctx); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

func (a *App) ping(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return a.store.Ping(pctx)
}

// queueReady: a collector whose queue takes requests is ready while
// ClickHouse is down (buffering that outage is the queue's job), and
// says so, with what is queued and since when ClickHouse fails.
func (a *App) queueReady(ctx context.Context) error {
	trouble := a.storeTrouble(ctx)
	if trouble == nil {
		return nil
	}
	traces, logs, _ := a.ingest.QueueDepth()
	return ui.Degraded{Reason: fmt.Sprintf("accepting into the disk queue (%s queued); %v", size(traces+logs), trouble)}
}

// size is n bytes for people: MiB, or KiB below one.
func size(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// storeTrouble says why the collector's inserts do not get through, or
// nil: the store not open yet or not answering (since when, if the store
// keeps count), else the latest inserts failing.
func (a *App) storeTrouble(ctx context.Context) error {
	if err := a.ping(ctx); err != nil {
		if later, ok := a.store.(*laterStore); ok && later.outage() != nil {
			return later.outage()
		}
		return fmt.Errorf("ClickHouse unreachable: %w", err)
	}
	if err := a.ingest.StoreProblem(); err != nil {
		return fmt.Errorf("ClickHouse inserts failing: %w", err)
	}
	return nil
}

func (a *App) stats(ctx context.Context) (ui.Stats, error) {
	var st ui.Stats
	var err error
	if st.Spans, err = countRows(ctx, a.reads, "otel_traces"); err != nil {
		return st, err
	}
	st.Logs, err = countRows(ctx, a.reads, "otel_logs")
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
