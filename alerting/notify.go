package alerting

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Notifier is a receiver: it delivers one notification (alerting/slack,
// alerting/alertmanager, alerting/pagerduty, alerting/webhook implement
// it). Kind firing starts an incident and returns its Ref; repeat and
// resolved carry the Ref of the lane's first delivered notification (a
// Slack message to update and reply to, a PagerDuty dedup key …).
//
// A receiver must not deliver the same Delivery.ID twice: when MaybeSent
// is set an earlier attempt may have reached the other side, and the
// receiver looks it up (Slack searches the channel for the ID in the
// message metadata) or relies on an idempotent API (PagerDuty's dedup key,
// Alertmanager's labels) before sending again.
type Notifier interface {
	Notify(ctx context.Context, d *Delivery) (Ref, error)
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, d *Delivery) (Ref, error)

func (f NotifierFunc) Notify(ctx context.Context, d *Delivery) (Ref, error) { return f(ctx, d) }

// Refresher is a receiver that must hear about firing alerts again and
// again, or it resolves them by itself (Alertmanager ends an alert it has
// not heard of for resolve_timeout). The manager calls Refresh after every
// evaluation with the firing alerts routed to it whose firing notification
// was delivered; the receiver decides how often to resend.
type Refresher interface {
	Refresh(ctx context.Context, firing []*Delivery)
}

// Ref is what a receiver returns for a delivered notification, to refer to
// it later: for Slack "CHANNELID/1700000000.000100". Opaque to alerting.
type Ref string

// Delivery is one notification to one receiver and target, as the outbox
// holds it.
type Delivery struct {
	// ID is the same on every attempt: the idempotency key receivers put in
	// what they send (Slack message metadata, a webhook header).
	ID       string
	Receiver string
	// Target is where in the receiver: a Slack channel; often empty.
	Target string
	// Ref is the lane's first delivered notification, for repeats and
	// resolves; empty until one was delivered.
	Ref Ref
	// MaybeSent: an earlier attempt ended without a clear answer (a timeout
	// after sending, a crash before the outcome was recorded).
	MaybeSent bool
	// DueAt is when the notification was recorded as due.
	DueAt time.Time
	// Late is set when the notification goes out well after it was due
	// (the receiver was unreachable): receivers say so.
	Late    bool
	Message *Message

	laneDelivered bool // a firing or repeat of the lane got through
}

// PermanentError is a send that will fail again the same way (invalid_auth,
// channel_not_found, not_in_channel …): not retried, logged and recorded.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as permanent.
func Permanent(err error) error { return &PermanentError{Err: err} }

// ThrottledError is a send the other side refused for now, saying when to
// try again (HTTP 429 Retry-After).
type ThrottledError struct {
	Err   error
	After time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("throttled, retry after %s: %v", e.After, e.Err)
}
func (e *ThrottledError) Unwrap() error { return e.Err }

// Throttled marks err as a throttling refusal to retry after d.
func Throttled(err error, d time.Duration) error { return &ThrottledError{Err: err, After: d} }

// RefusedError is a send the other side answered with a refusal (HTTP
// 5xx, a Slack error code): it did not deliver, so the next attempt needs
// no look-up. Errors that are none of Permanent, Throttled and Refused
// (timeouts, a connection lost) leave the delivery maybe sent.
type RefusedError struct{ Err error }

func (e *RefusedError) Error() string { return e.Err.Error() }
func (e *RefusedError) Unwrap() error { return e.Err }

// Refused marks err as a clear refusal.
func Refused(err error) error { return &RefusedError{Err: err} }

// ambiguous reports whether err leaves open that the receiver delivered.
func ambiguous(err error) bool {
	var r *RefusedError
	var t *ThrottledError
	return err != nil && !IsPermanent(err) && !errors.As(err, &r) && !errors.As(err, &t)
}

// IsPermanent reports whether err, or an error it wraps, is permanent.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// Reason is why the dedup stage lets a notification through, or not.
type Reason int

const (
	// Reasons to send.
	FirstNotification Reason = iota + 1
	RepeatIntervalElapsed
	ResolvedNotification
	// Reasons not to.
	AlreadyNotified
	ResolvedUnnotified  // resolved before any firing message went out
	ResolvedAlreadySent // the resolve was sent already
	SilencedNow         // a silence matches; recorded, not sent
	NoRoute             // the SLO names no receiver for this severity
)

var reasonNames = map[Reason]string{
	FirstNotification: "first_notification", RepeatIntervalElapsed: "repeat_interval_elapsed",
	ResolvedNotification: "resolved", AlreadyNotified: "already_notified",
	ResolvedUnnotified: "resolved_unnotified", ResolvedAlreadySent: "resolved_already_sent",
	SilencedNow: "silenced", NoRoute: "no_route",
}

func (r Reason) String() string {
	if n, ok := reasonNames[r]; ok {
		return n
	}
	return fmt.Sprintf("reason(%d)", int(r))
}

// Send reports whether r lets a notification through.
func (r Reason) Send() bool { return r >= FirstNotification && r <= ResolvedNotification }

// Kind is what a message is for.
type Kind string

const (
	KindFiring   Kind = "firing"
	KindRepeat   Kind = "repeat"
	KindResolved Kind = "resolved"
)

// kind is the message a sending reason produces.
func (r Reason) kind() Kind {
	switch r {
	case RepeatIntervalElapsed:
		return KindRepeat
	case ResolvedNotification:
		return KindResolved
	}
	return KindFiring
}

// dedupInput is what dedup looks at: one alert's state and history.
// Notified means recorded as due in the outbox: from there delivery is the
// outbox's job, per receiver, so a receiver that is down neither holds back
// the alert's next step nor gets it twice.
type dedupInput struct {
	State             State
	Routed            bool // the severity names some receiver
	Silenced          bool
	NotifiedAt        time.Time // last firing or repeat recorded as due
	ResolveNotifiedAt time.Time
}

// dedup decides whether an alert needs a message now, and why.
func dedup(a dedupInput, now time.Time, repeat time.Duration) Reason {
	switch {
	case !a.Routed:
		return NoRoute
	case a.State == Resolved && a.NotifiedAt.IsZero():
		return ResolvedUnnotified
	case a.State == Resolved && !a.ResolveNotifiedAt.IsZero():
		return ResolvedAlreadySent
	case a.State == Resolved:
		return ResolvedNotification // sent even under a silence: it closes a message people saw
	case a.Silenced:
		return SilencedNow
	case a.NotifiedAt.IsZero():
		return FirstNotification
	case now.Sub(a.NotifiedAt) >= repeat:
		return RepeatIntervalElapsed
	}
	return AlreadyNotified
}
