package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flowslo/flowslo/slo/expr"
)

// platformCounts splits the release and the previous one by platform in
// every planned SLO that has a platform, from raw rows: one scan per table
// over the earliest period, each row counted for every SLO it belongs to,
// and only rows already rolled up (inserted before the SLO's watermark),
// so the split adds up to the rollups' counts.
func (e *Engine) platformCounts(ctx context.Context, plans []*relPlan, version string, now time.Time) error {
	byTable := map[string][]*relPlan{}
	var tables []string
	for _, p := range plans {
		if p.plat == nil || p.rolled <= 0 {
			continue
		}
		if byTable[p.s.SLI.Table] == nil {
			tables = append(tables, p.s.SLI.Table)
		}
		byTable[p.s.SLI.Table] = append(byTable[p.s.SLI.Table], p)
	}
	for _, table := range tables {
		if err := e.platformsOf(ctx, table, byTable[table], version, now); err != nil {
			return err
		}
	}
	for _, p := range plans {
		comparePlatforms(p.out, e.opts.Readiness)
	}
	return nil
}

// platformSQL counts, per raw row, which planned SLOs it belongs to (ts),
// whether it is good in each (gs), and its release and platform in each
// (vs, ps); then one row per (SLO, release, platform). Filters, releases
// and platforms that SLOs share are computed once per row (aliases): with
// their parameters renamed per SLO, ClickHouse would not see them as one.
func platformSQL(b *params, table string, plans []*relPlan, version string, now time.Time) string {
	d := &dedup{b: b, ix: map[string]string{}}
	var ts, gs, vs, ps []string
	first := now
	for _, p := range plans {
		ver := d.alias("toString(", p.s.SLI.Slices[atoi(p.key)], ")")
		versions := []string{version}
		if p.prev != "" {
			versions = append(versions, p.prev)
		}
		since := d.raw(fmt.Sprintf("since %d %d", p.from.UnixNano(), p.rolled), func() string {
			return fmt.Sprintf("toUInt8(Timestamp >= fromUnixTimestamp64Nano(%s) AND %s < %s)", b.num(p.from.UnixNano()), inserted, b.msTime(p.rolled))
		})
		isVersion := d.raw("versions "+ver+" "+strings.Join(versions, "\x00"), func() string {
			return fmt.Sprintf("toUInt8(has(%s, %s))", b.strs(versions), ver)
		})
		ts = append(ts, fmt.Sprintf("%s * %s * %s", d.alias("toUInt8(", p.s.SLI.Total, ")"), since, isVersion))
		gs = append(gs, d.alias("toUInt8(", p.s.SLI.Good, ")"))
		vs = append(vs, ver)
		ps = append(ps, d.alias("toString(", *p.plat, ")"))
		first = earlier(first, p.from)
	}
	return fmt.Sprintf(`SELECT i, vs[i] AS v, ps[i] AS pl, countIf(gs[i] = 1), count()
FROM (
	SELECT ts, gs, vs, ps FROM (SELECT %s, [%s] AS ts, [%s] AS gs, [%s] AS vs, [%s] AS ps FROM %s WHERE %s)
	WHERE has(ts, 1)
) ARRAY JOIN arrayFilter((j, t) -> t = 1, arrayEnumerate(ts), ts) AS i
GROUP BY i, v, pl`, strings.Join(d.cols, ", "), strings.Join(ts, ", "), strings.Join(gs, ", "), strings.Join(vs, ", "), strings.Join(ps, ", "),
		table, timeRange(b, table, first, time.Time{}))
}

// dedup names each distinct expression once, as a column alias.
type dedup struct {
	b    *params
	ix   map[string]string
	cols []string
}

func (d *dedup) alias(pre string, c expr.Compiled, post string) string {
	return d.raw(pre+exprKey(c), func() string { return pre + prefixed(c, d.b.prefix(), d.b.p) + post })
}

// raw names the SQL sql() writes, once per key.
func (d *dedup) raw(key string, sql func() string) string {
	if a, ok := d.ix[key]; ok {
		return a
	}
	a := "e" + strconv.Itoa(len(d.cols))
	d.cols = append(d.cols, sql()+" AS "+a)
	d.ix[key] = a
	return a
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func (e *Engine) platformsOf(ctx context.Context, table string, plans []*relPlan, version string, now time.Time) error {
	b := newParams("p")
	rows, err := e.q.Query(ctx, platformSQL(b, table, plans, version, now), b.p)
	if err != nil {
		return fmt.Errorf("release %s by platform: %w", version, err)
	}
	defer rows.Close()
	prev := map[[2]string]counts{}
	for rows.Next() {
		var i int
		var v, pl string
		var c counts
		if err := rows.Scan(&i, &v, &pl, &c.good, &c.total); err != nil {
			return fmt.Errorf("release %s by platform: %w", version, err)
		}
		if pl == "" {
			pl = "unknown"
		}
		p := plans[i-1]
		if v == version {
			p.out.Platforms = append(p.out.Platforms, PlatformSplit{Platform: pl, Good: c.good, Total: c.total, SLI: c.sli()})
		} else {
			prev[[2]string{p.s.Name, pl}] = c
		}
	}
	for _, p := range plans {
		for i := range p.out.Platforms {
			x := &p.out.Platforms[i]
			if c, ok := prev[[2]string{p.s.Name, x.Platform}]; ok {
				x.Previous = &ReleaseCounts{Version: p.prev, Good: c.good, Total: c.total, SLI: c.sli()}
			}
		}
	}
	return rows.Err()
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
