package alerting_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/alerting"
	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/store"
)

var errDown = alerting.Refused(errors.New("503 service unavailable"))

func TestFiringRepeatResolve(t *testing.T) {
	w := newWorld(t)
	m := w.manager()
	w.eval(m)
	if n := len(w.recv["slack"].all()); n != 0 {
		t.Fatalf("healthy SLO sent %d messages", n)
	}
	w.setDown(true)
	w.eval(m)
	w.advance(15 * time.Second)
	w.eval(m)
	w.advance(3 * time.Hour)
	w.eval(m)
	if got := w.recv["slack"].delivered(); !slices.Equal(got, []string{"firing"}) {
		t.Fatalf("before repeat_interval: %v", got)
	}
	w.advance(time.Hour)
	w.eval(m)
	w.setDown(false)
	w.eval(m) // condition false from now; held for the 30m short window
	w.advance(29 * time.Minute)
	w.eval(m)
	if got := w.recv["slack"].delivered(); !slices.Equal(got, []string{"firing", "repeat"}) {
		t.Fatalf("resolved before the hold: %v", got)
	}
	w.advance(time.Minute)
	w.eval(m)
	w.advance(time.Hour)
	w.eval(m)
	calls := w.recv["slack"].all()
	if got := w.recv["slack"].delivered(); !slices.Equal(got, []string{"firing", "repeat", "resolved"}) {
		t.Fatalf("deliveries %v", got)
	}
	if calls[1].Ref != alerting.Ref("ref-"+calls[0].ID) || calls[2].Ref != calls[1].Ref || calls[0].Target != "#oncall" {
		t.Errorf("repeat and resolve must refer to the first message: %+v", calls)
	}
	a := pages(t, m)
	if len(a) != 1 || a[0].State != alerting.Resolved {
		t.Fatalf("alerts %+v", a)
	}
	if got := states(a[0]); !slices.Equal(got, []string{"firing slack delivered", "repeat slack delivered", "resolved slack delivered"}) {
		t.Errorf("deliveries %v", got)
	}
}

// TestFanOut: a severity routed to two receivers reaches both; one that
// fails does not hold the other.
func TestFanOut(t *testing.T) {
	w := newWorld(t, checkout("checkout-success", slo.Route{Receiver: "pd"}, slo.Route{Receiver: "slack", Channel: "#oncall"}))
	w.recv["slack"].setFail(func(*alerting.Delivery, int) error { return errDown })
	m := w.manager()
	w.setDown(true)
	w.eval(m)
	if got := w.recv["pd"].delivered(); !slices.Equal(got, []string{"firing"}) {
		t.Fatalf("pagerduty got %v while slack was down", got)
	}
	w.recv["slack"].setFail(nil)
	w.advance(15 * time.Second)
	w.eval(m)
	if got, pd := w.recv["slack"].delivered(), w.recv["pd"].delivered(); !slices.Equal(got, []string{"firing"}) || len(pd) != 1 {
		t.Fatalf("slack %v, pd %v", got, pd)
	}
}

// TestReceiverDownThenBack: a receiver down for 10 minutes while an
// incident starts and ends gets the page and the resolve once it is back,
// once each and in order, the resolve saying it is late. This fails when a
// refused try is recorded as sent.
func TestReceiverDownThenBack(t *testing.T) {
	s := checkout("checkout-success")
	s.Alerting.Windows = []slo.AlertWindow{{Severity: "page", Long: time.Hour, Short: 5 * time.Minute, Factor: 14.4}}
	w := newWorld(t, s)
	w.recv["slack"].setFail(func(*alerting.Delivery, int) error { return errDown })
	m := w.manager()
	w.setDown(true)
	w.eval(m) // fires; slack is down from now for 10 minutes
	w.advance(time.Minute)
	w.eval(m)
	w.setDown(false) // the incident ends: resolved after the 5m hold
	for range 8 {
		w.advance(time.Minute)
		w.eval(m)
	}
	if got := w.recv["slack"].delivered(); len(got) != 0 {
		t.Fatalf("delivered %v while down", got)
	}
	if a := pages(t, m); a[0].State != alerting.Resolved {
		t.Fatalf("the incident did not end during the outage: %+v", a[0])
	}
	w.recv["slack"].setFail(nil) // back after 10 minutes
	for range 3 {
		w.advance(time.Minute)
		w.eval(m)
	}
	calls := w.recv["slack"].all()
	if got := w.recv["slack"].delivered(); !slices.Equal(got, []string{"firing", "resolved"}) {
		t.Fatalf("delivered %v after %d calls", got, len(calls))
	}
	last := calls[len(calls)-1]
	if !last.Late || last.Ref != alerting.Ref("ref-"+calls[len(calls)-2].ID) {
		t.Errorf("the resolve must refer to the page and say it is late: %+v", last)
	}
	a := pages(t, m)
	if got := states(a[0]); !slices.Equal(got, []string{"firing slack delivered", "resolved slack delivered"}) {
		t.Errorf("deliveries %v", got)
	}
	if a[0].Deliveries[0].Attempts < 10 {
		t.Errorf("firing tried %d times in 10 minutes", a[0].Deliveries[0].Attempts)
	}
}

// TestUndeliverable: a notification not delivered within
// undeliverable_after is reported, not sent late; the resolve of a page
// that never arrived is skipped.
func TestUndeliverable(t *testing.T) {
	w := newWorld(t)
	w.recv["slack"].setFail(func(*alerting.Delivery, int) error { return errDown })
	m := w.manager(func(o *alerting.Options) { o.Config.UndeliverableAfter = time.Hour })
	w.setDown(true)
	w.eval(m)
	w.advance(61 * time.Minute)
	w.recv["slack"].setFail(nil)
	w.eval(m)
	w.setDown(false)
	w.eval(m)
	w.advance(31 * time.Minute)
	w.eval(m)
	w.eval(m)
	if got := w.recv["slack"].delivered(); len(got) != 0 {
		t.Fatalf("sent late: %v", got)
	}
	a := pages(t, m)
	if got := states(a[0]); !slices.Equal(got, []string{"firing slack undeliverable", "resolved slack skipped"}) {
		t.Errorf("deliveries %v", got)
	}
	fails, err := m.Failures(context.Background())
	if err != nil || len(fails) == 0 || !strings.Contains(fails[len(fails)-1].Error, "503") {
		t.Errorf("failures %+v %v", fails, err)
	}
}

// TestInFlightMark: while a delivery waits out a 429, the next
// evaluation does not start it again. This fails without the lane's busy
// mark.
func TestInFlightMark(t *testing.T) {
	w := newWorld(t)
	r := w.recv["slack"]
	r.seen = make(chan call, 10)
	r.setFail(func(_ *alerting.Delivery, n int) error {
		if n == 1 {
			return alerting.Throttled(errors.New("429"), 300*time.Millisecond)
		}
		return nil
	})
	m := w.manager(func(o *alerting.Options) { o.SendTimeout = 5 * time.Second })
	w.setDown(true)
	if err := m.Evaluate(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-r.seen // the 429: the delivery now waits for Retry-After
	w.advance(15 * time.Second)
	if err := m.Evaluate(context.Background()); err != nil {
		t.Fatal(err)
	}
	m.Wait()
	if got := r.all(); len(got) != 2 || got[1].Err != nil {
		t.Fatalf("calls %+v: want the 429 and one retry", got)
	}
}

// TestPermanentError: a refusal for good is not retried until
// repeat_interval, and is listed among the failures.
func TestPermanentError(t *testing.T) {
	w := newWorld(t)
	w.recv["slack"].setFail(func(*alerting.Delivery, int) error { return alerting.Permanent(errors.New("channel_not_found")) })
	m := w.manager()
	w.setDown(true)
	w.eval(m)
	for range 3 {
		w.advance(15 * time.Second)
		w.eval(m)
	}
	if n := len(w.recv["slack"].all()); n != 1 {
		t.Fatalf("%d calls: a permanent error was retried", n)
	}
	fails, err := m.Failures(context.Background())
	if err != nil || len(fails) != 1 || fails[0].Status != "failed" || fails[0].Receiver != "slack" || fails[0].Channel != "#oncall" {
		t.Fatalf("failures %+v %v", fails, err)
	}
	w.recv["slack"].setFail(nil) // someone invited the bot; tried again after repeat_interval
	w.advance(4 * time.Hour)
	w.eval(m)
	if got := w.recv["slack"].delivered(); !slices.Equal(got, []string{"repeat"}) {
		t.Fatalf("after repeat_interval: %v", got)
	}
}

// TestUnknownReceiver: a route to a receiver the service config lacks is
// recorded as failed, saying what to add.
func TestUnknownReceiver(t *testing.T) {
	w := newWorld(t, checkout("checkout-success", slo.Route{Receiver: "opsgenie"}))
	m := w.manager()
	w.setDown(true)
	w.eval(m)
	a := pages(t, m)
	if len(a) != 1 || len(a[0].Deliveries) != 1 || a[0].Deliveries[0].State != alerting.Failed ||
		!strings.Contains(a[0].Deliveries[0].Error, `receiver "opsgenie" is not configured: add it to alerting.receivers`) {
		t.Fatalf("alerts %+v", a)
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
	if got := w.recv["slack"].delivered(); !slices.Equal(got, []string{"firing"}) {
		t.Fatalf("delivered %v: want exactly one page", got)
	}
	w.setDown(false)
	w.eval(b)
	w.advance(30 * time.Minute)
	w.eval(b)
	calls := w.recv["slack"].all()
	if len(calls) != 2 || calls[1].Kind != alerting.KindResolved || calls[1].Ref != alerting.Ref("ref-"+calls[0].ID) {
		t.Fatalf("after a restart the resolve must refer to the first page: %+v", calls)
	}
}

// failingStore refuses the outbox writes fail picks, as a store that
// goes away between the send and its record.
type failingStore struct {
	store.Store
	fail func(q string, p store.Params) bool
}

func (f failingStore) Exec(ctx context.Context, q string, p store.Params) error {
	if f.fail != nil && f.fail(q, p) {
		return errors.New("store unavailable")
	}
	return f.Store.Exec(ctx, q, p)
}

// TestCrashBetweenSendAndRecord: the page went out but its delivery was
// never recorded, then the process stopped. The restarted manager hands
// the receiver the same delivery marked MaybeSent, once, and records what
// the receiver found; nothing is delivered twice.
func TestCrashBetweenSendAndRecord(t *testing.T) {
	w := newWorld(t)
	fs := failingStore{Store: w.st, fail: func(q string, p store.Params) bool {
		return strings.Contains(q, "alerting_outbox") && strings.Contains(p["states"], "'delivered'")
	}}
	a := w.manager(func(o *alerting.Options) { o.Store = fs })
	w.setDown(true)
	w.eval(a)
	a.Close() // the crash: the outbox still says sending
	b := w.manager()
	w.eval(b)
	w.advance(15 * time.Second)
	w.eval(b)
	calls := w.recv["slack"].all()
	if len(calls) != 2 || calls[0].MaybeSent || !calls[1].MaybeSent || calls[1].ID != calls[0].ID {
		t.Fatalf("calls %+v: the retry after the restart must be the same delivery, marked maybe sent", calls)
	}
	if got := states(pages(t, b)[0]); !slices.Equal(got, []string{"firing slack delivered"}) {
		t.Errorf("deliveries %v", got)
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
	if n := len(w.recv["slack"].all()); n != 0 {
		t.Fatalf("silenced alert sent %d messages", n)
	}
	alerts := pages(t, m)
	if len(alerts) != 1 || !alerts[0].Silenced || alerts[0].State != alerting.Firing ||
		len(alerts[0].Notifications) != 1 || alerts[0].Notifications[0].Status != "silenced" {
		t.Fatalf("alerts %+v", alerts)
	}
	if err := m.ExpireSilence(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if err := m.ExpireSilence(ctx, "nope"); !errors.Is(err, alerting.ErrNotFound) {
		t.Errorf("expire unknown: %v", err)
	}
	w.eval(m)
	if got := w.recv["slack"].delivered(); !slices.Equal(got, []string{"firing"}) {
		t.Fatalf("after expiry: %v", got)
	}
	list, _ := m.Silences(ctx)
	if len(list) != 1 || list[0].Active || list[0].ExpiredAt == nil {
		t.Errorf("expired silence %+v", list)
	}
}

// TestOneMessagePerSecondPerChannel: five pages to #oncall go out a
// PerChannel apart (200ms here, 1s by default); #feed does not wait behind them.
func TestOneMessagePerSecondPerChannel(t *testing.T) {
	var slos []*slo.SLO
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		slos = append(slos, checkout("checkout-"+n))
	}
	slos = append(slos, checkout("feed-latency", slo.Route{Receiver: "slack", Channel: "#feed"}))
	w := newWorld(t, slos...)
	var mu = make(chan struct{}, 1)
	var at = map[string][]time.Time{}
	w.recv["slack"].setFail(func(d *alerting.Delivery, _ int) error {
		mu <- struct{}{}
		at[d.Target] = append(at[d.Target], time.Now())
		<-mu
		return nil
	})
	m := w.manager(func(o *alerting.Options) { o.SendTimeout, o.PerChannel = 10*time.Second, 200*time.Millisecond })
	w.setDown(true)
	start := time.Now()
	w.eval(m)
	oncall := at["#oncall"]
	if len(oncall) != 5 || len(at["#feed"]) != 1 {
		t.Fatalf("sends %v", at)
	}
	slices.SortFunc(oncall, func(a, b time.Time) int { return a.Compare(b) })
	for i := 1; i < len(oncall); i++ {
		if gap := oncall[i].Sub(oncall[i-1]); gap < 195*time.Millisecond {
			t.Errorf("messages %d and %d to #oncall %v apart", i-1, i, gap)
		}
	}
	// #oncall's last slot is at least 800ms after its first: #feed, which
	// waits for no slot, comes before it however loaded the machine is.
	if feed := at["#feed"][0]; !feed.Before(oncall[4]) {
		t.Errorf("#feed waited behind #oncall: sent %v after the start, #oncall's last at %v", feed.Sub(start), oncall[4].Sub(start))
	}
}

// TestFrozenWhileBackfilling: while an SLO's definition is backfilled its
// counts are partial, so a firing page neither resolves nor fires again
// as a new incident; it resolves once, when the outage really ends.
func TestFrozenWhileBackfilling(t *testing.T) {
	w := newWorld(t)
	var frozen bool
	m := w.manager(func(o *alerting.Options) {
		o.Frozen = func(string) bool { w.mu.Lock(); defer w.mu.Unlock(); return frozen }
	})
	w.setDown(true)
	w.eval(m)
	w.mu.Lock()
	frozen = true
	w.mu.Unlock()
	w.setDown(false) // the partial counts look healthy
	for range 5 {
		w.advance(20 * time.Minute)
		w.eval(m)
	}
	if got := w.recv["slack"].delivered(); !slices.Equal(got, []string{"firing"}) {
		t.Fatalf("frozen alert changed: %v", got)
	}
	w.mu.Lock()
	frozen = false
	w.mu.Unlock()
	w.setDown(true) // the backfilled numbers: still failing, the same incident
	w.eval(m)
	w.setDown(false)
	w.eval(m)
	w.advance(31 * time.Minute)
	w.eval(m)
	if got := w.recv["slack"].delivered(); !slices.Equal(got, []string{"firing", "resolved"}) {
		t.Fatalf("resolve: %v", got)
	}
}
