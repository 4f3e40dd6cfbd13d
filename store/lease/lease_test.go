package lease_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb/chdbtest"
	"github.com/flowslo/flowslo/store/lease"
)

func TestMain(m *testing.M) { chdbtest.Main(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func candidate(t *testing.T, q lease.Querier, holder string, d time.Duration) *lease.Lease {
	t.Helper()
	l, err := lease.New(q, lease.Options{Holder: holder, Duration: d, Retry: 20 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// untilExpired polls ClickHouse's clock until the lease as read has
// expired: expiry is judged there, so the test waits on it, not on a sleep.
func untilExpired(t *testing.T, l *lease.Lease) lease.State {
	t.Helper()
	for {
		st, err := l.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.Expired() {
			return st
		}
		time.Sleep(time.Until(time.Now().Add(st.Expires.Sub(st.Now))) + 5*time.Millisecond)
	}
}

// TestRaceOneWinner: candidates that all read the same free epoch and
// claim it at once: exactly one wins it, and every reader agrees who.
func TestRaceOneWinner(t *testing.T) {
	st := chdbtest.Open(t)
	for round := 1; round <= 3; round++ {
		const n = 6
		var wg sync.WaitGroup
		var won atomic.Int32
		winners := make(chan string, n)
		start := make(chan struct{})
		ls := make([]*lease.Lease, n)
		for i := range ls {
			ls[i] = candidate(t, st, fmt.Sprintf("r%d-c%d", round, i), time.Hour)
		}
		for _, l := range ls {
			wg.Go(func() {
				<-start
				term, err := l.TryAcquire(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				if term != nil {
					won.Add(1)
					winners <- l.Holder()
					if term.Epoch != uint64(round) {
						t.Errorf("round %d: won epoch %d", round, term.Epoch)
					}
				}
			})
		}
		close(start)
		wg.Wait()
		if won.Load() != 1 {
			t.Fatalf("round %d: %d candidates won one epoch, want exactly 1", round, won.Load())
		}
		got, err := ls[0].Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if w := <-winners; got.Holder != w || got.Epoch != uint64(round) || got.Expired() {
			t.Fatalf("round %d: the store says %+v, the winner was %s", round, got, w)
		}
		// Deduplication stored one claim of the epoch, not n.
		if c := chdbtest.CountBy(t, st, fmt.Sprintf("SELECT toString(epoch), count() FROM flowslo_lease WHERE epoch = %d AND seq = 0 GROUP BY epoch", round)); c[fmt.Sprint(round)] != 1 {
			t.Fatalf("round %d: %v claims stored, want 1", round, c)
		}
		// Free the epoch for the next round's race.
		if err := expireNow(st, got.Epoch); err != nil {
			t.Fatal(err)
		}
	}
}

// expireNow ends epoch's lease as its holder's release would.
func expireNow(q lease.Querier, epoch uint64) error {
	return q.Exec(context.Background(), `INSERT INTO flowslo_lease (name, epoch, holder, seq, expires_at)
SELECT 'flowslo', {e:UInt64}, holder, 1000000, now64(3) FROM flowslo_lease WHERE epoch = {e:UInt64} AND seq = 0`, store.Params{"e": fmt.Sprint(epoch)})
}

// TestExpiry: while the lease is valid nobody claims it;
// once it expired on ClickHouse's clock the next epoch goes to whoever
// claims, and the old holder's renewal is refused.
func TestExpiry(t *testing.T) {
	st := chdbtest.Open(t)
	a, b := candidate(t, st, "a", 600*time.Millisecond), candidate(t, st, "b", 600*time.Millisecond)
	ta, err := a.TryAcquire(context.Background())
	if err != nil || ta == nil {
		t.Fatalf("a free lease was not acquired: %v", err)
	}
	if tb, err := b.TryAcquire(context.Background()); err != nil || tb != nil {
		t.Fatalf("b took a held lease: %+v %v", tb, err)
	}
	untilExpired(t, b)
	tb, err := b.TryAcquire(context.Background())
	if err != nil || tb == nil || tb.Epoch != ta.Epoch+1 {
		t.Fatalf("b did not take the expired lease as the next epoch: %+v %v", tb, err)
	}
	ta.Deadline = time.Now().Add(time.Hour) // even a holder that thinks it has time
	if err := a.Renew(context.Background(), ta); !errors.Is(err, lease.ErrLost) {
		t.Fatalf("the old holder renewed a lease taken over: %v", err)
	}
	if got, _ := a.Read(context.Background()); got.Holder != "b" {
		t.Fatalf("lease now %+v, want b's", got)
	}
}

// TestRenewal: renewals keep the lease past its first expiry; a renewal
// after the holder's deadline does not count.
func TestRenewal(t *testing.T) {
	st := chdbtest.Open(t)
	a, b := candidate(t, st, "a", 900*time.Millisecond), candidate(t, st, "b", 900*time.Millisecond)
	ta, err := a.TryAcquire(context.Background())
	if err != nil || ta == nil {
		t.Fatalf("acquire: %v", err)
	}
	first, _ := a.Read(context.Background())
	for {
		if err := a.Renew(context.Background(), ta); err != nil {
			t.Fatalf("renew: %v", err)
		}
		now, err := b.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if now.Expired() || now.Holder != "a" {
			t.Fatalf("renewed lease reads %+v", now)
		}
		if now.Now.After(first.Expires) {
			break // past the claim's own expiry, still held
		}
		time.Sleep(200 * time.Millisecond)
	}
	if tb, err := b.TryAcquire(context.Background()); err != nil || tb != nil {
		t.Fatalf("b took a renewed lease: %+v %v", tb, err)
	}
	ta.Deadline = time.Now()
	if err := a.Renew(context.Background(), ta); !errors.Is(err, lease.ErrLost) {
		t.Fatalf("a renewal after the deadline counted: %v", err)
	}
}

// TestRelease: a released lease is free at once.
func TestRelease(t *testing.T) {
	st := chdbtest.Open(t)
	a, b := candidate(t, st, "a", time.Hour), candidate(t, st, "b", time.Hour)
	ta, _ := a.TryAcquire(context.Background())
	if ta == nil {
		t.Fatal("acquire failed")
	}
	if err := a.Release(context.Background(), ta); err != nil {
		t.Fatal(err)
	}
	if tb, err := b.TryAcquire(context.Background()); err != nil || tb == nil {
		t.Fatalf("a released lease was not free: %v", err)
	}
}
