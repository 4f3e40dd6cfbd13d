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
	// is being backfilled): its alerts keep their state, neither firing
	// nor resolving nor repeating, until Frozen returns false. Without it
	// a firing page would resolve on the partial counts and fire again as
	// a new incident when the backfill ends.
	Frozen func(slo string) bool
	Store  Store
	// Notifier sends messages; nil records alerts without sending.
	Notifier Notifier
	// Clock is the evaluation time; default time.Now.
	Clock func() time.Time
	// SendTimeout bounds one notification, retries included; default 1m.
	// A send that runs out of time is tried again at the next evaluation.
	SendTimeout time.Duration
	// PerChannel is the least time between two messages to one channel;
	// default 1s (Slack's limit).
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
	id                                    string
	slo                                   *slo.SLO
	sev                                   Severity
	t                                     tracker
	channel                               string
	ref                                   Ref
	notifiedAt, resolveNotifiedAt, failed time.Time
	silenced, silenceLogged, inFlight     bool
	summary                               string
}

// Manager evaluates every SLO's burn-rate rules, keeps alert state in the
// store and sends notifications.
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
	m := &Manager{o: o, limiter: newChannelLimiter(o.PerChannel), kick: make(chan struct{}, 1), alerts: map[key]*entry{}}
	m.base, m.stop = context.WithCancel(context.Background())
	if o.Notifier != nil {
		m.send = chain(sendStage(o.Notifier), recordStage(m), retryStage(o.Backoff), rateStage(m.limiter))
	}
	return m, nil
}

// Run evaluates every evaluation_interval, and at once after Trigger, until
// ctx ends; then it cancels sends under way (unrecorded, so they are sent
// after a restart) and waits for them.
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

// Wait blocks until the notifications under way are done.
func (m *Manager) Wait() { m.inflight.Wait() }

// Close cancels notifications under way and waits for them.
func (m *Manager) Close() {
	m.stop()
	m.inflight.Wait()
}

// Evaluate runs one evaluation at the clock's time: counts, rules, state,
// and notifications (sent in the background).
func (m *Manager) Evaluate(ctx context.Context) error {
	if err := m.load(ctx); err != nil {
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
		m.start(j)
	}
	return errors.Join(errs...)
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

// pending is a notification decided under the lock and sent outside it.
type pending struct {
	j  *job
	in msgInput
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
		*e = entry{id: alertID(s.Name, k.sev, v.At), slo: s, sev: k.sev, t: e.t, channel: channelOf(s, k.sev)}
		writes = append(writes, e.row())
	case ResolvedNow:
		writes = append(writes, e.row())
	}
	e.silenced = m.silencedAt(s, v.At)
	reason := dedup(e.dedupInput(), v.At, m.o.Config.RepeatInterval)
	if reason == SilencedNow && !e.silenceLogged {
		e.silenceLogged = true
		writes = append(writes, e.row())
		logs = append(logs, e.record(v.At, KindFiring, reason, "silenced", nil))
	}
	if reason.Send() && m.send != nil {
		e.inFlight = true
		jobs = append(jobs, m.pending(e, reason, counts))
	}
	if e.t.State == Resolved && !e.inFlight {
		delete(m.alerts, k)
	}
	return
}

func channelOf(s *slo.SLO, sev Severity) string {
	if sev == Page {
		return s.Alerting.Page
	}
	return s.Alerting.Ticket
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
	return dedupInput{State: e.t.State, Channel: e.channel, Silenced: e.silenced, InFlight: e.inFlight,
		NotifiedAt: e.notifiedAt, ResolveNotifiedAt: e.resolveNotifiedAt, FailedAt: e.failed}
}

func (e *entry) row() alertRow {
	return alertRow{id: e.id, slo: e.slo.Name, flow: e.slo.Flow, service: e.slo.Service, sev: e.sev, state: e.t.State,
		started: e.t.StartedAt, resolved: e.t.ResolvedAt, hold: e.t.Hold, channel: e.channel, ref: e.ref,
		notified: e.notifiedAt, resolveNotified: e.resolveNotifiedAt, failed: e.failed, silenced: e.silenced, summary: e.summary}
}

func (e *entry) record(at time.Time, kind Kind, reason Reason, status string, err error) NotificationRecord {
	n := NotificationRecord{At: at, AlertID: e.id, SLO: e.slo.Name, Severity: e.sev, Kind: kind, Reason: reason.String(),
		Channel: e.channel, Status: status, MessageTS: e.ref.TS}
	if err != nil {
		n.Error = err.Error()
	}
	return n
}

func (m *Manager) pending(e *entry, reason Reason, counts map[time.Duration]Counts) pending {
	in := msgInput{slo: e.slo, sev: e.sev, t: e.t, baseURL: m.o.Config.Links.BaseURL, channel: e.channel,
		ref: e.ref, location: m.o.Location}
	if c, ok := counts[e.slo.Window.Rolling]; ok && c.Total > 0 && e.slo.Window.Rolling > 0 {
		b, _ := c.BurnRate(e.slo.ErrorBudget())
		left := 1 - b
		in.budget = &left
	}
	return pending{j: &job{alertID: e.id, key: key{e.slo.Name, e.sev}, reason: reason}, in: in}
}

// start sends one notification in the background.
func (m *Manager) start(p pending) {
	m.inflight.Add(1)
	go func() {
		defer m.inflight.Done()
		ctx, cancel := context.WithTimeout(m.base, m.o.SendTimeout)
		defer cancel()
		p.in.detail = m.detail(ctx, p.in.slo.Name, p.in.t.LastVerdict.At)
		if p.j.reason.kind() == KindResolved {
			p.j.msg = resolvedMessage(p.in)
		} else {
			p.j.msg = firingMessage(p.in, p.j.reason.kind())
		}
		if err := m.send(ctx, p.j); err != nil {
			m.o.Logger.Error("alerting: notification not sent", "alert", p.j.alertID, "channel", p.j.msg.Channel,
				"kind", p.j.msg.Kind, "tries", p.j.tries, "permanent", IsPermanent(err), "err", err)
		}
	}()
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

// recordOutcome is the record stage's work: update the alert after the
// send's outcome and write both to the store.
func (m *Manager) recordOutcome(j *job, sendErr error) {
	now := m.o.Clock()
	m.mu.Lock()
	e := m.alerts[j.key]
	if e == nil || e.id != j.alertID {
		e = nil // the alert moved on meanwhile; only the log entry is written
	}
	status := "sent"
	switch {
	case sendErr != nil && IsPermanent(sendErr):
		status = "failed"
	case sendErr != nil:
		status = "error"
	}
	var row *alertRow
	var rec NotificationRecord
	if e != nil {
		e.inFlight = false
		m.applyOutcome(e, j, status, now)
		r := e.row()
		row = &r
		rec = e.record(now, j.msg.Kind, j.reason, status, sendErr)
		if e.t.State == Resolved && status != "error" {
			delete(m.alerts, j.key)
		}
	} else {
		rec = NotificationRecord{At: now, AlertID: j.alertID, SLO: j.key.slo, Severity: j.key.sev, Kind: j.msg.Kind,
			Reason: j.reason.String(), Channel: j.msg.Channel, Status: status}
	}
	m.mu.Unlock()
	rec.Text = j.msg.Text()
	if sendErr != nil {
		rec.Error = sendErr.Error()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if row != nil && status != "error" {
		if err := saveAlert(ctx, m.o.Store, *row); err != nil {
			m.o.Logger.Error("alerting: sent but not recorded: a restart may repeat this message", "alert", j.alertID, "err", err)
		}
	}
	if err := logNotification(ctx, m.o.Store, rec); err != nil {
		m.o.Logger.Error("alerting: notification log", "err", err)
	}
}

func (m *Manager) applyOutcome(e *entry, j *job, status string, now time.Time) {
	switch {
	case status == "failed":
		e.failed = now
	case status != "sent":
	case j.msg.Kind == KindFiring:
		e.ref, e.notifiedAt, e.summary = j.ref, now, j.msg.Headline
	case j.msg.Kind == KindRepeat:
		e.notifiedAt = now
	case j.msg.Kind == KindResolved:
		e.resolveNotifiedAt = now
	}
}

// load reads open alerts and silences once, before the first evaluation.
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
	sil, err := loadSilences(ctx, m.o.Store, now, now)
	if err != nil {
		return err
	}
	defs := map[string]*slo.SLO{}
	for _, s := range m.o.SLOs() {
		defs[s.Name] = s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range rows {
		k := key{r.slo, r.sev}
		if m.alerts[k] != nil {
			continue // rows are newest first
		}
		s := defs[r.slo]
		if s == nil {
			s = &slo.SLO{Name: r.slo, Flow: r.flow, Service: r.service}
		}
		m.alerts[k] = &entry{id: r.id, slo: s, sev: r.sev, channel: r.channel, ref: r.ref,
			t:          tracker{State: r.state, StartedAt: r.started, ResolvedAt: r.resolved, Hold: r.hold},
			notifiedAt: r.notified, resolveNotifiedAt: r.resolveNotified, failed: r.failed,
			silenced: r.silenced, silenceLogged: r.silenced, summary: r.summary}
	}
	m.silences = sil
	m.loaded = true
	return nil
}
