package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/store"
)

// Bookkeeping rows in slo_rollup (slice_key): progressKey's minute is the
// watermark (every minute before it is rolled up), startKey's the minute a
// backfill started from. Writing the watermark in the same INSERT as the
// minutes it covers means a restart resumes exactly where rolling stopped.
const (
	progressKey = "~"
	startKey    = "^"
)

// currentLag is how far behind the horizon an SLO's watermark may be for
// each cycle to catch it up in one step; further behind, the backfiller
// takes it (after a new definition, or a long stop).
const currentLag = time.Hour

func floorMinute(t time.Time) time.Time { return t.UTC().Truncate(time.Minute) }

// horizon is the end of the closed minutes at now.
func (e *Engine) horizon(now time.Time) time.Time { return floorMinute(now.Add(-e.opts.Lateness)) }

// load reads every definition's watermark once; afterwards this engine is
// the only writer and keeps them in memory. Call with mu held.
func (e *Engine) load(ctx context.Context) error {
	if e.loaded {
		return nil
	}
	rows, err := e.q.Query(ctx, `SELECT slo, hash, slice_key, toInt64(max(toUnixTimestamp(minute)))
FROM slo_rollup WHERE slice_key IN ('~', '^') GROUP BY slo, hash, slice_key`, nil)
	if err != nil {
		return fmt.Errorf("read rollup watermarks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, hash, k string
		var sec int64
		if err := rows.Scan(&name, &hash, &k, &sec); err != nil {
			return fmt.Errorf("read rollup watermarks: %w", err)
		}
		st := e.stateOf(name + "/" + hash)
		if k == progressKey {
			st.closed = time.Unix(sec, 0).UTC()
		} else {
			st.from = time.Unix(sec, 0).UTC()
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read rollup watermarks: %w", err)
	}
	e.loaded = true
	return nil
}

func (e *Engine) stateOf(k string) *state {
	st := e.states[k]
	if st == nil {
		st = &state{}
		e.states[k] = st
	}
	return st
}

// current says whether s is rolled up far enough for each cycle to keep it
// up to date; otherwise it waits for (or is in) a backfill.
func (st *state) current(h time.Time) bool {
	return !st.backfilling && !st.closed.IsZero() && h.Sub(st.closed) <= currentLag
}

// rollCurrent rolls up, for every current SLO, the minutes closed since its
// watermark: one INSERT per distinct watermark (normally one in all).
func (e *Engine) rollCurrent(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.load(ctx); err != nil {
		return err
	}
	h := e.horizon(e.opts.Clock())
	groups := map[time.Time][]*slo.SLO{}
	for _, s := range e.slos {
		st := e.stateOf(key(s))
		if st.current(h) && st.closed.Before(h) {
			groups[st.closed] = append(groups[st.closed], s)
		}
	}
	for from, slos := range groups {
		if err := e.roll(ctx, slos, from, h); err != nil {
			for _, s := range slos {
				e.stateOf(key(s)).err = err
			}
			return err
		}
		for _, s := range slos {
			st := e.stateOf(key(s))
			st.closed, st.err = h, nil
		}
	}
	return nil
}

// roll writes the minutes [from, to) of slos, and their new watermark, in
// one INSERT: one scan of the raw rows per table for all of them.
func (e *Engine) roll(ctx context.Context, slos []*slo.SLO, from, to time.Time) error {
	b := newParams("r")
	starts := make([]time.Time, len(slos))
	for i := range starts {
		starts[i] = from
	}
	var rows []string
	for _, r := range rawSets(slos, starts, to, true) {
		rows = append(rows, r.rows(b, wholeRows|sliceRows))
	}
	parts := []string{e.capSlices(b, strings.Join(rows, "\nUNION ALL\n"))}
	for _, s := range slos {
		parts = append(parts, bookkeeping(b, s, progressKey, to))
	}
	q := "INSERT INTO slo_rollup (" + rawCols + ")\n" + strings.Join(parts, "\nUNION ALL\n")
	if err := e.q.Exec(ctx, q, b.p); err != nil {
		return fmt.Errorf("roll up %s to %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	return nil
}

func bookkeeping(b *params, s *slo.SLO, k string, at time.Time) string {
	return "SELECT " + b.str(s.Name) + ", " + b.str(s.Hash) + ", '" + k + "', '', " + b.minute(at) +
		", toUInt64(0), toUInt64(0), CAST([], 'Array(UInt16)'), CAST([], 'Array(UInt64)')"
}

// capSlices applies the slice cap to rows (rawCols, per minute): within
// the rolled range, each SLO's slice keeps its SliceCap most frequent
// values and counts the rest as "other"; the whole-SLO rows (slice_key
// ”) are exact regardless.
func (e *Engine) capSlices(b *params, rows string) string {
	return fmt.Sprintf(`SELECT slo, hash, slice_key, if(slice_key = '' OR rnk <= %s, slice_value, 'other') AS sv, minute,
	sum(good), sum(total), (sumMap(hist_b, hist_c) AS hs).1, hs.2
FROM (
	SELECT *, dense_rank() OVER (PARTITION BY slo, slice_key ORDER BY kt DESC, slice_value) AS rnk
	FROM (
		SELECT *, sum(total) OVER (PARTITION BY slo, slice_key, slice_value) AS kt
		FROM (%s)
	)
)
GROUP BY slo, hash, slice_key, sv, minute`, b.num(int64(e.opts.SliceCap)), rows)
}

// sliceTuples is the array of (slice_key, value) pairs each raw row
// contributes to: the whole SLO, then one per slice.
func sliceTuples(s *slo.SLO, pfx string, p store.Params, whole bool) string {
	var parts []string
	if whole {
		parts = append(parts, "('', '')")
	}
	for i, c := range s.SLI.Slices {
		parts = append(parts, fmt.Sprintf("('%d', toString(%s))", i, prefixed(c, pfx, p)))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// Backfill rolls up, chunk by chunk, every SLO whose watermark is missing or
// far behind, until all are current. Run calls it in the background; tests
// and benchmarks call it directly.
func (e *Engine) Backfill(ctx context.Context) error {
	e.backfillMu.Lock()
	defer e.backfillMu.Unlock()
	for {
		batch, err := e.nextBackfill(ctx)
		if err != nil || len(batch) == 0 {
			return err
		}
		err = e.backfill(ctx, batch)
		e.mu.Lock()
		for _, b := range batch {
			b.st.backfilling, b.st.err = false, err
		}
		e.mu.Unlock()
		if err != nil {
			return err
		}
	}
}

// backfillBatch is how many SLOs one backfill query rolls up together. A
// query's cost is mostly per query (analysis, one scan of the chunk), so
// 200 new SLOs backfill in a fraction of the time one by one would take.
const backfillBatch = 8

// pendingBackfill is one SLO taken by the backfiller.
type pendingBackfill struct {
	s  *slo.SLO
	st *state
}

// nextBackfill takes up to backfillBatch SLOs that need a backfill from the
// same point (so their chunks line up) and marks them taken.
func (e *Engine) nextBackfill(ctx context.Context) ([]pendingBackfill, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.load(ctx); err != nil {
		return nil, err
	}
	now := e.opts.Clock()
	h := e.horizon(now)
	var batch []pendingBackfill
	for _, s := range e.slos {
		st := e.stateOf(key(s))
		if st.current(h) || st.backfilling {
			continue
		}
		if st.closed.IsZero() {
			st.from = e.backfillStart(s, now)
		}
		if len(batch) > 0 && (!st.from.Equal(batch[0].st.from) || !st.closed.Equal(batch[0].st.closed)) {
			continue
		}
		st.backfilling, st.target = true, h
		batch = append(batch, pendingBackfill{s, st})
		if len(batch) == backfillBatch {
			break
		}
	}
	return batch, nil
}

// backfillStart is where a new SLO's history begins.
func (e *Engine) backfillStart(s *slo.SLO, now time.Time) time.Time {
	d := e.opts.BackfillHistory
	if d <= 0 {
		d = max(windowLength(s.Window), 3*24*time.Hour)
	}
	return floorMinute(now.Add(-d))
}

// backfill rolls a batch of SLOs up from their common starting point to the
// horizon, a chunk per query, recording progress after each chunk.
func (e *Engine) backfill(ctx context.Context, batch []pendingBackfill) error {
	e.mu.Lock()
	from, closed := batch[0].st.from, batch[0].st.closed
	e.mu.Unlock()
	slos := make([]*slo.SLO, len(batch))
	for i, b := range batch {
		slos[i] = b.s
	}
	if closed.IsZero() {
		if err := e.markStart(ctx, slos, from); err != nil {
			return err
		}
		closed = from
	}
	for {
		h := e.horizon(e.opts.Clock())
		if h.Sub(closed) <= 0 {
			return nil
		}
		to := closed.Add(e.opts.BackfillChunk)
		if to.After(h) {
			to = h
		}
		if err := e.roll(ctx, slos, closed, to); err != nil {
			return fmt.Errorf("backfill %s: %w", names(slos), err)
		}
		closed = to
		e.mu.Lock()
		for _, b := range batch {
			b.st.closed, b.st.target = to, h
		}
		e.mu.Unlock()
	}
}

// markStart records where each SLO's backfill begins, so a restart resumes
// from the watermark instead of starting over.
func (e *Engine) markStart(ctx context.Context, slos []*slo.SLO, from time.Time) error {
	for _, s := range slos {
		b := newParams("r")
		q := "INSERT INTO slo_rollup (" + rawCols + ") " + bookkeeping(b, s, startKey, from)
		if err := e.q.Exec(ctx, q, b.p); err != nil {
			return fmt.Errorf("backfill %s: %w", s.Name, err)
		}
	}
	return nil
}

func names(slos []*slo.SLO) string {
	n := make([]string, len(slos))
	for i, s := range slos {
		n[i] = s.Name
	}
	return strings.Join(n, ", ")
}

// Progress is where one SLO's rollup stands, for the API.
type Progress struct {
	SLO  string `json:"slo"`
	Hash string `json:"hash"`
	// State is "current", "backfilling" (in progress), "pending" (waiting
	// for the backfiller) or "failed".
	State string    `json:"state"`
	From  time.Time `json:"from"`            // where the backfill started
	Done  time.Time `json:"done"`            // rolled up up to here
	To    time.Time `json:"to"`              // the backfill's goal
	Ratio float64   `json:"ratio"`           // 0…1 of [From, To] done
	Error string    `json:"error,omitempty"` // the last rollup error
}

// Progress reports every SLO's rollup state, sorted by name.
func (e *Engine) Progress() []Progress {
	e.mu.Lock()
	defer e.mu.Unlock()
	h := e.horizon(e.opts.Clock())
	var out []Progress
	for _, s := range e.slos {
		out = append(out, progressOf(s, e.states[key(s)], h))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SLO < out[j].SLO })
	return out
}

func progressOf(s *slo.SLO, st *state, h time.Time) Progress {
	p := Progress{SLO: s.Name, Hash: s.Hash, State: "pending", To: h}
	if st == nil {
		return p
	}
	p.From, p.Done = st.from, st.closed
	switch {
	case st.backfilling:
		p.State, p.To = "backfilling", st.target
	case st.current(h):
		p.State = "current"
	}
	if st.err != nil {
		p.State, p.Error = "failed", st.err.Error()
	}
	if span := p.To.Sub(p.From); span > 0 && !p.Done.IsZero() {
		p.Ratio = min(1, max(0, float64(p.Done.Sub(p.From))/float64(span)))
	}
	if p.State == "current" {
		p.Ratio = 1
	}
	return p
}
