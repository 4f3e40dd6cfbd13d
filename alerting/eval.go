package alerting

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Counts are the events of one SLO in one window.
type Counts struct {
	Good  uint64 `json:"good"`
	Total uint64 `json:"total"`
}

// Bad is the number of events that failed the SLI.
func (c Counts) Bad() uint64 {
	if c.Good > c.Total {
		return 0
	}
	return c.Total - c.Good
}

// BurnRate is how fast c spends an error budget (the allowed bad fraction,
// e.g. 0.001 for 99.9%): 1 spends exactly the budget over the SLO window.
// A window without events has no burn rate (ok false), which never fires.
func (c Counts) BurnRate(budget float64) (rate float64, ok bool) {
	if c.Total == 0 || budget <= 0 {
		return 0, false
	}
	return float64(c.Bad()) / float64(c.Total) / budget, true
}

// CountsFunc returns, for every SLO by name, its counts in each window ending
// at at. SLOs or windows it leaves out count as having no events.
type CountsFunc func(ctx context.Context, windows []time.Duration, at time.Time) (map[string]map[time.Duration]Counts, error)

// RuleResult is one rule evaluated.
type RuleResult struct {
	Window
	LongBurn, ShortBurn     float64 // 0 when the window had no events
	LongCounts, ShortCounts Counts
	// Met: both burn rates at least Factor and enough bad events.
	Met bool
	// TooFewBad: the burn rates were high enough but the short window had
	// fewer than the minimum bad events.
	TooFewBad bool
	// MinBad is the minimum of bad events the short window needed.
	MinBad uint64
}

// Why says in words whether the rule fired and, if not, why not: "met",
// "rates met, 3 bad events in 30m, needs 10", "no events in 5m",
// "1h at 2.1×, under 14.4×".
func (r RuleResult) Why() string {
	switch {
	case r.Met:
		return "met"
	case r.TooFewBad:
		n := r.ShortCounts.Bad()
		return fmt.Sprintf("rates met, %d bad event%s in %s, needs %d", n, plural(n), dur(r.Short), r.MinBad)
	case r.LongCounts.Total == 0:
		return "no events in " + dur(r.Long)
	case r.ShortCounts.Total == 0:
		return "no events in " + dur(r.Short)
	}
	var under []string
	for _, w := range []struct {
		d    time.Duration
		burn float64
	}{{r.Long, r.LongBurn}, {r.Short, r.ShortBurn}} {
		if !atLeast(w.burn, r.Factor) {
			under = append(under, fmt.Sprintf("%s at %s", dur(w.d), burn(w.burn)))
		}
	}
	return fmt.Sprintf("%s, under %s", strings.Join(under, " and "), burn(r.Factor))
}

func plural(n uint64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Explain applies every rule of r to counts as alerting does, page rules
// first: what the SLO page shows for each tier.
func Explain(r Rules, budget float64, counts map[time.Duration]Counts, at time.Time) []RuleResult {
	var out []RuleResult
	for _, sev := range Severities {
		out = append(out, evaluate(r, sev, budget, counts, at).Results...)
	}
	return out
}

// Verdict is one severity of one SLO evaluated at one time.
type Verdict struct {
	At      time.Time
	Firing  bool          // some rule is met
	Hold    time.Duration // longest short window among the met rules
	Results []RuleResult  // this severity's rules
}

// evaluate applies r's rules of severity sev to counts (keyed by window).
func evaluate(r Rules, sev Severity, budget float64, counts map[time.Duration]Counts, at time.Time) Verdict {
	v := Verdict{At: at}
	for _, w := range r.Windows {
		if w.Severity != sev {
			continue
		}
		res := RuleResult{Window: w, LongCounts: counts[w.Long], ShortCounts: counts[w.Short], MinBad: r.MinBadEvents}
		long, okL := res.LongCounts.BurnRate(budget)
		short, okS := res.ShortCounts.BurnRate(budget)
		res.LongBurn, res.ShortBurn = long, short
		burning := okL && okS && atLeast(long, w.Factor) && atLeast(short, w.Factor)
		res.TooFewBad = burning && res.ShortCounts.Bad() < r.MinBadEvents
		res.Met = burning && !res.TooFewBad
		if res.Met {
			v.Firing = true
			v.Hold = max(v.Hold, w.Short)
		}
		v.Results = append(v.Results, res)
	}
	return v
}

// atLeast compares a burn rate with a factor, forgiving float rounding
// (1 − 99/100 is 0.010000000000000009, so 5% bad is a burn of 4.99…).
func atLeast(burn, factor float64) bool { return burn >= factor*(1-1e-9) }
