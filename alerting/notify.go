package alerting

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Notifier delivers messages; alerting/slack implements it. Kind Firing
// posts a new message and returns its Ref; Repeat replies in the thread of
// Message.Ref; ResolvedKind updates the message at Message.Ref and replies
// in its thread (a notifier that cannot update, like a webhook, posts a new
// message instead).
type Notifier interface {
	Notify(ctx context.Context, m *Message) (Ref, error)
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, m *Message) (Ref, error)

func (f NotifierFunc) Notify(ctx context.Context, m *Message) (Ref, error) { return f(ctx, m) }

// Ref names a sent message, for updates and thread replies.
type Ref struct {
	ChannelID string `json:"channel_id,omitempty"`
	TS        string `json:"ts,omitempty"`
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
	NoChannel           // the SLO names no channel for this severity
	RetryAfterPermanent // the last send failed for good; wait repeat_interval
	InFlight            // a send for this alert is under way
)

var reasonNames = map[Reason]string{
	FirstNotification: "first_notification", RepeatIntervalElapsed: "repeat_interval_elapsed",
	ResolvedNotification: "resolved", AlreadyNotified: "already_notified",
	ResolvedUnnotified: "resolved_unnotified", ResolvedAlreadySent: "resolved_already_sent",
	SilencedNow: "silenced", NoChannel: "no_channel", RetryAfterPermanent: "retry_after_permanent_error",
	InFlight: "in_flight",
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
type dedupInput struct {
	State             State
	Channel           string
	Silenced          bool
	InFlight          bool
	NotifiedAt        time.Time // last firing or repeat message confirmed
	ResolveNotifiedAt time.Time
	FailedAt          time.Time // last permanent failure
}

// dedup decides whether an alert needs a message now, and why.
func dedup(a dedupInput, now time.Time, repeat time.Duration) Reason {
	switch {
	case a.InFlight:
		return InFlight
	case a.Channel == "":
		return NoChannel
	case a.State == Resolved && a.NotifiedAt.IsZero():
		return ResolvedUnnotified
	case a.State == Resolved && !a.ResolveNotifiedAt.IsZero():
		return ResolvedAlreadySent
	case a.State == Resolved:
		return ResolvedNotification // sent even under a silence: it closes a message people saw
	case a.Silenced:
		return SilencedNow
	case !a.FailedAt.IsZero() && a.FailedAt.After(a.NotifiedAt) && now.Sub(a.FailedAt) < repeat:
		return RetryAfterPermanent
	case a.NotifiedAt.IsZero():
		return FirstNotification
	case now.Sub(a.NotifiedAt) >= repeat:
		return RepeatIntervalElapsed
	}
	return AlreadyNotified
}
