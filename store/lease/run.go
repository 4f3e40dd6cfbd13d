package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"
)

// NewHolder names this process: host, pid and a random part, so two
// processes never share a name, not even one restarted with the same pid.
func NewHolder() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Run campaigns until ctx ends. While this candidate holds the lease it
// runs lead with a context that is cancelled when the lease may be lost:
// at the term's deadline without a renewal (Margin before ClickHouse
// could see it expire), when a renewal finds another epoch, or when ctx
// ends. It waits for lead to return before campaigning again, and
// releases the lease when ctx ends or lead returns by itself.
func (l *Lease) Run(ctx context.Context, lead func(ctx context.Context)) {
	for ctx.Err() == nil {
		t, err := l.TryAcquire(ctx)
		if err != nil && ctx.Err() == nil {
			l.o.Logger.Warn("lease: campaign", "err", err)
		}
		if t != nil {
			l.hold(ctx, t, lead)
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(l.o.Retry):
		}
	}
}

// hold runs lead for term t and keeps t renewed until lead must stop.
func (l *Lease) hold(ctx context.Context, t *Term, lead func(ctx context.Context)) {
	l.o.Logger.Info("lease: leading", "epoch", t.Epoch, "holder", l.o.Holder)
	tctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		lead(tctx)
	}()
	held := l.keep(tctx, t, done)
	cancel()
	<-done
	l.o.Logger.Info("lease: stopped leading", "epoch", t.Epoch, "holder", l.o.Holder)
	if held {
		rctx, rcancel := context.WithTimeout(context.Background(), l.o.Margin)
		defer rcancel()
		if err := l.Release(rctx, t); err != nil {
			l.o.Logger.Warn("lease: release", "epoch", t.Epoch, "err", err)
		}
	}
}

// keep renews t every Renew (sooner after a failed renewal) until ctx ends
// or lead returns (held: the lease is still ours to release), or until t
// is lost or its deadline passes (held false).
func (l *Lease) keep(ctx context.Context, t *Term, done <-chan struct{}) (held bool) {
	wait := l.o.Renew
	for {
		timer := time.NewTimer(min(wait, time.Until(t.Deadline)))
		select {
		case <-ctx.Done():
			timer.Stop()
			return true
		case <-done:
			timer.Stop()
			return true
		case <-timer.C:
		}
		if !time.Now().Before(t.Deadline) {
			l.o.Logger.Error("lease: not renewed in time; stopping leader work before the lease can expire", "epoch", t.Epoch)
			return false
		}
		rctx, cancel := context.WithDeadline(ctx, t.Deadline)
		err := l.Renew(rctx, t)
		cancel()
		switch {
		case err == nil:
			wait = l.o.Renew
		case errors.Is(err, ErrLost):
			l.o.Logger.Error("lease: lost", "epoch", t.Epoch, "err", err)
			return false
		default:
			l.o.Logger.Warn("lease: renew failed; trying again", "epoch", t.Epoch, "err", err)
			wait = l.o.Renew / 4
		}
	}
}
