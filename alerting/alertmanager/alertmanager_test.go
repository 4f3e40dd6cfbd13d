package alertmanager_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/flowslo/flowslo/alerting"
	"github.com/flowslo/flowslo/alerting/alertmanager"
	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/store/chdb/chdbtest"
)

func TestMain(m *testing.M) { chdbtest.Main(m) }

// postableAlert is Alertmanager's API v2 PostableAlert.
type postableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
}

// amServer speaks POST /api/v2/alerts as Alertmanager does: a JSON list of
// postable alerts, each with labels (alertname among them) and valid times,
// 200 with an empty body, 400 with the reason otherwise.
type amServer struct {
	mu     sync.Mutex
	alerts []postableAlert
	got    chan postableAlert
	status int
}

func (s *amServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/api/v2/alerts" || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	var in []postableAlert
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for _, a := range in {
		if a.Labels["alertname"] == "" || (!a.EndsAt.IsZero() && a.EndsAt.Before(a.StartsAt)) {
			http.Error(w, "invalid alert", http.StatusBadRequest)
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status != 0 {
		w.WriteHeader(s.status)
		return
	}
	s.alerts = append(s.alerts, in...)
	for _, a := range in {
		s.got <- a
	}
}

type fixture struct {
	am   *amServer
	m    *alerting.Manager
	mu   sync.Mutex
	now  time.Time
	down bool
}

func newFixture(t testing.TB, resend time.Duration) *fixture {
	f := &fixture{am: &amServer{got: make(chan postableAlert, 100)}, now: time.Now().UTC()}
	srv := httptest.NewServer(f.am)
	t.Cleanup(srv.Close)
	r, err := alertmanager.New(alertmanager.Config{URLs: []string{srv.URL}, ResendInterval: resend}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	s := &slo.SLO{Name: "login-success", Flow: "login", Service: "auth-api", Objective: 99.9, Window: slo.Window{Rolling: 28 * 24 * time.Hour},
		Alerting: slo.Alerting{Page: []slo.Route{{Receiver: "am"}}, Runbook: "https://wiki.example.com/login",
			Windows: []slo.AlertWindow{{Severity: "page", Long: time.Hour, Short: 5 * time.Minute, Factor: 14.4}}}}
	f.m, err = alerting.New(alerting.Options{SLOs: func() []*slo.SLO { return []*slo.SLO{s} }, Store: chdbtest.Open(t),
		Counts: f.counts, Clock: f.clock, Receivers: map[string]alerting.Notifier{"am": r},
		SendTimeout: 500 * time.Millisecond, Backoff: alerting.Backoff{Initial: 50 * time.Millisecond}, PerChannel: time.Millisecond,
		Config: alerting.Config{Links: alerting.Links{BaseURL: "https://flowslo.example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.m.Close)
	return f
}

func (f *fixture) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }

func (f *fixture) counts(_ context.Context, windows []time.Duration, _ time.Time) (map[string]map[time.Duration]alerting.Counts, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := map[time.Duration]alerting.Counts{}
	for _, d := range windows {
		total := uint64(d/time.Minute) * 1000
		bad := uint64(0)
		if f.down {
			bad = min(total, 10000)
		}
		m[d] = alerting.Counts{Good: total - bad, Total: total}
	}
	return map[string]map[time.Duration]alerting.Counts{"login-success": m}, nil
}

func (f *fixture) set(down bool, advance time.Duration) {
	f.mu.Lock()
	f.down, f.now = down, f.now.Add(advance)
	f.mu.Unlock()
}

func (f *fixture) eval(t testing.TB) {
	if err := f.m.Evaluate(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.m.Wait()
}

// TestWire: a page reaches Alertmanager's API as an alert with flowslo's
// labels and annotations, is re-sent while it fires (or Alertmanager would
// resolve it), and is resolved with its end time. The delivery counts as
// delivered only once Alertmanager answered.
func TestWire(t *testing.T) {
	f := newFixture(t, 50*time.Millisecond)
	f.set(true, 0)
	f.eval(t)
	a := <-f.am.got
	want := map[string]string{"alertname": alertmanager.AlertName, "slo": "login-success", "flow": "login", "service": "auth-api", "severity": "page", "window": "28d"}
	for k, v := range want {
		if a.Labels[k] != v {
			t.Errorf("label %s = %q, want %q (%v)", k, a.Labels[k], v, a.Labels)
		}
	}
	if len(a.Labels) != len(want) {
		t.Errorf("labels %v: the identity must not change between sends", a.Labels)
	}
	for _, k := range []string{"summary", "description", "burn_rates", "runbook_url", "dashboard_url", "slo_url"} {
		if a.Annotations[k] == "" {
			t.Errorf("annotation %s missing: %v", k, a.Annotations)
		}
	}
	if a.GeneratorURL != "https://flowslo.example.com/slos/login-success" || !a.EndsAt.After(time.Now()) {
		t.Errorf("alert %+v", a)
	}
	time.Sleep(60 * time.Millisecond) // one resend interval
	f.eval(t)
	if again := <-f.am.got; again.Labels["slo"] != "login-success" || !again.EndsAt.After(a.EndsAt) {
		t.Errorf("resend %+v", again)
	}
	f.set(false, 0)
	f.eval(t)
	f.set(false, 6*time.Minute)
	f.eval(t)
	var resolved postableAlert
	for resolved = range f.am.got {
		if !resolved.EndsAt.After(time.Now()) {
			break
		}
	}
	if resolved.Labels["slo"] != "login-success" {
		t.Errorf("resolve %+v", resolved)
	}
	alerts, _ := f.m.Alerts(context.Background())
	for _, d := range alerts[0].Deliveries {
		if d.State != alerting.Delivered || d.Receiver != "am" {
			t.Errorf("delivery %+v", d)
		}
	}
}

// TestDownIsNotDelivered: while Alertmanager answers 503 the page stays
// due; it is delivered once Alertmanager takes it.
func TestDownIsNotDelivered(t *testing.T) {
	f := newFixture(t, time.Minute)
	f.am.status = http.StatusServiceUnavailable
	f.set(true, 0)
	f.eval(t)
	alerts, _ := f.m.Alerts(context.Background())
	if d := alerts[0].Deliveries[0]; d.State != alerting.Due || d.Error == "" {
		t.Fatalf("delivery while down %+v", d)
	}
	f.am.mu.Lock()
	f.am.status = 0
	f.am.mu.Unlock()
	f.set(true, 15*time.Second)
	f.eval(t)
	alerts, _ = f.m.Alerts(context.Background())
	if d := alerts[0].Deliveries[0]; d.State != alerting.Delivered {
		t.Fatalf("delivery after %+v", d)
	}
}

// BenchmarkPageLatency measures, with default settings, the time from the
// evaluation that finds a total outage to the alert at Alertmanager's API.
//
//	go test ./alerting/alertmanager -run '^$' -bench PageLatency -benchtime 20x
func BenchmarkPageLatency(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		f := newFixture(b, time.Minute)
		f.set(true, 0)
		b.StartTimer()
		if err := f.m.Evaluate(context.Background()); err != nil {
			b.Fatal(err)
		}
		<-f.am.got
		b.StopTimer()
		f.m.Wait()
		b.StartTimer()
	}
}
