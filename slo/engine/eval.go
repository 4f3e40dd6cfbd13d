package engine

import (
	"context"
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
			Slice: s.Slices[r.index], Value: r.value, Other: r.folded, Good: w.good, Total: w.total,
			SLI: w.sli(), ErrorBudgetRemaining: w.budgetRemaining(s.ErrorBudget()),
			BurnRate1h: h.burnRate(s.ErrorBudget()),
		})
	}
	return st
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
