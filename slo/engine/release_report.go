package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/flowslo/flowslo/slo"
)

// ReleaseQuery chooses a release report's period and SLOs.
type ReleaseQuery struct {
	// From starts every SLO's period; zero: since the release was first
	// seen in the SLO. Either way at most the SLO's window.
	From time.Time
	Flow string // only this flow's SLOs, if set
}

// ReleaseReport is one release's health, as GET /api/v1/releases/{version}
// serves it.
type ReleaseReport struct {
	Version string `json:"version"`
	// Verdict: ready | at_risk | not_ready | unknown (too few events).
	Verdict string   `json:"verdict"`
	Reasons []string `json:"reasons"` // worst first
	// Summary is the verdict in one sentence to forward.
	Summary   string       `json:"summary"`
	FirstSeen time.Time    `json:"first_seen"`
	LastSeen  time.Time    `json:"last_seen"`
	Previous  string       `json:"previous,omitempty"` // the previous release most SLOs compare with
	At        time.Time    `json:"at"`
	MinEvents uint64       `json:"min_events"`
	SLOs      []ReleaseSLO `json:"slos"`
	// AdoptionSeries is the release's share of its SLOs' events per hour
	// of its period.
	AdoptionSeries []AdoptionPoint `json:"adoption_series"`
	// Seen are all the releases the SLOs' events carry, newest first (a
	// picker's choices, without asking Releases again).
	Seen []string `json:"releases_seen"`
}

// ReleaseSLO is the release in one SLO over its period [From, At].
type ReleaseSLO struct {
	SLO       string    `json:"slo"`
	Flow      string    `json:"flow"`
	Verdict   string    `json:"verdict"`
	Reasons   []string  `json:"reasons"`
	From      time.Time `json:"from"`
	Good      uint64    `json:"good"`
	Total     uint64    `json:"total"`
	SLI       *float64  `json:"sli"`
	Objective float64   `json:"objective"` // a ratio, like sli (0.995)
	// Previous is the release before it over the same period; nil when
	// there is none.
	Previous    *ReleaseCounts `json:"previous"`
	Significant bool           `json:"significant"`
	Comparison  Comparison     `json:"comparison"`
	// Adoption is the release's share of the SLO's events in the period.
	Adoption   *float64 `json:"adoption"`
	BurnRate1h *float64 `json:"burn_rate_1h"`
	BurnRate5m *float64 `json:"burn_rate_5m"`
	// PlatformSlice says what the platforms are read from.
	PlatformSlice string          `json:"platform_slice,omitempty"`
	Platforms     []PlatformSplit `json:"platforms"`
}

// ReleaseCounts are one release's events in an SLO.
type ReleaseCounts struct {
	Version string   `json:"version"`
	Good    uint64   `json:"good"`
	Total   uint64   `json:"total"`
	SLI     *float64 `json:"sli"`
}

// PlatformSplit is the release on one platform, with the previous release
// on the same platform.
type PlatformSplit struct {
	Platform    string         `json:"platform"`
	Good        uint64         `json:"good"`
	Total       uint64         `json:"total"`
	SLI         *float64       `json:"sli"`
	Previous    *ReleaseCounts `json:"previous"`
	Significant bool           `json:"significant"`
	Worse       bool           `json:"worse"`
}

// AdoptionPoint is the release's share of events in the hour from T.
type AdoptionPoint struct {
	T     time.Time `json:"t"`
	Share *float64  `json:"share"`
	Total uint64    `json:"total"`
}

// relPlan is one SLO's part of a report.
type relPlan struct {
	relSLO
	from, fromHour time.Time
	prev           string
	out            *ReleaseSLO
}

// Release reports on version: its numbers in every SLO whose events carry
// it, against the previous release, with a verdict. ErrUnknownRelease when
// no SLO has seen it.
func (e *Engine) Release(ctx context.Context, version string, q ReleaseQuery) (ReleaseReport, error) {
	now := e.opts.Clock().UTC()
	t := e.opts.Readiness
	rs := e.releaseSLOs(now, q.Flow)
	t0 := time.Now()
	ss, err := e.sights(ctx, rs, time.Time{}, version)
	if err != nil {
		return ReleaseReport{}, err
	}
	plans := planRelease(rs, ss, version, q.From, now)
	if len(plans) == 0 {
		return ReleaseReport{}, unknownRelease(version, catalog(rs, ss))
	}
	rep := ReleaseReport{Version: version, At: now, MinEvents: t.MinEvents, SLOs: []ReleaseSLO{}, Seen: []string{}}
	for _, ri := range catalog(rs, ss) {
		rep.Seen = append(rep.Seen, ri.Version)
	}
	for _, x := range ss {
		if x.version == version {
			rep.FirstSeen, rep.LastSeen = earliestOf(rep.FirstSeen, x.first), later(rep.LastSeen, x.last)
		}
	}
	t1 := time.Now()
	if err := e.releaseCounts(ctx, plans, version, now); err != nil {
		return rep, err
	}
	t2 := time.Now()
	split := e.platformCounts
	if e.platformSplit != nil {
		split = e.platformSplit
	}
	if err := split(ctx, plans, version); err != nil {
		return rep, err
	}
	t3 := time.Now()
	if rep.AdoptionSeries, err = e.adoption(ctx, plans, version, now); err != nil {
		return rep, err
	}
	e.opts.Logger.Debug("release", "version", version, "sights", t1.Sub(t0), "counts", t2.Sub(t1), "platforms", t3.Sub(t2), "adoption", time.Since(t3))
	e.judgeRelease(&rep, plans, t, now)
	return rep, nil
}

func earliestOf(a, b time.Time) time.Time {
	if a.IsZero() {
		return b
	}
	return earlier(a, b)
}

func unknownRelease(version string, known []ReleaseInfo) error {
	var vs []string
	for _, r := range known {
		vs = append(vs, r.Version)
	}
	if len(vs) == 0 {
		return fmt.Errorf("%w %q: no SLO has a release slice with events yet (add slices: ['resource.attributes[\"service.version\"]'] to an SLO)", ErrUnknownRelease, version)
	}
	return fmt.Errorf("%w %q: the SLOs' events carry %s", ErrUnknownRelease, version, strings.Join(vs, ", "))
}

// planRelease picks the SLOs that saw version, each one's period and the
// release to compare with: the newest older version seen in the period,
// else the newest older one at all.
func planRelease(rs []relSLO, ss []sight, version string, from, now time.Time) []*relPlan {
	var out []*relPlan
	for _, r := range rs {
		var mine *sight
		var older []sight
		for i, x := range ss {
			switch {
			case x.slo != r.s.Name:
			case x.version == version:
				mine = &ss[i]
			case NewerVersion(version, x.version):
				older = append(older, x)
			}
		}
		if mine == nil {
			continue
		}
		p := &relPlan{relSLO: r, from: later(r.start, mine.first)}
		if !from.IsZero() {
			p.from = later(r.start, floorMinute(from))
		}
		p.fromHour = ceilHour(p.from)
		p.prev = previousOf(older, p.from)
		p.out = &ReleaseSLO{SLO: r.s.Name, Flow: r.s.Flow, From: p.from, Objective: r.s.Objective / 100,
			PlatformSlice: r.platSlice, Platforms: []PlatformSplit{}}
		out = append(out, p)
	}
	return out
}

func previousOf(older []sight, from time.Time) string {
	sort.Slice(older, func(i, j int) bool { return NewerVersion(older[i].version, older[j].version) })
	for _, x := range older {
		if !x.last.Before(from.Truncate(time.Hour)) {
			return x.version
		}
	}
	if len(older) > 0 {
		return older[0].version
	}
	return ""
}

// releaseCounts reads every planned SLO's counts per release over its
// period (hours after its first whole hour, minutes before), and the
// release's over the last hour and 5 minutes, in one query.
func (e *Engine) releaseCounts(ctx context.Context, plans []*relPlan, version string, now time.Time) error {
	b := newParams("c")
	h1, m5 := windowStart(now, time.Hour), windowStart(now, 5*time.Minute)
	l := lookupPlans(b, plans, func(p *relPlan) string { return p.key })
	// The whole SLO's rows give the period's events of every release (each
	// event has one value of the release slice), for adoption, so only the
	// release's and the previous ones' values are read.
	q := fmt.Sprintf(`SELECT slo, slice_key = '', slice_value, sumIf(good, %[1]s), sumIf(total, %[1]s),
	sumIf(good, res = 0 AND minute >= %[2]s), sumIf(total, res = 0 AND minute >= %[2]s),
	sumIf(good, res = 0 AND minute >= %[3]s), sumIf(total, res = 0 AND minute >= %[3]s)
FROM slo_rollup WHERE res < 2 AND %[4]s AND minute >= %[5]s AND (%[6]s OR minute >= %[2]s) AND (%[1]s OR res = 0 AND minute >= %[2]s)
GROUP BY slo, slice_key, slice_value`, l.inPeriod, b.minute(h1), b.minute(m5), l.withWhole(versionsOf(plans, version)), b.minute(l.first), l.minutes)
	rows, err := e.q.Query(ctx, q, b.p)
	if err != nil {
		return fmt.Errorf("release %s: %w", version, err)
	}
	defer rows.Close()
	byName := plansByName(plans)
	all := map[string]uint64{}
	for rows.Next() {
		var name, v string
		var whole bool
		var period, hour, five counts
		if err := rows.Scan(&name, &whole, &v, &period.good, &period.total, &hour.good, &hour.total, &five.good, &five.total); err != nil {
			return fmt.Errorf("release %s: %w", version, err)
		}
		p := byName[name]
		switch {
		case whole:
			all[name] = period.total
		case v == version:
			p.out.Good, p.out.Total, p.out.SLI = period.good, period.total, period.sli()
			p.out.BurnRate1h, p.out.BurnRate5m = hour.burnRate(p.s.ErrorBudget()), five.burnRate(p.s.ErrorBudget())
		case v == p.prev:
			p.out.Previous = &ReleaseCounts{Version: v, Good: period.good, Total: period.total, SLI: period.sli()}
		}
	}
	for _, p := range plans {
		if n := all[p.s.Name]; n > 0 {
			p.out.Adoption = ptr(float64(p.out.Total) / float64(n))
		}
		if p.out.Previous == nil && p.prev != "" {
			p.out.Previous = &ReleaseCounts{Version: p.prev}
		}
	}
	return rows.Err()
}

func plansByName(plans []*relPlan) map[string]*relPlan {
	m := make(map[string]*relPlan, len(plans))
	for _, p := range plans {
		m[p.s.Name] = p
	}
	return m
}

// adoption is the release's share of its SLOs' events per hour since the
// earliest period start.
func (e *Engine) adoption(ctx context.Context, plans []*relPlan, version string, now time.Time) ([]AdoptionPoint, error) {
	b := newParams("a")
	l := lookupPlans(b, plans, func(p *relPlan) string { return p.key })
	q := fmt.Sprintf(`SELECT toInt64(toUnixTimestamp(minute)) AS m, sumIf(total, slice_key != ''), sumIf(total, slice_key = '') FROM slo_rollup
WHERE res = 1 AND minute >= %s AND %s GROUP BY m ORDER BY m`, b.minute(l.first.Truncate(time.Hour)), l.withWhole([]string{version}))
	rows, err := e.q.Query(ctx, q, b.p)
	if err != nil {
		return nil, fmt.Errorf("adoption of %s: %w", version, err)
	}
	defer rows.Close()
	out := []AdoptionPoint{}
	for rows.Next() {
		var x AdoptionPoint
		var mine uint64
		var m int64
		if err := rows.Scan(&m, &mine, &x.Total); err != nil {
			return nil, fmt.Errorf("adoption of %s: %w", version, err)
		}
		x.T = time.Unix(m, 0).UTC()
		if x.Total > 0 {
			x.Share = ptr(float64(mine) / float64(x.Total))
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// fastBurn is the burn rate at which s pages soonest (its fastest page
// rule as alerting applies it), 0 without page rules.
func fastBurn(s *slo.SLO, t Thresholds, now time.Time) float64 {
	fast, _ := burnRules(SLOStatus{AlertWindows: thresholdsOf(s.AlertWindows(now))}, t)
	if len(fast) == 0 {
		return 0
	}
	return fast[0].Factor
}
