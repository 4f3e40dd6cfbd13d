package slo

import (
	"math"
	"time"
)

// Period is the calendar period at falls in, [start, end), both at midnight
// in the window's timezone. A rolling window has no period (both zero).
func (w Window) Period(at time.Time) (start, end time.Time) {
	if w.Calendar == "" {
		return time.Time{}, time.Time{}
	}
	loc := w.Location
	if loc == nil {
		loc = time.UTC
	}
	t := at.In(loc)
	y, m, d := t.Date()
	switch w.Calendar {
	case Week: // ISO weeks start on Monday
		d -= (int(t.Weekday()) + 6) % 7
		start = time.Date(y, m, d, 0, 0, 0, 0, loc)
		end = time.Date(y, m, d+7, 0, 0, 0, 0, loc)
	case Month:
		start = time.Date(y, m, 1, 0, 0, 0, 0, loc)
		end = time.Date(y, m+1, 1, 0, 0, 0, 0, loc)
	case Quarter:
		m -= (m - 1) % 3
		start = time.Date(y, m, 1, 0, 0, 0, 0, loc)
		end = time.Date(y, m+3, 1, 0, 0, 0, 0, loc)
	}
	return start.UTC(), end.UTC()
}

// Length is the real length of the window at `at`: the rolling length, or
// the length of the calendar period at falls in (February 28 or 29 days, a
// quarter 90 to 92, plus or minus the hour a daylight saving change adds
// or takes: a Berlin Q4 is 92 days and one hour).
func (w Window) Length(at time.Time) time.Duration {
	if w.Calendar == "" {
		return w.Rolling
	}
	start, end := w.Period(at)
	return end.Sub(start)
}

// referenceWindow is the SLO window DefaultAlertWindows' factors are
// written for.
const referenceWindow = 30 * 24 * time.Hour

// DefaultAlertWindows are the SRE Workbook's multiwindow rules for a
// 30-day window. A factor is budget share × window / long window.
var DefaultAlertWindows = []AlertWindow{
	{Severity: "page", Long: time.Hour, Short: 5 * time.Minute, Factor: 14.4},   // 2% of budget in 1h
	{Severity: "page", Long: 6 * time.Hour, Short: 30 * time.Minute, Factor: 6}, // 5% of budget in 6h
	{Severity: "ticket", Long: 24 * time.Hour, Short: 2 * time.Hour, Factor: 3}, // 10% of budget in 1d
	{Severity: "ticket", Long: 72 * time.Hour, Short: 6 * time.Hour, Factor: 1}, // 10% of budget in 3d
}

// ScaleFactor scales a factor written for a 30-day window to a window of
// the given length, never below 1: under 1 an alert fires on a burn rate
// that meets the objective (a 1d SLO would page at 0.48).
func ScaleFactor(factor float64, length time.Duration) float64 {
	return math.Max(1, factor*float64(length)/float64(referenceWindow))
}

// AlertWindows are the burn-rate rules of s at `at`: its own windows when
// its alerting block names any (factors taken as written), else
// DefaultAlertWindows with factors scaled to the window's real length at
// `at`. Default rules whose long window exceeds the SLO window are left
// out: their budget share would be meaningless.
func (s *SLO) AlertWindows(at time.Time) []AlertWindow {
	if len(s.Alerting.Windows) > 0 {
		return append([]AlertWindow(nil), s.Alerting.Windows...)
	}
	length := s.Window.Length(at)
	out := make([]AlertWindow, 0, len(DefaultAlertWindows))
	for _, w := range DefaultAlertWindows {
		if w.Long > length {
			continue
		}
		w.Factor = ScaleFactor(w.Factor, length)
		out = append(out, w)
	}
	return out
}
