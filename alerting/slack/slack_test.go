package slack_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowslo/flowslo/alerting"
	fslack "github.com/flowslo/flowslo/alerting/slack"
	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/store"
)

// world is a manager wired to a fake Slack, the real store, a fake clock
// and counts the test switches between healthy and a total outage.
type world struct {
	t     testing.TB
	slack *fakeSlack
	st    store.Store
	slos  []*slo.SLO
	mu    sync.Mutex
	now   time.Time
	down  bool
}

func newWorld(t testing.TB, slos ...*slo.SLO) *world {
	if len(slos) == 0 {
		slos = []*slo.SLO{checkout("checkout-success")}
	}
	return &world{t: t, slack: newFakeSlack(t), st: openStore(t), slos: slos,
		now: time.Date(2026, 11, 26, 14, 2, 0, 0, time.UTC)}
}

func checkout(name string) *slo.SLO {
	return &slo.SLO{Name: name, Flow: "checkout", Service: "payments", Objective: 99.9,
		Window: slo.Window{Rolling: 30 * 24 * time.Hour}, Alerting: slo.Alerting{Page: "#oncall"}}
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

func detail(context.Context, string, time.Time) (*alerting.Detail, error) {
	left := 0.72
	return &alerting.Detail{
		TopSlice:        &alerting.SliceShare{Key: "service.version", Value: "4.2.0", Share: 0.83},
		TraceIDs:        []string{"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7b7ad2f7e4e6e4a1c", "5b8efff798038103d269b633813fc60c", "ignored"},
		BudgetRemaining: &left,
	}, nil
}

func (w *world) manager(tweak ...func(*alerting.Options)) *alerting.Manager {
	cfg := alerting.Config{Slack: alerting.SlackConfig{Token: "xoxb-test", APIURL: w.slack.url()},
		Links: alerting.Links{BaseURL: "https://flowslo.example.com"}}
	n, err := fslack.New(cfg.Slack, func(string) string { return "" })
	if err != nil {
		w.t.Fatal(err)
	}
	o := alerting.Options{Config: cfg, SLOs: func() []*slo.SLO { return w.slos }, Counts: w.counts, Detail: detail,
		Store: w.st, Notifier: n, Clock: w.clock, Backoff: alerting.Backoff{Initial: 50 * time.Millisecond}}
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

// eval runs one evaluation and waits for its notifications.
func (w *world) eval(m *alerting.Manager) {
	w.t.Helper()
	if err := m.Evaluate(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	m.Wait()
}

func TestFiringRepeatResolve(t *testing.T) {
	w := newWorld(t)
	m := w.manager()
	w.eval(m)
	if n := len(w.slack.all()); n != 0 {
		t.Fatalf("healthy SLO sent %d messages", n)
	}
	w.setDown(true)
	w.eval(m)
	calls := w.slack.all()
	if len(calls) != 1 || calls[0].Method != "chat.postMessage" || calls[0].Channel != "#oncall" || calls[0].ThreadTS != "" {
		t.Fatalf("calls %+v", calls)
	}
	first := calls[0]
	for _, want := range []string{
		"*PAGE · checkout-success* (flow checkout) is failing 100% of requests over the last 5m: 1000× the rate its 99.9% objective allows.",
		"At this rate the error budget (72% left) is gone in 31m.", // 72% of 720h at 1000×
		"1h: 167× · 5m: 1000× (alerts at 14.4×)",
		"10,000 of 60,000 in the last 1h",
		"72% of the 30d budget",
		"`service.version=4.2.0`: 83% of bad events",
		"4bf92f3577b34da6a3ce929d0e0e4736", "5b8efff798038103d269b633813fc60c",
		"https://flowslo.example.com/slos/checkout-success",
		"Firing since 14:02 UTC",
	} {
		if !strings.Contains(first.Blocks, jsonText(want)) {
			t.Errorf("message lacks %q\nblocks: %s", want, first.Blocks)
		}
	}
	if strings.Contains(first.Blocks, "ignored") {
		t.Error("more than 3 trace IDs shown")
	}
	if !strings.HasPrefix(first.Text, ":rotating_light: PAGE · checkout-success (flow checkout) is failing") {
		t.Errorf("fallback text %q", first.Text)
	}

	w.advance(15 * time.Second)
	w.eval(m)
	w.advance(3 * time.Hour)
	w.eval(m)
	if n := len(w.slack.all()); n != 1 {
		t.Fatalf("%d messages before repeat_interval", n)
	}
	w.advance(time.Hour)
	w.eval(m)
	calls = w.slack.all()
	if len(calls) != 2 || calls[1].ThreadTS != "1700000000.000001" || !strings.Contains(calls[1].Blocks, jsonText("Still firing after 4h")) {
		t.Fatalf("repeat: %+v", calls)
	}

	w.setDown(false)
	w.eval(m) // condition false from now; held for the 30m short window
	w.advance(29 * time.Minute)
	w.eval(m)
	if n := len(w.slack.all()); n != 2 {
		t.Fatalf("resolved before the hold: %v", w.slack.methods())
	}
	w.advance(time.Minute)
	w.eval(m)
	calls = w.slack.all()
	if got := w.slack.methods(); !slices.Equal(got, []string{"chat.postMessage", "chat.postMessage (thread)", "chat.update", "chat.postMessage (thread)"}) {
		t.Fatalf("calls %v", got)
	}
	if calls[2].TS != "1700000000.000001" || calls[2].Channel != "CONCALL" || !strings.Contains(calls[2].Blocks, jsonText("*RESOLVED · checkout-success* (flow checkout): the page that started 14:02 UTC ended 18:32 UTC, after 4h 30m.")) {
		t.Errorf("update %+v", calls[2])
	}
	if !strings.HasPrefix(calls[3].Text, ":white_check_mark: Resolved at 18:32 UTC after 4h 30m.") || calls[3].ThreadTS != "1700000000.000001" {
		t.Errorf("reply %+v", calls[3])
	}
	w.advance(time.Hour)
	w.eval(m)
	if n := len(w.slack.all()); n != 4 {
		t.Errorf("%d calls after resolve", n)
	}

	alerts := pages(t, m)
	if len(alerts) != 1 || alerts[0].State != alerting.Resolved || len(alerts[0].Notifications) != 3 {
		t.Fatalf("alerts %+v", alerts)
	}
	var kinds []string
	for _, n := range alerts[0].Notifications {
		kinds = append(kinds, string(n.Kind)+"/"+n.Reason+"/"+n.Status)
	}
	if !slices.Equal(kinds, []string{"resolved/resolved/sent", "repeat/repeat_interval_elapsed/sent", "firing/first_notification/sent"}) {
		t.Errorf("notifications %v", kinds)
	}
}

// jsonText is s as it appears inside a JSON string.
func jsonText(s string) string {
	r := strings.NewReplacer(`"`, `\"`, "\n", `\n`, "<", `\u003c`, ">", `\u003e`, "&", `\u0026`)
	return r.Replace(s)
}

func TestRetryAfter429(t *testing.T) {
	w := newWorld(t)
	w.slack.fail = func(method string, n int) (int, string) {
		if n == 1 {
			return http.StatusTooManyRequests, ""
		}
		return 0, ""
	}
	m := w.manager()
	w.setDown(true)
	w.eval(m)
	calls := w.slack.all()
	if got := w.slack.methods(); !slices.Equal(got, []string{"chat.postMessage:429", "chat.postMessage"}) {
		t.Fatalf("calls %v", got)
	}
	if gap := calls[1].At.Sub(calls[0].At); gap < time.Second {
		t.Errorf("retried after %v, Retry-After said 1s", gap)
	}
	w.eval(m)
	if n := len(w.slack.all()); n != 2 {
		t.Errorf("%d calls: sent twice", n)
	}
}

func TestPermanentError(t *testing.T) {
	w := newWorld(t)
	w.slack.fail = func(string, int) (int, string) { return 0, "channel_not_found" }
	m := w.manager()
	w.setDown(true)
	w.eval(m)
	for range 3 {
		w.advance(15 * time.Second)
		w.eval(m)
	}
	if got := w.slack.methods(); !slices.Equal(got, []string{"chat.postMessage:channel_not_found"}) {
		t.Fatalf("calls %v: a permanent error was retried", got)
	}
	fails, err := m.Failures(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(fails) != 1 || fails[0].Status != "failed" || !strings.Contains(fails[0].Error, "channel_not_found") || fails[0].Channel != "#oncall" {
		t.Fatalf("failures %+v", fails)
	}
	w.slack.fail = nil // someone invited the bot; tried again after repeat_interval
	w.advance(4 * time.Hour)
	w.eval(m)
	if got := w.slack.methods(); len(got) != 2 || got[1] != "chat.postMessage" {
		t.Fatalf("calls %v", got)
	}
}

func TestTransientErrorRetriedWithinDeadline(t *testing.T) {
	w := newWorld(t)
	w.slack.fail = func(_ string, n int) (int, string) {
		if n <= 2 {
			return 0, "internal_error"
		}
		return 0, ""
	}
	m := w.manager()
	w.setDown(true)
	w.eval(m)
	if got := w.slack.methods(); !slices.Equal(got, []string{"chat.postMessage:internal_error", "chat.postMessage:internal_error", "chat.postMessage"}) {
		t.Fatalf("calls %v", got)
	}
}

func TestOneMessagePerSecondPerChannel(t *testing.T) {
	var slos []*slo.SLO
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		slos = append(slos, checkout("checkout-"+n))
	}
	other := checkout("feed-latency")
	other.Alerting.Page = "#feed"
	w := newWorld(t, append(slos, other)...)
	m := w.manager()
	w.setDown(true)
	start := time.Now()
	w.eval(m)
	var oncall []time.Time
	var feed time.Time
	for _, c := range w.slack.all() {
		if c.Channel == "#oncall" {
			oncall = append(oncall, c.At)
		} else {
			feed = c.At
		}
	}
	if len(oncall) != 5 || feed.IsZero() {
		t.Fatalf("calls %v", w.slack.methods())
	}
	slices.SortFunc(oncall, func(a, b time.Time) int { return a.Compare(b) })
	for i := 1; i < len(oncall); i++ {
		if gap := oncall[i].Sub(oncall[i-1]); gap < 990*time.Millisecond {
			t.Errorf("messages %d and %d to #oncall %v apart", i-1, i, gap)
		}
	}
	if d := feed.Sub(start); d > 500*time.Millisecond {
		t.Errorf("#feed waited %v behind #oncall", d)
	}
}

func TestRestartDuringFiringPagesOnce(t *testing.T) {
	w := newWorld(t)
	a := w.manager()
	w.setDown(true)
	w.eval(a)
	a.Close()
	w.advance(15 * time.Second)
	b := w.manager() // a new process on the same store
	w.eval(b)
	w.advance(15 * time.Second)
	w.eval(b)
	if got := w.slack.methods(); !slices.Equal(got, []string{"chat.postMessage"}) {
		t.Fatalf("calls %v: want exactly one page", got)
	}
	w.setDown(false)
	w.eval(b)
	w.advance(30 * time.Minute)
	w.eval(b)
	calls := w.slack.all()
	if len(calls) != 3 || calls[1].Method != "chat.update" || calls[1].TS != "1700000000.000001" || calls[2].ThreadTS != "1700000000.000001" {
		t.Fatalf("after restart the resolve must update the first page: %+v", calls)
	}
}

func TestRestartBeforeSlackConfirmedSendsOnce(t *testing.T) {
	w := newWorld(t)
	w.slack.fail = func(string, int) (int, string) { return http.StatusServiceUnavailable, "" }
	a := w.manager(func(o *alerting.Options) { o.SendTimeout = 300 * time.Millisecond })
	w.setDown(true)
	w.eval(a) // fails with 503s until the deadline: nothing recorded as sent
	a.Close()
	w.slack.fail = nil
	b := w.manager()
	w.eval(b)
	w.eval(b)
	var sent int
	for _, c := range w.slack.all() {
		if c.Method == "chat.postMessage" {
			sent++
		}
	}
	if sent != 1 {
		t.Fatalf("calls %v: want one page after the restart", w.slack.methods())
	}
}

func TestSilence(t *testing.T) {
	w := newWorld(t)
	m := w.manager()
	ctx := context.Background()
	_, err := m.CreateSilence(ctx, alerting.SilenceInput{Flow: "nope", CreatedBy: ""})
	var ie *alerting.InputError
	if !errors.As(err, &ie) || len(ie.Problems) != 4 {
		t.Fatalf("bad input: %v", err)
	}
	s, err := m.CreateSilence(ctx, alerting.SilenceInput{Flow: "checkout", Until: w.clock().Add(2 * time.Hour),
		CreatedBy: "ana", Comment: "payments maintenance"})
	if err != nil {
		t.Fatal(err)
	}
	w.setDown(true)
	w.eval(m)
	w.advance(time.Minute)
	w.eval(m)
	if n := len(w.slack.all()); n != 0 {
		t.Fatalf("silenced alert sent %d messages", n)
	}
	alerts := pages(t, m)
	if len(alerts) != 1 || !alerts[0].Silenced || alerts[0].State != alerting.Firing ||
		len(alerts[0].Notifications) != 1 || alerts[0].Notifications[0].Status != "silenced" {
		t.Fatalf("alerts %+v", alerts)
	}
	list, err := m.Silences(ctx)
	if err != nil || len(list) != 1 || !list[0].Active || list[0].CreatedBy != "ana" {
		t.Fatalf("silences %+v %v", list, err)
	}
	if err := m.ExpireSilence(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if err := m.ExpireSilence(ctx, "nope"); !errors.Is(err, alerting.ErrNotFound) {
		t.Errorf("expire unknown: %v", err)
	}
	w.eval(m)
	if got := w.slack.methods(); !slices.Equal(got, []string{"chat.postMessage"}) {
		t.Fatalf("after expiry: %v", got)
	}
	list, _ = m.Silences(ctx)
	if len(list) != 1 || list[0].Active || list[0].ExpiredAt == nil {
		t.Errorf("expired silence %+v", list)
	}
}

// pages are the page alerts of m (the test SLOs send no tickets, which are
// recorded all the same).
func pages(t *testing.T, m *alerting.Manager) []alerting.Alert {
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

// TestFrozenWhileBackfilling: while an SLO's definition is backfilled its
// counts are partial (here: nothing yet), so a firing page neither
// resolves nor fires again as a new incident; it resolves once, when the
// outage really ends.
func TestFrozenWhileBackfilling(t *testing.T) {
	w := newWorld(t)
	var frozen bool
	m := w.manager(func(o *alerting.Options) {
		o.Frozen = func(string) bool { w.mu.Lock(); defer w.mu.Unlock(); return frozen }
	})
	w.setDown(true)
	w.eval(m)
	if got := w.slack.methods(); !slices.Equal(got, []string{"chat.postMessage"}) {
		t.Fatalf("page: %v", got)
	}
	w.mu.Lock()
	frozen = true
	w.mu.Unlock()
	w.setDown(false) // the partial counts look healthy
	for range 5 {
		w.advance(20 * time.Minute)
		w.eval(m)
	}
	if got := w.slack.methods(); !slices.Equal(got, []string{"chat.postMessage"}) {
		t.Fatalf("frozen alert changed: %v", got)
	}
	if a := pages(t, m); len(a) != 1 || a[0].State != alerting.Firing {
		t.Fatalf("frozen alert: %+v", a)
	}
	w.mu.Lock()
	frozen = false
	w.mu.Unlock()
	w.setDown(true) // the backfilled numbers: still failing, the same incident
	w.eval(m)
	if got := w.slack.methods(); !slices.Equal(got, []string{"chat.postMessage"}) {
		t.Fatalf("after the backfill: %v", got)
	}
	w.setDown(false)
	w.eval(m)
	w.advance(31 * time.Minute)
	w.eval(m)
	if got := w.slack.methods(); !slices.Equal(got, []string{"chat.postMessage", "chat.update", "chat.postMessage (thread)"}) {
		t.Fatalf("resolve: %v", got)
	}
	if a := pages(t, m); len(a) != 1 || a[0].State != alerting.Resolved {
		t.Fatalf("alerts: %+v", a)
	}
}
