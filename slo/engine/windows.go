package engine

import (
	"fmt"
	"time"

	"github.com/flowslo/flowslo/slo"
)

// BurnWindow is one window burn rates are reported over.
type BurnWindow struct {
	Key string // as the API names it: "5m", "1h", …
	D   time.Duration
}

// BurnWindows are the windows every SLO's burn rate is reported over: the
// short and long windows of the SRE Workbook's multiwindow alerts.
var BurnWindows = []BurnWindow{
	{"5m", 5 * time.Minute},
	{"30m", 30 * time.Minute},
	{"1h", time.Hour},
	{"2h", 2 * time.Hour},
	{"6h", 6 * time.Hour},
	{"1d", 24 * time.Hour},
	{"3d", 72 * time.Hour},
}

// windowKey names d as BurnWindows do (5m, 1h, 1d), also when it is none
// of them (15m, 36h).
func windowKey(d time.Duration) string {
	if w, ok := burnWindowOf(d); ok {
		return w.Key
	}
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

func burnWindowOf(d time.Duration) (BurnWindow, bool) {
	for _, w := range BurnWindows {
		if w.D == d {
			return w, true
		}
	}
	return BurnWindow{}, false
}

// burnWindow is the length of the burn window named key, if it is one.
func burnWindow(key string) (time.Duration, bool) {
	for _, w := range BurnWindows {
		if w.Key == key {
			return w.D, true
		}
	}
	return 0, false
}

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
