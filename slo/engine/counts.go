package engine

import (
	"context"
	"slices"
	"time"
)

// WindowCounts are good and total events in one window.
type WindowCounts struct {
	Good, Total uint64
}

// Counts returns, per SLO, the events in each window ending at `at` (the
// windows burn-rate alerts compare), from what is rolled up: from memory
// for current SLOs whose windows it holds, else from slo_rollup.
func (e *Engine) Counts(ctx context.Context, windows []time.Duration, at time.Time) (map[string]map[time.Duration]WindowCounts, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.load(ctx); err != nil {
		return nil, err
	}
	p := e.plan(at)
	out := make(map[string]map[time.Duration]WindowCounts, len(p.slos))
	if len(p.slos) == 0 {
		return out, nil
	}
	cols := make([]int, len(windows))
	for i, w := range windows {
		cols[i] = p.column(windowStart(at, w))
	}
	p.extra = cols
	whole, _, err := e.windowCounts(ctx, p, false, false)
	if err != nil {
		return nil, err
	}
	for _, s := range p.slos {
		c := whole[s.Name]
		m := make(map[time.Duration]WindowCounts, len(windows))
		for i, w := range windows {
			if c != nil {
				m[w] = WindowCounts{Good: c[cols[i]].good, Total: c[cols[i]].total}
			}
		}
		out[s.Name] = m
	}
	return out, nil
}

// column is the index of the window start t among the plan's columns,
// added when new.
func (p *plan) column(t time.Time) int {
	if i := slices.IndexFunc(p.starts, t.Equal); i >= 0 {
		return i
	}
	p.starts = append(p.starts, t)
	return len(p.starts) - 1
}
