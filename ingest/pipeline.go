package ingest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configgrpc"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configmiddleware"
	"go.opentelemetry.io/collector/config/confignet"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	noopmetric "go.opentelemetry.io/otel/metric/noop"
	nooptrace "go.opentelemetry.io/otel/trace/noop"
	"google.golang.org/grpc"

	"github.com/flowslo/flowslo/store"
)

// Pipeline is the running OTLP ingest: OTLP servers → dedup, limits and
// memory check → one batcher per signal → the store.
type Pipeline struct {
	opts      Options
	host      *host
	endpoints *endpoints
	m         *metrics
	health    *health
	mem       *memGuard
	traces    *signalPath[store.Span]
	logs      *signalPath[store.LogRecord]
	queue     *diskQueue // nil without Options.Queue

	// stop is cancelled when the shutdown deadline passes: inserts and
	// retries still running then end, and their clients are refused.
	stop       context.Context
	cancelStop context.CancelFunc
	memStop    chan struct{}

	grpcServer *grpc.Server
	httpServer *http.Server
	serving    sync.WaitGroup
	ready      atomic.Bool

	stopOnce    sync.Once
	shutdownErr error
}

// New builds the pipeline; Start makes it listen.
func New(opts Options) (*Pipeline, error) {
	opts = opts.withDefaults()
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("ingest options: %w", err)
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	p := &Pipeline{
		opts:      opts,
		endpoints: &endpoints{},
		m:         m,
		health:    newHealth(),
		mem:       newMemGuard(opts.MemoryLimitMiB, engineMemory(opts.Store)),
		memStop:   make(chan struct{}),
		host:      &host{extensions: opts.extensions()},
	}
	p.stop, p.cancelStop = context.WithCancel(context.Background())
	p.build()
	if opts.Queue != nil {
		if err := p.buildQueue(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *Pipeline) telemetry() component.TelemetrySettings {
	return component.TelemetrySettings{
		Logger:         newZapLogger(p.opts.Logger),
		TracerProvider: nooptrace.NewTracerProvider(),
		MeterProvider:  noopmetric.NewMeterProvider(),
		Resource:       pcommon.NewResource(),
	}
}

// build wires one path per signal.
func (p *Pipeline) build() {
	o := p.opts
	cfg := batchConfig{maxItems: o.BatchMaxItems, queueBytes: o.QueueBytes, insertTimeout: o.InsertTimeout, retryFor: o.RetryFor}
	seen := newDedup(o.DedupWindow, o.DedupMax)
	tm, lm := p.m.signal("traces"), p.m.signal("logs")
	p.traces = &signalPath[store.Span]{
		name: "traces", items: "spans", m: tm, seen: seen, mem: p.mem,
		limits: o.Limits, retention: o.TracesRetention, retryAfter: o.RetryAfter,
		batch:  newBatcher("traces", o.Store.InsertSpans, cfg, tm, p.health, p.stop),
		decode: decodeTraces, respond: respondTraces,
	}
	p.logs = &signalPath[store.LogRecord]{
		name: "logs", items: "log records", m: lm, seen: seen, mem: p.mem,
		limits: o.Limits, retention: o.LogsRetention, retryAfter: o.RetryAfter,
		batch:  newBatcher("logs", o.Store.InsertLogs, cfg, lm, p.health, p.stop),
		decode: decodeLogs, respond: respondLogs,
	}
}

// buildQueue puts the persistent queue between both signals' requests
// and the store.
func (p *Pipeline) buildQueue() error {
	s := &sink{store: p.opts.Store.(store.TokenInserter), limits: p.opts.Limits, health: p.health, log: p.opts.Logger,
		m: map[string]*signalMetrics{"traces": p.traces.m, "logs": p.logs.m}}
	s.rows, _ = p.opts.Store.(rowStore)
	q, err := newDiskQueue(*p.opts.Queue, p.opts.InsertTimeout, p.opts.MaxRequestBytes, s)
	if err != nil {
		return fmt.Errorf("persistent queue: %w", err)
	}
	p.queue, p.traces.queue, p.logs.queue = q, q, q
	if s.rows != nil {
		p.traces.rowsIn, p.traces.appendRow = q.tracesRows, s.rows.AppendSpanRow
		p.logs.rowsIn, p.logs.appendRow = q.logsRows, s.rows.AppendLogRow
	}
	return p.registerQueue()
}

// registerQueue puts the queue's depth on /metrics.
func (p *Pipeline) registerQueue() error {
	if p.opts.Registerer == nil {
		return nil
	}
	for _, signal := range []string{"traces", "logs"} {
		g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "flowslo_ingest_persistent_queue_bytes",
			Help:        "Bytes (OTLP protobuf, or with the embedded store encoded rows) acknowledged and waiting in the persistent queue to be stored.",
			ConstLabels: prometheus.Labels{"signal": signal},
		}, func() float64 { return float64(p.queue.Depth(signal)) })
		if err := p.opts.Registerer.Register(g); err != nil {
			return fmt.Errorf("register queue metrics: %w", err)
		}
	}
	return nil
}

func (p *Pipeline) receiverConfig() *otlpreceiver.Config {
	cfg := otlpreceiver.NewFactory().CreateDefaultConfig().(*otlpreceiver.Config)
	cfg.Protocols.GRPC = configoptional.None[configgrpc.ServerConfig]()
	cfg.Protocols.HTTP = configoptional.None[otlpreceiver.HTTPConfig]()
	if p.opts.GRPCAddr != "" {
		g := configgrpc.NewDefaultServerConfig()
		g.NetAddr = confignet.AddrConfig{Endpoint: p.opts.GRPCAddr, Transport: confignet.TransportTypeTCP}
		g.MaxRecvMsgSizeMiB = int(p.opts.MaxRequestBytes / mib)
		g.ReadBufferSize = 512 * 1024
		g.Middlewares = []configmiddleware.Config{{ID: inputGuardID}}
		g.Auth, g.TLS = p.opts.authConfig(), p.opts.tlsConfig()
		cfg.Protocols.GRPC = configoptional.Some(g)
	}
	if p.opts.HTTPAddr != "" {
		h := confighttp.NewDefaultServerConfig()
		h.NetAddr = confignet.AddrConfig{Endpoint: p.opts.HTTPAddr, Transport: confignet.TransportTypeTCP}
		h.MaxRequestBodySize = p.opts.MaxRequestBytes
		// A client trickling its headers or body holds a connection and a
		// goroutine: bound both (the collector's defaults bound headers at
		// a minute and the body not at all).
		h.ReadHeaderTimeout, h.ReadTimeout = min(10*time.Second, p.opts.ReadTimeout/3), p.opts.ReadTimeout
		h.Middlewares = []configmiddleware.Config{{ID: inputGuardID}}
		h.TLS = p.opts.tlsConfig()
		if a := p.opts.authConfig(); a.HasValue() {
			h.Auth = configoptional.Some(confighttp.AuthConfig{Config: *a.Get()})
		}
		cfg.Protocols.HTTP = configoptional.Some(otlpreceiver.HTTPConfig{
			ServerConfig:   h,
			TracesURLPath:  "/v1/traces",
			MetricsURLPath: "/v1/metrics",
			LogsURLPath:    "/v1/logs",
		})
	}
	return cfg
}

// Start listens on the configured OTLP addresses.
func (p *Pipeline) Start(ctx context.Context) error {
	cfg := p.receiverConfig()
	tel := p.telemetry()
	if p.queue != nil {
		p.queue.start()
	}
	if cfg.Protocols.GRPC.HasValue() {
		if err := p.startGRPC(ctx, cfg.Protocols.GRPC.Get(), tel); err != nil {
			return errors.Join(fmt.Errorf("start ingest: %w", err), p.Shutdown(ctx))
		}
	}
	if cfg.Protocols.HTTP.HasValue() {
		if err := p.startHTTP(ctx, cfg.Protocols.HTTP.Get(), tel); err != nil {
			return errors.Join(fmt.Errorf("start ingest: %w", err), p.Shutdown(ctx))
		}
	}
	go p.mem.run(checkInterval, p.memStop)
	p.ready.Store(true)
	return nil
}

func (p *Pipeline) startGRPC(ctx context.Context, g *configgrpc.ServerConfig, tel component.TelemetrySettings) error {
	srv, err := g.ToServer(ctx, p.host.GetExtensions(), tel)
	if err != nil {
		return fmt.Errorf("otlp grpc server: %w", err)
	}
	srv.RegisterService(serviceDesc(traceService, p.traces.export), nil)
	srv.RegisterService(serviceDesc(logsService, p.logs.export), nil)
	ln, err := g.NetAddr.Listen(ctx)
	if err != nil {
		return fmt.Errorf("otlp grpc listen: %w", err)
	}
	p.grpcServer = srv
	p.endpoints.setGRPC(ln.Addr().String())
	p.serving.Go(func() { _ = srv.Serve(ln) })
	return nil
}

func (p *Pipeline) startHTTP(ctx context.Context, h *otlpreceiver.HTTPConfig, tel component.TelemetrySettings) error {
	mux := http.NewServeMux()
	mux.Handle(string(h.TracesURLPath), httpHandler(p.traces.export))
	mux.Handle(string(h.LogsURLPath), httpHandler(p.logs.export))
	srv, err := h.ServerConfig.ToServer(ctx, p.host.GetExtensions(), tel, mux)
	if err != nil {
		return fmt.Errorf("otlp http server: %w", err)
	}
	ln, err := h.ServerConfig.ToListener(ctx)
	if err != nil {
		return fmt.Errorf("otlp http listen: %w", err)
	}
	p.httpServer = srv
	p.endpoints.setHTTP(ln.Addr().String())
	p.serving.Go(func() { _ = srv.Serve(ln) })
	return nil
}

// Shutdown stops receiving and stores what is queued, within ctx: when
// ctx ends, inserts and retries still running are stopped and their
// clients refused with a retryable error, so the process can exit with
// nothing acknowledged that is not stored.
func (p *Pipeline) Shutdown(ctx context.Context) error {
	p.ready.Store(false)
	p.stopOnce.Do(func() { p.shutdownErr = p.shutdown(ctx) })
	return p.shutdownErr
}

func (p *Pipeline) shutdown(ctx context.Context) error {
	close(p.memStop)
	// Past the deadline (less a margin to answer the refused clients),
	// stop what still runs.
	stopAt := time.AfterFunc(untilDeadline(ctx, shutdownMargin), p.cancelStop)
	defer stopAt.Stop()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	wg.Go(func() { errs[0] = p.traces.batch.close(ctx) })
	wg.Go(func() { errs[1] = p.logs.batch.close(ctx) })
	if p.httpServer != nil {
		wg.Go(func() { errs[2] = p.httpServer.Shutdown(ctx) })
	}
	if p.grpcServer != nil {
		wg.Go(func() { errs[3] = stopGRPC(ctx, p.grpcServer) })
	}
	wg.Wait()
	p.cancelStop()
	p.serving.Wait()
	if p.queue != nil {
		// No request can reach the queue any more: stop its consumers
		// (what they could not store stays queued for the next start).
		errs = append(errs, p.queue.shutdown(ctx))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("shutdown ingest: %w", err)
	}
	return nil
}

// shutdownMargin is kept of the shutdown budget to answer clients whose
// requests could not be stored in time.
const shutdownMargin = 500 * time.Millisecond

func untilDeadline(ctx context.Context, margin time.Duration) time.Duration {
	dl, ok := ctx.Deadline()
	if !ok {
		return time.Duration(1<<63 - 1)
	}
	return max(time.Until(dl)-margin, 0)
}

// stopGRPC lets running calls finish, and cuts them off when ctx ends.
func stopGRPC(ctx context.Context, s *grpc.Server) error {
	done := make(chan struct{})
	go func() { s.GracefulStop(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.Stop()
		<-done
		return fmt.Errorf("grpc calls still running: %w", ctx.Err())
	}
}

// Problem says why ingest cannot store right now (the latest inserts
// failed for the store's or the disk's reasons), or nil.
// With the persistent queue, failing inserts are no reason: the queue
// takes requests while the store is down; its problem is a queue that
// refuses them (full, or its disk failing).
func (p *Pipeline) Problem() error {
	if p.queue == nil {
		return p.health.problem()
	}
	if err := p.queue.problem(); err != nil {
		return errors.Join(err, p.health.problem())
	}
	return nil
}

// Queued reports whether requests are acknowledged from the persistent
// queue.
func (p *Pipeline) Queued() bool { return p.queue != nil }

// QueueDepth is the bytes waiting in the persistent queue per signal
// ("traces", "logs"), and its limit per signal; zeros without one.
func (p *Pipeline) QueueDepth() (traces, logs, limit int64) {
	if p.queue == nil {
		return 0, 0, 0
	}
	return p.queue.Depth("traces"), p.queue.Depth("logs"), p.queue.opts.MaxBytes
}

// StoreProblem says why inserts fail (the latest failed for the store's
// or the disk's reasons), or nil, queue or not.
func (p *Pipeline) StoreProblem() error { return p.health.problem() }

// endpoints holds the bound addresses, with real ports for ":0".
type endpoints struct {
	mu         sync.Mutex
	grpc, http string
}

func (e *endpoints) get() (grpcAddr, httpAddr string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.grpc, e.http
}

func (e *endpoints) setGRPC(a string) { e.mu.Lock(); e.grpc = a; e.mu.Unlock() }
func (e *endpoints) setHTTP(a string) { e.mu.Lock(); e.http = a; e.mu.Unlock() }

// Ready reports whether the receivers are listening.
func (p *Pipeline) Ready() bool { return p.ready.Load() }

// GRPCAddr is the bound OTLP/gRPC address, with the real port when the
// configured one was 0; empty before Start or when gRPC is disabled.
func (p *Pipeline) GRPCAddr() string { g, _ := p.endpoints.get(); return g }

// HTTPAddr is the bound OTLP/HTTP address, as GRPCAddr.
func (p *Pipeline) HTTPAddr() string { _, h := p.endpoints.get(); return h }

// engineMemory is the store's engine memory probe, when it has one.
func engineMemory(st any) func(context.Context) (uint64, error) {
	if m, ok := st.(EngineMemory); ok {
		return m.MemoryInUse
	}
	return nil
}
