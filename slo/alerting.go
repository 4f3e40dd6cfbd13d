package slo

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

func checkAlerting(d *draft) {
	d.slo.Alerting.Page = checkRoutes(d, "alerting.page")
	d.slo.Alerting.Ticket = checkRoutes(d, "alerting.ticket")
	d.slo.Alerting.Runbook = d.text("alerting.runbook")
	if r := d.slo.Alerting.Runbook; r != "" && !strings.HasPrefix(r, "https://") && !strings.HasPrefix(r, "http://") {
		d.errorf("alerting.runbook", "runbook %q is not a link: write the runbook's URL, e.g. https://wiki.example.com/runbooks/login", r)
	}
	checkMinBad(d)
	n := d.node("alerting.windows")
	if n == nil {
		return
	}
	for i := range n.Content {
		if w, ok := checkAlertWindow(d, fmt.Sprintf("alerting.windows[%d]", i)); ok {
			d.slo.Alerting.Windows = append(d.slo.Alerting.Windows, w)
		}
	}
}

func checkAlertWindow(d *draft, key string) (AlertWindow, bool) {
	w := AlertWindow{Severity: d.text(key + ".severity")}
	ok := true
	if w.Severity != "page" && w.Severity != "ticket" {
		d.errorf(key, "severity %q is unknown: write severity: page or severity: ticket", w.Severity)
		ok = false
	}
	long, okLong := alertSpan(d, key+".long", "1h")
	short, okShort := alertSpan(d, key+".short", "5m")
	w.Long, w.Short = long, short
	if okLong && okShort && short >= long {
		d.errorf(key+".short", "short window %s is not shorter than long window %s: write e.g. long: 1h, short: 5m", short, long)
		ok = false
	}
	f, err := strconv.ParseFloat(d.text(key+".factor"), 64)
	if err != nil || f <= 0 {
		d.errorf(key, "factor %q is not a positive number: write the burn rate to alert at, e.g. factor: 14.4", d.text(key+".factor"))
		ok = false
	}
	w.Factor = f
	return w, ok && okLong && okShort
}

// alertSpan reads a window length: 5m, 1h, 3d.
func alertSpan(d *draft, key, example string) (time.Duration, bool) {
	v := d.text(key)
	t, err := ParseDuration(v)
	if err != nil || t <= 0 {
		d.errorf(key, "%s %q is not a positive duration: write e.g. %s", label(key), v, example)
		return 0, false
	}
	return time.Duration(t), true
}

func checkMinBad(d *draft) {
	v := d.text("alerting.min_bad_events")
	if v == "" {
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		d.errorf("alerting.min_bad_events", "min_bad_events %q is not a whole number of at least 1: write e.g. min_bad_events: 10", v)
		return
	}
	d.slo.Alerting.MinBadEvents = n
}
