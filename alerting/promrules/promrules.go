// Package promrules writes Prometheus rule groups over the SLO series
// flowslo puts on /metrics, for teams that alert from their own
// Prometheus: recording rules of each SLO's error ratio over every window
// the burn-rate rules use, and multiwindow multi-burn-rate alerting rules
// with the factors alerting applies (alerting.RulesFor). The output is
// validated with Prometheus's own model/rulefmt before it is written.
package promrules

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"

	"github.com/flowslo/flowslo/alerting"
	"github.com/flowslo/flowslo/slo"
)

// AlertName is the name of every alerting rule, as the Alertmanager
// receiver names flowslo's alerts.
const AlertName = "FlowsloErrorBudgetBurn"

// record is the recording rule of the error ratio over w.
func record(w time.Duration) string {
	return "flowslo:slo_error_ratio:rate" + model.Duration(w).String()
}

// Groups are the rule groups for slos at `at` (calendar windows scale the
// default factors to the period's real length then).
func Groups(slos []*slo.SLO, at time.Time) rulefmt.RuleGroups {
	need := map[time.Duration]bool{}
	var alerts []rulefmt.Rule
	for _, s := range slos {
		r := alerting.RulesFor(s, at)
		for _, w := range r.Windows {
			need[w.Long], need[w.Short] = true, true
		}
		for _, sev := range alerting.Severities {
			if rule, ok := alertRule(s, r, sev); ok {
				alerts = append(alerts, rule)
			}
		}
	}
	windows := make([]time.Duration, 0, len(need))
	for w := range need {
		windows = append(windows, w)
	}
	slices.Sort(windows)
	var recs []rulefmt.Rule
	for _, w := range windows {
		recs = append(recs, rulefmt.Rule{Record: record(w), Expr: ratioExpr(w)})
	}
	return rulefmt.RuleGroups{Groups: []rulefmt.RuleGroup{
		{Name: "flowslo-slo-error-ratios", Rules: recs},
		{Name: "flowslo-slo-burn-rate-alerts", Rules: alerts},
	}}
}

func ratioExpr(w time.Duration) string {
	d := model.Duration(w).String()
	return fmt.Sprintf(`sum by (slo, flow, service) (rate(flowslo_slo_events_total{result="bad"}[%s]))
/
sum by (slo, flow, service) (rate(flowslo_slo_events_total[%s]))`, d, d)
}

// alertRule fires when any of the severity's windows burns at its factor
// over both its long and short window.
func alertRule(s *slo.SLO, r alerting.Rules, sev alerting.Severity) (rulefmt.Rule, bool) {
	budget := s.ErrorBudget()
	var terms []string
	for _, w := range r.Windows {
		if w.Severity != sev {
			continue
		}
		limit := fmt.Sprintf("(%.6g * %.6g)", w.Factor, budget) // 1 - 99.9/100 is 0.0009999999999998899
		terms = append(terms, fmt.Sprintf("(%s{slo=%q} > %s and %s{slo=%q} > %s)",
			record(w.Long), s.Name, limit, record(w.Short), s.Name, limit))
	}
	if len(terms) == 0 {
		return rulefmt.Rule{}, false
	}
	rule := rulefmt.Rule{Alert: AlertName, Expr: strings.Join(terms, "\nor\n"),
		Labels: map[string]string{"severity": string(sev), "window": s.Window.String()},
		Annotations: map[string]string{
			"summary": fmt.Sprintf("%s (flow %s) burns its %g%% error budget over %s too fast for a %s", s.Name, s.Flow, s.Objective, s.Window, sev),
		}}
	if s.Alerting.Runbook != "" {
		rule.Annotations["runbook_url"] = s.Alerting.Runbook
	}
	return rule, true
}

// Marshal writes g as a rule file and checks it with rulefmt, as
// Prometheus would on load.
func Marshal(g rulefmt.RuleGroups) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(g); err != nil {
		return nil, fmt.Errorf("encode rules: %w", err)
	}
	if _, errs := rulefmt.Parse(b.Bytes(), false, model.UTF8Validation, parser.NewParser(parser.Options{}), nil); len(errs) > 0 {
		return nil, fmt.Errorf("the rules do not validate: %w", errors.Join(errs...))
	}
	return b.Bytes(), nil
}
