package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/flowslo/flowslo/alerting"
	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
)

// sloCollector puts every SLO's state on /metrics, so a Prometheus that
// scrapes flowslo can chart it, and alert on it with the rules of
// `flowslo rules export prometheus`.
type sloCollector struct {
	engine sloNumbers
	alerts func() []alerting.FiringAlert
	log    *slog.Logger
}

// sloNumbers is what the collector reads from the engine.
type sloNumbers interface {
	Status(ctx context.Context) ([]engine.SLOStatus, error)
	Counted() map[string]engine.WindowCounts
	SLOs() []*slo.SLO
}

var (
	sloLabels     = []string{"slo", "flow", "service"}
	sliDesc       = prometheus.NewDesc("flowslo_slo_sli", "Good events over all events in the SLO's window (0..1).", append(sloLabels, "window"), nil)
	budgetDesc    = prometheus.NewDesc("flowslo_slo_error_budget_remaining", "Error budget left over the SLO's window: 1 untouched, 0 spent, negative overspent.", append(sloLabels, "window"), nil)
	burnDesc      = prometheus.NewDesc("flowslo_slo_burn_rate", "How fast the error budget burns over the last window (1 spends it exactly over the SLO window).", append(sloLabels, "window"), nil)
	eventsDesc    = prometheus.NewDesc("flowslo_slo_events_total", "Events of the SLO stored since this flowslo (the leader) started, counted once as they were stored, late ones included, by result.", append(sloLabels, "result"), nil)
	objectiveDesc = prometheus.NewDesc("flowslo_slo_objective", "The SLO's objective (0..1).", append(sloLabels, "window"), nil)
	firingDesc    = prometheus.NewDesc("flowslo_alert_firing", "1 while the SLO's alert of this severity fires.", []string{"slo", "severity"}, nil)
)

func (c *sloCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{sliDesc, budgetDesc, burnDesc, eventsDesc, objectiveDesc, firingDesc} {
		ch <- d
	}
}

func (c *sloCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	all, err := c.engine.Status(ctx)
	if err != nil {
		c.log.Warn("metrics: SLO status", "err", err)
	}
	for _, s := range all {
		l := []string{s.Name, s.Flow, s.Service}
		gauge := func(d *prometheus.Desc, v float64, extra string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append(l, extra)...)
		}
		gauge(objectiveDesc, s.Objective/100, s.Window)
		if s.SLI != nil {
			gauge(sliDesc, *s.SLI, s.Window)
		}
		if s.ErrorBudgetRemaining != nil {
			gauge(budgetDesc, *s.ErrorBudgetRemaining, s.Window)
		}
		for w, b := range s.BurnRates {
			if b != nil {
				gauge(burnDesc, *b, w.String())
			}
		}
	}
	c.collectEvents(ch)
	if c.alerts != nil {
		for _, a := range c.alerts() {
			ch <- prometheus.MustNewConstMetric(firingDesc, prometheus.GaugeValue, 1, a.SLO, string(a.Severity))
		}
	}
}

// collectEvents reports the events the leader's engine has counted since
// it started: they only grow (late events included), so rate() over them
// is the SLI of any window, and reading them costs no query. A follower
// counts nothing and reports none (the leader's are the ones to scrape).
func (c *sloCollector) collectEvents(ch chan<- prometheus.Metric) {
	counted := c.engine.Counted()
	if counted == nil {
		return
	}
	for _, s := range c.engine.SLOs() {
		n := counted[s.Name]
		l := []string{s.Name, s.Flow, s.Service}
		ch <- prometheus.MustNewConstMetric(eventsDesc, prometheus.CounterValue, float64(n.Good), append(l, "good")...)
		ch <- prometheus.MustNewConstMetric(eventsDesc, prometheus.CounterValue, float64(n.Total-min(n.Good, n.Total)), append(l, "bad")...)
	}
}
