package demo

import (
	"time"
)

// hourly is the daily curve of a consumer app, by hour of the story clock:
// quiet at night, a lunch bump, the evening peak. Normalised to a mean of 1.
var hourly = normalise([24]float64{0.45, 0.3, 0.22, 0.18, 0.18, 0.25, 0.45, 0.8, 1.1, 1.15, 1.1, 1.15,
	1.35, 1.25, 1.1, 1.05, 1.1, 1.25, 1.45, 1.6, 1.75, 1.65, 1.25, 0.8})

func normalise(h [24]float64) [24]float64 {
	var sum float64
	for _, v := range h {
		sum += v
	}
	for i := range h {
		h[i] *= 24 / sum
	}
	return h
}

// daily interpolates the curve between whole hours, so the rate never
// jumps at an hour boundary.
func daily(t time.Time) float64 {
	h, m := t.Hour(), t.Minute()
	frac := (float64(m) + float64(t.Second())/60) / 60
	return hourly[h]*(1-frac) + hourly[(h+1)%24]*frac
}

// mondayRush is the login multiplier of the week: everyone signs in again
// on Monday morning (tokens expired over the weekend).
func mondayRush(t time.Time) float64 {
	if t.Weekday() == time.Monday && t.Hour() >= 8 && t.Hour() < 10 {
		return 3
	}
	return 1
}

// weeklyCampaign: marketing sends a push campaign at 12:00 and 19:00 every
// day, 10x traffic for two minutes.
func weeklyCampaign(t time.Time) bool {
	return (t.Hour() == 12 || t.Hour() == 19) && t.Minute() < int(campaignLength/time.Minute)
}

// storyOrigin is where a live story starts: a Monday at 07:30, so the
// cycle opens on the login rush. A fixed date keeps seeded runs equal.
var storyOrigin = time.Date(2024, 1, 1, 7, 30, 0, 0, time.UTC)

// moment is everything that shapes traffic at one instant.
type moment struct {
	load     float64 // all app traffic
	login    float64 // extra on logins
	feed     float64 // extra on feed loads
	campaign int     // the campaign running (1, 2, …), 0 for none
	eff      effect
	phase    string // the scenario on, "" for none
	// adoption is 4.2.0's share of app sessions.
	adoption float64
}

// pushUtil is how busy push-worker is: it keeps up with 12x its usual
// queue, so a 10x campaign runs it at 83% and queue time grows.
func (m moment) pushUtil() float64 {
	u := m.load / 12
	if m.campaign > 0 {
		u *= campaignFactor
	}
	return min(u, 0.95)
}

// adoption is the rollout of 4.2.0, by time since its release: 5% at
// once, 30% after two days, then faster to 70% half a day later.
func adoption(since time.Duration) float64 {
	const day = 24 * time.Hour
	switch {
	case since < 0:
		return 0
	case since < 2*day:
		return 0.05 + 0.25*float64(since)/float64(2*day)
	default:
		return min(0.7, 0.3+0.4*float64(since-2*day)/float64(day/2))
	}
}

// releaseAge is how long 4.2.0 has been out when a live story starts.
const releaseAge = 2 * 24 * time.Hour

// liveTimeline maps real timestamps of a live run to moments of its plan.
type liveTimeline struct {
	t0    time.Time
	speed float64
	plan  plan
}

func (l liveTimeline) story(ts time.Time) time.Duration {
	return time.Duration(float64(ts.Sub(l.t0)) * l.speed)
}

func (l liveTimeline) at(ts time.Time) moment {
	d := l.story(ts)
	m := moment{load: 1, login: 1, feed: 1, adoption: adoption(releaseAge + d)}
	if l.plan.weekly {
		weekly(&m, storyOrigin.Add(d))
	}
	if ph, since, ok := l.plan.at(d); ok {
		apply(&m, ph.scenario, since)
	}
	return m
}

func weekly(m *moment, t time.Time) {
	m.load = daily(t)
	m.login = mondayRush(t)
	if weeklyCampaign(t) {
		m.campaign = t.YearDay()*24 + t.Hour() // tells one campaign from the next
	}
}

// apply turns a scenario on, since the given story time.
func apply(m *moment, sc scenario, since time.Duration) {
	e := sc.effect
	m.eff, m.phase = e, sc.name
	if e.loginRush > 0 {
		m.login *= e.loginRush
	}
	if e.feedRush > 0 {
		m.feed *= e.feedRush
	}
	if e.campaigns {
		if n, on := campaignOn(since); on {
			m.campaign = n
		}
	}
}

// historyTimeline is the past week as it happened: the calendar's daily
// curve, Monday's rush, two campaigns a day, 4.2.0 released two days before
// the end, and two small incidents so the charts have something to show.
type historyTimeline struct{ end time.Time }

var historyIncidents = []struct {
	ago, length time.Duration
	scenario    string
}{
	{ago: 5*24*time.Hour + 10*time.Hour, length: 20 * time.Minute, scenario: "slow-feed"},
	{ago: 3*24*time.Hour + 4*time.Hour, length: 15 * time.Minute, scenario: "payment-throttle"},
}

func (h historyTimeline) at(ts time.Time) moment {
	m := moment{load: 1, login: 1, feed: 1, adoption: adoption(ts.Sub(h.end.Add(-releaseAge)))}
	weekly(&m, ts.UTC())
	for _, inc := range historyIncidents {
		if from := h.end.Add(-inc.ago); !ts.Before(from) && ts.Before(from.Add(inc.length)) {
			apply(&m, scenarios[inc.scenario], ts.Sub(from))
		}
	}
	return m
}
