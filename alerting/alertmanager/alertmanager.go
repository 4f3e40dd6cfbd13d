// Package alertmanager is the Alertmanager receiver of alerting: it pushes
// alerts to one or more Alertmanagers with Prometheus's own notifier
// (github.com/prometheus/prometheus/notifier), so Alertmanager's routing,
// grouping, inhibition and silences apply to flowslo's burn-rate alerts.
//
// An alert is identified by its labels (alertname, slo, flow, service,
// severity, window): sending it again is idempotent. Like Prometheus, the
// receiver re-sends firing alerts every minute with an end four minutes
// ahead (Refresh), so Alertmanager keeps them open while flowslo runs and
// resolves them by itself if flowslo stops; a resolve sends the alert with
// its end time. A delivery counts as delivered once some Alertmanager
// answered 2xx to a request carrying it.
package alertmanager

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/model"
	pconfig "github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/notifier"

	"github.com/flowslo/flowslo/alerting"
)

// Config is an alertmanager receiver: {urls: ["http://alertmanager:9093"]}.
type Config struct {
	URLs    []string      `yaml:"urls" json:"urls"`
	Timeout time.Duration `yaml:"timeout" json:"timeout,omitempty"` // per request; default 10s
	// ResendInterval is how often firing alerts are sent again; default
	// 1m, as Prometheus's resend_delay. They are sent ending 4 intervals
	// ahead.
	ResendInterval time.Duration `yaml:"resend_interval" json:"resend_interval,omitempty"`
}

// Validate reports every problem at once; at names the block.
func (c Config) Validate(at string) error {
	var errs []error
	if len(c.URLs) == 0 {
		errs = append(errs, fmt.Errorf("%s.urls is empty: write urls: [\"http://alertmanager:9093\"]", at))
	}
	for i, u := range c.URLs {
		if err := alerting.CheckURL(u); err != nil {
			errs = append(errs, fmt.Errorf("%s.urls[%d]: %v: write e.g. http://alertmanager:9093", at, i, err))
		}
	}
	return errors.Join(errs...)
}

// AlertName is the alertname label of every flowslo alert.
const AlertName = "FlowsloErrorBudgetBurn"

const (
	// deliveryAnnotation carries the delivery ID, to see which request
	// confirmed which delivery; annotations are not part of identity.
	deliveryAnnotation = "flowslo_delivery"
)

// Receiver implements alerting.Notifier and alerting.Refresher.
type Receiver struct {
	mgr    *notifier.Manager
	n      int // Alertmanagers
	resend time.Duration
	now    func() time.Time
	done   chan struct{}

	mu      sync.Mutex
	waiting map[string]*waiter
	resent  map[string]time.Time // alert → last refresh
}

// waiter is one Notify waiting for an Alertmanager to take its alert.
type waiter struct {
	ok, failed chan struct{}
	fails      int
	last       error
}

// New starts the notifier for c's Alertmanagers; Close stops it.
func New(c Config, logger *slog.Logger) (*Receiver, error) {
	r := &Receiver{n: len(c.URLs), resend: c.ResendInterval, now: time.Now, done: make(chan struct{}), waiting: map[string]*waiter{}, resent: map[string]time.Time{}}
	r.mgr = notifier.NewManager(&notifier.Options{QueueCapacity: 10000, Do: r.do}, model.UTF8Validation, logger)
	cfg, groups, err := amConfig(c)
	if err != nil {
		return nil, err
	}
	if err := r.mgr.ApplyConfig(cfg); err != nil {
		return nil, fmt.Errorf("alertmanager: %w", err)
	}
	if r.resend <= 0 {
		r.resend = time.Minute
	}
	tsets := make(chan map[string][]*targetgroup.Group, 1)
	tsets <- groups
	go func() { r.mgr.Run(tsets); close(r.done) }()
	return r, nil
}

// amConfig is one Alertmanager set per URL (each may have its own scheme
// and path) with a static target.
func amConfig(c Config) (*pconfig.Config, map[string][]*targetgroup.Group, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	cfg := &pconfig.Config{}
	groups := map[string][]*targetgroup.Group{}
	for i, raw := range c.URLs {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("alertmanager url %q: %w", raw, err)
		}
		am := pconfig.DefaultAlertmanagerConfig
		am.Scheme, am.PathPrefix, am.Timeout = u.Scheme, u.Path, model.Duration(timeout)
		cfg.AlertingConfig.AlertmanagerConfigs = append(cfg.AlertingConfig.AlertmanagerConfigs, &am)
		groups[fmt.Sprintf("config-%d", i)] = []*targetgroup.Group{{Source: raw,
			Targets: []model.LabelSet{{model.AddressLabel: model.LabelValue(u.Host)}}}}
	}
	return cfg, groups, nil
}

// Close stops the notifier.
func (r *Receiver) Close() {
	r.mgr.Stop()
	<-r.done
}

// AlertOf is d's message as a Prometheus alert, firing until until.
func AlertOf(d *alerting.Delivery, until time.Time) *notifier.Alert {
	m := d.Message
	a := &notifier.Alert{Labels: Labels(m), StartsAt: m.StartedAt, GeneratorURL: m.Link("slo")}
	ann := labels.NewBuilder(labels.EmptyLabels())
	ann.Set("summary", m.Headline())
	ann.Set("description", m.Text())
	ann.Set("burn_rates", burnRates(m))
	if m.BudgetLeft != nil {
		ann.Set("error_budget_left", fmt.Sprintf("%.4f", *m.BudgetLeft))
	}
	if m.TopSlice != nil {
		ann.Set("top_slice", fmt.Sprintf("%s=%s (%.0f%% of bad events)", m.TopSlice.Key, m.TopSlice.Value, m.TopSlice.Share*100))
	}
	for k, name := range map[string]string{"runbook": "runbook_url", "dashboard": "dashboard_url", "slo": "slo_url"} {
		if u := m.Link(k); u != "" {
			ann.Set(name, u)
		}
	}
	ann.Set(deliveryAnnotation, d.ID)
	a.Annotations = ann.Labels()
	a.EndsAt = until
	if m.Kind == alerting.KindResolved && m.ResolvedAt.Before(until) {
		a.EndsAt = m.ResolvedAt
	}
	return a
}

// Labels are the alert's identity: the same for every notification of one
// SLO severity, so Alertmanager groups, inhibits and silences on them.
func Labels(m *alerting.Message) labels.Labels {
	b := labels.NewBuilder(labels.EmptyLabels())
	b.Set(labels.AlertName, AlertName)
	b.Set("slo", m.SLO)
	b.Set("flow", m.Flow)
	if m.Service != "" {
		b.Set("service", m.Service)
	}
	b.Set("severity", string(m.Severity))
	b.Set("window", m.Window)
	return b.Labels()
}

func burnRates(m *alerting.Message) string {
	parts := make([]string, len(m.Burn))
	for i, b := range m.Burn {
		parts[i] = b.Line()
	}
	return strings.Join(parts, "; ")
}

// Notify queues d's alert and waits until an Alertmanager took it.
func (r *Receiver) Notify(ctx context.Context, d *alerting.Delivery) (alerting.Ref, error) {
	w := &waiter{ok: make(chan struct{}), failed: make(chan struct{})}
	r.mu.Lock()
	r.waiting[d.ID] = w
	if d.Message.Kind == alerting.KindResolved {
		delete(r.resent, d.Message.AlertID)
	} else {
		r.resent[d.Message.AlertID] = r.now()
	}
	r.mu.Unlock()
	defer func() { r.mu.Lock(); delete(r.waiting, d.ID); r.mu.Unlock() }()
	until := r.now().Add(4 * r.resend)
	if d.Message.Kind == alerting.KindResolved {
		until = r.now() // a resolve ends now at the latest
	}
	r.mgr.Send(AlertOf(d, until))
	select {
	case <-w.ok:
		return "", nil
	case <-w.failed:
		r.mu.Lock()
		err := w.last
		r.mu.Unlock()
		return "", alerting.Refused(err)
	case <-ctx.Done():
		r.mu.Lock()
		err := w.last
		r.mu.Unlock()
		if err != nil {
			return "", alerting.Refused(err)
		}
		return "", fmt.Errorf("alertmanager: %w", ctx.Err())
	}
}

// Refresh re-sends the firing alerts not sent for a minute.
func (r *Receiver) Refresh(_ context.Context, firing []*alerting.Delivery) {
	now := r.now()
	var out []*notifier.Alert
	r.mu.Lock()
	for _, d := range firing {
		if last, ok := r.resent[d.Message.AlertID]; !ok || now.Sub(last) >= r.resend {
			r.resent[d.Message.AlertID] = now
			out = append(out, AlertOf(d, now.Add(4*r.resend)))
		}
	}
	r.mu.Unlock()
	if len(out) > 0 {
		r.mgr.Send(out...)
	}
}

// do sends one request for the notifier and tells the waiting deliveries
// it carries how it went.
func (r *Receiver) do(ctx context.Context, client *http.Client, req *http.Request) (*http.Response, error) {
	ids := deliveriesIn(req)
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req.WithContext(ctx))
	switch {
	case err != nil:
		r.settle(ids, fmt.Errorf("alertmanager %s: %w", req.URL.Host, err))
	case resp.StatusCode/100 != 2:
		r.settle(ids, fmt.Errorf("alertmanager %s: HTTP %d", req.URL.Host, resp.StatusCode))
	default:
		r.settle(ids, nil)
	}
	return resp, err
}

func deliveriesIn(req *http.Request) []string {
	if req.GetBody == nil {
		return nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil
	}
	raw, _ := io.ReadAll(body)
	var alerts []struct {
		Annotations map[string]string `json:"annotations"`
	}
	if json.NewDecoder(bytes.NewReader(raw)).Decode(&alerts) != nil {
		return nil
	}
	ids := make([]string, 0, len(alerts))
	for _, a := range alerts {
		ids = append(ids, a.Annotations[deliveryAnnotation])
	}
	return ids
}

// settle marks ids delivered (err nil), or notes the failure: a delivery
// fails once every Alertmanager refused it.
func (r *Receiver) settle(ids []string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		w := r.waiting[id]
		if w == nil {
			continue
		}
		if err == nil {
			close(w.ok)
			delete(r.waiting, id)
			continue
		}
		w.last, w.fails = err, w.fails+1
		if w.fails == r.n {
			close(w.failed)
			delete(r.waiting, id)
		}
	}
}
