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

// referenceWindow is the SLO window DefaultWindows' factors are written for.
const referenceWindow = 30 * 24 * time.Hour

// DefaultWindows are the SRE Workbook's rules for a 30-day window. A factor
// is budget share × window / long window.
var DefaultWindows = []Window{
	{Severity: Page, Long: time.Hour, Short: 5 * time.Minute, Factor: 14.4},   // 2% of budget in 1h
	{Severity: Page, Long: 6 * time.Hour, Short: 30 * time.Minute, Factor: 6}, // 5% of budget in 6h
	{Severity: Ticket, Long: 24 * time.Hour, Short: 2 * time.Hour, Factor: 3}, // 10% of budget in 1d
	{Severity: Ticket, Long: 72 * time.Hour, Short: 6 * time.Hour, Factor: 1}, // 10% of budget in 3d
}

// DefaultMinBadEvents is how many bad events the short window needs before
// an alert fires, so one failure in a quiet hour does not page.
const DefaultMinBadEvents = 10

// Rules are one SLO's alerting rules.
type Rules struct {
	Windows      []Window
	MinBadEvents uint64
}

// RulesFor returns s's rules: its own windows when its alerting block names
// any (factors taken as written), else DefaultWindows with factors scaled to
// s's window. Default rules whose long window exceeds the SLO window are
// left out: their budget share would be meaningless.
func RulesFor(s *slo.SLO) Rules {
	r := Rules{MinBadEvents: DefaultMinBadEvents}
	if s.Alerting.MinBadEvents > 0 {
		r.MinBadEvents = uint64(s.Alerting.MinBadEvents)
	}
	if len(s.Alerting.Windows) > 0 {
		for _, w := range s.Alerting.Windows {
			r.Windows = append(r.Windows, Window{Severity(w.Severity), w.Long, w.Short, w.Factor})
		}
		return r
	}
	length := WindowLength(s.Window)
	for _, w := range DefaultWindows {
		if w.Long > length {
			continue
		}
		w.Factor = w.Factor * float64(length) / float64(referenceWindow)
		r.Windows = append(r.Windows, w)
	}
	return r
}

// WindowLength is the length of an SLO window for scaling burn-rate factors
// and budget arithmetic: the rolling length, or a calendar period's nominal
// length (week 7d, month 30d, quarter 91d).
func WindowLength(w slo.Window) time.Duration {
	day := 24 * time.Hour
	switch w.Calendar {
	case slo.Week:
		return 7 * day
	case slo.Month:
		return 30 * day
	case slo.Quarter:
		return 91 * day
	}
	return w.Rolling
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
