package alerting

import (
	"time"

	"github.com/flowslo/flowslo/slo"
)

// Severity is an alert's tier: a page wakes someone, a ticket waits for
// working hours.
type Severity string

const (
	Page   Severity = "page"
	Ticket Severity = "ticket"
)

// Severities in the order alerts are evaluated and listed.
var Severities = []Severity{Page, Ticket}

// Window is one multiwindow burn-rate rule: the alert condition holds when
// the burn rate is at least Factor over both Long and Short.
type Window struct {
	Severity Severity
	Long     time.Duration
	Short    time.Duration
	Factor   float64
}

// DefaultWindows are the SRE Workbook's rules for a 30-day window
// (slo.DefaultAlertWindows).
var DefaultWindows = windowsOf(slo.DefaultAlertWindows)

// DefaultMinBadEvents is how many bad events the short window needs before
// an alert fires, so one failure in a quiet hour does not page.
const DefaultMinBadEvents = 10

// Rules are one SLO's alerting rules.
type Rules struct {
	Windows      []Window
	MinBadEvents uint64
}

// RulesFor returns s's rules at `at` (slo.SLO.AlertWindows): its own
// windows, or the defaults scaled to its window's real length then, never
// below 1.
func RulesFor(s *slo.SLO, at time.Time) Rules {
	r := Rules{MinBadEvents: DefaultMinBadEvents, Windows: windowsOf(s.AlertWindows(at))}
	if s.Alerting.MinBadEvents > 0 {
		r.MinBadEvents = uint64(s.Alerting.MinBadEvents)
	}
	return r
}

func windowsOf(in []slo.AlertWindow) []Window {
	out := make([]Window, 0, len(in))
	for _, w := range in {
		out = append(out, Window{Severity(w.Severity), w.Long, w.Short, w.Factor})
	}
	return out
}

// durations lists every window rs need, without repeats.
func (r Rules) durations(into map[time.Duration]bool) {
	for _, w := range r.Windows {
		into[w.Long] = true
		into[w.Short] = true
	}
}

// has reports whether r has any rule for sev.
func (r Rules) has(sev Severity) bool {
	for _, w := range r.Windows {
		if w.Severity == sev {
			return true
		}
	}
	return false
}
