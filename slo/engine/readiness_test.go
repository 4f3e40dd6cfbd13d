package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
)

// status is an SLO's numbers as the engine gives them to Judge: a 99% SLO
// over window with budget left and burn rates 5m … 3d (unset ones at 0.5).
func status(window slo.Window, budget float64, burns map[string]float64) engine.SLOStatus {
	s := engine.SLOStatus{Name: "login-success", Flow: "login", Objective: 99, Window: window.String(),
		Good: 990, Total: 1000, Status: engine.StatusOK, ErrorBudgetRemaining: &budget, BurnRates: map[slo.Duration]*float64{}}
	for _, w := range engine.BurnWindows {
		v, ok := burns[w.String()]
		if !ok {
			v = 0.5
		}
		s.BurnRates[w] = &v
	}
	at := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for _, w := range (&slo.SLO{Window: window}).AlertWindows(at) {
		s.AlertWindows = append(s.AlertWindows, engine.AlertThreshold{Severity: w.Severity, Long: slo.Duration(w.Long), Short: slo.Duration(w.Short), Factor: w.Factor})
	}
	return s
}

// TestJudge covers every verdict's cases; each at-risk case on its own, so
// that a comparison broken in one of them fails here.
func TestJudge(t *testing.T) {
	d30 := slo.Window{Rolling: 30 * 24 * time.Hour}
	d7 := slo.Window{Rolling: 7 * 24 * time.Hour}
	backfilling := status(d30, 0.9, nil)
	backfilling.Status, backfilling.Backfill = engine.StatusBackfilling, &engine.Progress{Ratio: 0.4}
	empty := status(d30, 0, nil)
	empty.Total, empty.Good, empty.ErrorBudgetRemaining = 0, 0, nil
	tests := []struct {
		name    string
		s       engine.SLOStatus
		t       engine.Thresholds
		verdict string
		words   string
	}{
		{"healthy", status(d30, 0.8, nil), engine.Thresholds{}, engine.Ready, "80% of its error budget left; burning 0.5x over the last hour"},
		{"budget exactly at the low mark", status(d30, 0.25, nil), engine.Thresholds{}, engine.Ready, "25%"},
		{"low budget", status(d30, 0.2, nil), engine.Thresholds{}, engine.AtRisk, "20% of its error budget left (below 25%)"},
		{"low budget, configured", status(d30, 0.35, nil), engine.Thresholds{LowBudget: 0.4}, engine.AtRisk, "(below 40%)"},
		{"budget spent", status(d30, 0, nil), engine.Thresholds{}, engine.NotReady, "has 0% of its error budget left"},
		{"budget under the minimum", status(d30, 0.1, nil), engine.Thresholds{MinBudget: 0.1}, engine.NotReady, "10% of its error budget left"},
		{"fast burn", status(d30, 0.9, map[string]float64{"1h": 15, "5m": 20, "1d": 8}), engine.Thresholds{}, engine.NotReady, "burning 15.0x over 1h and 20.0x over 5m, at or above 14.4x (fast burn: it pages)"},
		{"fast burn over 1h only", status(d30, 0.9, map[string]float64{"1h": 15, "5m": 3, "1d": 8}), engine.Thresholds{}, engine.Ready, ""},
		{"slow burn", status(d30, 0.9, map[string]float64{"6h": 7, "30m": 6.5, "1h": 5, "1d": 4}), engine.Thresholds{}, engine.AtRisk, "burning 7.0x over 6h and 6.5x over 30m, at or above 6x (slow burn)"},
		{"slow burn over 6h only", status(d30, 0.9, map[string]float64{"6h": 7, "30m": 5, "1h": 5, "1d": 4}), engine.Thresholds{}, engine.Ready, ""},
		{"rising", status(d30, 0.9, map[string]float64{"1h": 2.5, "1d": 1}), engine.Thresholds{}, engine.AtRisk, "burning 2.5x over the last hour, up from 1.0x over the last day"},
		{"rising below 1", status(d30, 0.9, map[string]float64{"1h": 0.9, "1d": 0.1}), engine.Thresholds{}, engine.Ready, ""},
		{"rising exactly twice", status(d30, 0.9, map[string]float64{"1h": 2, "1d": 1}), engine.Thresholds{}, engine.AtRisk, "up from 1.0x"},
		{"not rising enough", status(d30, 0.9, map[string]float64{"1h": 1.9, "1d": 1}), engine.Thresholds{}, engine.Ready, ""},
		{"backfilling", backfilling, engine.Thresholds{}, engine.NoData, "still being backfilled (40% done)"},
		{"no data", empty, engine.Thresholds{}, engine.NoData, "no data yet"},
		// A 7d SLO pages at 14.4 × 7/30 = 3.36 over 1h and 5m: not ready,
		// where a fixed 14.4 said ready.
		{"7d pages", status(d7, 0.9, map[string]float64{"1h": 4, "5m": 4, "1d": 2}), engine.Thresholds{}, engine.NotReady, "at or above 3.36x (fast burn: it pages)"},
		{"7d slow burn", status(d7, 0.9, map[string]float64{"6h": 1.5, "30m": 1.5, "1h": 1.2, "1d": 1}), engine.Thresholds{}, engine.AtRisk, "at or above 1.4x (slow burn)"},
		{"configured fast burn", status(d7, 0.9, map[string]float64{"1h": 4, "5m": 4, "1d": 3}), engine.Thresholds{FastBurn: 14.4, SlowBurn: 6}, engine.Ready, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := engine.Judge([]engine.SLOStatus{tt.s}, tt.t)
			if len(got) != 1 {
				t.Fatalf("%d flows", len(got))
			}
			reasons := strings.Join(got[0].Reasons, " | ")
			if got[0].Verdict != tt.verdict || !strings.Contains(reasons, tt.words) {
				t.Errorf("verdict %s (%s), want %s with %q", got[0].Verdict, reasons, tt.verdict, tt.words)
			}
			if got[0].SLOs[0].Verdict != got[0].Verdict {
				t.Errorf("SLO verdict %s, flow verdict %s", got[0].SLOs[0].Verdict, got[0].Verdict)
			}
		})
	}
}

// TestJudgeFlowWorst: a flow takes its worst SLO's verdict; an SLO without
// data makes it unknown unless another is known to block it.
func TestJudgeFlowWorst(t *testing.T) {
	d30 := slo.Window{Rolling: 30 * 24 * time.Hour}
	empty := status(d30, 0, nil)
	empty.Name, empty.Total, empty.ErrorBudgetRemaining = "login-latency", 0, nil
	low := status(d30, 0.1, nil)
	spent := status(d30, -0.2, nil)
	for _, tt := range []struct {
		name string
		in   []engine.SLOStatus
		want string
	}{
		{"ready and no data", []engine.SLOStatus{status(d30, 0.8, nil), empty}, engine.NoData},
		{"at risk and no data", []engine.SLOStatus{low, empty}, engine.NoData},
		{"not ready and no data", []engine.SLOStatus{spent, empty}, engine.NotReady},
		{"ready and at risk", []engine.SLOStatus{status(d30, 0.8, nil), low}, engine.AtRisk},
	} {
		if got := engine.Judge(tt.in, engine.Thresholds{})[0].Verdict; got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}
