package alerting

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/flowslo/flowslo/slo"
)

// Options wire a Manager. SLOs, Counts and Store are required.
type Options struct {
	Config Config
	// SLOs returns the current definitions (they change on reload).
	SLOs   func() []*slo.SLO
	Counts CountsFunc
	// Detail adds the top slice, example traces and budget left; optional.
	Detail DetailFunc
	// Frozen, when set, says an SLO's numbers are partial (its definition
	// is being backfilled) or no longer counted (its rollups cannot be
	// written): its alerts keep their state, neither firing
	// nor resolving nor repeating, until Frozen returns false. Without it
	// a firing page would resolve on the partial counts and fire again as
	// a new incident when the backfill ends.
	Frozen func(slo string) bool
	Store  Store
	// Receivers by name, as SLOs route to them ("slack" for a bare
	// channel). Without any, alerts are recorded and shown, not sent; a
	// route to a name missing here is recorded as failed.
	Receivers map[string]Notifier
	// Clock is the evaluation time; default time.Now.
	Clock func() time.Time
	// SendTimeout bounds one delivery try, retries included; default 1m.
	// A delivery that runs out of time is tried again at the next
	// evaluation.
	SendTimeout time.Duration
	// PerChannel is the least time between two messages to one receiver
	// target; default 1s (Slack's limit).
	PerChannel time.Duration
	Backoff    Backoff
	// Location formats times in messages; default UTC.
	Location *time.Location
	Logger   *slog.Logger
}

type key struct {
	slo string
	sev Severity
}

// entry is one SLO severity's alert as the manager holds it.
type entry struct {
	id                            string
	slo                           *slo.SLO
	sev                           Severity
	t                             tracker
	routes                        []Route
	notifiedAt, resolveNotifiedAt time.Time // recorded as due in the outbox
	repeats                       int
	silenced, silenceLogged       bool
	summary                       string
}

// Manager evaluates every SLO's burn-rate rules, keeps alert state in the
// store, records notifications in the outbox and delivers them.
type Manager struct {
	o        Options
	send     sender
	limiter  *channelLimiter
	kick     chan struct{}
	base     context.Context
	stop     context.CancelFunc
	inflight sync.WaitGroup

	mu       sync.Mutex
	loaded   bool
	alerts   map[key]*entry
	lanes    map[laneKey]*lane
	silences []Silence
}

// New checks o and returns a Manager; Run starts it.
func New(o Options) (*Manager, error) {
	o.Config = o.Config.WithDefaults()
	if err := o.Config.Validate(); err != nil {
		return nil, err
	}
	if o.SLOs == nil || o.Counts == nil || o.Store == nil {
		return nil, errors.New("alerting: SLOs, Counts and Store are required")
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = time.Minute
	}
	if o.PerChannel <= 0 {
		o.PerChannel = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	m := &Manager{o: o, limiter: newChannelLimiter(o.PerChannel), kick: make(chan struct{}, 1),
		alerts: map[key]*entry{}, lanes: map[laneKey]*lane{}}
	m.base, m.stop = context.WithCancel(context.Background())
	m.send = chain(sendStage(o.Receivers), retryStage(o.Backoff), rateStage(m.limiter))
	return m, nil
}

// Run evaluates every evaluation_interval, and at once after Trigger, until
// ctx ends; then it cancels deliveries under way (they stay due in the
// outbox and go out after a restart) and waits for them.
func (m *Manager) Run(ctx context.Context) error {
	t := time.NewTicker(m.o.Config.EvaluationInterval)
	defer t.Stop()
	defer m.Close()
	for {
		if err := m.Evaluate(ctx); err != nil && ctx.Err() == nil {
			m.o.Logger.Warn("alerting: evaluate", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-m.kick:
		}
	}
}

// Trigger asks Run for an evaluation now, e.g. when the SLO engine has
// rolled up new data. Calls while one is pending are merged.
func (m *Manager) Trigger() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// Wait blocks until the deliveries under way are done.
func (m *Manager) Wait() { m.inflight.Wait() }

// Close cancels deliveries under way and waits for them.
func (m *Manager) Close() {
	m.stop()
	m.inflight.Wait()
}

// Evaluate runs one evaluation at the clock's time: counts, rules, state,
// notifications recorded as due, then delivered in the background.
func (m *Manager) Evaluate(ctx context.Context) error {
	if err := m.load(ctx); err != nil {
		return err
	}
	if err := m.reloadSilences(ctx); err != nil {
		return err
	}
	at := m.o.Clock()
	slos := m.o.SLOs()
	rules, windows := rulesOf(slos, at)
	counts, err := m.o.Counts(ctx, windows, at)
	if err != nil {
		return fmt.Errorf("counts: %w", err)
	}
	m.mu.Lock()
	writes, logs, jobs := m.step(slos, rules, counts, at)
	m.mu.Unlock()
	var errs []error
	for _, w := range writes {
		errs = append(errs, saveAlert(ctx, m.o.Store, w))
	}
	for _, l := range logs {
		errs = append(errs, logNotification(ctx, m.o.Store, l))
	}
	for _, j := range jobs {
		errs = append(errs, m.enqueue(ctx, j, at))
	}
	m.dispatch()
	m.refresh(ctx)
	return errors.Join(errs...)
}

// reloadSilences reads the active silences again: with several servers,
// a silence may have been created through another one's API.
func (m *Manager) reloadSilences(ctx context.Context) error {
	now := m.o.Clock()
	sil, err := loadSilences(ctx, m.o.Store, now, now)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.silences = sil
	m.mu.Unlock()
	return nil
}

// Tiers evaluates the rules of the SLO named name now, on fresh counts
// and with the decision Evaluate takes (Explain): the SLO page shows a
// tier as met only when it fires, and otherwise why not. ok is false when
// no SLO has that name.
func (m *Manager) Tiers(ctx context.Context, name string) (results []RuleResult, ok bool, err error) {
	at := m.o.Clock()
	for _, s := range m.o.SLOs() {
		if s.Name != name {
			continue
		}
		rules, windows := rulesOf([]*slo.SLO{s}, at)
		counts, err := m.o.Counts(ctx, windows, at)
		if err != nil {
			return nil, true, fmt.Errorf("counts: %w", err)
		}
		return Explain(rules[name], s.ErrorBudget(), counts[name], at), true, nil
	}
	return nil, false, nil
}

func rulesOf(slos []*slo.SLO, at time.Time) (map[string]Rules, []time.Duration) {
	rules := make(map[string]Rules, len(slos))
	need := map[time.Duration]bool{}
	for _, s := range slos {
		r := RulesFor(s, at)
		r.durations(need)
		if s.Window.Rolling > 0 {
			need[s.Window.Rolling] = true // for the budget left when Detail gives none
		}
		rules[s.Name] = r
	}
	windows := make([]time.Duration, 0, len(need))
	for d := range need {
		windows = append(windows, d)
	}
	slices.Sort(windows)
	return rules, windows
}

// pending is a notification decided under the lock and recorded outside it.
type pending struct {
	k      key
	id     string
	reason Reason
	seq    int
	routes []Route
	in     msgInput
}

// step advances every alert; m.mu is held.
func (m *Manager) step(slos []*slo.SLO, rules map[string]Rules, counts map[string]map[time.Duration]Counts, at time.Time) (writes []alertRow, logs []NotificationRecord, jobs []pending) {
	seen := map[key]bool{}
	for _, s := range slos {
		frozen := m.o.Frozen != nil && m.o.Frozen(s.Name)
		for _, sev := range Severities {
			k := key{s.Name, sev}
			seen[k] = true
			if frozen {
				continue
			}
			r := rules[s.Name]
			if !r.has(sev) && m.alerts[k] == nil {
				continue
			}
			v := evaluate(r, sev, s.ErrorBudget(), counts[s.Name], at)
			w, l, j := m.advance(k, s, v, counts[s.Name])
			writes, logs, jobs = append(writes, w...), append(logs, l...), append(jobs, j...)
		}
	}
	for k, e := range m.alerts { // SLOs removed from the set: their alerts resolve
		if !seen[k] {
			w, l, j := m.advance(k, e.slo, Verdict{At: at}, nil)
			writes, logs, jobs = append(writes, w...), append(logs, l...), append(jobs, j...)
		}
	}
	return writes, logs, jobs
}

func (m *Manager) advance(k key, s *slo.SLO, v Verdict, counts map[time.Duration]Counts) (writes []alertRow, logs []NotificationRecord, jobs []pending) {
	e := m.alerts[k]
	if e == nil {
		if !v.Firing {
			return
		}
		e = &entry{sev: k.sev}
		m.alerts[k] = e
	}
	e.slo = s
	switch e.t.step(v) {
	case Fired:
		*e = entry{id: alertID(s.Name, k.sev, v.At), slo: s, sev: k.sev, t: e.t, routes: routesOf(s, k.sev)}
		writes = append(writes, e.row())
	case ResolvedNow:
		writes = append(writes, e.row())
	}
	if e.t.State == Firing {
		e.routes = routesOf(s, k.sev) // a reload may have changed them
	}
	e.silenced = m.silencedAt(s, v.At)
	reason := dedup(e.dedupInput(), v.At, m.o.Config.RepeatInterval)
	if reason == SilencedNow && !e.silenceLogged {
		e.silenceLogged = true
		writes = append(writes, e.row())
		logs = append(logs, e.record(v.At, KindFiring, reason, "silenced"))
	}
	sending := reason.Send() && len(m.o.Receivers) > 0
	if sending {
		jobs = append(jobs, m.pending(e, reason, counts))
	}
	if e.t.State == Resolved && !sending {
		delete(m.alerts, k)
	}
	return
}

func (m *Manager) silencedAt(s *slo.SLO, t time.Time) bool {
	for _, x := range m.silences {
		if x.matches(s, t) {
			return true
		}
	}
	return false
}

func (e *entry) dedupInput() dedupInput {
	return dedupInput{State: e.t.State, Routed: len(e.routes) > 0, Silenced: e.silenced,
		NotifiedAt: e.notifiedAt, ResolveNotifiedAt: e.resolveNotifiedAt}
}

func (e *entry) row() alertRow {
	return alertRow{id: e.id, slo: e.slo.Name, flow: e.slo.Flow, service: e.slo.Service, sev: e.sev, state: e.t.State,
		started: e.t.StartedAt, resolved: e.t.ResolvedAt, hold: e.t.Hold, channel: routesText(e.routes),
		notified: e.notifiedAt, resolveNotified: e.resolveNotifiedAt, silenced: e.silenced, summary: e.summary}
}

func (e *entry) record(at time.Time, kind Kind, reason Reason, status string) NotificationRecord {
	return NotificationRecord{At: at, AlertID: e.id, SLO: e.slo.Name, Severity: e.sev, Kind: kind, Reason: reason.String(),
		Channel: routesText(e.routes), Status: status}
}

func (m *Manager) pending(e *entry, reason Reason, counts map[time.Duration]Counts) pending {
	in := msgInput{slo: e.slo, sev: e.sev, t: e.t, baseURL: m.o.Config.Links.BaseURL, location: m.o.Location}
	if c, ok := counts[e.slo.Window.Rolling]; ok && c.Total > 0 && e.slo.Window.Rolling > 0 {
		b, _ := c.BurnRate(e.slo.ErrorBudget())
		left := 1 - b
		in.budget = &left
	}
	p := pending{k: key{e.slo.Name, e.sev}, id: e.id, reason: reason, routes: slices.Clone(e.routes), in: in}
	switch reason.kind() {
	case KindRepeat:
		p.seq = e.repeats + 1
	case KindResolved:
		p.seq = resolveSeq
	}
	return p
}

// enqueue builds the message and records it as due for every route, in
// one write; only then does the alert count as notified. A failed write
// leaves the alert as it was, so the next evaluation tries again.
func (m *Manager) enqueue(ctx context.Context, p pending, at time.Time) error {
	p.in.detail = m.detail(ctx, p.in.slo.Name, p.in.t.LastVerdict.At)
	kind := p.reason.kind()
	msg := resolvedMessage(p.in)
	if kind != KindResolved {
		msg = firingMessage(p.in, kind)
	}
	msg.AlertID = p.id
	rows := make([]outboxRow, 0, len(p.routes))
	for _, r := range p.routes {
		rows = append(rows, outboxRow{id: outboxID(p.id, kind, p.seq, r), alertID: p.id, slo: p.k.slo, sev: p.k.sev,
			kind: kind, seq: p.seq, receiver: r.Receiver, target: r.Target, state: Due, created: at, msg: msg})
	}
	if err := saveOutbox(ctx, m.o.Store, rows...); err != nil {
		return fmt.Errorf("record %s notification of %s: %w", kind, p.id, err)
	}
	m.mu.Lock()
	for i := range rows {
		m.laneOf(rows[i]).items = append(m.laneOf(rows[i]).items, &rows[i])
	}
	row, ok := m.notified(p, kind, msg, at)
	m.mu.Unlock()
	if !ok {
		return nil
	}
	return saveAlert(ctx, m.o.Store, row)
}

// notified moves the alert on after its notification was recorded; m.mu
// is held.
func (m *Manager) notified(p pending, kind Kind, msg *Message, at time.Time) (alertRow, bool) {
	e := m.alerts[p.k]
	if e == nil || e.id != p.id {
		return alertRow{}, false
	}
	switch kind {
	case KindFiring:
		e.notifiedAt, e.summary = at, msg.Headline()
	case KindRepeat:
		e.notifiedAt, e.repeats = at, p.seq
	case KindResolved:
		e.resolveNotifiedAt = at
		delete(m.alerts, p.k)
	}
	return e.row(), true
}

func (m *Manager) detail(ctx context.Context, name string, at time.Time) *Detail {
	if m.o.Detail == nil {
		return nil
	}
	d, err := m.o.Detail(ctx, name, at)
	if err != nil {
		m.o.Logger.Warn("alerting: detail for message", "slo", name, "err", err)
		return nil
	}
	return d
}

// load reads open alerts, the outbox and silences once, before the first
// evaluation.
func (m *Manager) load(ctx context.Context) error {
	m.mu.Lock()
	loaded := m.loaded
	m.mu.Unlock()
	if loaded {
		return nil
	}
	now := m.o.Clock()
	rows, err := loadAlerts(ctx, m.o.Store, openAlerts, nil)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.id)
	}
	out, err := loadOutbox(ctx, m.o.Store, "alert_id IN {ids:Array(String)} OR alert_id IN (SELECT alert_id FROM alerting_outbox FINAL WHERE state IN ('due', 'sending'))",
		map[string]string{"ids": strArray(ids)})
	if err != nil {
		return err
	}
	sil, err := loadSilences(ctx, m.o.Store, now, now)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.restore(rows)
	m.restoreOutbox(out)
	m.silences = sil
	m.loaded = true
	return nil
}

// restore puts the open alerts back; m.mu is held.
func (m *Manager) restore(rows []alertRow) {
	defs := map[string]*slo.SLO{}
	for _, s := range m.o.SLOs() {
		defs[s.Name] = s
	}
	for _, r := range rows {
		k := key{r.slo, r.sev}
		if m.alerts[k] != nil {
			continue // rows are newest first
		}
		s := defs[r.slo]
		if s == nil {
			s = &slo.SLO{Name: r.slo, Flow: r.flow, Service: r.service}
		}
		m.alerts[k] = &entry{id: r.id, slo: s, sev: r.sev, routes: routesOf(s, r.sev),
			t:          tracker{State: r.state, StartedAt: r.started, ResolvedAt: r.resolved, Hold: r.hold},
			notifiedAt: r.notified, resolveNotifiedAt: r.resolveNotified,
			silenced: r.silenced, silenceLogged: r.silenced, summary: r.summary}
	}
}

// restoreOutbox rebuilds the lanes and what each alert has recorded: the
// outbox, not the alert row, says what was recorded as due (the row is
// written after it). m.mu is held.
func (m *Manager) restoreOutbox(rows []outboxRow) {
	byID := map[string]*entry{}
	for _, e := range m.alerts {
		byID[e.id] = e
	}
	for i := range rows {
		r := &rows[i]
		l := m.laneOf(*r)
		if r.state == Sending { // the process stopped during a try
			r.state, r.maybeSent = Due, true
		}
		if r.state.done() {
			l.settle(r)
		} else {
			l.items = append(l.items, r)
		}
		if e := byID[r.alertID]; e != nil {
			e.recorded(r)
		}
	}
}

// recorded notes a notification of e found in the outbox.
func (e *entry) recorded(r *outboxRow) {
	switch r.kind {
	case KindResolved:
		e.resolveNotifiedAt = later(e.resolveNotifiedAt, r.created)
	default:
		e.notifiedAt = later(e.notifiedAt, r.created)
		if r.kind == KindRepeat {
			e.repeats = max(e.repeats, r.seq)
		}
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
