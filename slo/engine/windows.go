package engine

import (
	"time"

	"github.com/flowslo/flowslo/slo"
)

// The burn windows, named for the code that reads one of them.
const (
	m5  = slo.Duration(5 * time.Minute)
	m30 = slo.Duration(30 * time.Minute)
	h1  = slo.Duration(time.Hour)
	h2  = slo.Duration(2 * time.Hour)
	h6  = slo.Duration(6 * time.Hour)
	d1  = slo.Duration(24 * time.Hour)
	d3  = slo.Duration(72 * time.Hour)
)

// BurnWindows are the windows every SLO's burn rate is reported over: the
// short and long windows of the SRE Workbook's multiwindow alerts.
var BurnWindows = []slo.Duration{m5, m30, h1, h2, h6, d1, d3}

// Windows are counted in whole minutes: a window of length d at now holds
// the minute now falls in and the d/1m − 1 minutes before it.
func windowStart(now time.Time, d time.Duration) time.Time {
	return floorMinute(now).Add(-d + time.Minute)
}

// sloWindowStart is the first minute of s's window at now: rolling, or the
// start of the calendar period now falls in (midnight in its timezone).
func sloWindowStart(w slo.Window, now time.Time) time.Time {
	if w.Calendar == "" {
		return windowStart(now, w.Rolling)
	}
	return periodStart(w, now)
}

func periodStart(w slo.Window, now time.Time) time.Time {
	start, _ := w.Period(now)
	return start
}
