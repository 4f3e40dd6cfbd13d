package alerting

import (
	"fmt"
	"time"
)

// State is where an alert is in its life.
type State string

const (
	Inactive State = "inactive"
	Firing   State = "firing"
	Resolved State = "resolved"
)

// Transition is a change of an alert's state.
type Transition int

const (
	NoChange Transition = iota
	Fired
	ResolvedNow
)

// tracker is the state machine of one SLO's severity: inactive until a rule
// is met, firing until no rule has been met for the hold time (the longest
// short window among the rules that were met), then resolved.
type tracker struct {
	State       State
	StartedAt   time.Time // when it began firing
	ResolvedAt  time.Time
	Hold        time.Duration
	FalseSince  time.Time // zero while the condition holds
	LastVerdict Verdict
}

// step feeds one verdict to t and says what changed.
func (t *tracker) step(v Verdict) Transition {
	t.LastVerdict = v
	switch {
	case t.State != Firing && v.Firing:
		*t = tracker{State: Firing, StartedAt: v.At, Hold: v.Hold, LastVerdict: v}
		return Fired
	case t.State != Firing:
		return NoChange
	case v.Firing:
		t.FalseSince = time.Time{}
		t.Hold = max(t.Hold, v.Hold)
		return NoChange
	case t.FalseSince.IsZero():
		t.FalseSince = v.At
	}
	if v.At.Sub(t.FalseSince) >= t.Hold {
		t.State, t.ResolvedAt = Resolved, v.At
		return ResolvedNow
	}
	return NoChange
}

func alertID(sloName string, sev Severity, started time.Time) string {
	return fmt.Sprintf("%s/%s/%d", sloName, sev, started.UnixMilli())
}
