package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configgrpc"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configmiddleware"
	"go.opentelemetry.io/collector/config/confignet"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/memorylimiterprocessor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	noopmetric "go.opentelemetry.io/otel/metric/noop"
	nooptrace "go.opentelemetry.io/otel/trace/noop"
)

// Pipeline is the running OTLP ingest: receiver → memory limiter →
// exporter into the store, for traces and logs.
type Pipeline struct {
	opts      Options
	host      *host
	endpoints *endpoints
	m         *metrics

	// components in start order; Shutdown walks them backwards so that
	// receivers stop first and exporters drain last.
	components []component.Component
	ready      atomic.Bool

	// started holds the components Start got running; stopOnce makes
	// Shutdown safe to call twice (the collector's components are not).
	started     []component.Component
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
		host:      &host{extensions: opts.extensions()},
	}
	if err := p.build(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Pipeline) telemetry() component.TelemetrySettings {
	return component.TelemetrySettings{
		Logger:         newZapLogger(p.opts.Logger, p.endpoints),
		TracerProvider: nooptrace.NewTracerProvider(),
		MeterProvider:  noopmetric.NewMeterProvider(),
		Resource:       pcommon.NewResource(),
	}
}

// build creates the components back to front, each consuming into the next.
func (p *Pipeline) build() error {
	ctx := context.Background()
	tel := p.telemetry()
	exp := newStoreExporter(p.opts.Store, p.opts.InsertTimeout, p.m)

	expSet := exporter.Settings{ID: component.MustNewID("flowslo_store"), TelemetrySettings: tel}
	traceExp, err := exporterhelper.NewTraces(ctx, expSet, struct{}{}, exp.pushTraces, p.exporterOptions()...)
	if err != nil {
		return fmt.Errorf("create traces exporter: %w", err)
	}
	logExp, err := exporterhelper.NewLogs(ctx, expSet, struct{}{}, exp.pushLogs, p.exporterOptions()...)
	if err != nil {
		return fmt.Errorf("create logs exporter: %w", err)
	}

	mlFactory := memorylimiterprocessor.NewFactory()
	mlSet := processor.Settings{ID: component.NewID(mlFactory.Type()), TelemetrySettings: tel}
	mlCfg := p.memoryLimiterConfig()
	traceML, err := mlFactory.CreateTraces(ctx, mlSet, mlCfg, traceExp)
	if err != nil {
		return fmt.Errorf("create memory limiter: %w", err)
	}
	logML, err := mlFactory.CreateLogs(ctx, mlSet, mlCfg, logExp)
	if err != nil {
		return fmt.Errorf("create memory limiter: %w", err)
	}

	rcvFactory := otlpreceiver.NewFactory()
	rcvSet := receiver.Settings{ID: component.NewID(rcvFactory.Type()), TelemetrySettings: tel}
	rcvCfg := p.receiverConfig()
	traces := &tracesAdmission{newAdmission(p.m, "traces", &p.m.pendingSpans, p.opts.RetryAfter), traceML}
	logs := &logsAdmission{newAdmission(p.m, "logs", &p.m.pendingLogs, p.opts.RetryAfter), logML}
	traceRcv, err := rcvFactory.CreateTraces(ctx, rcvSet, rcvCfg, traces)
	if err != nil {
		return fmt.Errorf("create otlp receiver: %w", err)
	}
	logRcv, err := rcvFactory.CreateLogs(ctx, rcvSet, rcvCfg, logs)
	if err != nil {
		return fmt.Errorf("create otlp receiver: %w", err)
	}
	p.components = []component.Component{traceExp, logExp, traceML, logML, traceRcv, logRcv}
	return nil
}

// exporterOptions make the exporter acknowledge only after the insert:
// wait_for_result holds each request until the batch holding it is stored,
// and a full queue refuses at once instead of blocking the receiver.
func (p *Pipeline) exporterOptions() []exporterhelper.Option {
	o := p.opts
	batch := exporterhelper.NewDefaultBatchConfig()
	batch.FlushTimeout = o.FlushTimeout
	batch.MinSize = int64(o.BatchMinItems)
	batch.MaxSize = int64(o.BatchMaxItems)
	queue := exporterhelper.NewDefaultQueueConfig()
	queue.WaitForResult = true
	queue.Sizer = batch.Sizer // items
	queue.QueueSize = int64(o.QueueItems)
	queue.BlockOnOverflow = false
	queue.NumConsumers = o.Inserters
	queue.Batch = configoptional.Some(batch)

	retry := configretry.NewDefaultBackOffConfig()
	// Start retrying fast: an insert failure is often one busy moment, and
	// the clients of the batch are waiting.
	retry.InitialInterval = 50 * time.Millisecond
	retry.MaxInterval = 2 * time.Second
	retry.MaxElapsedTime = o.RetryFor
	return []exporterhelper.Option{
		exporterhelper.WithQueue(configoptional.Some(queue)),
		exporterhelper.WithRetry(retry),
		// storeExporter.insert applies InsertTimeout per attempt itself.
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{Timeout: 0}),
	}
}

func (p *Pipeline) memoryLimiterConfig() *memorylimiterprocessor.Config {
	cfg := memorylimiterprocessor.NewFactory().CreateDefaultConfig().(*memorylimiterprocessor.Config)
	cfg.CheckInterval = checkInterval
	if p.opts.MemoryLimitMiB > 0 {
		cfg.MemoryLimitMiB = p.opts.MemoryLimitMiB
		cfg.MemorySpikeLimitMiB = p.opts.MemoryLimitMiB / 5
	} else {
		cfg.MemoryLimitPercentage = 80
		cfg.MemorySpikePercentage = 20
	}
	return cfg
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

// Start starts every component; the receivers listen when it returns.
func (p *Pipeline) Start(ctx context.Context) error {
	for _, c := range p.components {
		if err := c.Start(ctx, p.host); err != nil {
			return errors.Join(fmt.Errorf("start ingest: %w", err), p.Shutdown(ctx))
		}
		p.started = append(p.started, c)
	}
	p.ready.Store(true)
	return nil
}

// Shutdown stops receiving, waits for requests in flight (each one waits
// for its insert), flushes what is queued into the store, then returns.
func (p *Pipeline) Shutdown(ctx context.Context) error {
	p.ready.Store(false)
	p.stopOnce.Do(func() { p.shutdownErr = p.shutdown(ctx, p.started) })
	return p.shutdownErr
}

func (p *Pipeline) shutdown(ctx context.Context, started []component.Component) error {
	var errs []error
	for i := len(started) - 1; i >= 0; i-- {
		if err := started[i].Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("shutdown ingest: %w", err)
	}
	return nil
}

// Ready reports whether the receivers are listening.
func (p *Pipeline) Ready() bool { return p.ready.Load() }

// GRPCAddr is the bound OTLP/gRPC address, with the real port when the
// configured one was 0; empty before Start or when gRPC is disabled.
func (p *Pipeline) GRPCAddr() string { g, _ := p.endpoints.get(); return g }

// HTTPAddr is the bound OTLP/HTTP address, as GRPCAddr.
func (p *Pipeline) HTTPAddr() string { _, h := p.endpoints.get(); return h }
