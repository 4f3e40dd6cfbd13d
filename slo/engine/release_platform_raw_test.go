package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/expr"
)

// The platform split as it was before the pair slice: counted from raw
// rows of the release's period (each row's release and platform computed
// per planned SLO, shared expressions once), kept here as the baseline of
// BenchmarkRelease.

// UseRawPlatformSplit makes e split releases by platform from raw rows
// (on) or from the rollups again.
func UseRawPlatformSplit(e *Engine, on bool) {
	e.platformSplit = nil
	if on {
		e.platformSplit = func(ctx context.Context, plans []*relPlan, version string) error {
			return e.rawPlatformCounts(ctx, plans, version, e.opts.Clock())
		}
	}
}

func (e *Engine) rawPlatformCounts(ctx context.Context, plans []*relPlan, version string, now time.Time) error {
	byTable := map[string][]*relPlan{}
	var tables []string
	for _, p := range plans {
		if p.rolled <= 0 {
			continue
		}
		if byTable[p.s.SLI.Table] == nil {
			tables = append(tables, p.s.SLI.Table)
		}
		byTable[p.s.SLI.Table] = append(byTable[p.s.SLI.Table], p)
	}
	for _, table := range tables {
		if err := e.rawPlatformsOf(ctx, table, byTable[table], version, now); err != nil {
			return err
		}
	}
	for _, p := range plans {
		comparePlatforms(p.out, e.opts.Readiness)
	}
	return nil
}

func rawPlatformSQL(b *params, table string, plans []*relPlan, version string, now time.Time) string {
	d := &dedup{b: b, ix: map[string]string{}}
	var ts, gs, vs []string
	first := now
	for _, p := range plans {
		ver := d.alias("toString(", p.s.SLI.Slices[p.s.Release.Release], ")")
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
		vs = append(vs, d.alias("", p.s.SLI.Slices[p.s.Release.Key], ""))
		first = earlier(first, p.from)
	}
	return fmt.Sprintf(`SELECT i, vs[i] AS v, countIf(gs[i] = 1), count()
FROM (
	SELECT ts, gs, vs FROM (SELECT %s, [%s] AS ts, [%s] AS gs, [%s] AS vs FROM %s WHERE %s)
	WHERE has(ts, 1)
) ARRAY JOIN arrayFilter((j, t) -> t = 1, arrayEnumerate(ts), ts) AS i
GROUP BY i, v`, strings.Join(d.cols, ", "), strings.Join(ts, ", "), strings.Join(gs, ", "), strings.Join(vs, ", "),
		table, timeRange(b, table, first, time.Time{}))
}

type dedup struct {
	b    *params
	ix   map[string]string
	cols []string
}

func (d *dedup) alias(pre string, c expr.Compiled, post string) string {
	return d.raw(pre+exprKey(c), func() string { return pre + prefixed(c, d.b.prefix(), d.b.p) + post })
}

func (d *dedup) raw(key string, sql func() string) string {
	if a, ok := d.ix[key]; ok {
		return a
	}
	a := "e" + strconv.Itoa(len(d.cols))
	d.cols = append(d.cols, sql()+" AS "+a)
	d.ix[key] = a
	return a
}

func (e *Engine) rawPlatformsOf(ctx context.Context, table string, plans []*relPlan, version string, now time.Time) error {
	b := newParams("p")
	rows, err := e.q.Query(ctx, rawPlatformSQL(b, table, plans, version, now), b.p)
	if err != nil {
		return fmt.Errorf("release %s by platform: %w", version, err)
	}
	defer rows.Close()
	prev := map[[2]string]counts{}
	for rows.Next() {
		var i int
		var v string
		var c counts
		if err := rows.Scan(&i, &v, &c.good, &c.total); err != nil {
			return fmt.Errorf("release %s by platform: %w", version, err)
		}
		p := plans[i-1]
		ver, pl := slo.SplitPair(v)
		if ver == version {
			p.out.Platforms = append(p.out.Platforms, PlatformSplit{Platform: pl, Good: c.good, Total: c.total, SLI: c.sli()})
		} else {
			prev[[2]string{p.s.Name, pl}] = c
		}
	}
	for _, p := range plans {
		withPrevious(p, prev)
	}
	return rows.Err()
}
