package engine

import "context"

// EvaluateCold evaluates every SLO from slo_rollup, memory unused: the
// reference the in-memory evaluation must equal.
func (e *Engine) EvaluateCold(ctx context.Context) ([]SLOStatus, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.evaluateLocked(ctx, true)
}

// SetMemSeriesCap sets how many series one definition keeps in memory,
// and returns a func restoring it.
func SetMemSeriesCap(n int) func() {
	old := memSeriesCap
	memSeriesCap = n
	return func() { memSeriesCap = old }
}

// SetMaxRollRows sets how many minute rows one roll writes at most, and
// returns a func restoring it.
func SetMaxRollRows(n int) func() {
	old := maxRollRows
	maxRollRows = n
	return func() { maxRollRows = old }
}
