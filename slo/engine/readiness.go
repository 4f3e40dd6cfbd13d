package engine

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/flowslo/flowslo/slo"
)

// Verdicts of release readiness. NoData: nothing to judge by yet (no
// events in the window), neither ready nor at risk.
const (
	Ready    = "ready"
	AtRisk   = "at_risk"
	NoData   = "no_data"
	NotReady = "not_ready"
	// Unknown is a release's verdict with too few events to judge by.
	Unknown = "unknown"
)

// Thresholds decide readiness; zero fields take DefaultThresholds' values.
type Thresholds struct {
	// MinBudget: at or below this share of error budget left, not ready.
	MinBudget float64
	// LowBudget: below this share left, at risk.
	LowBudget float64
	// FastBurn: at or above this burn rate over both 1h and 5m, not ready.
	// Zero (the default): the SLO's fastest page rule, as alerting applies
	// it (14.4 over 1h and 5m for 30 days, scaled to the window's real
	// length, never below 1), so a flow that pages is never ready.
	FastBurn float64
	// SlowBurn: at or above this burn rate over both 6h and 30m, at risk.
	// Zero (the default): the SLO's other page rules (6 over 6h and 30m
	// for 30 days, scaled the same way).
	SlowBurn float64
	// Rising: a 1h burn rate above 1 and at least this many times the 1d
	// one is a worsening trend, at risk.
	Rising float64
	// MinEvents is how many events a release needs in an SLO (and a
	// platform in it) before it is judged: below it, "not enough events
	// yet" (unknown), never "worse". It is also the least the previous
	// release needs to be compared with. Default 100.
	MinEvents uint64
	// Alpha is the significance level of the release comparison (the
	// two-sided p-value below which a difference is real); default 0.05.
	Alpha float64
}

// DefaultThresholds are the thresholds used unless configured.
var DefaultThresholds = Thresholds{MinBudget: 0, LowBudget: 0.25, Rising: 2, MinEvents: 100, Alpha: 0.05}

func (t Thresholds) withDefaults() Thresholds {
	d := DefaultThresholds
	for _, f := range []struct{ v, def *float64 }{
		{&t.MinBudget, &d.MinBudget}, {&t.LowBudget, &d.LowBudget}, {&t.Rising, &d.Rising}, {&t.Alpha, &d.Alpha},
	} {
		if *f.v == 0 {
			*f.v = *f.def
		}
	}
	if t.MinEvents == 0 {
		t.MinEvents = d.MinEvents
	}
	return t
}

// FlowReadiness is the release verdict for one flow.
type FlowReadiness struct {
	Flow    string         `json:"flow"`
	Verdict string         `json:"verdict"` // ready | at_risk | no_data | not_ready
	Reasons []string       `json:"reasons"` // plain words, worst first
	SLOs    []SLOReadiness `json:"slos"`
}

// SLOReadiness is one SLO's part in its flow's verdict.
type SLOReadiness struct {
	Name                 string                    `json:"name"`
	Verdict              string                    `json:"verdict"`
	Reasons              []string                  `json:"reasons"`
	Status               string                    `json:"status"`
	ErrorBudgetRemaining *float64                  `json:"error_budget_remaining"`
	BurnRates            map[slo.Duration]*float64 `json:"burn_rates"`
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

// rank orders verdicts for a flow's worst: an SLO without data makes the
// flow unknown unless another one is known to block it.
var rank = map[string]int{Ready: 0, AtRisk: 1, NoData: 2, Unknown: 2, NotReady: 3}

// Rank orders verdicts, worst highest, as a flow's verdict is chosen.
func Rank(verdict string) int { return rank[verdict] }

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
		flag(NoData, "not judged yet: %s is still being backfilled (%.0f%% done) and its numbers are partial", s.Name, ratioOf(s.Backfill)*100)
		return r
	case s.Total == 0 || s.ErrorBudgetRemaining == nil:
		flag(NoData, "no data yet: %s has no events in its %s window, nothing to judge it by", s.Name, s.Window)
		return r
	}
	budget, b1h := *s.ErrorBudgetRemaining, s.BurnRates[h1]
	left := fmt.Sprintf("%s has %s of its error budget left", s.Name, percent(budget))
	fast, slow := burnRules(s, t)
	switch {
	case budget <= t.MinBudget:
		flag(NotReady, "%s", left)
	case firstMet(s, fast) != nil:
		flag(NotReady, "%s; %s (fast burn: it pages)", left, burnWords(s, *firstMet(s, fast)))
	case firstMet(s, slow) != nil:
		flag(AtRisk, "%s; %s (slow burn)", left, burnWords(s, *firstMet(s, slow)))
	case above(b1h, 1) && s.BurnRates[d1] != nil && *b1h >= t.Rising*math.Max(*s.BurnRates[d1], 1e-9):
		flag(AtRisk, "%s; burning %s over the last hour, up from %s over the last day", left, times(b1h), times(s.BurnRates[d1]))
	case budget < t.LowBudget:
		flag(AtRisk, "%s (below %s)", left, percent(t.LowBudget))
	default:
		flag(Ready, "%s; burning %s over the last hour", left, times(b1h))
	}
	return r
}

// burnRules are the burn rates that block a release (fast) or put it at
// risk (slow): the configured thresholds, else the SLO's page rules as
// alerting applies them, the fastest (shortest long window) blocking.
func burnRules(s SLOStatus, t Thresholds) (fast, slow []AlertThreshold) {
	if t.FastBurn > 0 {
		fast = []AlertThreshold{{Severity: "page", Long: h1, Short: m5, Factor: t.FastBurn}}
	}
	if t.SlowBurn > 0 {
		slow = []AlertThreshold{{Severity: "page", Long: h6, Short: m30, Factor: t.SlowBurn}}
	}
	if fast != nil && slow != nil {
		return fast, slow
	}
	pages := pageRules(s)
	shortest := slo.Duration(math.MaxInt64)
	for _, p := range pages {
		shortest = min(shortest, p.Long)
	}
	var f, sl []AlertThreshold
	for _, p := range pages {
		if p.Long == shortest {
			f = append(f, p)
		} else {
			sl = append(sl, p)
		}
	}
	if fast == nil {
		fast = f
	}
	if slow == nil {
		slow = sl
	}
	return fast, slow
}

// pageRules are s's page rules whose windows it has burn rates for. A
// status built without rules (not by the engine) judges by the 30-day
// defaults.
func pageRules(s SLOStatus) []AlertThreshold {
	rules := s.AlertWindows
	if rules == nil {
		rules = thresholdsOf(slo.DefaultAlertWindows)
	}
	var out []AlertThreshold
	for _, w := range rules {
		if w.Severity == "page" && slices.Contains(BurnWindows, w.Long) && slices.Contains(BurnWindows, w.Short) {
			out = append(out, w)
		}
	}
	return out
}

// firstMet is the first rule of rs whose burn rates are at least its
// factor over both windows, or nil.
func firstMet(s SLOStatus, rs []AlertThreshold) *AlertThreshold {
	for i, w := range rs {
		if above(s.BurnRates[w.Long], w.Factor) && above(s.BurnRates[w.Short], w.Factor) {
			return &rs[i]
		}
	}
	return nil
}

func burnWords(s SLOStatus, w AlertThreshold) string {
	return fmt.Sprintf("burning %s over %s and %s over %s, at or above %gx",
		times(s.BurnRates[w.Long]), w.Long, times(s.BurnRates[w.Short]), w.Short, round2(w.Factor))
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

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
