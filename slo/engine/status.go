package engine

import (
	"time"

	"github.com/flowslo/flowslo/slo"
)

// SLOStatus is one SLO's numbers as the API serves them. Ratios are nil
// (JSON null) when their window holds no events.
type SLOStatus struct {
	Name        string  `json:"name"`
	Flow        string  `json:"flow"`
	Service     string  `json:"service"`
	Description string  `json:"description"`
	Objective   float64 `json:"objective"` // percent
	Window      string  `json:"window"`    // "28d", "month (Europe/Berlin)"
	// WindowStart is the first minute the window counts from.
	WindowStart time.Time `json:"window_start"`
	Good        uint64    `json:"good"`
	Total       uint64    `json:"total"`
	SLI         *float64  `json:"sli"` // good/total over the window
	// ErrorBudgetRemaining is 1 untouched, 0 spent, negative overspent.
	ErrorBudgetRemaining *float64 `json:"error_budget_remaining"`
	// BurnRates is keyed by BurnWindows (in JSON "5m" … "3d").
	BurnRates map[slo.Duration]*float64 `json:"burn_rates"`
	// Status is "ok", "burning", "exhausted", "no_data", or "backfilling"
	// while the history of a new definition is still being rolled up (the
	// numbers are then partial).
	Status string        `json:"status"`
	Slices []SliceStatus `json:"slices"`
	Hash   string        `json:"hash"`
	// Backfill is set while the rollup is not current.
	Backfill *Progress `json:"backfill,omitempty"`
	// PartialSince is set when the window reaches back further than the
	// history that could be counted (raw rows had expired when this
	// definition was backfilled): the numbers are those since then.
	PartialSince *time.Time `json:"partial_since,omitempty"`
	EvaluatedAt  time.Time  `json:"evaluated_at"`
	// Stale is set while this engine's rolls fail (a full disk, a store
	// refusing them): the numbers are those counted until then, however
	// recent EvaluatedAt is.
	Stale string `json:"stale,omitempty"`
	// AlertWindows are the SLO's burn-rate rules at EvaluatedAt as
	// alerting applies them (default factors scaled to the window's real
	// length, never below 1); readiness judges by the same.
	AlertWindows []AlertThreshold `json:"alert_windows"`
	// Expects is the event the SLO counts, for people sending their first.
	Expects slo.Expectation `json:"expects"`
	// LatencyThresholdMS is a latency SLO's threshold (0: not one).
	LatencyThresholdMS float64 `json:"latency_threshold_ms,omitempty"`
}

// AlertThreshold is one burn-rate rule: the burn rate at least Factor over
// both Long and Short (keys of BurnRates where one exists).
type AlertThreshold struct {
	Severity string       `json:"severity"` // page | ticket
	Long     slo.Duration `json:"long"`
	Short    slo.Duration `json:"short"`
	Factor   float64      `json:"factor"`
}

// ErrorRate is the share of bad events over a burn window (5m, 1h), nil
// without events: the burn rate times the budget.
func (s SLOStatus) ErrorRate(window slo.Duration) *float64 {
	b := s.BurnRates[window]
	if b == nil || s.Objective <= 0 {
		return nil
	}
	return ptr(*b * (1 - s.Objective/100))
}

// SliceStatus is an SLO's numbers for one value of one slice.
type SliceStatus struct {
	Slice string `json:"slice"` // the slice expression, as written
	Value string `json:"value"` // "other" gathers values beyond the cap
	// Other is set on that row, so it is told apart from a real value
	// "other".
	Other                bool     `json:"other,omitempty"`
	Good                 uint64   `json:"good"`
	Total                uint64   `json:"total"`
	SLI                  *float64 `json:"sli"`
	ErrorBudgetRemaining *float64 `json:"error_budget_remaining"`
	BurnRate1h           *float64 `json:"burn_rate_1h"`
}

// Status values.
const (
	StatusOK          = "ok"
	StatusBurning     = "burning"
	StatusExhausted   = "exhausted"
	StatusNoData      = "no_data"
	StatusBackfilling = "backfilling"
)

// counts are good and total events in some window.
type counts struct{ good, total uint64 }

func (c counts) bad() uint64 { return c.total - min(c.good, c.total) }

// sli is good/total, nil without events.
func (c counts) sli() *float64 {
	if c.total == 0 {
		return nil
	}
	return ptr(float64(c.good) / float64(c.total))
}

// burnRate is the bad ratio over the budget (the allowed bad ratio): 1
// spends the budget exactly over the window; nil without events.
func (c counts) burnRate(budget float64) *float64 {
	if c.total == 0 || budget <= 0 {
		return nil
	}
	return ptr(float64(c.bad()) / float64(c.total) / budget)
}

// budgetRemaining is 1 − burn rate over the SLO window.
func (c counts) budgetRemaining(budget float64) *float64 {
	b := c.burnRate(budget)
	if b == nil {
		return nil
	}
	return ptr(1 - *b)
}

func ptr(f float64) *float64 { return &f }

// classify gives the status word for an SLO's numbers.
func classify(s SLOStatus, burning float64) string {
	switch {
	case s.Total == 0:
		return StatusNoData
	case *s.ErrorBudgetRemaining <= 0:
		return StatusExhausted
	case above(s.BurnRates[h1], burning) && above(s.BurnRates[m5], burning):
		return StatusBurning
	}
	return StatusOK
}

// above compares with a little slack, so that 1/100/0.01 (0.999…) reaches 1.
func above(f *float64, limit float64) bool { return f != nil && *f >= limit*(1-1e-9) }

func newStatus(s *slo.SLO, now, start time.Time) SLOStatus {
	return SLOStatus{
		Name: s.Name, Flow: s.Flow, Service: s.Service, Description: s.Description,
		Objective: s.Objective, Window: s.Window.String(), WindowStart: start,
		BurnRates: map[slo.Duration]*float64{}, Slices: []SliceStatus{}, Hash: s.Hash, EvaluatedAt: now,
		AlertWindows: thresholdsOf(s.AlertWindows(now)), Expects: s.Expects(),
		LatencyThresholdMS: float64(s.Indicator.Latency) / 1e6,
	}
}

func thresholdsOf(ws []slo.AlertWindow) []AlertThreshold {
	out := make([]AlertThreshold, 0, len(ws))
	for _, w := range ws {
		out = append(out, AlertThreshold{Severity: w.Severity, Long: slo.Duration(w.Long), Short: slo.Duration(w.Short), Factor: w.Factor})
	}
	return out
}
