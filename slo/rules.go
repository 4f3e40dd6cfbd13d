package slo

import (
	"regexp"
	"strconv"
	"time"
	_ "time/tzdata" // calendar time zones must not depend on the host's zoneinfo

	"github.com/flowslo/flowslo/slo/expr"
)

// rules check one SLO each; every rule reports its own problems and fills
// in the fields it owns, so one bad field never hides another.
var rules = []func(*draft){
	checkName,
	checkFlow,
	copyText,
	checkObjective,
	checkWindow,
	checkIndicator,
	checkSlices,
	checkReleasePair,
	checkAlerting,
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

func checkName(d *draft) {
	d.slo.Name = d.text("name")
	checkSlug(d, "name", "login-success")
}

func checkFlow(d *draft) {
	d.slo.Flow = d.text("flow")
	checkSlug(d, "flow", "login")
}

// checkSlug keeps names and flows usable in URLs and CLI flags unquoted.
func checkSlug(d *draft, key, example string) {
	v := d.text(key)
	switch {
	case v == "":
		d.errorf(key, "%s is missing: add %s: %s", key, key, example)
	case !namePattern.MatchString(v):
		d.errorf(key, "%s %q has characters other than lowercase letters, digits and '-': write e.g. %s", key, v, example)
	}
}

func copyText(d *draft) {
	d.slo.Service = d.text("service")
	d.slo.Description = d.text("description")
}

func checkObjective(d *draft) {
	v := d.text("objective")
	if v == "" {
		d.errorf("objective", "objective is missing: add objective: 99.5 (a percent)")
		return
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || d.node("objective").Tag == "!!str" {
		d.errorf("objective", "objective %q is not a number: write a percent without quotes or %%, e.g. 99.5", v)
		return
	}
	if f <= 0 || f >= 100 {
		d.errorf("objective", "objective %s is out of range: write a percent between 0 and 100, e.g. 99.5", v)
		return
	}
	d.slo.Objective = f
}

func checkWindow(d *draft) {
	switch {
	case d.has("window") && d.has("calendar"):
		d.errorf("calendar", "window and calendar are both set: keep one, e.g. window: 28d or calendar: month")
	case d.has("window"):
		checkRolling(d)
	case d.has("calendar"):
		checkCalendar(d)
	default:
		d.errorf("window", "window is missing: add window: 28d (rolling) or calendar: month")
	}
	if d.has("timezone") && !d.has("calendar") {
		d.errorf("timezone", "timezone applies to calendar windows only: remove it or use calendar: month")
	}
}

// rollingPattern is what a window may say: whole days or hours, a
// narrower spelling than ParseDuration reads.
var rollingPattern = regexp.MustCompile(`^[0-9]+[dh]$`)

// Windows shorter than a day give budgets too small to act on; past 90 days
// they no longer say anything about the current release.
const minWindow, maxWindow = 24 * time.Hour, 90 * 24 * time.Hour

func checkRolling(d *draft) {
	v := d.text("window")
	if !rollingPattern.MatchString(v) {
		d.errorf("window", "window %q is not a number of days or hours: write e.g. 28d or 36h", v)
		return
	}
	w, err := ParseDuration(v)
	if err != nil || time.Duration(w) < minWindow || time.Duration(w) > maxWindow {
		d.errorf("window", "window %s is out of range: write 1d to 90d, e.g. 28d", v)
		return
	}
	d.slo.Window.Rolling = time.Duration(w)
}

func checkCalendar(d *draft) {
	c := Calendar(d.text("calendar"))
	if c != Week && c != Month && c != Quarter {
		d.errorf("calendar", "calendar %q is not a period: write week, month or quarter", c)
		return
	}
	d.slo.Window.Calendar = c
	d.slo.Window.Location = time.UTC
	if tz := d.text("timezone"); tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil || tz == "Local" {
			d.errorf("timezone", "timezone %q is unknown: write an IANA name, e.g. Europe/Berlin or UTC", tz)
			return
		}
		d.slo.Window.Location = loc
	}
}

func checkIndicator(d *draft) {
	if !d.has("indicator") {
		d.errorf("indicator", "indicator is missing: add indicator: with source, total and one of bad, good or latency")
		return
	}
	if !checkSource(d) {
		return
	}
	src := d.slo.Indicator.Source
	d.slo.SLI.Table = src.Table()
	total := d.text("indicator.total")
	if total == "" {
		d.errorf("indicator", `indicator.total is missing: add total: with a filter for the events that count, e.g. name == "POST /v1/login"`)
	} else {
		d.slo.Indicator.Total = total
		d.slo.SLI.Total, _ = d.compile("indicator.total", src, total, false, "t")
	}
	checkGood(d)
}

func checkSource(d *draft) bool {
	s := expr.Source(d.text("indicator.source"))
	if s != expr.Traces && s != expr.Logs {
		if s == "" {
			d.errorf("indicator", "indicator.source is missing: add source: traces (or logs)")
		} else {
			d.errorf("indicator.source", "source %q is unknown: write traces or logs", s)
		}
		return false
	}
	d.slo.Indicator.Source = s
	return true
}

// checkGood compiles the one of bad, good or latency that says which events
// are good. Bad becomes NOT bad, so the rollup always counts good events.
func checkGood(d *draft) {
	set := []string{}
	for _, k := range []string{"bad", "good", "latency"} {
		if d.has("indicator." + k) {
			set = append(set, k)
		}
	}
	if len(set) != 1 {
		d.errorf("indicator", "indicator needs exactly one of bad, good or latency, not %d: keep one, e.g. bad: 'status.code == \"Error\"'", len(set))
		return
	}
	src := d.slo.Indicator.Source
	switch set[0] {
	case "bad":
		d.slo.Indicator.Bad = d.text("indicator.bad")
		if c, ok := d.compile("indicator.bad", src, d.slo.Indicator.Bad, false, "g"); ok {
			d.slo.SLI.Good = expr.Compiled{SQL: "(NOT " + c.SQL + ")", Params: c.Params}
		}
	case "good":
		d.slo.Indicator.Good = d.text("indicator.good")
		d.slo.SLI.Good, _ = d.compile("indicator.good", src, d.slo.Indicator.Good, false, "g")
	case "latency":
		checkLatency(d)
	}
}

func checkLatency(d *draft) {
	if d.slo.Indicator.Source != expr.Traces {
		d.errorf("indicator.latency", "latency needs source: traces (logs have no duration): use bad or good for logs")
		return
	}
	v := d.text("indicator.latency.threshold")
	t, err := time.ParseDuration(v)
	if err != nil || t <= 0 {
		d.errorf("indicator.latency", "latency threshold %q is not a positive duration: write e.g. threshold: 300ms", v)
		return
	}
	d.slo.Indicator.Latency = t
	// Compiled through expr like any filter, so SQL is written in one place.
	d.slo.SLI.Good, _ = d.compile("indicator.latency.threshold", expr.Traces,
		`duration <= duration("`+t.String()+`")`, false, "g")
}

func checkSlices(d *draft) {
	n := d.node("slices")
	if n == nil || d.slo.Indicator.Source == "" {
		return
	}
	for i, item := range n.Content {
		key := "slices[" + strconv.Itoa(i) + "]"
		d.slo.Slices = append(d.slo.Slices, item.Value)
		c, _ := d.compile(key, d.slo.Indicator.Source, item.Value, true, "s"+strconv.Itoa(i)+"_")
		d.slo.SLI.Slices = append(d.slo.SLI.Slices, c)
	}
}
