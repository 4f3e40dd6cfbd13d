package alerting_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/flowslo/flowslo/alerting"
	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb/chdbtest"
)

func TestMain(m *testing.M) { chdbtest.Main(m) }

// call is one delivery the recording receiver got.
type call struct {
	ID        string
	Kind      alerting.Kind
	Target    string
	Ref       alerting.Ref
	MaybeSent bool
	Late      bool
	Err       error // what the receiver answered
}

// recorder is a receiver that records every delivery and answers with
// fail's error when fail is set (nil: delivered, ref "ref-<n>").
type recorder struct {
	mu    sync.Mutex
	calls []call
	fail  func(d *alerting.Delivery, n int) error
	// seen, when set, hears of every call after it is recorded.
	seen chan call
}

func (r *recorder) Notify(ctx context.Context, d *alerting.Delivery) (alerting.Ref, error) {
	r.mu.Lock()
	n := len(r.calls) + 1
	fail := r.fail
	r.mu.Unlock()
	var err error
	if fail != nil {
		err = fail(d, n)
	}
	c := call{ID: d.ID, Kind: d.Message.Kind, Target: d.Target, Ref: d.Ref, MaybeSent: d.MaybeSent, Late: d.Late, Err: err}
	r.mu.Lock()
	r.calls = append(r.calls, c)
	seen := r.seen
	r.mu.Unlock()
	if seen != nil {
		seen <- c
	}
	if err != nil {
		return "", err
	}
	return alerting.Ref("ref-" + d.ID), nil
}

func (r *recorder) setFail(f func(d *alerting.Delivery, n int) error) {
	r.mu.Lock()
	r.fail = f
	r.mu.Unlock()
}

func (r *recorder) all() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

// delivered lists the kinds the receiver accepted, in order.
func (r *recorder) delivered() []string {
	var out []string
	for _, c := range r.all() {
		if c.Err == nil {
			out = append(out, string(c.Kind))
		}
	}
	return out
}

// world is a manager wired to recording receivers, the real store, a fake
// clock and counts the test switches between healthy and a total outage.
type world struct {
	t    testing.TB
	st   store.Store
	recv map[string]*recorder
	slos []*slo.SLO
	mu   sync.Mutex
	now  time.Time
	down bool
}

func newWorld(t testing.TB, slos ...*slo.SLO) *world {
	if len(slos) == 0 {
		slos = []*slo.SLO{checkout("checkout-success")}
	}
	return &world{t: t, st: chdbtest.Open(t), slos: slos, recv: map[string]*recorder{"slack": {}, "pd": {}},
		now: time.Date(2026, 11, 26, 14, 2, 0, 0, time.UTC)}
}

func checkout(name string, routes ...slo.Route) *slo.SLO {
	if len(routes) == 0 {
		routes = []slo.Route{{Receiver: "slack", Channel: "#oncall"}}
	}
	return &slo.SLO{Name: name, Flow: "checkout", Service: "payments", Objective: 99.9,
		Window: slo.Window{Rolling: 30 * 24 * time.Hour}, Alerting: slo.Alerting{Page: routes}}
}

func (w *world) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *world) advance(d time.Duration) {
	w.mu.Lock()
	w.now = w.now.Add(d)
	w.mu.Unlock()
}

func (w *world) setDown(down bool) {
	w.mu.Lock()
	w.down = down
	w.mu.Unlock()
}

// counts: 1000 events a minute; during an outage the last 10 minutes all
// failed (5m burns at 1000×, 1h at 167×).
func (w *world) counts(_ context.Context, windows []time.Duration, _ time.Time) (map[string]map[time.Duration]alerting.Counts, error) {
	w.mu.Lock()
	down := w.down
	w.mu.Unlock()
	out := map[string]map[time.Duration]alerting.Counts{}
	for _, s := range w.slos {
		m := map[time.Duration]alerting.Counts{}
		for _, d := range windows {
			total := uint64(d/time.Minute) * 1000
			bad := uint64(0)
			if down {
				bad = min(total, 10*1000)
			}
			m[d] = alerting.Counts{Good: total - bad, Total: total}
		}
		out[s.Name] = m
	}
	return out, nil
}

func (w *world) manager(tweak ...func(*alerting.Options)) *alerting.Manager {
	recv := map[string]alerting.Notifier{}
	for name, r := range w.recv {
		recv[name] = r
	}
	o := alerting.Options{Config: alerting.Config{Links: alerting.Links{BaseURL: "https://flowslo.example.com"}},
		SLOs: func() []*slo.SLO { return w.slos }, Counts: w.counts, Store: w.st, Receivers: recv, Clock: w.clock,
		Backoff: alerting.Backoff{Initial: 5 * time.Millisecond}, SendTimeout: 50 * time.Millisecond, PerChannel: time.Millisecond}
	for _, f := range tweak {
		f(&o)
	}
	m, err := alerting.New(o)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(m.Close)
	return m
}

// eval runs one evaluation and waits for its deliveries.
func (w *world) eval(m *alerting.Manager) {
	w.t.Helper()
	if err := m.Evaluate(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	m.Wait()
}

// pages are the page alerts of m.
func pages(t testing.TB, m *alerting.Manager) []alerting.Alert {
	t.Helper()
	all, err := m.Alerts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []alerting.Alert
	for _, a := range all {
		if a.Severity == alerting.Page {
			out = append(out, a)
		}
	}
	return out
}

// states lists an alert's deliveries as "kind receiver state".
func states(a alerting.Alert) []string {
	var out []string
	for _, d := range a.Deliveries {
		out = append(out, string(d.Kind)+" "+d.Receiver+" "+string(d.State))
	}
	return out
}
