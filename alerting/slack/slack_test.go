package slack_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowslo/flowslo/alerting"
	fslack "github.com/flowslo/flowslo/alerting/slack"
	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb/chdbtest"
)

// world is a manager wired to the fake Slack through the real receiver,
// the real store, a fake clock and counts the test switches between
// healthy and a total outage.
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
	return &world{t: t, slack: newFakeSlack(t), st: chdbtest.Open(t), slos: slos,
		now: time.Date(2026, 11, 26, 14, 2, 0, 0, time.UTC)}
}

func checkout(name string) *slo.SLO {
	return &slo.SLO{Name: name, Flow: "checkout", Service: "payments", Objective: 99.9,
		Window: slo.Window{Rolling: 30 * 24 * time.Hour}, Alerting: slo.Alerting{Page: []slo.Route{{Receiver: "slack", Channel: "#oncall"}}}}
}

// fast resolves 5 minutes after the outage ends: one rule, 1h and 5m.
func fast(s *slo.SLO) *slo.SLO {
	s.Alerting.Windows = []slo.AlertWindow{{Severity: "page", Long: time.Hour, Short: 5 * time.Minute, Factor: 14.4}}
	return s
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

func (w *world) receiver(c fslack.Config) alerting.Notifier {
	r, err := fslack.New(c, func(string) string { return "" })
	if err != nil || r == nil {
		w.t.Fatal(r, err)
	}
	return r
}

func (w *world) manager(tweak ...func(*alerting.Options)) *alerting.Manager {
	o := alerting.Options{Config: alerting.Config{Links: alerting.Links{BaseURL: "https://flowslo.example.com"}},
		SLOs: func() []*slo.SLO { return w.slos }, Counts: w.counts, Detail: detail, Store: w.st, Clock: w.clock,
		Receivers: map[string]alerting.Notifier{"slack": w.receiver(fslack.Config{Token: "xoxb-test", APIURL: w.slack.url()})},
		Backoff:   alerting.Backoff{Initial: 20 * time.Millisecond}, SendTimeout: 300 * time.Millisecond, PerChannel: 5 * time.Millisecond}
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

// jsonText is s as it appears inside a JSON string.
func jsonText(s string) string {
	r := strings.NewReplacer(`"`, `\"`, "\n", `\n`, "<", `\u003c`, ">", `\u003e`, "&", `\u0026`)
	return r.Replace(s)
}

// TestWire: the page, its repeat and its resolve through slack-go to
// Slack's API: Block Kit with what on-call needs, the alert key in message
// metadata, repeats and the resolve in the page's thread, the page
// updated.
func TestWire(t *testing.T) {
	w := newWorld(t)
	m := w.manager()
	w.setDown(true)
	w.eval(m)
	calls := w.slack.posted()
	if len(calls) != 1 || calls[0].Channel != "#oncall" || calls[0].ThreadTS != "" {
		t.Fatalf("calls %+v", w.slack.all())
	}
	first := calls[0]
	for _, want := range []string{
		"*PAGE · checkout-success* (flow checkout) is failing 100% of requests over the last 5m: 1000× the rate its 99.9% objective allows.",
		"At this rate the error budget (72% left) is gone in 31m.", // 72% of 720h at 1000×
		"1h: 167× · 5m: 1000× (alerts at 14.4×) :red_circle:",
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
	if !strings.Contains(first.Metadata, `"event_type":"flowslo_notification"`) || !strings.Contains(first.Metadata, "checkout-success/page/") {
		t.Errorf("metadata %q", first.Metadata)
	}
	w.advance(4 * time.Hour)
	w.eval(m)
	w.setDown(false)
	w.eval(m)
	w.advance(30 * time.Minute)
	w.eval(m)
	if got := w.slack.writes(); !slices.Equal(got, []string{"chat.postMessage", "chat.postMessage (thread)", "chat.update", "chat.postMessage (thread)"}) {
		t.Fatalf("calls %v", got)
	}
	calls = w.slack.posted()
	if calls[1].ThreadTS != "1700000000.000001" || !strings.Contains(calls[1].Blocks, jsonText("Still firing after 4h")) {
		t.Errorf("repeat %+v", calls[1])
	}
	if calls[2].TS != "1700000000.000001" || calls[2].Channel != "CONCALL" || !strings.Contains(calls[2].Blocks, jsonText("*RESOLVED · checkout-success* (flow checkout): the page that started 14:02 UTC ended 18:32 UTC, after 4h 30m.")) {
		t.Errorf("update %+v", calls[2])
	}
	if !strings.HasPrefix(calls[3].Text, ":white_check_mark: Resolved at 18:32 UTC after 4h 30m.") || calls[3].ThreadTS != "1700000000.000001" {
		t.Errorf("reply %+v", calls[3])
	}
}

func TestRetryAfter429(t *testing.T) {
	w := newWorld(t)
	w.slack.setFail(func(method string, n int) (int, string) {
		if n == 1 {
			return http.StatusTooManyRequests, ""
		}
		return 0, ""
	})
	m := w.manager(func(o *alerting.Options) { o.SendTimeout = 5 * time.Second })
	w.setDown(true)
	w.eval(m)
	calls := w.slack.all()
	if got := w.slack.writes(); !slices.Equal(got, []string{"chat.postMessage:429", "chat.postMessage"}) {
		t.Fatalf("calls %v", got)
	}
	if gap := calls[1].At.Sub(calls[0].At); gap < time.Second {
		t.Errorf("retried after %v, Retry-After said 1s", gap)
	}
	w.eval(m)
	if n := len(w.slack.posted()); n != 1 {
		t.Errorf("%d posts: sent twice", n)
	}
}

func TestPermanentError(t *testing.T) {
	w := newWorld(t)
	w.slack.setFail(func(string, int) (int, string) { return 0, "channel_not_found" })
	m := w.manager()
	w.setDown(true)
	for range 3 {
		w.eval(m)
		w.advance(15 * time.Second)
	}
	if got := w.slack.writes(); !slices.Equal(got, []string{"chat.postMessage:channel_not_found"}) {
		t.Fatalf("calls %v: a permanent error was retried", got)
	}
	fails, err := m.Failures(context.Background())
	if err != nil || len(fails) != 1 || fails[0].Status != "failed" || !strings.Contains(fails[0].Error, "channel_not_found") {
		t.Fatalf("failures %+v %v", fails, err)
	}
}

// TestSlackDown10Minutes: Slack answers 503 for 10 minutes while an
// incident starts and ends. Once it is back, the page is posted once, then
// updated as resolved, and the thread says it resolved while Slack was
// unreachable. Before, every try that met the 503 was retried until the
// deadline and then given up for good.
func TestSlackDown10Minutes(t *testing.T) {
	w := newWorld(t, fast(checkout("checkout-success")))
	m := w.manager()
	w.slack.down(true)
	w.setDown(true)
	w.eval(m)
	w.advance(time.Minute)
	w.eval(m)
	w.setDown(false)
	for range 8 {
		w.advance(time.Minute)
		w.eval(m)
	}
	if n := len(w.slack.posted()); n != 0 {
		t.Fatalf("%d messages while Slack was down", n)
	}
	w.slack.down(false)
	for range 3 {
		w.advance(time.Minute)
		w.eval(m)
	}
	calls := w.slack.posted()
	if len(calls) != 3 || calls[0].Method != "chat.postMessage" || calls[1].Method != "chat.update" || calls[2].ThreadTS != calls[1].TS {
		t.Fatalf("after Slack came back: %+v", calls)
	}
	if !strings.Contains(calls[2].Text, "resolved while Slack was unreachable") || !strings.Contains(calls[0].Blocks, "Sent late") {
		t.Errorf("the late messages do not say so: %q / %s", calls[2].Text, calls[0].Blocks)
	}
}

// TestRestartBeforeSlackConfirmedSendsOnce: every try of the first
// process meets a 503 (the fake answers a real 503 now, not a success);
// the next process sends the page once.
func TestRestartBeforeSlackConfirmedSendsOnce(t *testing.T) {
	w := newWorld(t)
	w.slack.down(true)
	a := w.manager()
	w.setDown(true)
	w.eval(a)
	a.Close()
	if n := len(w.slack.posted()); n != 0 {
		t.Fatalf("%d posts while Slack answered 503", n)
	}
	w.slack.down(false)
	b := w.manager()
	w.eval(b)
	w.eval(b)
	if got := w.slack.posted(); len(got) != 1 {
		t.Fatalf("calls %v: want one page after the restart", w.slack.writes())
	}
}

// TestTimeoutAfterSend: Slack posts the page but answers after the
// deadline. The next try finds the page in the channel's history by its
// metadata and posts nothing; the resolve then updates that page.
func TestTimeoutAfterSend(t *testing.T) {
	w := newWorld(t, fast(checkout("checkout-success")))
	w.slack.hang = func(method string, n int) bool { return method == "chat.postMessage" && n == 1 }
	m := w.manager()
	w.setDown(true)
	w.eval(m) // posted; the answer is lost
	w.advance(15 * time.Second)
	w.eval(m) // looks the page up: found
	w.advance(15 * time.Second)
	w.eval(m)
	if got := w.slack.writes(); !slices.Equal(got, []string{"chat.postMessage"}) {
		t.Fatalf("calls %v: the page was posted again", got)
	}
	var looked bool
	for _, c := range w.slack.all() {
		looked = looked || (c.Method == "conversations.history" && c.Channel == "CONCALL")
	}
	if !looked {
		t.Error("the retry did not look in the channel's history")
	}
	w.setDown(false)
	w.eval(m)
	w.advance(6 * time.Minute)
	w.eval(m)
	if got := w.slack.writes(); !slices.Equal(got, []string{"chat.postMessage", "chat.update", "chat.postMessage (thread)"}) {
		t.Fatalf("resolve: %v", got)
	}
	if c := w.slack.posted()[1]; c.TS != "1700000000.000001" {
		t.Errorf("the resolve updated %q, not the page found", c.TS)
	}
}

// failingStore refuses the outbox writes that record a delivery.
type failingStore struct{ store.Store }

func (f failingStore) Exec(ctx context.Context, q string, p store.Params) error {
	if strings.Contains(q, "alerting_outbox") && strings.Contains(p["states"], "'delivered'") {
		return errors.New("store unavailable")
	}
	return f.Store.Exec(ctx, q, p)
}

// TestCrashBetweenSendAndRecord: the page reached Slack, the record of it
// did not reach the store, and the process stopped. The next process
// finds the page in Slack and does not post it again.
func TestCrashBetweenSendAndRecord(t *testing.T) {
	w := newWorld(t)
	a := w.manager(func(o *alerting.Options) { o.Store = failingStore{w.st} })
	w.setDown(true)
	w.eval(a)
	a.Close()
	b := w.manager()
	w.eval(b)
	w.advance(15 * time.Second)
	w.eval(b)
	if got := w.slack.writes(); !slices.Equal(got, []string{"chat.postMessage"}) {
		t.Fatalf("calls %v: the page was posted again after the restart", got)
	}
	if a := pages(t, b); len(a) != 1 || len(a[0].Deliveries) != 1 || a[0].Deliveries[0].State != alerting.Delivered {
		t.Fatalf("alerts %+v", a)
	}
}

// TestUpdateFallbacks: a page that can no longer be edited (deleted, or
// past the edit window) gets the whole resolved message in its thread.
func TestUpdateFallbacks(t *testing.T) {
	for _, code := range []string{"message_not_found", "edit_window_closed"} {
		t.Run(code, func(t *testing.T) {
			w := newWorld(t, fast(checkout("checkout-success")))
			w.slack.setFail(func(method string, _ int) (int, string) {
				if method == "chat.update" {
					return 0, code
				}
				return 0, ""
			})
			m := w.manager()
			w.setDown(true)
			w.eval(m)
			w.setDown(false)
			w.eval(m)
			w.advance(6 * time.Minute)
			w.eval(m)
			if got := w.slack.writes(); !slices.Equal(got, []string{"chat.postMessage", "chat.update:" + code, "chat.postMessage (thread)"}) {
				t.Fatalf("calls %v", got)
			}
			reply := w.slack.posted()[1]
			if !strings.Contains(reply.Blocks, jsonText("*RESOLVED · checkout-success*")) {
				t.Errorf("the thread lacks the resolved message: %+v", reply)
			}
		})
	}
}

// TestWebhookMode: an incoming webhook gets every message as a new post
// (it cannot update), Block Kit included.
func TestWebhookMode(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		io.WriteString(w, "ok")
	}))
	defer hook.Close()
	w := newWorld(t, fast(checkout("checkout-success")))
	m := w.manager(func(o *alerting.Options) {
		o.Receivers = map[string]alerting.Notifier{"slack": w.receiver(fslack.Config{WebhookURL: hook.URL})}
	})
	w.setDown(true)
	w.eval(m)
	w.setDown(false)
	w.eval(m)
	w.advance(6 * time.Minute)
	w.eval(m)
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 2 || !strings.Contains(bodies[0], "*PAGE · checkout-success*") || !strings.Contains(bodies[1], "*RESOLVED · checkout-success*") ||
		!strings.Contains(bodies[0], `"blocks"`) {
		t.Fatalf("webhook got %q", bodies)
	}
}

func TestConfigValidate(t *testing.T) {
	err := fslack.Config{Token: "abc", TokenFile: "/nope", WebhookURL: "ftp://x", APIURL: "::"}.Validate("alerting.slack")
	for _, want := range []string{
		"alerting.slack: token and token_file are both set",
		"alerting.slack: webhook_url and a token are both set",
		"alerting.slack.token_file: stat /nope",
		"alerting.slack.token does not look like a Slack token",
		"alerting.slack.webhook_url",
		"alerting.slack.api_url",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
	tok, err := fslack.Config{}.ResolveToken(func(k string) string { return map[string]string{fslack.TokenEnv: " xoxb-env\n"}[k] })
	if err != nil || tok != "xoxb-env" {
		t.Errorf("token from env: %q %v", tok, err)
	}
}
