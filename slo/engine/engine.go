package engine

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/store"
)

// Querier is what the engine needs from the store; store.Store satisfies it.
type Querier interface {
	Exec(ctx context.Context, query string, params store.Params) error
	Query(ctx context.Context, query string, params store.Params) (store.Rows, error)
}

// Options tune the engine; the zero value of each field means its default.
type Options struct {
	// Clock returns the current time; tests set it. Default time.Now.
	Clock func() time.Time
	// Interval between rollup and evaluation cycles in Run; default 5 s.
	Interval time.Duration
	// RollMargin is how far behind ClickHouse's clock rolls stay, so rows
	// whose insert has just ended are visible; default 2 s. Running INSERTs
	// hold rolls back by themselves (see safePoint). Raise it when writers
	// use async inserts, whose rows get their time when the server flushes.
	RollMargin time.Duration
	// Processes is where safePoint finds the INSERTs still running:
	// default system.processes; on a cluster
	// clusterAllReplicas('<cluster>', system.processes), since a row's
	// insert may run on any node (its FlowsloInserted is set on the node
	// that took the INSERT, into the Distributed table).
	Processes string
	// RawRetention is how long raw rows are kept (the TTL of otel_traces
	// and otel_logs): backfills stop there. Default 30 days.
	RawRetention time.Duration
	// RawRetentionByTable, when it has an SLO's table (otel_traces,
	// otel_logs), is that table's retention instead of RawRetention: each
	// signal may be kept for its own time.
	RawRetentionByTable map[string]time.Duration
	// BackfillChunk is the event-time range one backfill INSERT covers;
	// default 24h.
	BackfillChunk time.Duration
	// BackfillHistory is how far back a new SLO is backfilled; default its
	// window (a calendar window's longest period), at least 3 days so every
	// burn-rate window is filled.
	BackfillHistory time.Duration
	// SliceCap is the number of distinct values kept per slice; the rest
	// count as "other". Default 50.
	SliceCap int
	// StaleAfter is how old the last evaluation may be before Status
	// evaluates again instead of returning it; default 2 × Interval.
	StaleAfter time.Duration
	// BurningRate is the burn rate, over both 1h and 5m, from which an SLO's
	// status is "burning"; default 1 (spending faster than the window allows).
	BurningRate float64
	// Evaluated, when set, is called after each cycle of Run that
	// evaluated: alerting evaluates then, on the freshest numbers, instead
	// of waiting for its own interval.
	Evaluated func()
	// ReadOnly makes an engine that never writes (a follower replica, which
	// reads what the leader rolls up): no rolls, no backfills, and every
	// evaluation reads slo_rollup, since no roll keeps its memory current.
	ReadOnly bool
	// Readiness thresholds; zero fields take DefaultThresholds' values.
	Readiness Thresholds
	Logger    *slog.Logger
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	def(&o.Interval, 5*time.Second)
	def(&o.RollMargin, 2*time.Second)
	if o.Processes == "" {
		o.Processes = "system.processes"
	}
	def(&o.RawRetention, store.DefaultTTLDays*24*time.Hour)
	def(&o.BackfillChunk, 24*time.Hour)
	def(&o.StaleAfter, 2*o.Interval)
	if o.SliceCap <= 0 {
		o.SliceCap = 50
	}
	if o.BurningRate <= 0 {
		o.BurningRate = 1
	}
	o.Readiness = o.Readiness.withDefaults()
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Engine maintains the rollups of a set of SLOs and evaluates them.
type Engine struct {
	q    Querier
	opts Options

	// mu guards the fields below and serialises rolls with evaluations, so
	// an evaluation never counts a row both rolled up and live.
	mu      sync.Mutex
	slos    []*slo.SLO
	states  map[string]*state // by key(name, hash)
	loaded  bool
	mem     *memory           // current definitions' rollups (memory.go)
	counted map[string]counts // per definition: events rolls counted since New (Counted)
	// unsureRoll is a roll whose INSERT failed and may have landed: it is
	// retried as it was before anything else is rolled.
	unsureRoll *rollWrite
	// suspect: slo_rollup may hold writes this engine has not seen (a
	// write failed, or another writer's roll was running): the
	// bookkeeping and memory are read again before the next roll, and
	// until then evaluation reads slo_rollup.
	suspect bool
	last    atomic.Pointer[snapshot] // the last evaluation; Status reads it without mu
	safe    int64                    // the last roll's safe point (ms of ClickHouse time)

	backfillMu sync.Mutex // one backfiller at a time
	// unsureChunk is a backfill chunk whose INSERT failed and may have
	// landed, retried as it was first (guarded by backfillMu).
	unsureChunk *backfillWrite
	wake        chan struct{}

	// platformSplit replaces platformCounts when set: the benchmarks set
	// the raw-row split it replaced, as their baseline.
	platformSplit func(ctx context.Context, plans []*relPlan, version string) error
}

type snapshot struct {
	at     time.Time
	status []SLOStatus
}

func key(s *slo.SLO) string { return s.Name + "/" + s.Hash }

// New returns an engine over q. Call SetSLOs, then Run.
func New(q Querier, opts Options) *Engine {
	return &Engine{q: q, opts: opts.withDefaults(), states: map[string]*state{}, mem: newMemory(), counted: map[string]counts{}, wake: make(chan struct{}, 1)}
}

// SetSLOs replaces the evaluated SLOs (at start and on reload). SLOs whose
// name and hash are new get backfilled in the background by Run; rollups of
// earlier definitions stay in the table and are ignored.
func (e *Engine) SetSLOs(slos []*slo.SLO) {
	e.mu.Lock()
	e.slos = append([]*slo.SLO(nil), slos...)
	e.last.Store(nil)
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// SLOs returns the SLOs being evaluated.
func (e *Engine) SLOs() []*slo.SLO {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*slo.SLO(nil), e.slos...)
}

func (e *Engine) find(name string) *slo.SLO {
	for _, s := range e.SLOs() {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Run rolls up and evaluates every Interval and backfills new SLOs in the
// background until ctx ends.
func (e *Engine) Run(ctx context.Context) error {
	go e.backfillLoop(ctx)
	t := time.NewTicker(e.opts.Interval)
	defer t.Stop()
	for {
		if err := e.Tick(ctx); err != nil && ctx.Err() == nil {
			e.opts.Logger.Warn("slo evaluation", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (e *Engine) backfillLoop(ctx context.Context) {
	t := time.NewTicker(e.opts.Interval)
	defer t.Stop()
	for {
		if err := e.Backfill(ctx); err != nil && ctx.Err() == nil {
			e.opts.Logger.Warn("slo backfill", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-e.wake:
		case <-t.C:
		}
	}
}

// Tick is one cycle: count the rows inserted since the last one for every
// SLO, then evaluate all of them and keep the result for Status (Evaluate),
// then tell Options.Evaluated.
func (e *Engine) Tick(ctx context.Context) error {
	if _, err := e.Evaluate(ctx); err != nil {
		return err
	}
	if e.opts.Evaluated != nil {
		e.opts.Evaluated()
	}
	return nil
}

// Status returns every SLO's numbers: from the last cycle when it is
// recent (StaleAfter), else evaluated now from what is rolled up (a page
// never writes: a roll failing for a full disk must not fail it).
func (e *Engine) Status(ctx context.Context) ([]SLOStatus, error) {
	if last := e.last.Load(); last != nil && e.opts.Clock().Sub(last.at) < e.opts.StaleAfter {
		return last.status, nil // without waiting for a roll that may be running
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.evaluateLocked(ctx, false)
}

// StatusOf returns one SLO's numbers, or ErrUnknownSLO.
func (e *Engine) StatusOf(ctx context.Context, name string) (SLOStatus, error) {
	all, err := e.Status(ctx)
	if err != nil {
		return SLOStatus{}, err
	}
	for _, s := range all {
		if s.Name == name {
			return s, nil
		}
	}
	return SLOStatus{}, ErrUnknownSLO
}

// Counted returns, per SLO (its current definition), the events this
// engine's rolls have counted since it was created: every event stored
// since, once, whatever its timestamp (late ones included), and none
// twice. It only grows, so it suits a counter (rate() of it is the SLI of
// the events as they arrive), and it costs no query. A read-only engine
// rolls nothing: nil.
func (e *Engine) Counted() map[string]WindowCounts {
	if e.opts.ReadOnly {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]WindowCounts, len(e.slos))
	for _, s := range e.slos {
		c := e.counted[key(s)]
		out[s.Name] = WindowCounts{Good: c.good, Total: c.total}
	}
	return out
}
