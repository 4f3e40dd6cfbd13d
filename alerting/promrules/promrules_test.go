package promrules_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/flowslo/flowslo/alerting/promrules"
	"github.com/flowslo/flowslo/slo"
)

// TestGroups: the rules for the example SLOs validate as Prometheus loads
// them, and a page rule uses the factors alerting applies, scaled to the
// SLO's window (14.4 for 30d becomes 13.44 for 28d), on the recorded
// error ratios of both its windows.
func TestGroups(t *testing.T) {
	slos, err := slo.Load("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	text, err := promrules.Marshal(promrules.Groups(slos, time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	s := string(text)
	for _, want := range []string{
		"record: flowslo:slo_error_ratio:rate5m",
		"record: flowslo:slo_error_ratio:rate3d",
		`rate(flowslo_slo_events_total{result="bad"}[1h])`,
		`alert: FlowsloErrorBudgetBurn`,
		`severity: page`,
		`(flowslo:slo_error_ratio:rate1h{slo="login-success"} > (13.44 * 0.005) and flowslo:slo_error_ratio:rate5m{slo="login-success"} > (13.44 * 0.005))`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("rules lack %q\n%s", want, s)
		}
	}
	bad := rulefmt.RuleGroups{Groups: []rulefmt.RuleGroup{{Name: "x", Rules: []rulefmt.Rule{{Alert: "X", Expr: "rate(foo[5m]"}}}}}
	if _, err := promrules.Marshal(bad); err == nil || !strings.Contains(err.Error(), "do not validate") {
		t.Errorf("an invalid expression passed: %v", err)
	}
}
