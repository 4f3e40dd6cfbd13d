package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/store"
)

// engineView is the SLO engine as the UI, the API, /metrics and alerting
// read it, on the leader and on a follower alike.
//
// The leader's engine rolls up and keeps where each SLO's counts stand in
// memory (its watermarks, its in-memory sums), as the only writer. A
// follower rolls nothing: it reads through an engine.Options.ReadOnly
// engine, which keeps no sums and reads slo_rollup at each evaluation,
// where a roll lands whole or not at all. That engine is built on the
// bookkeeping as it is now and built again when the bookkeeping changed
// after a read (the read is then done again), so its progress and
// partial-history labels are the leader's too. Its store refuses writes
// as well, so a bug cannot count rows twice.
type engineView struct {
	st    store.Store
	build func(q engine.Querier, readOnly bool) *engine.Engine
	log   *slog.Logger

	mu       sync.Mutex
	slos     []*slo.SLO
	leader   *engine.Engine // set while this process leads
	follower *engine.Engine
	marks    string // the bookkeeping follower was built on
}

// followerTries bounds the reads a follower does again when a roll
// landed during one (rolls come every few seconds; a read takes less).
const followerTries = 4

func newEngineView(st store.Store, log *slog.Logger, build func(q engine.Querier, readOnly bool) *engine.Engine) *engineView {
	return &engineView{st: st, log: log, build: build}
}

// SetSLOs replaces the SLOs of every engine (at start and on reload).
func (v *engineView) SetSLOs(slos []*slo.SLO) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.slos = append([]*slo.SLO(nil), slos...)
	for _, e := range []*engine.Engine{v.leader, v.follower} {
		if e != nil {
			e.SetSLOs(v.slos)
		}
	}
}

// SLOs are the SLOs being evaluated.
func (v *engineView) SLOs() []*slo.SLO {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]*slo.SLO(nil), v.slos...)
}

// lead builds the engine of a leader's term over q, with the SLOs of now, and
// serves reads from it until unlead. The engine loads the watermarks when
// it first runs, after the caller's fence.
func (v *engineView) lead(q engine.Querier) *engine.Engine {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.leader = v.build(q, false)
	v.leader.SetSLOs(v.slos)
	v.follower = nil
	return v.leader
}

func (v *engineView) unlead() {
	v.mu.Lock()
	v.leader = nil
	v.mu.Unlock()
}

// engine is the engine to read from: the leader's, or the follower engine
// with the bookkeeping it was built on (marks, empty on the leader).
func (v *engineView) engine(ctx context.Context) (*engine.Engine, string, error) {
	v.mu.Lock()
	if v.leader != nil || v.follower != nil {
		defer v.mu.Unlock()
		if v.leader != nil {
			return v.leader, "", nil
		}
		return v.follower, v.marks, nil
	}
	v.mu.Unlock()
	marks, err := bookkeeping(ctx, v.st)
	if err != nil {
		return nil, "", err
	}
	v.rebuild("", marks)
	return v.engine(ctx)
}

// rebuild replaces a follower engine built on old bookkeeping (none: "")
// by one built on marks, read before it loads its own.
func (v *engineView) rebuild(old, marks string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.leader != nil || (v.follower != nil && v.marks != old) {
		return // the leader's now, or another read rebuilt it
	}
	v.follower = v.build(readOnly{v.st}, true)
	v.follower.SetSLOs(v.slos)
	v.marks = marks
}

// read runs f on the engine to read from. On a follower it then reads the
// bookkeeping: unchanged since the engine was built, no roll landed before
// or during f (the bookkeeping only moves forward), so f saw one
// consistent state; changed, f runs again on an engine built on it.
func read[T any](ctx context.Context, v *engineView, f func(*engine.Engine) (T, error)) (T, error) {
	var out T
	for try := 1; ; try++ {
		e, marks, err := v.engine(ctx)
		if err != nil {
			return out, err
		}
		out, err = f(e)
		if errors.Is(err, errTermOver) && try < followerTries {
			continue // the term ended during the read: read as a follower
		}
		if err != nil || marks == "" {
			return out, err
		}
		after, err := bookkeeping(ctx, v.st)
		if err != nil || after == marks {
			return out, err
		}
		if try == followerTries {
			v.log.Warn("follower: the leader rolled during every read; these numbers may count one roll twice", "tries", try)
			return out, nil
		}
		v.rebuild(marks, after)
	}
}

// bookkeeping fingerprints where the SLO engine's counts stand (its
// bookkeeping rows in slo_rollup, res 2: the watermark, cutoff and
// backfill of each definition). It changes with every roll and backfill
// chunk, and only with them.
func bookkeeping(ctx context.Context, q engine.Querier) (string, error) {
	rows, err := q.Query(ctx, `SELECT toString(count()), toString(sum(cityHash64(slo, hash, r, c, b)))
FROM (SELECT slo, hash, max(rolled) AS r, min(cutoff) AS c, min(backfilled) AS b FROM slo_rollup WHERE res = 2 GROUP BY slo, hash)`, nil)
	if err != nil {
		return "", fmt.Errorf("read rollup bookkeeping: %w", err)
	}
	defer rows.Close()
	var n, sum string
	if rows.Next() {
		if err := rows.Scan(&n, &sum); err != nil {
			return "", fmt.Errorf("read rollup bookkeeping: %w", err)
		}
	}
	return n + "/" + sum, rows.Err()
}

// errFollowerWrite: a follower's engine tried to write. It never should;
// refusing keeps a bug from counting rows twice.
var errFollowerWrite = errors.New("this server is a follower: the leader writes the rollups")

// readOnly is the store of a follower's engine.
type readOnly struct{ store.Store }

func (readOnly) Exec(context.Context, string, store.Params) error { return errFollowerWrite }

// The engine's read API, as ui.SLOEngine, ui.Releases and alerting use it.

func (v *engineView) Status(ctx context.Context) ([]engine.SLOStatus, error) {
	return read(ctx, v, func(e *engine.Engine) ([]engine.SLOStatus, error) { return e.Status(ctx) })
}

func (v *engineView) StatusOf(ctx context.Context, name string) (engine.SLOStatus, error) {
	return read(ctx, v, func(e *engine.Engine) (engine.SLOStatus, error) { return e.StatusOf(ctx, name) })
}

func (v *engineView) Counts(ctx context.Context, windows []time.Duration, at time.Time) (map[string]map[time.Duration]engine.WindowCounts, error) {
	return read(ctx, v, func(e *engine.Engine) (map[string]map[time.Duration]engine.WindowCounts, error) {
		return e.Counts(ctx, windows, at)
	})
}

func (v *engineView) Series(ctx context.Context, name string, from, to time.Time, step time.Duration, slice string) (engine.Series, error) {
	return read(ctx, v, func(e *engine.Engine) (engine.Series, error) { return e.Series(ctx, name, from, to, step, slice) })
}

func (v *engineView) BadBySlice(ctx context.Context, name string, from, to time.Time) ([]engine.SliceCount, error) {
	return read(ctx, v, func(e *engine.Engine) ([]engine.SliceCount, error) { return e.BadBySlice(ctx, name, from, to) })
}

func (v *engineView) ExampleTraces(ctx context.Context, name string, from, to time.Time, limit int) ([]engine.Example, error) {
	return read(ctx, v, func(e *engine.Engine) ([]engine.Example, error) { return e.ExampleTraces(ctx, name, from, to, limit) })
}

func (v *engineView) Readiness(ctx context.Context) ([]engine.FlowReadiness, error) {
	return read(ctx, v, func(e *engine.Engine) ([]engine.FlowReadiness, error) { return e.Readiness(ctx) })
}

func (v *engineView) Latency(ctx context.Context, name string, from, to time.Time, step time.Duration) (engine.LatencySeries, error) {
	return read(ctx, v, func(e *engine.Engine) (engine.LatencySeries, error) { return e.Latency(ctx, name, from, to, step) })
}

func (v *engineView) MissingAttributes(ctx context.Context, name string, from, to time.Time) ([]engine.MissingAttribute, error) {
	return read(ctx, v, func(e *engine.Engine) ([]engine.MissingAttribute, error) {
		return e.MissingAttributes(ctx, name, from, to)
	})
}

func (v *engineView) Releases(ctx context.Context, f engine.ReleaseFilter) ([]engine.ReleaseInfo, error) {
	return read(ctx, v, func(e *engine.Engine) ([]engine.ReleaseInfo, error) { return e.Releases(ctx, f) })
}

func (v *engineView) Release(ctx context.Context, version string, q engine.ReleaseQuery) (engine.ReleaseReport, error) {
	return read(ctx, v, func(e *engine.Engine) (engine.ReleaseReport, error) { return e.Release(ctx, version, q) })
}

// bookkeepingTimeout bounds the bookkeeping read of the calls that take no
// context.
const bookkeepingTimeout = 5 * time.Second

// Progress is where each SLO's counts stand (backfills).
func (v *engineView) Progress() []engine.Progress {
	if e := v.memory(); e != nil {
		return e.Progress()
	}
	return nil
}

// Backfilling says whether name's numbers are partial (alerting holds it).
// Counted is the leader's events counted since its term began; nil on a
// follower.
func (v *engineView) Counted() map[string]engine.WindowCounts {
	v.mu.Lock()
	e := v.leader
	v.mu.Unlock()
	if e == nil {
		return nil
	}
	return e.Counted()
}

func (v *engineView) Backfilling(name string) bool {
	e := v.memory()
	return e != nil && e.Backfilling(name)
}

// Held says whether alerting holds name's state (engine.Engine.Held).
func (v *engineView) Held(name string) bool {
	e := v.memory()
	return e != nil && e.Held(name)
}

// memory is the engine whose memory (backfill progress) to report: a
// follower's engine loads the bookkeeping at its first read.
func (v *engineView) memory() *engine.Engine {
	ctx, cancel := context.WithTimeout(context.Background(), bookkeepingTimeout)
	defer cancel()
	e, marks, err := v.engine(ctx)
	if err != nil {
		v.log.Warn("slo engine: read bookkeeping", "err", err)
		return nil
	}
	if marks != "" {
		if _, err := e.Status(ctx); err != nil {
			v.log.Warn("slo engine: status", "err", err)
		}
	}
	return e
}
