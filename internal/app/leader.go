package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/flowslo/flowslo/alerting"
	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/lease"
)

// leadership runs, under the lease (package store/lease), the work only one
// server may do at a time: rolling up and backfilling (the SLO engine's
// cycle), evaluating alerts and notifying. Every server, leader or not,
// serves the UI and the API (engineView, alertsView).
//
// Each term gets a fresh engine and a fresh alert manager: they load the
// watermarks, the open alerts and the outbox from the store when they
// start, so a process that led before and leads again never acts on what
// it remembered from then. Before a term starts, fence waits until no
// write to flowslo's state tables runs anywhere: a deposed leader stops
// starting writes Margin before its lease can expire, and its last ones
// have landed before the new leader reads what it takes over.
type leadership struct {
	app     *App
	lease   *lease.Lease
	leading prometheus.Gauge
}

// fenceWait is the longest a new leader waits for a deposed leader's
// writes; past it (a stuck query), it takes over and says so.
const fenceWait = 30 * time.Second

func newLeadership(a *App) (*leadership, error) {
	l, err := lease.New(a.store, lease.Options{Holder: lease.NewHolder(), Replicated: a.cfg.Storage.Cluster != "",
		Duration: a.opts.leaseDuration, Logger: a.log})
	if err != nil {
		return nil, err
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "flowslo_leader",
		Help: "1 while this server holds the leader lease: it rolls up, evaluates alerts and notifies."})
	a.registry.MustRegister(g)
	return &leadership{app: a, lease: l, leading: g}, nil
}

// run campaigns until ctx ends; a term in progress then stops and the
// lease is released, so another server takes over at once.
func (l *leadership) run(ctx context.Context) { l.lease.Run(ctx, l.lead) }

// lead is one term: it returns once the engine and alerting have stopped.
func (l *leadership) lead(ctx context.Context) {
	a := l.app
	if err := l.fence(ctx); err != nil {
		return
	}
	// The term's engine writes through a store that refuses once the term
	// is over: its background backfill cannot start a write after that.
	// The manager's store refuses once it has stopped: it records the
	// outcome of the sends it cancels (so the next leader knows what may
	// have reached a receiver), and nothing after.
	st := termStore{Store: a.store, term: ctx}
	stopped, stop := context.WithCancel(context.Background())
	defer stop()
	opts := a.alertOptions
	opts.Store = termStore{Store: a.store, term: stopped}
	m, err := alerting.New(opts)
	if err != nil { // validated when the app was built
		a.log.Error("alerting", "err", err)
		return
	}
	a.alerts.lead(m)
	e := a.engine.lead(st)
	l.leading.Set(1)
	a.log.Info("leading: rolling up, evaluating alerts and notifying", "holder", l.lease.Holder())
	var wg sync.WaitGroup
	wg.Go(func() { _ = e.Run(ctx) })
	wg.Go(func() { _ = m.Run(ctx) })
	wg.Wait()
	a.engine.unlead()
	a.alerts.unlead()
	stop()
	l.leading.Set(0)
	a.log.Info("no longer leading: serving the UI and API only", "holder", l.lease.Holder())
}

// fence waits until no INSERT into the rollups or the alerting tables is
// running on any node (system.processes, the engine's own source for
// running INSERTs), up to fenceWait.
func (l *leadership) fence(ctx context.Context) error {
	give := time.Now().Add(fenceWait)
	for {
		n, err := stateWrites(ctx, l.app)
		if err == nil && n == 0 {
			return nil
		}
		if time.Now().After(give) {
			l.app.log.Warn("leading although writes of a previous leader still run", "running", n, "err", err)
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func stateWrites(ctx context.Context, a *App) (uint64, error) {
	processes := a.cfg.Storage.processes()
	if processes == "" {
		processes = "system.processes"
	}
	rows, err := a.store.Query(ctx, `SELECT count() FROM `+processes+`
WHERE query_kind = 'Insert' AND (positionCaseInsensitive(query, 'slo_rollup') > 0 OR positionCaseInsensitive(query, 'alerting_') > 0)`, nil)
	if err != nil {
		return 0, fmt.Errorf("read running inserts: %w", err)
	}
	defer rows.Close()
	var n uint64
	if rows.Next() {
		err = rows.Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("read running inserts: %w", err)
	}
	return n, rows.Err()
}

// termStore is the store of one leader term: it refuses every statement
// once the term has ended. Reads are refused too: the term's engine and
// manager serve no one after it.
type termStore struct {
	store.Store
	term context.Context
}

var errTermOver = errors.New("no longer the leader")

func (s termStore) Exec(ctx context.Context, query string, params store.Params) error {
	if s.term.Err() != nil {
		return errTermOver
	}
	return s.Store.Exec(ctx, query, params)
}

func (s termStore) Query(ctx context.Context, query string, params store.Params) (store.Rows, error) {
	if s.term.Err() != nil {
		return nil, errTermOver
	}
	return s.Store.Query(ctx, query, params)
}

// alertsView is alerting as the UI, the API and /metrics read it: the
// leader's manager while this process leads, else one that never
// evaluates (its reads come from the store; its silences are stored and
// picked up by the leader's next evaluation).
type alertsView struct {
	follower *alerting.Manager
	mu       sync.Mutex
	leader   *alerting.Manager
}

func (v *alertsView) lead(m *alerting.Manager) {
	v.mu.Lock()
	v.leader = m
	v.mu.Unlock()
}

func (v *alertsView) unlead() { v.lead(nil) }

func (v *alertsView) current() (m *alerting.Manager, leading bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.leader != nil {
		return v.leader, true
	}
	return v.follower, false
}

func (v *alertsView) m() *alerting.Manager { m, _ := v.current(); return m }

func (v *alertsView) Alerts(ctx context.Context) ([]alerting.Alert, error) { return v.m().Alerts(ctx) }

func (v *alertsView) Silences(ctx context.Context) ([]alerting.Silence, error) {
	return v.m().Silences(ctx)
}

func (v *alertsView) CreateSilence(ctx context.Context, in alerting.SilenceInput) (alerting.Silence, error) {
	return v.m().CreateSilence(ctx, in)
}

func (v *alertsView) ExpireSilence(ctx context.Context, id string) error {
	return v.m().ExpireSilence(ctx, id)
}

func (v *alertsView) Tiers(ctx context.Context, name string) ([]alerting.RuleResult, bool, error) {
	return v.m().Tiers(ctx, name)
}

// Trigger wakes the leader's alerting after an engine cycle.
func (v *alertsView) Trigger() {
	if m, leading := v.current(); leading {
		m.Trigger()
	}
}

// Firing lists the firing alerts for /metrics: the leader's own, or on a
// follower those the store has as firing.
func (v *alertsView) Firing() []alerting.FiringAlert {
	m, leading := v.current()
	if leading {
		return m.Firing()
	}
	ctx, cancel := context.WithTimeout(context.Background(), bookkeepingTimeout)
	defer cancel()
	all, err := m.Alerts(ctx)
	if err != nil {
		return nil
	}
	var out []alerting.FiringAlert
	for _, x := range all {
		if x.State == alerting.Firing {
			out = append(out, alerting.FiringAlert{SLO: x.SLO, Severity: x.Severity})
		}
	}
	return out
}
