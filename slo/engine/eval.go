package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flowslo/flowslo/slo"
)

// plan is what one evaluation reads: every window start as a column (the
// distinct SLO windows and the burn-rate windows), and per SLO where its
// open minutes start (zero while it is being backfilled: its rollups are
// partial and there is no watermark to join the open minutes to).
type plan struct {
	now, end time.Time // end: the first minute after now
	slos     []*slo.SLO
	live     []time.Time
	progress []*Progress
	starts   []time.Time
	sloCol   []int // per SLO: its window's column in starts
	burnCol  []int // per burn window
	hourCol  int
	split    time.Time // rolled-up minutes before it are read as hours
}

func (e *Engine) plan(now time.Time) *plan {
	p := &plan{now: now, end: floorMinute(now).Add(time.Minute), slos: e.slos}
	col := func(t time.Time) int {
		if i := slices.IndexFunc(p.starts, t.Equal); i >= 0 {
			return i
		}
		p.starts = append(p.starts, t)
		return len(p.starts) - 1
	}
	h := e.horizon(now)
	p.split = h.Truncate(time.Hour)
	for _, s := range e.slos {
		p.sloCol = append(p.sloCol, col(sloWindowStart(s.Window, now)))
		st := e.stateOf(key(s))
		var live time.Time
		var prog *Progress
		if st.current(h) {
			live = st.closed
		} else {
			pr := progressOf(s, st, h)
			prog = &pr
		}
		p.live, p.progress = append(p.live, live), append(p.progress, prog)
	}
	for _, w := range BurnWindows {
		p.burnCol = append(p.burnCol, col(windowStart(now, w.D)))
	}
	p.hourCol = col(windowStart(now, time.Hour))
	return p
}

func (p *plan) earliest() time.Time { return slices.MinFunc(p.starts, time.Time.Compare) }

// Evaluate computes every SLO's numbers now, keeps them for Status and
// returns them. It costs two queries however many SLOs there are.
func (e *Engine) Evaluate(ctx context.Context) ([]SLOStatus, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.load(ctx); err != nil {
		return nil, err
	}
	now := e.opts.Clock()
	p := e.plan(now)
	out := make([]SLOStatus, len(p.slos))
	if len(p.slos) == 0 {
		e.last = &snapshot{at: now, status: out}
		return out, nil
	}
	t0 := time.Now()
	whole, err := e.queryWhole(ctx, p)
	if err != nil {
		return nil, err
	}
	t1 := time.Now()
	sliced, err := e.querySlices(ctx, p)
	if err != nil {
		return nil, err
	}
	e.opts.Logger.Debug("evaluated", "whole", t1.Sub(t0), "slices", time.Since(t1))
	for i, s := range p.slos {
		out[i] = e.status(s, p, i, whole[s.Name], sliced[s.Name])
	}
	e.last = &snapshot{at: now, status: out}
	return out, nil
}

func (e *Engine) status(s *slo.SLO, p *plan, i int, c []counts, sl []sliceRow) SLOStatus {
	st := newStatus(s, p.now, p.starts[p.sloCol[i]])
	if c == nil {
		c = make([]counts, len(p.starts))
	}
	w := c[p.sloCol[i]]
	st.Good, st.Total = w.good, w.total
	st.SLI, st.ErrorBudgetRemaining = w.sli(), w.budgetRemaining(s.ErrorBudget())
	for j, bw := range BurnWindows {
		st.BurnRates[bw.Key] = c[p.burnCol[j]].burnRate(s.ErrorBudget())
	}
	st.Status = classify(st, e.opts.BurningRate)
	if p.progress[i] != nil {
		st.Status, st.Backfill = StatusBackfilling, p.progress[i]
	}
	for _, r := range sl {
		w, h := r.c[p.sloCol[i]], r.c[p.hourCol]
		st.Slices = append(st.Slices, SliceStatus{
			Slice: s.Slices[r.index], Value: r.value, Good: w.good, Total: w.total,
			SLI: w.sli(), ErrorBudgetRemaining: w.budgetRemaining(s.ErrorBudget()),
			BurnRate1h: h.burnRate(s.ErrorBudget()),
		})
	}
	return st
}

// Long windows read whole hours from slo_rollup_hour and minutes only at
// their edges: rolled-up minutes before the plan's split (an hour
// boundary) are read as hours, those after it as minutes. The split is
// arbitrary for correctness (the hour table holds exactly the sums of the
// minute table); near the horizon it keeps the minutes read few.

func ceilHour(t time.Time) time.Time {
	if h := t.Truncate(time.Hour); !h.Equal(t) {
		return h.Add(time.Hour)
	}
	return t
}

// sums selects, per window start, the good and total counts since it,
// named c<i>g and c<i>t. Rows come with lvl 1 (an hour) or 0 (a minute).
func sums(b *params, p *plan) string {
	split := b.minute(p.split)
	var cols []string
	for i, t := range p.starts {
		m := b.minute(t)
		cond := "lvl = 0 AND minute >= " + m
		if t.Before(p.split) {
			c := b.minute(ceilHour(t))
			cond = fmt.Sprintf("lvl = 1 AND minute >= %s OR lvl = 0 AND (minute >= %s OR minute >= %s AND minute < %s)", c, split, m, c)
		}
		cols = append(cols, fmt.Sprintf("sumIf(good, %s) AS c%dg, sumIf(total, %s) AS c%dt", cond, i, cond, i))
	}
	return strings.Join(cols, ", ")
}

// rollupRows selects the plan's SLOs' rolled-up hours and minutes, columns
// slo, slice_key, slice_value, minute, good, total, lvl; (slo, hash)
// picks each SLO's current definition.
func rollupRows(b *params, p *plan, sliceCond string) string {
	var names, pairs []string
	for _, s := range p.slos {
		names = append(names, s.Name)
		pairs = append(pairs, "("+quote(s.Name)+","+quote(s.Hash)+")")
	}
	which := sliceCond + " AND slo IN " + b.strs(names) +
		" AND (slo, hash) IN " + b.add("Array(Tuple(String, String))", "["+strings.Join(pairs, ",")+"]")
	split := b.minute(p.split)
	edges := []string{"minute >= " + split}
	for _, t := range p.starts {
		if t.Before(p.split) && !ceilHour(t).Equal(t) {
			edges = append(edges, "minute >= "+b.minute(t)+" AND minute < "+b.minute(ceilHour(t)))
		}
	}
	return "SELECT slo, slice_key, slice_value, hour AS minute, good, total, toUInt8(1) AS lvl FROM slo_rollup_hour WHERE " + which +
		" AND hour >= " + b.minute(p.earliest().Truncate(time.Hour)) + " AND hour < " + split +
		"\nUNION ALL\nSELECT slo, slice_key, slice_value, minute, good, total, toUInt8(0) AS lvl FROM slo_rollup WHERE " + which +
		" AND minute >= " + b.minute(p.earliest()) + " AND (" + strings.Join(edges, " OR ") + ")"
}

// queryWhole returns per SLO the counts since each window start.
func (e *Engine) queryWhole(ctx context.Context, p *plan) (map[string][]counts, error) {
	b := newParams("e")
	parts := []string{rollupRows(b, p, "slice_key = ''")}
	parts = append(parts, liveRows(b, p, false)...)
	q := "SELECT slo, " + sums(b, p) + " FROM (\n" + strings.Join(parts, "\nUNION ALL\n") + "\n) GROUP BY slo"
	rows, err := e.q.Query(ctx, q, b.p)
	if err != nil {
		return nil, fmt.Errorf("evaluate slos: %w", err)
	}
	defer rows.Close()
	out := map[string][]counts{}
	for rows.Next() {
		var name string
		c, dest := countDest(len(p.starts), &name)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("evaluate slos: %w", err)
		}
		out[name] = c
	}
	return out, rows.Err()
}

// countDest returns scan destinations: lead, then good and total per window.
func countDest(n int, lead ...any) ([]counts, []any) {
	c := make([]counts, n)
	dest := append([]any(nil), lead...)
	for i := range c {
		dest = append(dest, &c[i].good, &c[i].total)
	}
	return c, dest
}

type sliceRow struct {
	index int
	value string
	c     []counts
}

// querySlices returns per SLO its slice values' counts since each window
// start, the values beyond SliceCap (by events over the longest window)
// merged into "other".
func (e *Engine) querySlices(ctx context.Context, p *plan) (map[string][]sliceRow, error) {
	b := newParams("e")
	parts := []string{rollupRows(b, p, "slice_key NOT IN ('', '~', '^')")}
	if !slices.ContainsFunc(p.slos, func(s *slo.SLO) bool { return len(s.Slices) > 0 }) {
		return nil, nil
	}
	parts = append(parts, liveRows(b, p, true)...)
	var outer []string
	for i := range p.starts {
		outer = append(outer, fmt.Sprintf("sum(c%dg), sum(c%dt)", i, i))
	}
	q := fmt.Sprintf(`SELECT slo, k, if(rnk <= %s, v, 'other') AS val, %s
FROM (
	SELECT *, row_number() OVER (PARTITION BY slo, k ORDER BY tmax DESC, v) AS rnk
	FROM (
		SELECT slo, slice_key AS k, slice_value AS v, %s, sum(total) AS tmax
		FROM (%s)
		GROUP BY slo, k, v
	)
)
GROUP BY slo, k, val`,
		b.num(int64(e.opts.SliceCap)), strings.Join(outer, ", "), sums(b, p),
		strings.Join(parts, "\nUNION ALL\n"))
	rows, err := e.q.Query(ctx, q, b.p)
	if err != nil {
		return nil, fmt.Errorf("evaluate slices: %w", err)
	}
	defer rows.Close()
	out := map[string][]sliceRow{}
	for rows.Next() {
		var name, k string
		var r sliceRow
		c, dest := countDest(len(p.starts), &name, &k, &r.value)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("evaluate slices: %w", err)
		}
		r.c = c
		if r.index, err = strconv.Atoi(k); err != nil {
			continue
		}
		out[name] = append(out[name], r)
	}
	for _, rs := range out {
		sortSlices(rs, p)
	}
	return out, rows.Err()
}

// sortSlices orders rows by slice, then by events over the longest window.
func sortSlices(rs []sliceRow, p *plan) {
	long := slices.Index(p.starts, p.earliest())
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].index != rs[j].index {
			return rs[i].index < rs[j].index
		}
		if a, b := rs[i].c[long].total, rs[j].c[long].total; a != b {
			return a > b
		}
		return rs[i].value < rs[j].value
	})
}

// liveRows aggregates the open minutes of every current SLO from raw rows:
// one scan per table however many SLOs read it. Each raw row yields a hit
// (slo, slice_key, slice_value, good) per SLO whose total filter it
// passes; whole-SLO hits have slice_key ”.
func liveRows(b *params, p *plan, sliced bool) []string {
	type group struct {
		hits  []string
		first time.Time
	}
	byTable := map[string]*group{}
	var tables []string
	for i, s := range p.slos {
		if p.live[i].IsZero() || sliced && len(s.Slices) == 0 {
			continue
		}
		g := byTable[s.SLI.Table]
		if g == nil {
			g = &group{first: p.live[i]}
			byTable[s.SLI.Table] = g
			tables = append(tables, s.SLI.Table)
		}
		if p.live[i].Before(g.first) {
			g.first = p.live[i]
		}
		pfx := "l" + strconv.Itoa(i) + "_"
		name, good := b.str(s.Name), "toUInt8("+prefixed(s.SLI.Good, pfx, b.p)+")"
		var hits []string
		if sliced {
			for j, c := range s.SLI.Slices {
				hits = append(hits, fmt.Sprintf("(%s, '%d', toString(%s), %s)", name, j, prefixed(c, pfx, b.p), good))
			}
		} else {
			hits = append(hits, fmt.Sprintf("(%s, '', '', %s)", name, good))
		}
		g.hits = append(g.hits, fmt.Sprintf("if((%s) AND %s >= %s, [%s], [])",
			prefixed(s.SLI.Total, pfx, b.p), rawMinute, b.minute(p.live[i]), strings.Join(hits, ", ")))
	}
	var out []string
	for _, t := range tables {
		g := byTable[t]
		out = append(out, fmt.Sprintf(`SELECT hit.1 AS slo, hit.2 AS slice_key, hit.3 AS slice_value, %s AS minute, toUInt64(sum(hit.4)) AS good, count() AS total, toUInt8(0) AS lvl
FROM %s ARRAY JOIN arrayConcat(%s) AS hit
WHERE %s
GROUP BY slo, slice_key, slice_value, minute`, rawMinute, t, strings.Join(g.hits, ", "), timeRange(b, t, g.first, p.end)))
	}
	return out
}
