package engine

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/store"
)

// Backfill counts, chunk by chunk, the rows inserted before each SLO
// definition began (its cutoff), newest event time first, until its
// history reaches back as far as its windows need. Run calls it in the
// background; tests and benchmarks call it directly.
//
// What a definition needs is computed anew at each chunk, so widening a
// window (same definition hash) continues the backfill further back,
// narrowing it or changing the objective needs nothing, and a definition
// whose history is partly older than raw retention stops at the retention
// and says so (SLOStatus.PartialSince).
func (e *Engine) Backfill(ctx context.Context) error {
	if e.opts.ReadOnly {
		return nil
	}
	e.backfillMu.Lock()
	defer e.backfillMu.Unlock()
	if ok, err := e.backfillFree(ctx); err != nil || !ok {
		return err
	}
	if w := e.unsureChunk; w != nil {
		if err := e.writeChunk(ctx, w); err != nil {
			return err
		}
	}
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

// backfillBatch is how many SLOs one backfill query counts together. A
// query's cost is mostly per query (analysis, one scan of the chunk), so
// 200 new SLOs backfill in a fraction of the time one by one would take.
const backfillBatch = 8

// pendingBackfill is one SLO taken by the backfiller.
type pendingBackfill struct {
	s  *slo.SLO
	st *state
}

// nextBackfill takes up to backfillBatch begun SLOs that need a backfill
// and stand at the same point (cutoff and backfilled), so their chunks
// line up, and marks them taken.
func (e *Engine) nextBackfill(ctx context.Context) ([]pendingBackfill, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.beginNew(ctx); err != nil {
		return nil, err
	}
	now := e.opts.Clock()
	var batch []pendingBackfill
	for _, s := range e.slos {
		st := e.stateOf(key(s))
		if !st.begun || st.backfilling || !e.needsBackfill(s, st, now) {
			continue
		}
		if len(batch) > 0 && (st.cutoff != batch[0].st.cutoff || !st.backfilled.Equal(batch[0].st.backfilled)) {
			continue
		}
		st.backfilling, st.target = true, e.backfillTarget(s, now)
		if st.anchor.IsZero() {
			st.anchor = firstChunkEnd(now)
		}
		batch = append(batch, pendingBackfill{s, st})
		if len(batch) == backfillBatch {
			break
		}
	}
	return batch, nil
}

// firstChunkEnd is where the first chunk's lower bound is measured from:
// the end of the current hour (the first chunk has no upper bound, so it
// also takes events dated in the future).
func firstChunkEnd(now time.Time) time.Time { return now.UTC().Truncate(time.Hour).Add(time.Hour) }

func (e *Engine) needsBackfill(s *slo.SLO, st *state, now time.Time) bool {
	return st.backfilled.IsZero() || st.backfilled.After(e.backfillTarget(s, now))
}

// backfillTarget is how far back s's history must reach at now: its
// window and the longest burn-rate window (or Options.BackfillHistory),
// on an hour boundary, but not before raw retention begins: ClickHouse
// drops a part as soon as all its rows have expired (ttl_only_drop_parts),
// so only rows from now − retention on are sure to be there.
func (e *Engine) backfillTarget(s *slo.SLO, now time.Time) time.Time {
	start := earlier(sloWindowStart(s.Window, now), windowStart(now, time.Duration(BurnWindows[len(BurnWindows)-1])))
	if d := e.opts.BackfillHistory; d > 0 {
		start = now.Add(-d)
	}
	return later(start.Truncate(time.Hour), ceilMinute(now.Add(-e.rawRetention(s))))
}

// rawRetention is how long the rows s reads are kept.
func (e *Engine) rawRetention(s *slo.SLO) time.Duration {
	if d := e.opts.RawRetentionByTable[s.SLI.Table]; d > 0 {
		return d
	}
	return e.opts.RawRetention
}

// backfill counts a batch's history chunk by chunk, each chunk with the
// batch's new backfilled mark in the same INSERT.
func (e *Engine) backfill(ctx context.Context, batch []pendingBackfill) error {
	for {
		slos, lo, hi, cutoff := e.nextChunk(batch)
		if len(slos) == 0 {
			return nil
		}
		w, err := e.chunkWrite(ctx, batch, slos, lo, hi, cutoff)
		if err == nil && w != nil {
			err = e.writeChunk(ctx, w)
		}
		if err != nil {
			return fmt.Errorf("backfill %s: %w", names(slos), err)
		}
	}
}

// backfillFree says whether no backfill chunk INSERT is running (one of
// another writer, or an earlier attempt of this engine that failed on the
// client but may still land): until then this engine does not backfill,
// and reads its bookkeeping again before it does. Call with backfillMu held.
func (e *Engine) backfillFree(ctx context.Context) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	sp, err := e.safePoint(ctx)
	if err != nil {
		return false, err
	}
	if sp.backfilling > 0 {
		e.suspect = true
		return false, nil
	}
	return true, nil
}

// backfillWrite is one backfill chunk's INSERT and the marks it moves.
type backfillWrite struct {
	query  string
	params store.Params
	states []*state
	lo     time.Time
}

// writeChunk runs w's INSERT and, once stored, moves its states'
// backfilled mark to w.lo. A failed INSERT may have landed: it is kept as
// unsureChunk and retried verbatim (its deduplication token makes it count
// once) before any other chunk. Call with backfillMu held.
func (e *Engine) writeChunk(ctx context.Context, w *backfillWrite) error {
	if err := e.q.Exec(ctx, w.query, w.params); err != nil {
		e.unsureChunk = w
		return err
	}
	e.unsureChunk = nil
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, st := range w.states {
		if st.backfilled.IsZero() || st.backfilled.After(w.lo) {
			st.backfilled = w.lo
		}
	}
	return nil
}

// nextChunk is the next event-time range [lo, hi) to count (hi zero: no
// upper bound) and the SLOs of batch that still need it.
func (e *Engine) nextChunk(batch []pendingBackfill) (slos []*slo.SLO, lo, hi time.Time, cutoff int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.opts.Clock()
	hi, cutoff = cursor(batch), batch[0].st.cutoff
	var latest time.Time // the latest target among the SLOs counted
	for _, b := range batch {
		t := e.backfillTarget(b.s, now)
		b.st.target = t
		if hi.IsZero() || t.Before(hi) {
			slos = append(slos, b.s)
			latest = later(latest, t)
		}
	}
	if len(slos) == 0 {
		return nil, lo, hi, cutoff
	}
	end := hi
	if end.IsZero() {
		end = firstChunkEnd(now)
	}
	// Chunks double from an hour up to BackfillChunk: the recent history
	// the short burn-rate windows read comes first, and progress shows early.
	span := e.opts.BackfillChunk
	if done := batch[0].st.anchor.Sub(end); done < span {
		span = max(time.Hour, done)
	}
	// No chunk reaches past one of its SLOs' targets: each SLO's history
	// ends exactly at its own (with its own retention, say).
	return slos, later(latest, end.Add(-span)), hi, cutoff
}

// cursor is where a batch's next chunk ends: the earliest mark among its
// SLOs (zero before the first chunk). Marks part once an SLO reaches its
// target and the others go on.
func cursor(batch []pendingBackfill) time.Time {
	var hi time.Time
	for _, b := range batch {
		if b.st.backfilled.IsZero() {
			return time.Time{}
		}
		if hi.IsZero() || b.st.backfilled.Before(hi) {
			hi = b.st.backfilled
		}
	}
	return hi
}

// chunkWrite is the INSERT of the counts of the rows inserted before
// cutoff with Timestamp in [lo, hi), and each SLO's backfilled mark.
func (e *Engine) chunkWrite(ctx context.Context, batch []pendingBackfill, slos []*slo.SLO, lo, hi time.Time, cutoff int64) (*backfillWrite, error) {
	sets, err := e.withRows(ctx, chunkSets(slos, lo, hi, cutoff))
	if err != nil {
		return nil, err
	}
	b := newParams("r")
	w := &backfillWrite{query: backfillSQL(b, slos, sets, lo, writeToken("backfill", slos, lo.Unix(), hi.Unix(), cutoff)), params: b.p, lo: lo}
	for _, pb := range batch {
		// Only the SLOs the chunk counts: one that reached its target (a
		// shorter retention, say) keeps its mark, as its bookkeeping row does.
		if slices.Contains(slos, pb.s) {
			w.states = append(w.states, pb.st)
		}
	}
	return w, nil
}

// chunkSets are the raw sets of a backfill chunk: rows inserted before
// cutoff with Timestamp in [lo, hi).
func chunkSets(slos []*slo.SLO, lo, hi time.Time, cutoff int64) []*rawSet {
	sets := rawSets(slos, make([]int64, len(slos)), cutoff, true)
	for _, r := range sets {
		r.from, r.to = lo, hi
	}
	return sets
}

// backfillSQL counts the rows of sets (the chunk's sets that hold any) and
// moves every SLO of slos's backfilled mark to lo.
func backfillSQL(b *params, slos []*slo.SLO, sets []*rawSet, lo time.Time, token string) string {
	var parts []string
	if len(sets) > 0 {
		parts = append(parts, withHours(rawRows(b, sets)))
	}
	parts = append(parts, bookkeeping(b, slos, 0, math.MaxInt64, lo.Unix()))
	return insertRollup(parts, token, backfillMarker)
}

// Progress is where one SLO's counts stand, for the API.
type Progress struct {
	SLO  string `json:"slo"`
	Hash string `json:"hash"`
	// State is "current", "backfilling" (in progress), "pending" (waiting
	// for the backfiller) or "failed".
	State string    `json:"state"`
	From  time.Time `json:"from"`            // the backfill's goal: history reaches back to here when done
	Done  time.Time `json:"done"`            // history counted back to here (zero: nothing yet)
	Ratio float64   `json:"ratio"`           // 0…1 of the backfill done
	Error string    `json:"error,omitempty"` // the last rollup error
}

// Progress reports every SLO's state, sorted by name.
func (e *Engine) Progress() []Progress {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.opts.Clock()
	var out []Progress
	for _, s := range e.slos {
		out = append(out, e.progressOf(s, now))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SLO < out[j].SLO })
	return out
}

// Backfilling says whether name's current definition is still being
// backfilled: its numbers are partial, and alerting holds its state.
func (e *Engine) Backfilling(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.slos {
		if s.Name == name {
			return !e.current(s, e.opts.Clock())
		}
	}
	return false
}

// Held says whether alerting should hold name's alert state: its numbers
// are partial (Backfilling) or no longer counted (its last roll failed,
// so windows would empty as time passes and a page would resolve on no
// data).
func (e *Engine) Held(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.slos {
		if s.Name == name {
			st := e.states[key(s)]
			return !e.current(s, e.opts.Clock()) || st != nil && st.err != nil
		}
	}
	return false
}

// current says whether s's counts are complete: begun, backfilled and
// not catching up. Call with mu held.
func (e *Engine) current(s *slo.SLO, now time.Time) bool {
	st := e.states[key(s)]
	return st != nil && st.begun && !e.needsBackfill(s, st, now) && !e.catchingUp(st)
}

func (e *Engine) progressOf(s *slo.SLO, now time.Time) Progress {
	p := Progress{SLO: s.Name, Hash: s.Hash, State: "pending", From: e.backfillTarget(s, now)}
	st := e.states[key(s)]
	if st == nil {
		return p
	}
	p.Done = st.backfilled
	switch {
	case e.current(s, now):
		p.State, p.Ratio = "current", 1
	case st.backfilling || st.begun && e.catchingUp(st):
		p.State = "backfilling"
	}
	if st.err != nil {
		// The API serves it: the store's errors end with their SQL, for the log.
		p.State, p.Error = "failed", strings.SplitN(st.err.Error(), " (query: ", 2)[0]
	}
	if anchor := st.anchor; p.State != "current" && !p.Done.IsZero() && anchor.After(p.From) {
		p.Ratio = min(1, max(0, float64(anchor.Sub(p.Done))/float64(anchor.Sub(p.From))))
	}
	return p
}

// partialSince is where s's counts begin when its window reaches further
// back than its history could (raw rows already gone when it was
// backfilled); zero when the window is complete.
func (e *Engine) partialSince(s *slo.SLO, windowStart time.Time) time.Time {
	st := e.states[key(s)]
	if st == nil || st.backfilled.IsZero() || !st.backfilled.After(windowStart) {
		return time.Time{}
	}
	return st.backfilled
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func ceilMinute(t time.Time) time.Time {
	if m := t.UTC().Truncate(time.Minute); !m.Equal(t) {
		return m.Add(time.Minute)
	}
	return t.UTC()
}
