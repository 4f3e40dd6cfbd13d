package engine

import (
	"context"
	"fmt"
	"math"
	"sort"
)

// Verdicts of release readiness.
const (
	Ready    = "ready"
	AtRisk   = "at_risk"
	NotReady = "not_ready"
)

// Thresholds decide readiness; zero fields take DefaultThresholds' values.
type Thresholds struct {
	// MinBudget: at or below this share of error budget left, not ready.
	MinBudget float64
	// LowBudget: below this share left, at risk.
	LowBudget float64
	// FastBurn: at or above this burn rate over both 1h and 5m, not ready
	// (14.4 spends 2% of a 30-day budget in an hour).
	FastBurn float64
	// SlowBurn: at or above this burn rate over both 6h and 30m, at risk
	// (6 spends 5% of a 30-day budget in 6 hours).
	SlowBurn float64
	// Rising: a 1h burn rate above 1 and at least this many times the 1d
	// one is a worsening trend, at risk.
	Rising float64
}

// DefaultThresholds are the thresholds used unless configured.
var DefaultThresholds = Thresholds{MinBudget: 0, LowBudget: 0.25, FastBurn: 14.4, SlowBurn: 6, Rising: 2}

func (t Thresholds) withDefaults() Thresholds {
	d := DefaultThresholds
	for _, f := range []struct{ v, def *float64 }{
		{&t.MinBudget, &d.MinBudget}, {&t.LowBudget, &d.LowBudget}, {&t.FastBurn, &d.FastBurn},
		{&t.SlowBurn, &d.SlowBurn}, {&t.Rising, &d.Rising},
	} {
		if *f.v == 0 {
			*f.v = *f.def
		}
	}
	return t
}

// FlowReadiness is the release verdict for one flow.
type FlowReadiness struct {
	Flow    string         `json:"flow"`
	Verdict string         `json:"verdict"` // ready | at_risk | not_ready
	Reasons []string       `json:"reasons"` // plain words, worst first
	SLOs    []SLOReadiness `json:"slos"`
}

// SLOReadiness is one SLO's part in its flow's verdict.
type SLOReadiness struct {
	Name                 string              `json:"name"`
	Verdict              string              `json:"verdict"`
	Reasons              []string            `json:"reasons"`
	Status               string              `json:"status"`
	ErrorBudgetRemaining *float64            `json:"error_budget_remaining"`
	BurnRates            map[string]*float64 `json:"burn_rates"`
}

// Readiness judges every flow from the current SLO numbers.
func (e *Engine) Readiness(ctx context.Context) ([]FlowReadiness, error) {
	st, err := e.Status(ctx)
	if err != nil {
		return nil, err
	}
	return Judge(st, e.opts.Readiness), nil
}

// Judge gives each flow the worst verdict of its SLOs, with their reasons.
func Judge(statuses []SLOStatus, t Thresholds) []FlowReadiness {
	t = t.withDefaults()
	byFlow := map[string]*FlowReadiness{}
	var flows []string
	for _, s := range statuses {
		f := byFlow[s.Flow]
		if f == nil {
			f = &FlowReadiness{Flow: s.Flow, Verdict: Ready}
			byFlow[s.Flow] = f
			flows = append(flows, s.Flow)
		}
		r := judgeSLO(s, t)
		f.SLOs = append(f.SLOs, r)
		f.Verdict = worse(f.Verdict, r.Verdict)
	}
	sort.Strings(flows)
	out := make([]FlowReadiness, 0, len(flows))
	for _, name := range flows {
		f := byFlow[name]
		sort.SliceStable(f.SLOs, func(i, j int) bool { return rank[f.SLOs[i].Verdict] > rank[f.SLOs[j].Verdict] })
		for _, r := range f.SLOs {
			f.Reasons = append(f.Reasons, r.Reasons...)
		}
		out = append(out, *f)
	}
	return out
}

var rank = map[string]int{Ready: 0, AtRisk: 1, NotReady: 2}

func worse(a, b string) string {
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// judgeSLO applies the thresholds to one SLO and says why in words.
func judgeSLO(s SLOStatus, t Thresholds) SLOReadiness {
	r := SLOReadiness{Name: s.Name, Verdict: Ready, Status: s.Status,
		ErrorBudgetRemaining: s.ErrorBudgetRemaining, BurnRates: s.BurnRates}
	flag := func(v, format string, args ...any) {
		r.Verdict = worse(r.Verdict, v)
		r.Reasons = append(r.Reasons, fmt.Sprintf(format, args...))
	}
	switch {
	case s.Status == StatusBackfilling:
		flag(AtRisk, "%s is still being backfilled (%.0f%% done): its numbers are partial", s.Name, ratioOf(s.Backfill)*100)
		return r
	case s.Total == 0:
		flag(AtRisk, "%s has no events in its %s window: nothing to judge it by", s.Name, s.Window)
		return r
	}
	budget, b1h, b5m := *s.ErrorBudgetRemaining, s.BurnRates["1h"], s.BurnRates["5m"]
	left := fmt.Sprintf("%s has %s of its error budget left", s.Name, percent(budget))
	switch {
	case budget <= t.MinBudget:
		flag(NotReady, "%s", left)
	case above(b1h, t.FastBurn) && above(b5m, t.FastBurn):
		flag(NotReady, "%s; burning %s over the last hour (fast burn, limit %gx)", left, times(b1h), t.FastBurn)
	case above(s.BurnRates["6h"], t.SlowBurn) && above(s.BurnRates["30m"], t.SlowBurn):
		flag(AtRisk, "%s; burning %s over the last 6 hours", left, times(s.BurnRates["6h"]))
	case above(b1h, 1) && s.BurnRates["1d"] != nil && *b1h >= t.Rising*math.Max(*s.BurnRates["1d"], 1e-9):
		flag(AtRisk, "%s; burning %s over the last hour, up from %s over the last day", left, times(b1h), times(s.BurnRates["1d"]))
	case budget < t.LowBudget:
		flag(AtRisk, "%s (below %s)", left, percent(t.LowBudget))
	default:
		flag(Ready, "%s; burning %s over the last hour", left, times(b1h))
	}
	return r
}

func ratioOf(p *Progress) float64 {
	if p == nil {
		return 0
	}
	return p.Ratio
}

func percent(f float64) string {
	if f < 0 {
		return fmt.Sprintf("none (overspent by %.0f%%)", -f*100)
	}
	return fmt.Sprintf("%.0f%%", f*100)
}

func times(f *float64) string {
	if f == nil {
		return "nothing (no events)"
	}
	return fmt.Sprintf("%.1fx", *f)
}
