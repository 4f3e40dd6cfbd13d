package alerting

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// sender runs one delivery try; stage wraps a sender with one concern,
// Alertmanager style. The manager composes (dedup and the outbox before a
// delivery exists) → retry → rate limit → send.
type (
	sender func(ctx context.Context, d *Delivery) (Ref, error)
	stage  func(next sender) sender
)

func chain(last sender, stages ...stage) sender {
	for i := len(stages) - 1; i >= 0; i-- {
		last = stages[i](last)
	}
	return last
}

// sendStage hands the delivery to its receiver. After an answer that
// leaves open whether it arrived, later tries are told to look it up.
func sendStage(receivers map[string]Notifier) sender {
	return func(ctx context.Context, d *Delivery) (Ref, error) {
		n := receivers[d.Receiver]
		if n == nil {
			return "", Permanent(fmt.Errorf("receiver %q is not configured", d.Receiver))
		}
		ref, err := n.Notify(ctx, d)
		if ambiguous(err) {
			d.MaybeSent = true
		}
		return ref, err
	}
}

// rateStage lets at most one message a second into each receiver target;
// every try, retries included, takes a slot.
func rateStage(l *channelLimiter) stage {
	return func(next sender) sender {
		return func(ctx context.Context, d *Delivery) (Ref, error) {
			lane := d.Receiver + " " + d.Target
			if err := l.wait(ctx, lane); err != nil {
				return "", err
			}
			ref, err := next(ctx, d)
			var t *ThrottledError
			if errors.As(err, &t) {
				l.hold(lane, t.After) // the whole channel waits, not just this delivery
			}
			return ref, err
		}
	}
}

// Backoff shapes the retries of errors that are neither permanent nor
// throttling.
type Backoff struct {
	Initial time.Duration // default 1s
	Max     time.Duration // default 30s
}

// retryStage retries until success, a permanent error or the context's
// deadline: throttling waits its Retry-After, other errors back off
// exponentially.
func retryStage(b Backoff) stage {
	if b.Initial <= 0 {
		b.Initial = time.Second
	}
	if b.Max <= 0 {
		b.Max = 30 * time.Second
	}
	return func(next sender) sender {
		return func(ctx context.Context, d *Delivery) (Ref, error) {
			delay := b.Initial
			var last error // the receiver's answer outlives a deadline hit while waiting
			for {
				ref, err := next(ctx, d)
				if err == nil || IsPermanent(err) {
					return ref, err
				}
				if ctx.Err() != nil && last != nil {
					err = last
				}
				last = err
				wait := delay
				var t *ThrottledError
				if errors.As(err, &t) {
					wait = t.After
				} else {
					delay = min(2*delay, b.Max)
				}
				if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
					return "", err // no time left to wait: the next evaluation tries again
				}
				if sleep(ctx, wait) != nil {
					return "", err
				}
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// channelLimiter hands out send slots per channel, every apart. A waiter
// holds no slot while it waits: it takes one only when one is free, so a
// send that gives up (its deadline passed) leaves nothing behind, and
// waiters that give up never push the next slot further out.
type channelLimiter struct {
	every time.Duration
	now   func() time.Time
	mu    sync.Mutex
	next  map[string]time.Time
}

func newChannelLimiter(every time.Duration) *channelLimiter {
	return &channelLimiter{every: every, now: time.Now, next: map[string]time.Time{}}
}

// take claims the channel's slot if it is free and says how long to wait
// otherwise.
func (l *channelLimiter) take(channel string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if free := l.next[channel]; now.Before(free) {
		return free.Sub(now)
	}
	l.next[channel] = now.Add(l.every)
	return 0
}

func (l *channelLimiter) wait(ctx context.Context, channel string) error {
	for {
		d := l.take(channel)
		if d == 0 {
			return nil
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}

// hold keeps channel closed for d from now.
func (l *channelLimiter) hold(channel string, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := l.now().Add(d); l.next[channel].Before(until) {
		l.next[channel] = until
	}
}
