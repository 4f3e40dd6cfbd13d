package ui

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/flowslo/flowslo/alerting"
	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
)

// fakeEngine is an SLOEngine of function fields; nil fields serve demo data.
type fakeEngine struct {
	status   func(ctx context.Context) ([]engine.SLOStatus, error)
	series   func(ctx context.Context, name string, from, to time.Time, step time.Duration, slice string) (engine.Series, error)
	slices   func(ctx context.Context, name string, from, to time.Time) ([]engine.SliceCount, error)
	examples func(ctx context.Context, name string, from, to time.Time, limit int) ([]engine.Example, error)
	latency  func(ctx context.Context, name string, from, to time.Time, step time.Duration) (engine.LatencySeries, error)
	missing  func(ctx context.Context, name string, from, to time.Time) ([]engine.MissingAttribute, error)
}

func (f *fakeEngine) Latency(ctx context.Context, name string, from, to time.Time, step time.Duration) (engine.LatencySeries, error) {
	if f.latency == nil {
		return engine.LatencySeries{}, fmt.Errorf("%w: %s is not a latency SLO", engine.ErrBadRequest, name)
	}
	return f.latency(ctx, name, from, to, step)
}

func (f *fakeEngine) MissingAttributes(ctx context.Context, name string, from, to time.Time) ([]engine.MissingAttribute, error) {
	if f.missing == nil {
		return []engine.MissingAttribute{}, nil
	}
	return f.missing(ctx, name, from, to)
}

func (f *fakeEngine) Status(ctx context.Context) ([]engine.SLOStatus, error) { return f.status(ctx) }

func (f *fakeEngine) StatusOf(ctx context.Context, name string) (engine.SLOStatus, error) {
	all, err := f.status(ctx)
	if err != nil {
		return engine.SLOStatus{}, err
	}
	for _, s := range all {
		if s.Name == name {
			return s, nil
		}
	}
	return engine.SLOStatus{}, engine.ErrUnknownSLO
}

func (f *fakeEngine) Series(ctx context.Context, name string, from, to time.Time, step time.Duration, slice string) (engine.Series, error) {
	return f.series(ctx, name, from, to, step, slice)
}

func (f *fakeEngine) BadBySlice(ctx context.Context, name string, from, to time.Time) ([]engine.SliceCount, error) {
	return f.slices(ctx, name, from, to)
}

func (f *fakeEngine) ExampleTraces(ctx context.Context, name string, from, to time.Time, limit int) ([]engine.Example, error) {
	return f.examples(ctx, name, from, to, limit)
}

func (f *fakeEngine) Readiness(ctx context.Context) ([]engine.FlowReadiness, error) {
	st, err := f.status(ctx)
	if err != nil {
		return nil, err
	}
	return engine.Judge(st, engine.Thresholds{}), nil
}

func (f *fakeEngine) Progress() []engine.Progress { return nil }

// fakeTelemetry is a Telemetry of function fields.
type fakeTelemetry struct {
	trace     func(ctx context.Context, id string) (Trace, error)
	endpoints func(ctx context.Context, from, to time.Time) ([]Endpoint, error)
	history   func(ctx context.Context, from, to time.Time, step time.Duration) ([]SLIHistory, error)
}

func (f *fakeTelemetry) Trace(ctx context.Context, id string) (Trace, error) { return f.trace(ctx, id) }
func (f *fakeTelemetry) Endpoints(ctx context.Context, from, to time.Time) ([]Endpoint, error) {
	return f.endpoints(ctx, from, to)
}
func (f *fakeTelemetry) SLIHistory(ctx context.Context, from, to time.Time, step time.Duration) ([]SLIHistory, error) {
	return f.history(ctx, from, to, step)
}

// fakeAlerting keeps alerts and silences in memory.
type fakeAlerting struct {
	mu       sync.Mutex
	alerts   []alerting.Alert
	silences []alerting.Silence
	slos     map[string]bool
}

func (f *fakeAlerting) Alerts(ctx context.Context) ([]alerting.Alert, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]alerting.Alert(nil), f.alerts...), nil
}

func (f *fakeAlerting) Silences(ctx context.Context) ([]alerting.Silence, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]alerting.Silence(nil), f.silences...), nil
}

func (f *fakeAlerting) CreateSilence(ctx context.Context, in alerting.SilenceInput) (alerting.Silence, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var p []string
	if in.SLO != "" && !f.slos[in.SLO] {
		p = append(p, fmt.Sprintf("no SLO is named %q", in.SLO))
	}
	if in.CreatedBy == "" {
		p = append(p, `"created_by" is missing: say who is silencing`)
	}
	if in.Comment == "" {
		p = append(p, `"comment" is missing: say why`)
	}
	if len(p) > 0 {
		return alerting.Silence{}, &alerting.InputError{Problems: p}
	}
	s := alerting.Silence{ID: "sil-" + strconv.Itoa(len(f.silences)+1), SLO: in.SLO, Flow: in.Flow, CreatedAt: time.Now(),
		EndsAt: in.Until, CreatedBy: in.CreatedBy, Comment: in.Comment, Active: true}
	f.silences = append(f.silences, s)
	return s, nil
}

func (f *fakeAlerting) ExpireSilence(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.silences {
		if f.silences[i].ID == id {
			now := time.Now()
			f.silences[i].ExpiredAt, f.silences[i].Active = &now, false
			return nil
		}
	}
	return fmt.Errorf("silence %q: %w", id, alerting.ErrNotFound)
}

func fp(f float64) *float64 { return &f }

// demo is a mobile backend's SLOs: the four flows of the design, plus
// generated ones up to n.
type demo struct {
	statuses []engine.SLOStatus
	traceID  string
	// counts are an SLO's events per window for its alert tiers; unset,
	// 1,000 events a minute at the status's burn rates.
	counts map[string]map[time.Duration]alerting.Counts
}

// tiers decides an SLO's alert tiers as the manager does (alerting.Explain
// over the default 30-day rules), on the demo's counts.
func (d *demo) tiers(_ context.Context, name string) ([]alerting.RuleResult, bool, error) {
	for _, s := range d.statuses {
		if s.Name != name {
			continue
		}
		counts := d.counts[name]
		if counts == nil {
			counts = map[time.Duration]alerting.Counts{}
			for _, w := range engine.BurnWindows {
				if b := s.BurnRates[w]; b != nil {
					total := uint64(1000 * time.Duration(w).Minutes())
					counts[time.Duration(w)] = alerting.Counts{Total: total, Good: total - uint64(math.Round(*b*(1-s.Objective/100)*float64(total)))}
				}
			}
		}
		rules := alerting.Rules{Windows: alerting.DefaultWindows, MinBadEvents: alerting.DefaultMinBadEvents}
		return alerting.Explain(rules, 1-s.Objective/100, counts, time.Now()), true, nil
	}
	return nil, false, nil
}

const xssName = `<script>alert(1)</script>`
const xssAttr = `"><img src=x onerror=alert(2)>`

func newDemo(n int) *demo {
	now := time.Now().UTC().Truncate(time.Minute)
	d := &demo{traceID: "4bf92f3577b34da6a3ce929d0e0e4736"}
	mk := func(name, flow, svc, desc string, obj float64, good, total uint64, rates map[string]float64) engine.SLOStatus {
		s := engine.SLOStatus{Name: name, Flow: flow, Service: svc, Description: desc, Objective: obj, Window: "28d",
			WindowStart: now.Add(-28 * 24 * time.Hour), Good: good, Total: total, BurnRates: map[slo.Duration]*float64{},
			Hash: "h-" + name, EvaluatedAt: now, Status: engine.StatusOK}
		if total == 0 {
			s.Status = engine.StatusNoData
			for _, w := range engine.BurnWindows {
				s.BurnRates[w] = nil
			}
			return s
		}
		budget := 1 - obj/100
		sli := float64(good) / float64(total)
		s.SLI = fp(sli)
		s.ErrorBudgetRemaining = fp(1 - (1-sli)/budget)
		for _, w := range engine.BurnWindows {
			r, ok := rates[w.String()]
			if !ok {
				r = (1 - sli) / budget
			}
			s.BurnRates[w] = fp(r)
		}
		switch {
		case *s.ErrorBudgetRemaining <= 0:
			s.Status = engine.StatusExhausted
		case *s.BurnRates[hour] >= 14.4 && *s.BurnRates[min5] >= 14.4:
			s.Status = engine.StatusBurning
		}
		return s
	}
	login := mk("login-success", "login", "auth-api", "Users can sign in", 99.5, 1_941_230, 1_950_000,
		map[string]float64{"5m": 19.2, "30m": 17.5, "1h": 16.1, "2h": 9.8, "6h": 4.2, "1d": 1.7, "3d": 0.9})
	v := "resource.attributes[\"service.version\"]"
	login.Slices = []engine.SliceStatus{
		{Slice: v, Value: "4.2.0", Good: 272_000, Total: 280_000, SLI: fp(272.0 / 280)},
		{Slice: v, Value: "4.1.3", Good: 1_669_230, Total: 1_670_000, SLI: fp(1_669_230.0 / 1_670_000)},
		{Slice: `attributes["app.platform"]`, Value: "ios", Good: 900_000, Total: 905_000, SLI: fp(0.9945)},
	}
	d.statuses = []engine.SLOStatus{
		login,
		mk("login-latency", "login", "auth-api", "Sign-in answers within 800 ms", 99, 1_940_000, 1_950_000, nil),
		mk("feed-latency", "feed", "feed-api", "The feed loads within 300 ms", 99, 8_930_000, 9_000_000, map[string]float64{"1h": 0.6, "5m": 0.4}),
		mk("checkout-success", "checkout", "payments", "Payments go through", 99.9, 399_800, 400_000, map[string]float64{"1h": 2.1, "5m": 1.2, "6h": 0.8, "30m": 1.1, "1d": 0.5}),
		mk("push-processing", "push", "notifier", "Pushes are processed within 30 s", 99, 0, 0, nil),
	}
	for i := len(d.statuses); i < n; i++ {
		flow := []string{"search", "profile", "media", "messaging"}[i%4]
		good := uint64(1_000_000 - (i*37)%900)
		d.statuses = append(d.statuses, mk(fmt.Sprintf("%s-endpoint-%03d", flow, i), flow, flow+"-svc", "", 99.9, good, 1_000_000, nil))
	}
	return d
}

func (d *demo) engine() *fakeEngine {
	return &fakeEngine{
		status: func(context.Context) ([]engine.SLOStatus, error) { return d.statuses, nil },
		series: func(_ context.Context, name string, from, to time.Time, step time.Duration, _ string) (engine.Series, error) {
			out := engine.Series{SLO: name, From: from, To: to, StepS: int64(step / time.Second)}
			for t := from.Add(step); !t.After(to); t = t.Add(step) {
				x := float64(t.Unix()%86400) / 86400
				bad := 20 + 15*math.Sin(x*2*math.Pi)
				if to.Sub(t) < 40*time.Minute {
					bad *= 12
				}
				total := uint64(10_000 * step.Minutes())
				good := total - uint64(bad*step.Minutes())
				br := (float64(total-good) / float64(total)) / 0.005
				out.Points = append(out.Points, engine.SeriesPoint{T: t, Good: good, Total: total, BurnRate: fp(br),
					SLI: fp(0.9952 - 0.001*float64(t.Sub(from))/float64(to.Sub(from))), ErrorBudgetRemaining: fp(0.35 - 0.2*float64(t.Sub(from))/float64(to.Sub(from)))})
			}
			return out, nil
		},
		slices: func(_ context.Context, name string, _, _ time.Time) ([]engine.SliceCount, error) {
			return []engine.SliceCount{
				{Slice: `resource.attributes["service.version"]`, Value: "4.2.0", Bad: 1830, Total: 41_000, SLOBad: 2200},
				{Slice: `resource.attributes["service.version"]`, Value: "4.1.3", Bad: 370, Total: 160_000, SLOBad: 2200},
				{Slice: `attributes["app.platform"]`, Value: "android", Bad: 1650, Total: 90_000, SLOBad: 2200},
				{Slice: `attributes["app.platform"]`, Value: xssName, Bad: 550, Total: 111_000, SLOBad: 2200},
				{Slice: `attributes["app.platform"]`, Value: "", Bad: 20, Total: 900, SLOBad: 2200},
			}, nil
		},
		examples: func(_ context.Context, name string, _, to time.Time, limit int) ([]engine.Example, error) {
			return []engine.Example{
				{TraceID: d.traceID, SpanID: "b2", Time: to.Add(-2 * time.Minute), Service: "auth-api", Name: "POST /v1/login", Status: "Error", Duration: 812.4,
					Why: []string{`status.code == "Error"`, "http.response.status_code >= 500 (503)"}, Version: "4.2.0", Platform: "android", StatusCode: "503", Message: "token service unavailable"},
				{TraceID: "5b8efff798038103d269b633813fc60c", SpanID: "51cd3bb9e1d3a5f2", Time: to.Add(-7 * time.Minute), Service: "auth-api", Name: xssName, Status: "Ok", Duration: 95.1,
					Why: []string{"attribute http.response.status_code missing"}, Version: "4.1.3", Platform: "ios"},
			}, nil
		},
	}
}

func (d *demo) telemetry() *fakeTelemetry {
	return &fakeTelemetry{
		trace: func(_ context.Context, id string) (Trace, error) {
			if id != d.traceID {
				return Trace{}, ErrNoTrace
			}
			t0 := time.Now().Add(-2 * time.Minute).UTC()
			sp := func(id, parent, svc, name, kind string, off, dur float64, status string, attrs map[string]string) Span {
				return Span{SpanID: id, ParentSpanID: parent, Service: svc, Name: name, Kind: kind,
					Start: t0.Add(time.Duration(off * 1e6)), DurationMs: dur, StatusCode: status, Attributes: attrs,
					Resource: map[string]string{"service.name": svc, "service.version": "4.2.0"}}
			}
			return Trace{TraceID: id, Spans: []Span{
				sp("a1", "", "mobile-app", "login tap", "Client", 0, 905, "Unset", map[string]string{"app.platform": "android"}),
				sp("b2", "a1", "auth-api", "POST /v1/login", "Server", 40, 812.4, "Error", map[string]string{"http.response.status_code": "503", "user.note": xssAttr}),
				sp("c3", "b2", "auth-api", "SELECT users", "Client", 60, 22.5, "Ok", map[string]string{"db.system": "postgresql"}),
				sp("d4", "b2", "auth-api", xssName, "Internal", 90, 3.1, "Unset", map[string]string{xssAttr: xssName}),
				sp("e5", "b2", "token-svc", "POST /token", "Client", 100, 750, "Error", map[string]string{"error.type": "timeout"}),
				sp("f6", "e5", "token-svc", "redis GET session", "Client", 110, 1.2, "Ok", nil),
			}, Logs: []LogLine{
				{Time: t0.Add(850 * time.Millisecond), SpanID: "e5", Service: "token-svc", Severity: "ERROR", Body: "upstream timeout after 750ms " + xssName, Attributes: map[string]string{"retry": "0"}},
				{Time: t0.Add(860 * time.Millisecond), SpanID: "b2", Service: "auth-api", Severity: "WARN", Body: "login failed: token service unavailable"},
			}}, nil
		},
		endpoints: func(_ context.Context, from, to time.Time) ([]Endpoint, error) {
			scale := uint64(to.Sub(from) / time.Minute)
			return []Endpoint{
				{Service: "auth-api", Name: "POST /v1/login", Requests: 1200 * scale, Errors: 95 * scale, P50Ms: 48, P95Ms: 320, P99Ms: 812},
				{Service: "feed-api", Name: "GET /v1/feed", Requests: 9000 * scale, Errors: 12 * scale, P50Ms: 85, P95Ms: 240, P99Ms: 410},
				{Service: "payments", Name: "POST /v1/checkout", Requests: 300 * scale, Errors: 4 * scale, P50Ms: 210, P95Ms: 900, P99Ms: 1900},
				{Service: "notifier", Name: "push.process", Requests: 4000 * scale, Errors: 1 * scale, P50Ms: 1200, P95Ms: 8000, P99Ms: 21000},
				{Service: "auth-api", Name: xssName, Requests: 10 * scale, Errors: 0, P50Ms: 2, P95Ms: 3, P99Ms: 5},
			}, nil
		},
		history: func(_ context.Context, from, to time.Time, step time.Duration) ([]SLIHistory, error) {
			var out []SLIHistory
			for i, s := range d.statuses {
				if s.Total == 0 {
					continue
				}
				h := SLIHistory{SLO: s.Name, Hash: s.Hash}
				for t := from; t.Before(to); t = t.Add(step) {
					k := float64(t.Sub(from)) / float64(to.Sub(from))
					bad := uint64(20 + 10*math.Sin(k*12+float64(i)))
					if s.Name == "login-success" && k > 0.8 {
						bad = uint64(40 + 400*(k-0.8))
					}
					h.Points = append(h.Points, CountPoint{T: t, Good: 10_000 - bad, Total: 10_000})
				}
				out = append(out, h)
			}
			return out, nil
		},
	}
}

func (d *demo) alerting() *fakeAlerting {
	now := time.Now().UTC()
	resolved := now.Add(-3 * time.Hour)
	f := &fakeAlerting{slos: map[string]bool{}}
	for _, s := range d.statuses {
		f.slos[s.Name] = true
	}
	f.alerts = []alerting.Alert{
		{ID: "login-success/page/1", SLO: "login-success", Flow: "login", Service: "auth-api", Severity: alerting.Page, State: alerting.Firing,
			StartedAt: now.Add(-23 * time.Minute), Routes: "#oncall-auth, pd-auth", NotifiedAt: &now,
			Deliveries: []alerting.DeliveryStatus{
				{Kind: "firing", Receiver: "slack", Target: "#oncall-auth", State: alerting.Delivered, Attempts: 1, DueAt: now.Add(-22 * time.Minute), DeliveredAt: &now},
				{Kind: "firing", Receiver: "pd-auth", State: alerting.Due, Attempts: 4, DueAt: now.Add(-22 * time.Minute), Error: "HTTP 503: upstream unavailable"}},
			Summary: "burning 16.1x over 1h; service.version=4.2.0: 83% of bad events", BurnRates: map[slo.Duration]float64{hour: 16.1, min5: 19.2},
			Notifications: []alerting.NotificationRecord{{At: now.Add(-22 * time.Minute), Kind: "firing", Reason: "first notification", Receiver: "slack", Channel: "#oncall-auth", Status: "sent"}}},
		{ID: "checkout-success/ticket/1", SLO: "checkout-success", Flow: "checkout", Service: "payments", Severity: alerting.Ticket, State: alerting.Resolved,
			StartedAt: now.Add(-9 * time.Hour), ResolvedAt: &resolved, Routes: "#payments", Deliveries: []alerting.DeliveryStatus{}, Notifications: []alerting.NotificationRecord{}},
	}
	return f
}

func newDemoServer(d *demo, withAlerting bool) *Server {
	o := Options{Addr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Gatherer: prometheus.NewRegistry(),
		Ready: func(context.Context) error { return nil }, Stats: func(context.Context) (Stats, error) { return Stats{Spans: 12_345_678}, nil },
		SLOs: d.engine(), Telemetry: d.telemetry(), Releases: d.releases(),
		AlertTiers: d.tiers,
	}
	if withAlerting {
		o.Alerting = d.alerting()
	}
	return New(o)
}

// fakeReleases serves fixed release reports, as the engine words them.
type fakeReleases struct {
	list    []engine.ReleaseInfo
	reports map[string]engine.ReleaseReport
}

func (f *fakeReleases) Releases(_ context.Context, rf engine.ReleaseFilter) ([]engine.ReleaseInfo, error) {
	var out []engine.ReleaseInfo
	for _, r := range f.list {
		if rf.Since.IsZero() || !r.LastSeen.Before(rf.Since) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakeReleases) Release(_ context.Context, v string, q engine.ReleaseQuery) (engine.ReleaseReport, error) {
	r, ok := f.reports[v]
	if !ok {
		return r, fmt.Errorf("%w %q: the SLOs' events carry 4.2.0, 4.1.3", engine.ErrUnknownRelease, v)
	}
	r.Seen = []string{}
	for _, x := range f.list {
		r.Seen = append(r.Seen, x.Version)
	}
	return r, nil
}

// releases: 4.2.0 fails checkout on Android only; 4.1.3 is ready; 4.0.9
// was last seen 9 days ago.
func (d *demo) releases() *fakeReleases {
	now := time.Now().UTC().Truncate(time.Minute)
	first := now.Add(-26 * time.Hour)
	info := func(v string, first, last time.Time, events uint64) engine.ReleaseInfo {
		return engine.ReleaseInfo{Version: v, FirstSeen: first, LastSeen: last, Events: events,
			Services: []engine.Seen{{Service: "payments", FirstSeen: first, LastSeen: last}}, SLOs: []string{"checkout-success", "login-success"}, Flows: []string{"checkout", "login"}}
	}
	var adoption []engine.AdoptionPoint
	for h := range 26 {
		adoption = append(adoption, engine.AdoptionPoint{T: first.Truncate(time.Hour).Add(time.Duration(h) * time.Hour), Share: fp(float64(h+1) / 40), Total: 10_000})
	}
	checkout := engine.ReleaseSLO{SLO: "checkout-success", Flow: "checkout", Verdict: engine.NotReady, From: first,
		Reasons: []string{"on android, 4.2.0 checkout-success is 95.00%, below its 99.90% objective (500 events)"},
		Good:    3472, Total: 3500, SLI: fp(3472.0 / 3500), Objective: 0.999, Previous: &engine.ReleaseCounts{Version: "4.1.3", Good: 2996, Total: 3000, SLI: fp(2996.0 / 3000)},
		Comparison: engine.Comparison{Enough: true, Test: "two-proportion z", P: 0.0001, Significant: true, Worse: true}, Significant: true,
		Adoption: fp(0.54), PlatformSlice: `attributes["app.platform"]`,
		Platforms: []engine.PlatformSplit{
			{Platform: "ios", Good: 2997, Total: 3000, SLI: fp(0.999), Previous: &engine.ReleaseCounts{Version: "4.1.3", Good: 1998, Total: 2000, SLI: fp(0.999)}},
			{Platform: "android", Good: 475, Total: 500, SLI: fp(0.95), Previous: &engine.ReleaseCounts{Version: "4.1.3", Good: 998, Total: 1000, SLI: fp(0.998)}, Significant: true, Worse: true},
		}}
	login := engine.ReleaseSLO{SLO: "login-success", Flow: "login", Verdict: engine.Ready, From: first,
		Reasons: []string{"4.2.0 login-success is 99.80% against its 99.50% objective, not significantly different from 4.1.3's 99.85% (p = 0.412)"},
		Good:    9980, Total: 10000, SLI: fp(0.998), Objective: 0.995, Previous: &engine.ReleaseCounts{Version: "4.1.3", Good: 9985, Total: 10000, SLI: fp(0.9985)},
		Comparison: engine.Comparison{Enough: true, Test: "two-proportion z", P: 0.412, Worse: true}, Adoption: fp(0.5), Platforms: []engine.PlatformSplit{}}
	return &fakeReleases{
		list: []engine.ReleaseInfo{info("4.2.0", first, now, 13_500), info("4.1.3", now.Add(-20*24*time.Hour), now, 80_000), info("4.0.9", now.Add(-27*24*time.Hour), now.Add(-9*24*time.Hour), 5_000)},
		reports: map[string]engine.ReleaseReport{
			"4.2.0": {Version: "4.2.0", Verdict: engine.NotReady, Reasons: append(checkout.Reasons, login.Reasons...),
				Summary:   "4.2.0 is not ready: on android, 4.2.0 checkout-success is 95.00%, below its 99.90% objective (500 events).",
				FirstSeen: first, LastSeen: now, Previous: "4.1.3", At: now, MinEvents: 100, SLOs: []engine.ReleaseSLO{checkout, login}, AdoptionSeries: adoption},
			"4.1.3": {Version: "4.1.3", Verdict: engine.Ready, Reasons: []string{"4.1.3 login-success is 99.85% against its 99.50% objective"},
				Summary:   "4.1.3 is ready: every SLO it was seen in meets its objective and it is not significantly worse than the previous release (1 SLOs).",
				FirstSeen: now.Add(-20 * 24 * time.Hour), LastSeen: now, At: now, MinEvents: 100, SLOs: []engine.ReleaseSLO{}, AdoptionSeries: []engine.AdoptionPoint{}},
		},
	}
}
