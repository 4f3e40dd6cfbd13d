package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/flowslo/flowslo/slo"
)

// platformCounts splits the release and the previous one by platform in
// every planned SLO, from the rollups of its pair slice (release and
// platform counted together, slo.ReleasePair) over the same period as
// releaseCounts, so the split adds up to the release's counts. (It was
// counted from raw rows of the period until the pair slice existed: 1.2 s
// at 20,000 spans, growing with raw volume.)
func (e *Engine) platformCounts(ctx context.Context, plans []*relPlan, version string) error {
	if len(plans) == 0 {
		return nil
	}
	b := newParams("p")
	rows, err := e.q.Query(ctx, platformSQL(b, plans, version), b.p)
	if err != nil {
		return fmt.Errorf("release %s by platform: %w", version, err)
	}
	defer rows.Close()
	byName := plansByName(plans)
	prev := map[[2]string]counts{}
	for rows.Next() {
		var name, v string
		var c counts
		if err := rows.Scan(&name, &v, &c.good, &c.total); err != nil {
			return fmt.Errorf("release %s by platform: %w", version, err)
		}
		p := byName[name]
		ver, pl := slo.SplitPair(v)
		switch {
		case p == nil || c.total == 0:
		case ver == version:
			p.out.Platforms = append(p.out.Platforms, PlatformSplit{Platform: pl, Good: c.good, Total: c.total, SLI: c.sli()})
		case ver == p.prev:
			prev[[2]string{name, pl}] = c
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("release %s by platform: %w", version, err)
	}
	for _, p := range plans {
		withPrevious(p, prev)
		comparePlatforms(p.out, e.opts.Readiness)
	}
	return nil
}

// platformSQL selects per planned SLO and pair value (release, platform)
// the counts over the SLO's period (periodOf), for the release and the
// previous ones.
func platformSQL(b *params, plans []*relPlan, version string) string {
	l := lookupPlans(b, plans, func(p *relPlan) string { return p.pair })
	return `SELECT slo, slice_value, sum(good), sum(total) FROM slo_rollup
WHERE res < 2 AND ` + l.rows + ` AND ` + pairPrefixes(b, versionsOf(plans, version), slo.PairSep) + `
	AND minute >= ` + b.minute(l.first) + ` AND ` + l.minutes + ` AND (` + l.inPeriod + `)
GROUP BY slo, slice_value`
}

// withPrevious gives each platform of p the previous release's counts on
// the same platform.
func withPrevious(p *relPlan, prev map[[2]string]counts) {
	for i := range p.out.Platforms {
		x := &p.out.Platforms[i]
		if c, ok := prev[[2]string{p.s.Name, x.Platform}]; ok {
			x.Previous = &ReleaseCounts{Version: p.prev, Good: c.good, Total: c.total, SLI: c.sli()}
		}
	}
}

// comparePlatforms tests each platform against the previous release on
// the same platform, and orders them by events.
func comparePlatforms(r *ReleaseSLO, t Thresholds) {
	for i := range r.Platforms {
		x := &r.Platforms[i]
		if x.Previous == nil {
			continue
		}
		c := Compare(x.Good, x.Total, x.Previous.Good, x.Previous.Total, t.MinEvents, t.Alpha)
		x.Significant, x.Worse = c.Significant, c.Worse
	}
	sort.SliceStable(r.Platforms, func(i, j int) bool {
		a, b := r.Platforms[i], r.Platforms[j]
		if a.Total != b.Total {
			return a.Total > b.Total
		}
		return a.Platform < b.Platform
	})
	r.Platforms = slices.Clip(r.Platforms)
}
