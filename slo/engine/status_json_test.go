package engine_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
)

// TestStatusJSONWindows: burn rates are keyed by slo.Duration in Go and by
// the strings the API has always served in JSON ("5m" … "3d", in the
// order encoding/json sorts string keys), as are the alert windows; a
// client reads them back into the same keys.
func TestStatusJSONWindows(t *testing.T) {
	d30 := slo.Window{Rolling: 30 * 24 * time.Hour}
	s := status(d30, 0.9, map[string]float64{"5m": 1, "30m": 2, "1h": 3, "2h": 4, "6h": 5, "1d": 6, "3d": 7})
	s.AlertWindows = append(s.AlertWindows, engine.AlertThreshold{Severity: "ticket",
		Long: slo.Duration(36 * time.Hour), Short: slo.Duration(90 * time.Minute), Factor: 1})
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"burn_rates":{"1d":6,"1h":3,"2h":4,"30m":2,"3d":7,"5m":1,"6h":5}`,
		`"alert_windows":[{"severity":"page","long":"1h","short":"5m","factor":14.4},{"severity":"page","long":"6h","short":"30m","factor":6},` +
			`{"severity":"ticket","long":"1d","short":"2h","factor":3},{"severity":"ticket","long":"3d","short":"6h","factor":1},` +
			`{"severity":"ticket","long":"36h","short":"90m","factor":1}]`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("status JSON lacks %s in\n%s", want, b)
		}
	}
	var back engine.SLOStatus
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.BurnRates) != len(engine.BurnWindows) || *back.BurnRates[slo.Duration(time.Hour)] != 3 || back.AlertWindows[4].Short != slo.Duration(90*time.Minute) {
		t.Errorf("read back: %v %v", back.BurnRates, back.AlertWindows)
	}
	r, err := json.Marshal(engine.Judge([]engine.SLOStatus{s}, engine.Thresholds{}))
	if want := `"burn_rates":{"1d":6,"1h":3,"2h":4,"30m":2,"3d":7,"5m":1,"6h":5}`; err != nil || !strings.Contains(string(r), want) {
		t.Errorf("readiness JSON lacks %s in\n%s (%v)", want, r, err)
	}
}
