package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flowslo/flowslo/slo"
)

// plan is what one evaluation reads: every window start as a column (the
// distinct SLO windows and the burn-rate windows).
type plan struct {
	now, end time.Time // end: the first minute after now
	slos     []*slo.SLO
	progress []*Progress // per SLO: set while it is not current
	starts   []time.Time
	sloCol   []int // per SLO: its window's column in starts
	burnCol  []int // per burn window
	hourCol  int
	extra    []int     // columns every SLO is read over besides these (Counts' windows)
	split    time.Time // rolled-up minutes before it are read as hours
}

func (e *Engine) plan(now time.Time) *plan {
	p := &plan{now: now, end: floorMinute(now).Add(time.Minute), slos: e.slos}
	p.split = floorMinute(now).Truncate(time.Hour)
	for _, s := range e.slos {
		p.sloCol = append(p.sloCol, p.column(sloWindowStart(s.Window, now)))
		var prog *Progress
		if !e.current(s, now) {
			pr := e.progressOf(s, now)
			prog = &pr
		}
		p.progress = append(p.progress, prog)
	}
	for _, w := range BurnWindows {
		p.burnCol = append(p.burnCol, p.column(windowStart(now, time.Duration(w))))
	}
	p.hourCol = p.column(windowStart(now, time.Hour))
	return p
}

// subset is p for the SLOs at idx only, with the same columns.
func (p *plan) subset(idx []int) *plan {
	q := *p
	q.slos, q.progress, q.sloCol = nil, nil, nil
	for _, i := range idx {
		q.slos, q.progress, q.sloCol = append(q.slos, p.slos[i]), append(q.progress, p.progress[i]), append(q.sloCol, p.sloCol[i])
	}
	return &q
}

func (p *plan) earliest() time.Time { return slices.MinFunc(p.starts, time.Time.Compare) }

// cols are the columns SLO i is read over: its window, the burn windows,
// the last hour and the extra ones. (The other columns are other SLOs'
// windows.)
func (p *plan) cols(i int) []int {
	return append(append([]int{p.sloCol[i], p.hourCol}, p.burnCol...), p.extra...)
}

// first is the earliest start SLO i is read from.
func (p *plan) first(i int) time.Time {
	t := p.starts[p.sloCol[i]]
	for _, c := range p.cols(i) {
		t = earlier(t, p.starts[c])
	}
	return t
}

// Evaluate counts the rows inserted since the last roll, then computes
// every SLO's numbers now, keeps them for Status and returns them. A
// failed roll fails it: what it would show is not everything stored.
func (e *Engine) Evaluate(ctx context.Context) ([]SLOStatus, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.rollLocked(ctx); err != nil {
		return nil, err
	}
	return e.evaluateLocked(ctx, false)
}

// evaluateLocked computes every SLO's numbers from what is rolled up:
// current SLOs from memory, the others (backfilling, catching up) from
// slo_rollup (cold, or all of them when cold is set). Call with mu held.
func (e *Engine) evaluateLocked(ctx context.Context, cold bool) ([]SLOStatus, error) {
	if err := e.load(ctx); err != nil {
		return nil, err
	}
	now := e.opts.Clock()
	p := e.plan(now)
	out := make([]SLOStatus, len(p.slos))
	if len(p.slos) == 0 {
		e.last.Store(&snapshot{at: now, status: out})
		return out, nil
	}
	t0 := time.Now()
	whole, sliced, err := e.windowCounts(ctx, p, true, cold)
	if err != nil {
		return nil, err
	}
	e.opts.Logger.Debug("evaluated", "slos", len(p.slos), "took", time.Since(t0))
	for i, s := range p.slos {
		out[i] = e.status(s, p, i, whole[s.Name], sliced[s.Name])
	}
	e.last.Store(&snapshot{at: now, status: out})
	return out, nil
}

// windowCounts returns per SLO of p the counts since each of p's window
// starts, and with withSlices its slices' counts over its own window and
// the last hour (the columns status reads), capped. The SLOs memory holds
// back to their earliest column are summed there; the others are read
// from slo_rollup, as are all with cold.
func (e *Engine) windowCounts(ctx context.Context, p *plan, withSlices, cold bool) (map[string][]counts, map[string][]sliceRow, error) {
	if e.suspect || e.opts.ReadOnly { // memory may lack writes it has not seen: read slo_rollup
		cold = true
	} else if err := e.syncMemory(ctx, p.now); err != nil {
		return nil, nil, err
	}
	var hot, rest []int
	for i, s := range p.slos {
		if d := e.mem.defs[key(s)]; !cold && d != nil && d.from <= p.first(i).Unix() {
			hot = append(hot, i)
		} else {
			rest = append(rest, i)
		}
	}
	whole, sliced, err := e.memCounts(ctx, p, hot, withSlices)
	if err != nil || len(rest) == 0 {
		return whole, sliced, err
	}
	q := p.subset(rest)
	w, err := e.queryWhole(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	maps.Copy(whole, w)
	if withSlices {
		sl, err := e.querySlices(ctx, q)
		if err != nil {
			return nil, nil, err
		}
		maps.Copy(sliced, sl)
	}
	return whole, sliced, nil
}

// memCounts is windowCounts for the SLOs of p at idx, all held in memory.
func (e *Engine) memCounts(ctx context.Context, p *plan, idx []int, withSlices bool) (map[string][]counts, map[string][]sliceRow, error) {
	whole, sliced := map[string][]counts{}, map[string][]sliceRow{}
	if len(idx) == 0 {
		return whole, sliced, nil
	}
	end := p.end.Unix()
	need := map[int64]int{}
	for _, i := range idx {
		for _, c := range p.cols(i) {
			for _, h := range edgeHours(p.starts[c].Unix(), end) {
				need[h] |= wholeRows
			}
		}
	}
	sliceCols := []int{p.hourCol}
	for _, i := range idx {
		if withSlices && len(p.slos[i].Slices) > 0 && !slices.Contains(sliceCols, p.sloCol[i]) {
			sliceCols = append(sliceCols, p.sloCol[i])
		}
	}
	if withSlices {
		for _, c := range sliceCols {
			for _, h := range edgeHours(p.starts[c].Unix(), end) {
				need[h] |= sliceRows
			}
		}
	}
	if err := e.loadMinutes(ctx, need); err != nil {
		return nil, nil, err
	}
	e.mem.touch(need, p.now)
	var coldSlices []int
	for _, i := range idx {
		s, def := p.slos[i], key(p.slos[i])
		c := make([]counts, len(p.starts))
		for _, j := range p.cols(i) {
			c[j] = e.mem.window(def, seriesKey{}, p.starts[j].Unix(), end)
		}
		whole[s.Name] = c
		if withSlices && len(s.Slices) > 0 {
			if e.mem.defs[def].slicesCold {
				coldSlices = append(coldSlices, i)
				continue
			}
			sliced[s.Name] = capSlices(e.memSlices(def, p, []int{p.sloCol[i], p.hourCol}), p.sloCol[i], e.opts.SliceCap)
		}
	}
	if len(coldSlices) > 0 {
		sl, err := e.querySlices(ctx, p.subset(coldSlices))
		if err != nil {
			return nil, nil, err
		}
		maps.Copy(sliced, sl)
	}
	return whole, sliced, nil
}

// memSlices are def's slice rows with the counts of columns cols.
func (e *Engine) memSlices(def string, p *plan, cols []int) []sliceRow {
	var out []sliceRow
	for k := range e.mem.defs[def].series {
		if k.slice == "" {
			continue
		}
		i, _ := sliceIndex(k.slice)
		r := sliceRow{index: i, value: k.value, c: make([]counts, len(p.starts))}
		for _, col := range cols {
			r.c[col] = e.mem.window(def, k, p.starts[col].Unix(), p.end.Unix())
		}
		out = append(out, r)
	}
	return out
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
		st.BurnRates[bw] = c[p.burnCol[j]].burnRate(s.ErrorBudget())
	}
	st.Status = classify(st, e.opts.BurningRate)
	if r := e.states[key(s)]; r != nil && r.err != nil {
		st.Stale = "counted until " + time.UnixMilli(r.rolled).UTC().Format(time.RFC3339) + ": rolling up fails since (the log says why)"
	}
	if p.progress[i] != nil {
		st.Status, st.Backfill = StatusBackfilling, p.progress[i]
	} else if t := e.partialSince(s, st.WindowStart); !t.IsZero() {
		st.PartialSince = &t
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

// Long windows read whole hours (res 1) and minutes (res 0) only at their
// edges: rolled-up minutes before the plan's split (the current hour) are
// read as hours, those after it as minutes. The split is arbitrary for
// correctness (every roll writes a minute's counts and its hour's in one
// INSERT); at the current hour it keeps the minutes read few. This is how
// SLOs memory does not hold are read, and the reference memory is tested
// against (memory_test.go).

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
	hours, minutes := "res = 1 AND "+which, "res = 0 AND "+which
	return "SELECT slo, slice_key, slice_value, minute, good, total, toUInt8(1) AS lvl FROM slo_rollup WHERE " + hours +
		" AND minute >= " + b.minute(p.earliest().Truncate(time.Hour)) + " AND minute < " + split +
		"\nUNION ALL\nSELECT slo, slice_key, slice_value, minute, good, total, toUInt8(0) AS lvl FROM slo_rollup WHERE " + minutes +
		" AND minute >= " + b.minute(p.earliest()) + " AND minute < " + b.minute(p.end) + " AND (" + strings.Join(edges, " OR ") + ")"
}

// wholeSQL selects per SLO the counts since each window start: rolled-up
// rows and the live ones (open).
func wholeSQL(b *params, p *plan) string {
	return "SELECT slo, " + sums(b, p) + " FROM (\n" + rollupRows(b, p, "slice_key = ''") + "\n) GROUP BY slo"
}

// slicesSQL selects per SLO, slice and value the counts since each window
// start.
func slicesSQL(b *params, p *plan) string {
	return "SELECT slo, slice_key, slice_value, " + sums(b, p) + " FROM (\n" + rollupRows(b, p, declaredSlices(b, p.slos)) + "\n) GROUP BY slo, slice_key, slice_value"
}

// declaredSlices is the condition selecting the rollup rows of the SLOs'
// declared slices, not the internal ones (the release pair) after them.
func declaredSlices(b *params, slos []*slo.SLO) string {
	var pairs []string
	for _, s := range slos {
		for i := range s.Slices {
			pairs = append(pairs, "("+quote(s.Name)+",'"+strconv.Itoa(i)+"')")
		}
	}
	return "(slo, slice_key) IN " + b.add("Array(Tuple(String, String))", "["+strings.Join(pairs, ",")+"]")
}

// declaredOnly returns slos with only their declared slices: evaluation
// shows no internal slice, so its live rows need not count them.
func declaredOnly(slos []*slo.SLO) []*slo.SLO {
	out := make([]*slo.SLO, len(slos))
	for i, s := range slos {
		out[i] = s
		if len(s.SLI.Slices) > len(s.Slices) {
			c := *s
			c.SLI.Slices = c.SLI.Slices[:len(c.Slices)]
			out[i] = &c
		}
	}
	return out
}

// queryWhole returns per SLO the counts since each window start.
func (e *Engine) queryWhole(ctx context.Context, p *plan) (map[string][]counts, error) {
	b := newParams("e")
	rows, err := e.q.Query(ctx, wholeSQL(b, p), b.p)
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
	index  int
	value  string
	c      []counts
	folded bool // the "other" row capSlices made
}

// querySlices returns per SLO its slice values' counts since each window
// start, the values beyond SliceCap (by events over the longest window)
// merged into "other".
func (e *Engine) querySlices(ctx context.Context, p *plan) (map[string][]sliceRow, error) {
	if !slices.ContainsFunc(p.slos, func(s *slo.SLO) bool { return len(s.Slices) > 0 }) {
		return nil, nil
	}
	b := newParams("e")
	rows, err := e.q.Query(ctx, slicesSQL(b, p), b.p)
	if err != nil {
		return nil, fmt.Errorf("evaluate slices: %w", err)
	}
	defer rows.Close()
	declared := map[string]int{}
	for _, s := range p.slos {
		declared[s.Name] = len(s.Slices)
	}
	out := map[string][]sliceRow{}
	for rows.Next() {
		var name, k string
		var r sliceRow
		c, dest := countDest(len(p.starts), &name, &k, &r.value)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("evaluate slices: %w", err)
		}
		r.c = c
		if r.index, err = strconv.Atoi(k); err != nil || r.index >= declared[name] {
			continue
		}
		out[name] = append(out[name], r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("evaluate slices: %w", err)
	}
	for i, s := range p.slos {
		if rs := out[s.Name]; rs != nil {
			out[s.Name] = capSlices(rs, p.sloCol[i], e.opts.SliceCap)
		}
	}
	return out, nil
}

// capSlices keeps, per slice, the cap values with the most events in the
// SLO's own window (column col) and folds the others into "other", over
// every window alike: counts are kept per value, so a value's rank is
// decided by the window read, never by what a roll happened to see.
func capSlices(rs []sliceRow, col, limit int) []sliceRow {
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].index != rs[j].index {
			return rs[i].index < rs[j].index
		}
		if a, b := rs[i].c[col].total, rs[j].c[col].total; a != b {
			return a > b
		}
		return rs[i].value < rs[j].value
	})
	var out []sliceRow
	kept := 0
	for i, r := range rs {
		if i > 0 && r.index != rs[i-1].index {
			kept = 0
		}
		switch {
		case r.c[col].total == 0: // no events in the window: not shown
		case kept < limit:
			out, kept = append(out, r), kept+1
		default:
			out = foldOther(out, r)
		}
	}
	return out
}

// foldOther adds r to the "other" row of its slice at the end of rs.
func foldOther(rs []sliceRow, r sliceRow) []sliceRow {
	if n := len(rs); n == 0 || rs[n-1].index != r.index || rs[n-1].value != "other" || !rs[n-1].folded {
		rs = append(rs, sliceRow{index: r.index, value: "other", folded: true, c: make([]counts, len(r.c))})
	}
	o := &rs[len(rs)-1]
	for j := range o.c {
		o.c[j].good += r.c[j].good
		o.c[j].total += r.c[j].total
	}
	return rs
}
