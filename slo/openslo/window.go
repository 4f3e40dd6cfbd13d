package openslo

import (
	"regexp"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/flowslo/flowslo/slo"
)

// defaultWindow is used when an SLO has no timeWindow (OpenSLO allows it).
const defaultWindow = "28d"

// shorthand is OpenSLO's duration-shorthand: 12h, 4w, 1M, 1Q, 1Y.
var shorthand = regexp.MustCompile(`^([1-9][0-9]{0,6})([mhdwMQY])$`)

// unitHours are the hours of each shorthand unit; months, quarters and
// years are approximate (30, 90 and 365 days), and said so in a note.
var unitHours = map[string]int{"h": 1, "d": 24, "w": 7 * 24, "M": 30 * 24, "Q": 90 * 24, "Y": 365 * 24}

func (c *converter) window(s *converted, tw field) {
	items := tw.items()
	if tw.ok() && !tw.is(yaml.SequenceNode) {
		c.errorf(tw, "%s: write a list with one item, e.g. timeWindow: [{duration: 28d, isRolling: true}]", wrongKind(tw, yaml.SequenceNode))
		return
	}
	if len(items) == 0 {
		s.window = defaultWindow
		s.origin["window"] = tw
		s.note(tw, "timeWindow is missing: window: %s was chosen; change it if the SLO meant another period", defaultWindow)
		return
	}
	if len(items) > 1 {
		s.note(tw, "timeWindow has %d items, OpenSLO allows one: the first was imported", len(items))
	}
	w := items[0]
	dur := w.get("duration")
	m := shorthand.FindStringSubmatch(dur.text())
	if m == nil {
		c.errorf(dur, "duration %q is not a duration shorthand: write a number and one of m, h, d, w, M, Q, Y, e.g. duration: 28d", dur.text())
		return
	}
	n, _ := strconv.Atoi(m[1])
	rolling, ok := isRolling(w)
	switch {
	case !ok:
		c.errorf(w.get("isRolling"), "isRolling %q is not true or false: write isRolling: true (or false for a calendar window)", w.get("isRolling").text())
	case rolling:
		c.rolling(s, dur, n, m[2])
		if w.get("calendar").ok() {
			s.note(w.get("calendar"), "calendar is ignored: the window is rolling (isRolling: true)")
		}
	default:
		c.calendar(s, dur, w.get("calendar"))
	}
}

// isRolling reads isRolling; when absent a window is rolling unless it has
// a calendar.
func isRolling(w field) (rolling, ok bool) {
	v := w.get("isRolling")
	if !v.ok() {
		return !w.get("calendar").ok(), true
	}
	b, err := strconv.ParseBool(v.text())
	return b, err == nil && v.is(yaml.ScalarNode)
}

func (c *converter) rolling(s *converted, dur field, n int, unit string) {
	s.origin["window"] = dur
	hours := n * unitHours[unit]
	if unit == "m" {
		hours = n / 60
		if n%60 != 0 {
			hours = -1
		}
	}
	if hours < 24 || hours > 90*24 {
		c.errorf(dur, "rolling window %s is out of range: flowslo rolling windows are 1d to 90d: write e.g. duration: 28d", dur.text())
		return
	}
	s.window = strconv.Itoa(hours) + "h"
	if hours%24 == 0 {
		s.window = strconv.Itoa(hours/24) + "d"
	}
	if unit == "M" || unit == "Q" || unit == "Y" {
		s.note(dur, "rolling window %s became %s (a month counts as 30 days, a quarter as 90)", dur.text(), s.window)
	}
}

// periods are the calendar windows flowslo has.
var periods = map[string]slo.Calendar{"1w": slo.Week, "7d": slo.Week, "1M": slo.Month, "1Q": slo.Quarter, "3M": slo.Quarter}

func (c *converter) calendar(s *converted, dur, cal field) {
	p, ok := periods[dur.text()]
	if !ok {
		c.errorf(dur, "calendar window %s is not supported: flowslo calendar windows are a week, a month or a quarter: write duration: 1w, 1M or 1Q", dur.text())
		return
	}
	s.calendar = string(p)
	s.origin["calendar"] = dur
	if tz := cal.get("timeZone"); tz.ok() {
		if _, err := time.LoadLocation(tz.text()); err != nil || tz.text() == "Local" || tz.text() == "" {
			c.errorf(tz, "timeZone %q is unknown: write an IANA name, e.g. Europe/Berlin or UTC", tz.text())
			return
		}
		s.timezone = tz.text()
		s.origin["timezone"] = tz
	}
	if start := cal.get("startTime"); start.ok() && !aligned(start.text(), p) {
		s.note(start, "startTime %s is dropped: flowslo %s periods start at midnight %s", start.text(), p, periodStart[p])
	}
}

var periodStart = map[slo.Calendar]string{
	slo.Week:    "on Mondays",
	slo.Month:   "on the first of the month",
	slo.Quarter: "on the first of January, April, July and October",
}

// aligned says whether an OpenSLO startTime is where flowslo's periods
// start anyway, so dropping it changes nothing.
func aligned(start string, p slo.Calendar) bool {
	var t time.Time
	var err error
	for _, layout := range []string{time.DateTime, "2006-01-02T15:04:05", time.DateOnly} {
		if t, err = time.Parse(layout, start); err == nil {
			break
		}
	}
	if err != nil || t.Hour()+t.Minute()+t.Second() != 0 {
		return false
	}
	switch p {
	case slo.Week:
		return t.Weekday() == time.Monday
	case slo.Quarter:
		return t.Day() == 1 && (t.Month()-1)%3 == 0
	}
	return t.Day() == 1
}
