package engine

import (
	"fmt"
	"sort"
	"time"
)

// A release is judged per SLO, over the SLO's period (since the release
// was first seen, at most the window), then given the worst verdict:
//   - unknown: fewer than Thresholds.MinEvents events of the release in
//     the SLO, never "worse" on a handful of events;
//   - not ready: its SLI below the objective; significantly worse than the
//     previous release over the same period (Compare at Thresholds.Alpha);
//     a platform with enough events below the objective or significantly
//     worse than the previous release there; or its own events burning
//     the budget at the SLO's paging rate over both the last hour and 5m;
//   - at risk: the SLO still backfilling, or the release spending more
//     than 1 − LowBudget of the budget's pace (so close to the objective
//     that a little more would cross it);
//   - ready: at or above the objective and not significantly worse.

// judgeRelease gives every SLO and the release a verdict with reasons.
func (e *Engine) judgeRelease(rep *ReleaseReport, plans []*relPlan, t Thresholds, now time.Time) {
	rep.Verdict = Ready
	prevs := map[string]int{}
	for _, p := range plans {
		r := p.out
		r.Comparison = compareWith(r, t)
		r.Significant = r.Comparison.Significant
		j := &judgement{v: Ready, version: rep.Version, r: r, t: t}
		j.judge(e.Backfilling(p.s.Name), fastBurn(p.s, t, now))
		r.Verdict, r.Reasons = j.v, j.reasons
		rep.Verdict = worse(rep.Verdict, r.Verdict)
		if r.Previous != nil {
			prevs[r.Previous.Version]++
		}
		rep.SLOs = append(rep.SLOs, *r)
	}
	if len(rep.SLOs) > 0 && allUnknown(rep.SLOs) {
		rep.Verdict = Unknown
	}
	sort.SliceStable(rep.SLOs, func(i, j int) bool { return rank[rep.SLOs[i].Verdict] > rank[rep.SLOs[j].Verdict] })
	for _, r := range rep.SLOs {
		rep.Reasons = append(rep.Reasons, r.Reasons...)
	}
	rep.Previous = mostCommon(prevs)
	rep.Summary = summary(rep)
}

func allUnknown(rs []ReleaseSLO) bool {
	for _, r := range rs {
		if r.Verdict != Unknown {
			return false
		}
	}
	return true
}

func compareWith(r *ReleaseSLO, t Thresholds) Comparison {
	if r.Previous == nil {
		return Comparison{}
	}
	return Compare(r.Good, r.Total, r.Previous.Good, r.Previous.Total, t.MinEvents, t.Alpha)
}

func mostCommon(m map[string]int) string {
	best, n := "", 0
	for k, c := range m {
		if c > n || c == n && NewerVersion(k, best) {
			best, n = k, c
		}
	}
	return best
}

// summary is the verdict in one sentence a product manager can forward.
func summary(rep *ReleaseReport) string {
	why := ""
	if len(rep.Reasons) > 0 {
		why = ": " + rep.Reasons[0]
	}
	switch rep.Verdict {
	case Ready:
		return fmt.Sprintf("%s is ready: every SLO it was seen in meets its objective and it is not significantly worse than the previous release (%d SLOs).", rep.Version, len(rep.SLOs))
	case AtRisk:
		return fmt.Sprintf("%s is at risk%s.", rep.Version, why)
	case NotReady:
		return fmt.Sprintf("%s is not ready%s.", rep.Version, why)
	}
	return fmt.Sprintf("%s cannot be judged yet%s.", rep.Version, why)
}

// judgement collects one SLO's verdict and reasons for a release.
type judgement struct {
	v       string
	reasons []string
	version string
	r       *ReleaseSLO
	t       Thresholds
}

func (j *judgement) flag(v, format string, args ...any) {
	j.v = worse(j.v, v)
	j.reasons = append(j.reasons, fmt.Sprintf(format, args...))
}

func (j *judgement) judge(backfilling bool, fast float64) {
	r, t := j.r, j.t
	since := r.From.Format("Jan 2 15:04 UTC")
	if backfilling {
		j.flag(AtRisk, "%s is still being backfilled: %s's numbers in it are partial", r.SLO, j.version)
	}
	if r.Total < t.MinEvents {
		j.flag(Unknown, "not enough events yet: %s has %d events in %s since %s, at least %d are needed to judge it", j.version, r.Total, r.SLO, since, t.MinEvents)
		return
	}
	obj := pct2(r.Objective)
	if *r.SLI < r.Objective {
		j.flag(NotReady, "%s %s is %s, below its %s objective (%d events since %s)", j.version, r.SLO, pct2(*r.SLI), obj, r.Total, since)
	}
	j.previous()
	j.platforms()
	if fast > 0 && above(r.BurnRate1h, fast) && above(r.BurnRate5m, fast) {
		j.flag(NotReady, "%s burns %s's budget at %s over the last hour and %s over 5m, at or above the %gx that pages", j.version, r.SLO, times(r.BurnRate1h), times(r.BurnRate5m), round2(fast))
	}
	budget := 1 - r.Objective
	if j.v == Ready && budget > 0 && (1-*r.SLI)/budget > 1-t.LowBudget {
		j.flag(AtRisk, "%s %s is %s, close to its %s objective: it spends %.0f%% of the budget's pace", j.version, r.SLO, pct2(*r.SLI), obj, (1-*r.SLI)/budget*100)
	}
	if j.v == Ready {
		j.flag(Ready, "%s %s is %s against its %s objective%s", j.version, r.SLO, pct2(*r.SLI), obj, j.versus())
	}
}

// previous flags a significant difference from the previous release.
func (j *judgement) previous() {
	r, c := j.r, j.r.Comparison
	if r.Previous == nil || !c.Significant || !c.Worse {
		return
	}
	j.flag(NotReady, "%s %s is %s, significantly worse than %s's %s over the same period (p = %s, %s)",
		j.version, r.SLO, pct2(*r.SLI), r.Previous.Version, pctOf(r.Previous.SLI), pValue(c.P), c.Test)
}

func (j *judgement) platforms() {
	r, t := j.r, j.t
	for _, x := range r.Platforms {
		if x.Total < t.MinEvents {
			continue
		}
		switch {
		case *x.SLI < r.Objective:
			j.flag(NotReady, "on %s, %s %s is %s, below its %s objective (%d events)", x.Platform, j.version, r.SLO, pct2(*x.SLI), pct2(r.Objective), x.Total)
		case x.Significant && x.Worse:
			j.flag(NotReady, "on %s, %s %s is %s, significantly worse than %s's %s", x.Platform, j.version, r.SLO, pct2(*x.SLI), x.Previous.Version, pctOf(x.Previous.SLI))
		}
	}
}

// versus compares with the previous release in words, for a ready SLO.
func (j *judgement) versus() string {
	r, c := j.r, j.r.Comparison
	switch {
	case r.Previous == nil:
		return " (no previous release to compare with)"
	case !c.Enough:
		return fmt.Sprintf("; %s has too few events over the same period to compare with (%d)", r.Previous.Version, r.Previous.Total)
	case c.Significant:
		return fmt.Sprintf(", significantly better than %s's %s", r.Previous.Version, pctOf(r.Previous.SLI))
	}
	return fmt.Sprintf(", not significantly different from %s's %s (p = %s)", r.Previous.Version, pctOf(r.Previous.SLI), pValue(c.P))
}

// pct2 writes a ratio as a percentage with two decimals (99.95%).
func pct2(f float64) string { return fmt.Sprintf("%.2f%%", f*100) }

func pctOf(f *float64) string {
	if f == nil {
		return "no data"
	}
	return pct2(*f)
}

func pValue(p float64) string {
	if p < 0.001 {
		return "< 0.001"
	}
	return fmt.Sprintf("%.3f", p)
}
