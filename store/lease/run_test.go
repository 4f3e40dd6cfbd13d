package lease_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb/chdbtest"
	"github.com/flowslo/flowslo/store/lease"
)

// cut is a store connection that can be cut, as a partition or a dead
// process would: nothing it sends arrives any more.
type cut struct {
	lease.Querier
	down atomic.Bool
}

var errCut = errors.New("connection cut")

func (c *cut) Exec(ctx context.Context, q string, p store.Params) error {
	if c.down.Load() {
		return errCut
	}
	return c.Querier.Exec(ctx, q, p)
}

func (c *cut) Query(ctx context.Context, q string, p store.Params) (store.Rows, error) {
	if c.down.Load() {
		return nil, errCut
	}
	return c.Querier.Query(ctx, q, p)
}

// event is a candidate starting or stopping its leader work, with the
// lease as the store had it at that moment.
type event struct {
	holder string
	start  bool
	st     lease.State
}

func run(t *testing.T, ctx context.Context, q lease.Querier, observer *lease.Lease, holder string, events chan<- event) {
	l := candidate(t, q, holder, 1500*time.Millisecond)
	go l.Run(ctx, func(lctx context.Context) {
		st, _ := observer.Read(context.Background())
		events <- event{holder, true, st}
		<-lctx.Done()
		st, _ = observer.Read(context.Background())
		events <- event{holder, false, st}
	})
}

// TestRunFencing: two candidates, one leads; the leader's connection is
// cut: it stops its work while its lease is still valid on ClickHouse's
// clock, and only then does the other take over, with the next epoch.
func TestRunFencing(t *testing.T) {
	st := chdbtest.Open(t)
	observer := candidate(t, st, "observer", time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan event, 8)
	a := &cut{Querier: st}
	run(t, ctx, a, observer, "a", events)
	first := <-events
	if first.holder != "a" || !first.start || first.st.Holder != "a" {
		t.Fatalf("first event %+v, want a leading", first)
	}
	run(t, ctx, st, observer, "b", events)
	a.down.Store(true)
	stop := <-events
	if stop.holder != "a" || stop.start {
		t.Fatalf("after a's connection was cut: %+v, want a to stop first", stop)
	}
	if stop.st.Expired() || stop.st.Holder != "a" {
		t.Fatalf("a stopped after its lease could expire (fencing failed): %+v", stop.st)
	}
	next := <-events
	if next.holder != "b" || !next.start || next.st.Epoch != first.st.Epoch+1 {
		t.Fatalf("after a stopped: %+v, want b leading epoch %d", next, first.st.Epoch+1)
	}
}

// TestRunReleasesOnStop: a leader whose Run ends releases the lease, and
// the other candidate leads without waiting for it to expire.
func TestRunReleasesOnStop(t *testing.T) {
	st := chdbtest.Open(t)
	observer := candidate(t, st, "observer", time.Second)
	actx, stopA := context.WithCancel(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan event, 8)
	l := candidate(t, st, "a", time.Hour)
	go l.Run(actx, func(lctx context.Context) {
		events <- event{holder: "a", start: true}
		<-lctx.Done()
	})
	<-events
	run(t, ctx, st, observer, "b", events)
	stopA()
	if next := <-events; next.holder != "b" || !next.start {
		t.Fatalf("after a stopped: %+v, want b leading", next)
	}
}
