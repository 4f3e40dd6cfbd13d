package alerting

import (
	"context"
	"errors"
	"sync"
	"time"
)

// job is one notification going through the pipeline.
type job struct {
	alertID string
	key     key
	reason  Reason
	msg     *Message
	ref     Ref // set by the send stage
	tries   int
}

// sender runs a job; stage wraps a sender with one concern, Alertmanager
// style. The manager composes dedup (before a job exists) → record → retry →
// rate limit → send.
type (
	sender func(ctx context.Context, j *job) error
	stage  func(next sender) sender
)

func chain(last sender, stages ...stage) sender {
	for i := len(stages) - 1; i >= 0; i-- {
		last = stages[i](last)
	}
	return last
}

// sendStage hands the message to the notifier.
func sendStage(n Notifier) sender {
	return func(ctx context.Context, j *job) error {
		j.tries++
		ref, err := n.Notify(ctx, j.msg)
		if err == nil {
			j.ref = ref
		}
		return err
	}
}

// rateStage lets at most one message a second into each channel; every
// attempt, retries included, takes a slot.
func rateStage(l *channelLimiter) stage {
	return func(next sender) sender {
		return func(ctx context.Context, j *job) error {
			if err := l.wait(ctx, j.msg.Channel); err != nil {
				return err
			}
			err := next(ctx, j)
			var t *ThrottledError
			if errors.As(err, &t) {
				l.hold(j.msg.Channel, t.After) // the whole channel waits, not just this job
			}
			return err
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
		return func(ctx context.Context, j *job) error {
			delay := b.Initial
			for {
				err := next(ctx, j)
				if err == nil || IsPermanent(err) {
					return err
				}
				wait := delay
				var t *ThrottledError
				if errors.As(err, &t) {
					wait = t.After
				} else {
					delay = min(2*delay, b.Max)
				}
				if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
					return err // no time left to wait: the next evaluation tries again
				}
				if sleep(ctx, wait) != nil {
					return err
				}
			}
		}
	}
}

// recordStage writes the outcome after the send: the alert's notified time
// and message reference only once Slack confirmed, so a restart neither
// loses nor repeats a message.
func recordStage(m *Manager) stage {
	return func(next sender) sender {
		return func(ctx context.Context, j *job) error {
			err := next(ctx, j)
			m.recordOutcome(j, err)
			return err
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

// channelLimiter hands out send slots per channel, every apart, first come
// first served.
type channelLimiter struct {
	every time.Duration
	mu    sync.Mutex
	next  map[string]time.Time
}

func newChannelLimiter(every time.Duration) *channelLimiter {
	return &channelLimiter{every: every, next: map[string]time.Time{}}
}

func (l *channelLimiter) wait(ctx context.Context, channel string) error {
	l.mu.Lock()
	now := time.Now()
	slot := l.next[channel]
	if slot.Before(now) {
		slot = now
	}
	l.next[channel] = slot.Add(l.every)
	l.mu.Unlock()
	return sleep(ctx, time.Until(slot))
}

// hold keeps channel closed for d from now.
func (l *channelLimiter) hold(channel string, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := time.Now().Add(d); l.next[channel].Before(until) {
		l.next[channel] = until
	}
}
