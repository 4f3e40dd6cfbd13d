package alerting

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/store"
)

// Alert is one alert as the API shows it.
type Alert struct {
	ID         string     `json:"id"`
	SLO        string     `json:"slo"`
	Flow       string     `json:"flow"`
	Service    string     `json:"service,omitempty"`
	Severity   Severity   `json:"severity"`
	State      State      `json:"state"`
	StartedAt  time.Time  `json:"started_at"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
	// Routes are the receivers the alert goes to: "#oncall, am".
	Routes   string `json:"routes,omitempty"`
	Silenced bool   `json:"silenced"`
	// NotifiedAt is when the last firing or repeat was recorded as due.
	NotifiedAt *time.Time `json:"notified_at,omitempty"`
	Summary    string     `json:"summary,omitempty"`
	// Deliveries are each notification's state per receiver, in order.
	Deliveries []DeliveryStatus `json:"deliveries"`
	// BurnRates of the last evaluation by window (in JSON "5m", "1h" …),
	// while firing.
	BurnRates     map[slo.Duration]float64 `json:"burn_rates,omitempty"`
	Notifications []NotificationRecord     `json:"notifications"`
}

// RecentAlerts is how long resolved alerts stay in Alerts.
const RecentAlerts = 24 * time.Hour

// Alerts lists firing alerts and those resolved in the last 24h, newest
// first, each with its notifications.
func (m *Manager) Alerts(ctx context.Context) ([]Alert, error) {
	since := m.o.Clock().Add(-RecentAlerts)
	where := "state = 'firing' OR resolved_at >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')"
	p := store.Params{"since": ms(since)}
	rows, err := loadAlerts(ctx, m.o.Store, where, p)
	if err != nil {
		return nil, err
	}
	ids := "alert_id IN (SELECT id FROM alerting_alerts FINAL WHERE " + where + ")"
	notes, err := loadNotifications(ctx, m.o.Store, ids, p)
	if err != nil {
		return nil, err
	}
	byAlert := map[string][]NotificationRecord{}
	for _, n := range notes {
		byAlert[n.AlertID] = append(byAlert[n.AlertID], n)
	}
	out0, err := loadOutbox(ctx, m.o.Store, ids, p)
	if err != nil {
		return nil, err
	}
	deliveries := map[string][]DeliveryStatus{}
	for _, r := range out0 {
		deliveries[r.alertID] = append(deliveries[r.alertID], r.status())
	}
	out := make([]Alert, 0, len(rows))
	for _, r := range rows {
		a := Alert{ID: r.id, SLO: r.slo, Flow: r.flow, Service: r.service, Severity: r.sev, State: r.state,
			StartedAt: r.started, Routes: r.channel, Silenced: r.silenced, Summary: r.summary,
			Notifications: byAlert[r.id], Deliveries: deliveries[r.id]}
		if a.Notifications == nil {
			a.Notifications = []NotificationRecord{}
		}
		if a.Deliveries == nil {
			a.Deliveries = []DeliveryStatus{}
		}
		a.ResolvedAt, a.NotifiedAt = timePtr(r.resolved), timePtr(r.notified)
		a.BurnRates = m.burnRates(r.id, key{r.slo, r.sev})
		if a.BurnRates == nil && r.state == Firing {
			a.BurnRates = m.freshBurnRates(ctx, r.slo, r.sev)
		}
		out = append(out, a)
	}
	return out, nil
}

func (m *Manager) burnRates(id string, k key) map[slo.Duration]float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.alerts[k]
	if e == nil || e.id != id {
		return nil
	}
	out := map[slo.Duration]float64{}
	for _, r := range e.t.LastVerdict.Results {
		if r.LongCounts.Total > 0 {
			out[slo.Duration(r.Long)] = r.LongBurn
		}
		if r.ShortCounts.Total > 0 {
			out[slo.Duration(r.Short)] = r.ShortBurn
		}
	}
	return out
}

// freshBurnRates are the burn rates of an alert this manager does not
// evaluate (on a server that does not lead, see internal/app): its rules
// evaluated now, as Tiers does.
func (m *Manager) freshBurnRates(ctx context.Context, name string, sev Severity) map[slo.Duration]float64 {
	results, ok, err := m.Tiers(ctx, name)
	if err != nil || !ok {
		return nil
	}
	out := map[slo.Duration]float64{}
	for _, r := range results {
		if r.Severity != sev {
			continue
		}
		if r.LongCounts.Total > 0 {
			out[slo.Duration(r.Long)] = r.LongBurn
		}
		if r.ShortCounts.Total > 0 {
			out[slo.Duration(r.Short)] = r.ShortBurn
		}
	}
	return out
}

// DeliveryStatus is one notification's state at one receiver.
type DeliveryStatus struct {
	Kind     Kind          `json:"kind"`
	Receiver string        `json:"receiver"`
	Target   string        `json:"target,omitempty"`
	State    DeliveryState `json:"state"`
	Attempts int           `json:"attempts"`
	// Error is the last try's error, or why it was not sent.
	Error       string     `json:"error,omitempty"`
	DueAt       time.Time  `json:"due_at"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
}

func (r outboxRow) status() DeliveryStatus {
	return DeliveryStatus{Kind: r.kind, Receiver: r.receiver, Target: r.target, State: r.state, Attempts: r.attempts,
		Error: r.err, DueAt: r.created, DeliveredAt: timePtr(r.delivered)}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Failures lists the notifications that failed for good (invalid_auth,
// channel_not_found …) and the latest transient errors, newest first.
func (m *Manager) Failures(ctx context.Context) ([]NotificationRecord, error) {
	return loadNotifications(ctx, m.o.Store, "status IN ('failed', 'error') AND at >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')",
		store.Params{"since": ms(m.o.Clock().Add(-7 * 24 * time.Hour))})
}

// CreateSilence validates in (an *InputError lists every problem) and
// stores the silence; it applies from the next evaluation.
func (m *Manager) CreateSilence(ctx context.Context, in SilenceInput) (Silence, error) {
	now := m.o.Clock()
	if err := ValidateSilence(in, m.o.SLOs(), now); err != nil {
		return Silence{}, err
	}
	if err := m.load(ctx); err != nil {
		return Silence{}, err
	}
	s := Silence{ID: newSilenceID(), SLO: in.SLO, Flow: in.Flow, CreatedAt: now, EndsAt: in.Until.UTC(),
		CreatedBy: strings.TrimSpace(in.CreatedBy), Comment: strings.TrimSpace(in.Comment), Active: true}
	if err := saveSilence(ctx, m.o.Store, s); err != nil {
		return Silence{}, err
	}
	m.mu.Lock()
	m.silences = append(m.silences, s)
	m.mu.Unlock()
	return s, nil
}

// Silences lists active silences and those that ended in the last 7 days.
func (m *Manager) Silences(ctx context.Context) ([]Silence, error) {
	now := m.o.Clock()
	out, err := loadSilences(ctx, m.o.Store, now.Add(-7*24*time.Hour), now)
	if out == nil && err == nil {
		out = []Silence{}
	}
	return out, err
}

// ExpireSilence ends a silence now; ErrNotFound when there is none with id.
func (m *Manager) ExpireSilence(ctx context.Context, id string) error {
	now := m.o.Clock()
	all, err := loadSilences(ctx, m.o.Store, time.Time{}, now)
	if err != nil {
		return err
	}
	for _, s := range all {
		if s.ID != id {
			continue
		}
		if s.ExpiredAt == nil {
			s.ExpiredAt = &now
			if err := saveSilence(ctx, m.o.Store, s); err != nil {
				return err
			}
		}
		m.mu.Lock()
		for i := range m.silences {
			if m.silences[i].ID == id {
				m.silences[i].ExpiredAt = &now
			}
		}
		m.mu.Unlock()
		return nil
	}
	return fmt.Errorf("silence %q: %w", id, ErrNotFound)
}

// Firing lists the SLO severities firing now, for /metrics.
func (m *Manager) Firing() []FiringAlert {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []FiringAlert
	for k, e := range m.alerts {
		if e.t.State == Firing {
			out = append(out, FiringAlert{SLO: k.slo, Severity: k.sev})
		}
	}
	return out
}

// FiringAlert names one firing alert.
type FiringAlert struct {
	SLO      string
	Severity Severity
}
