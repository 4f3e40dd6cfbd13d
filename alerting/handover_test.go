package alerting_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowslo/flowslo/alerting"
	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/lease"
)

// deadConn is a replica's connection to the store, cut when the replica
// dies: nothing it sends arrives any more.
type deadConn struct {
	store.Store
	dead atomic.Bool
}

var errDead = errors.New("the replica is dead")

func (c *deadConn) Exec(ctx context.Context, q string, p store.Params) error {
	if c.dead.Load() {
		return errDead
	}
	return c.Store.Exec(ctx, q, p)
}

func (c *deadConn) Query(ctx context.Context, q string, p store.Params) (store.Rows, error) {
	if c.dead.Load() {
		return nil, errDead
	}
	return c.Store.Query(ctx, q, p)
}

// term is one replica leading, with the manager it built for the term.
type term struct {
	replica string
	m       *alerting.Manager
}

// replica runs a candidate for the leader lease over conn; while it leads
// it has a fresh manager (as internal/app builds one per term), which the
// test drives. It returns the cancel of the replica's context.
func (w *world) replica(name string, conn store.Store, terms chan<- term, events chan<- string) context.CancelFunc {
	l, err := lease.New(conn, lease.Options{Holder: name, Duration: 1500 * time.Millisecond, Retry: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		w.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Run(ctx, func(lctx context.Context) {
			m := w.manager(func(o *alerting.Options) { o.Store = conn })
			events <- "start " + name
			terms <- term{name, m}
			<-lctx.Done()
			m.Close()
			events <- "stop " + name
		})
	}()
	w.t.Cleanup(func() { cancel(); <-done })
	return cancel
}

// TestHandOverMidIncident: two replicas under the leader lease over one
// store. The first pages; the incident ends and its resolve is recorded
// as due while Slack is down; then the leader dies (its connection cut,
// its context cancelled, nothing released). The other replica takes over
// once the lease expired, sends no second page, and delivers the resolve,
// once.
func TestHandOverMidIncident(t *testing.T) {
	w := newWorld(t)
	slack := w.recv["slack"]
	terms, events := make(chan term, 2), make(chan string, 8)
	aConn := &deadConn{Store: w.st}
	killA := w.replica("a", aConn, terms, events)
	first := <-terms
	w.replica("b", w.st, terms, events)

	w.setDown(true)
	w.eval(first.m)
	w.advance(15 * time.Second)
	w.eval(first.m)
	if got := slack.delivered(); !slices.Equal(got, []string{"firing"}) {
		t.Fatalf("before the hand-over: %v, want one page", got)
	}
	w.setDown(false)
	w.eval(first.m)
	w.advance(30 * time.Minute) // past the hold of the 30m short window
	slack.setFail(func(*alerting.Delivery, int) error { return errDown })
	w.eval(first.m)
	if a := pages(t, first.m); len(a) != 1 || a[0].State != alerting.Resolved {
		t.Fatalf("the incident did not resolve on the first leader: %+v", a)
	}

	aConn.dead.Store(true)
	killA()
	second := <-terms
	if second.replica != "b" {
		t.Fatalf("%s leads after a died", second.replica)
	}
	if got := []string{<-events, <-events, <-events}; !slices.Equal(got, []string{"start a", "stop a", "start b"}) {
		t.Fatalf("terms %v: b must start only after a stopped", got)
	}
	slack.setFail(nil)
	w.advance(15 * time.Second)
	w.eval(second.m)
	w.advance(15 * time.Second)
	w.eval(second.m)
	if got := slack.delivered(); !slices.Equal(got, []string{"firing", "resolved"}) {
		t.Fatalf("across the hand-over Slack got %v, want the page and its resolve once each", got)
	}
	a := pages(t, second.m)
	if len(a) != 1 || !slices.Equal(states(a[0]), []string{"firing slack delivered", "resolved slack delivered"}) {
		t.Fatalf("after the hand-over: %+v", a)
	}
}

// TestSilenceFromFollower: a silence created through a server that does
// not lead (its manager never evaluates) holds the leader's page.
func TestSilenceFromFollower(t *testing.T) {
	w := newWorld(t)
	leader, follower := w.manager(), w.manager()
	w.eval(leader)
	if _, err := follower.CreateSilence(context.Background(), alerting.SilenceInput{Flow: "checkout", Until: w.clock().Add(2 * time.Hour),
		CreatedBy: "alice", Comment: "maintenance"}); err != nil {
		t.Fatal(err)
	}
	w.setDown(true)
	w.eval(leader)
	if got := w.recv["slack"].delivered(); len(got) != 0 {
		t.Fatalf("the leader paged through a silence made on another server: %v", got)
	}
}
