package app

import (
	"context"
	"time"

	"github.com/flowslo/flowslo/alerting"
	"github.com/flowslo/flowslo/slo/engine"
)

// detailRange is how far back a page looks for the slice most responsible
// and for example traces: the recent past is what on-call acts on.
const detailRange = time.Hour

// newAlerting builds the burn-rate alerting over the SLO engine, with the
// configured receivers (without any, alerts are recorded and shown, not
// sent): the options each leader term builds its manager from, and the
// manager that serves reads while this process does not lead.
func newAlerting(a *App) (*alertsView, error) {
	cfg := a.cfg.Alerting
	receivers, closers, err := cfg.receivers(a.log)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, closers...)
	a.alertOptions = alerting.Options{
		Config:    cfg.Config,
		Receivers: receivers,
		SLOs:      a.engine.SLOs,
		Counts:    engineCounts(a.engine),
		Detail:    engineDetail(a.engine),
		Frozen:    a.engine.Held,
		Store:     a.store,
		Logger:    a.log,
	}
	a.noReceivers = len(receivers) == 0
	if a.noReceivers {
		a.log.Warn("no alert receiver configured (alerting.slack or alerting.receivers): alerts are evaluated and shown in the UI, not sent")
	}
	follower, err := alerting.New(a.alertOptions)
	if err != nil {
		return nil, err
	}
	return &alertsView{follower: follower}, nil
}

// engineCounts adapts the engine's rollup counts to what alert rules read.
func engineCounts(e *engineView) alerting.CountsFunc {
	return func(ctx context.Context, windows []time.Duration, at time.Time) (map[string]map[time.Duration]alerting.Counts, error) {
		in, err := e.Counts(ctx, windows, at)
		if err != nil {
			return nil, err
		}
		out := make(map[string]map[time.Duration]alerting.Counts, len(in))
		for name, byWindow := range in {
			m := make(map[time.Duration]alerting.Counts, len(byWindow))
			for w, c := range byWindow {
				m[w] = alerting.Counts{Good: c.Good, Total: c.Total}
			}
			out[name] = m
		}
		return out, nil
	}
}

// engineDetail gives a page what on-call starts from: the slice with most
// bad events, a few example traces, the budget left.
func engineDetail(e *engineView) alerting.DetailFunc {
	return func(ctx context.Context, name string, at time.Time) (*alerting.Detail, error) {
		d := &alerting.Detail{}
		if st, err := e.StatusOf(ctx, name); err == nil {
			d.BudgetRemaining = st.ErrorBudgetRemaining
		}
		from := at.Add(-detailRange)
		if slices, err := e.BadBySlice(ctx, name, from, at); err == nil {
			d.TopSlice = topSlice(slices)
		}
		if ex, err := e.ExampleTraces(ctx, name, from, at, 3); err == nil {
			for _, x := range ex {
				d.TraceIDs = append(d.TraceIDs, x.TraceID)
			}
		}
		return d, nil
	}
}

// topSlice is the slice value holding the largest share of the SLO's bad
// events (SLOBad, not the sum of the values listed: those are the top 10).
func topSlice(counts []engine.SliceCount) *alerting.SliceShare {
	var best *alerting.SliceShare
	for _, c := range counts {
		if c.SLOBad == 0 {
			continue
		}
		share := float64(c.Bad) / float64(c.SLOBad)
		if best == nil || share > best.Share {
			best = &alerting.SliceShare{Key: c.Slice, Value: c.Value, Share: share}
		}
	}
	return best
}
