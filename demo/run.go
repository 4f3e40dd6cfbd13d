package demo

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

const (
	// tick is the step of a live run in real time: the requests of one tick
	// are made, then the demo waits for the clock.
	tick = 100 * time.Millisecond
	// historyTick is the step of the backfill, written as fast as it goes.
	historyTick = time.Minute
	// historyDensity: the history is written at a fiftieth of --rate, so a
	// week takes about a minute to write instead of an hour. Ratios, and so
	// SLIs and budgets, do not depend on volume.
	historyDensity = 50
	// flushBudget bounds the final flush to flowslo.
	flushBudget = 30 * time.Second
)

// Result is what a run sent and flowslo acknowledged.
type Result struct {
	Spans, Logs int64
	Requests    int64 // app requests and pushes made, before retries
}

// Run plays the demo until opts.Duration has passed or ctx ends, then
// flushes what it made to flowslo.
func Run(ctx context.Context, opts Options) (Result, error) {
	if err := opts.Validate(); err != nil {
		return Result{}, err
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	endpoint := normalizeEndpoint(opts.Endpoint)
	if err := reachable(endpoint); err != nil {
		return Result{}, err
	}
	probs := &problems{}
	defer watchProblems(probs)()
	tel, err := newTelemetry(ctx, endpoint, opts.Seed, probs)
	if err != nil {
		return Result{}, err
	}
	s, err := newSim(opts.Seed, tel)
	if err != nil {
		return Result{}, err
	}
	p := &printer{out: opts.Out, probs: probs, tel: tel}
	p.line("sending to %s over OTLP gRPC: %s, speed %gx, %g requests/s, seed %d", endpoint, describe(opts.Scenarios), opts.Speed, opts.Rate, opts.Seed)
	if opts.Backfill > 0 {
		s.backfill(ctx, opts.Backfill, max(opts.Rate/historyDensity, 0.5), p)
	}
	if ctx.Err() == nil {
		s.live(ctx, opts, p)
	}
	fctx, cancel := context.WithTimeout(context.Background(), flushBudget)
	defer cancel()
	ferr := tel.shutdown(fctx)
	res := Result{Spans: tel.spans.acked.Load(), Logs: tel.logs.acked.Load()}
	for _, n := range s.made {
		res.Requests += n
	}
	p.line("done: flowslo acknowledged %d spans and %d log records", res.Spans, res.Logs)
	p.problems()
	if ferr != nil {
		return res, fmt.Errorf("flush to %s: %w", endpoint, ferr)
	}
	return res, nil
}

// reachable fails fast, with what to do, when nothing listens at endpoint
// (the exporters would otherwise retry quietly for a minute).
func reachable(endpoint string) error {
	conn, err := net.DialTimeout("tcp", endpoint, 3*time.Second)
	if err != nil {
		return fmt.Errorf("no OTLP receiver at %s (%v): start `flowslo serve` first (make demo runs both), or give --otlp-endpoint", endpoint, err)
	}
	return conn.Close()
}

func describe(names []string) string {
	switch len(names) {
	case 0:
		return "cycling through " + strings.Join(cycleOrder, ", ")
	case 1:
		return "scenario " + names[0]
	}
	return "cycling through " + strings.Join(names, ", ")
}

// backfill writes the history [now-d, now) with past timestamps, as fast
// as flowslo takes it, and catches up with the clock so the live part
// starts without a gap.
func (s *sim) backfill(ctx context.Context, d time.Duration, rate float64, p *printer) {
	end := time.Now()
	tl := historyTimeline{end: end}
	p.line("backfill: writing %s of history (%s to %s) at %g requests/s", d, end.Add(-d).Format(time.DateTime), end.Format(time.DateTime), rate)
	t := end.Add(-d)
	nextDay := t.Add(24 * time.Hour)
	for ctx.Err() == nil {
		now := time.Now()
		step := min(historyTick, now.Sub(t))
		if step <= 0 {
			break
		}
		s.tick(tl, t, step, rate)
		t = t.Add(step)
		if !t.Before(nextDay) {
			p.line("backfill: history up to %s written", t.Format("Mon 02 Jan 15:04"))
			nextDay = nextDay.Add(24 * time.Hour)
		}
		if step < historyTick {
			break // caught up with the clock
		}
	}
	p.line("backfill done: %s of history", d)
}

// live makes real-time traffic in ticks, waiting for the clock after each,
// until the duration's ticks are made or ctx ends. The number of ticks, not
// the clock, ends a bounded run, so a seeded run always makes the same.
func (s *sim) live(ctx context.Context, opts Options, p *printer) {
	t0 := time.Now()
	tl := liveTimeline{t0: t0, speed: opts.Speed, plan: newPlan(opts.Scenarios, opts.Speed)}
	ticks := -1
	if opts.Duration > 0 {
		ticks = int((opts.Duration + tick - 1) / tick)
		p.line("live until %s (%s)", t0.Add(opts.Duration).Format(time.TimeOnly), opts.Duration)
	}
	status := t0.Add(time.Minute)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for k := 0; ticks < 0 || k < ticks; k++ {
		from := t0.Add(time.Duration(k) * tick)
		p.announce(tl, from)
		s.tick(tl, from, tick, opts.Rate)
		timer.Reset(time.Until(from.Add(tick)))
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		if now := time.Now(); !now.Before(status) {
			p.status(s, now.Sub(t0))
			status = status.Add(time.Minute)
		}
	}
}

// printer writes what the demo is doing.
type printer struct {
	out      io.Writer
	probs    *problems
	tel      *telemetry
	phase    string
	campaign int
	rush     bool
	started  bool
}

func (p *printer) line(format string, args ...any) {
	fmt.Fprintf(p.out, "%s flowslo demo: %s\n", time.Now().Format(time.TimeOnly), fmt.Sprintf(format, args...))
}

// announce prints what changes at a moment: a scenario starting or ending,
// a campaign, the login rush.
func (p *printer) announce(tl liveTimeline, at time.Time) {
	m := tl.at(at)
	if !p.started {
		p.started = true
		if tl.plan.weekly {
			p.line("the story clock starts on %s at %gx: daily curve, Monday login rush, campaigns at 12:00 and 19:00; each scenario gets %s of it after %s healthy",
				storyOrigin.Format("Monday 15:04"), tl.speed, slot-slotHealthy, slotHealthy)
		} else {
			p.line("healthy warm-up of %s, then the scenario until the end", time.Duration(float64(tl.plan.phases[0].from)/tl.speed).Round(100*time.Millisecond))
		}
	}
	if m.phase != p.phase {
		if p.phase != "" {
			p.line("%s ends", p.phase)
		}
		if m.phase != "" {
			p.line("%s", scenarios[m.phase].starts)
		}
		p.phase = m.phase
	}
	if m.campaign != p.campaign && m.campaign > 0 {
		p.line("%s", campaignLine())
	}
	p.campaign = m.campaign
	if rush := m.login > 1; rush != p.rush {
		if rush {
			p.line("login rush: logins %gx", m.login)
		}
		p.rush = rush
	}
}

func (p *printer) status(s *sim, elapsed time.Duration) {
	var made int64
	for _, n := range s.made {
		made += n
	}
	p.line("%s in: %d requests made, %d spans and %d logs acknowledged", elapsed.Round(time.Second), made,
		p.tel.spans.acked.Load(), p.tel.logs.acked.Load())
	p.problems()
}

func (p *printer) problems() {
	if n, err := p.probs.take(); n > 0 {
		p.line("%d delivery problems, the last: %v", n, err)
	}
}
