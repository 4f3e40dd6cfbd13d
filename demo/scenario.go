package demo

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// effect is what a scenario does to the app and backend while it is on.
type effect struct {
	loginRush     float64 // logins multiplied by this (0: unchanged)
	feedRush      float64 // feed loads multiplied by this (0: unchanged)
	campaigns     bool    // push campaigns every campaignEvery, 10x for campaignLength
	idpDown       bool    // the identity provider answers 503: logins fail
	cacheFlushed  bool    // feed cache empty: every load hits the database pool, which saturates
	throttle      float64 // share of payment calls the provider answers 429
	badRelease    bool    // app 4.2.0 on Android sends a payload orders-api fails on
	badReleaseHit float64 // share of those checkouts that fail
}

// scenario is one story the demo can play.
type scenario struct {
	name   string
	starts string // what the demo prints when it starts
	effect effect
}

var scenarios = map[string]scenario{
	"steady":        {name: "steady", starts: "steady traffic, nothing goes wrong: every SLO stays green"},
	"monday-peak":   {name: "monday-peak", starts: "Monday-morning login peak: logins 4x, feed 2x", effect: effect{loginRush: 4, feedRush: 2}},
	"push-campaign": {name: "push-campaign", starts: "push campaigns every 10m, each 10x for 2m (watch push-processing-time)", effect: effect{campaigns: true}},
	"auth-outage":   {name: "auth-outage", starts: "auth-outage starts: the identity provider is down, logins fail (pages login-success)", effect: effect{idpDown: true}},
	"slow-feed":     {name: "slow-feed", starts: "slow-feed starts: the feed cache is flushed and the database pool saturates (pages feed-latency)", effect: effect{cacheFlushed: true}},
	"payment-throttle": {name: "payment-throttle", starts: "payment-throttle starts: the payment provider answers 429 to 60% of charges, apps retry (watch checkout-success)",
		effect: effect{throttle: 0.6}},
	"bad-release": {name: "bad-release", starts: "bad-release starts: app 4.2.0 fails checkout on Android (checkout-success by app.version and os.name)",
		effect: effect{badRelease: true, badReleaseHit: 0.4}},
}

// cycleOrder is the order the demo plays scenarios in when none is named.
var cycleOrder = []string{"steady", "monday-peak", "push-campaign", "auth-outage", "slow-feed", "payment-throttle", "bad-release"}

// ScenarioNames lists the scenarios, sorted, for help and error texts.
func ScenarioNames() []string {
	names := make([]string, 0, len(scenarios))
	for n := range scenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

const (
	campaignEvery  = 10 * time.Minute
	campaignLength = 2 * time.Minute
	campaignFactor = 10
	// warmUp is the healthy start of a single scenario, in story time,
	// capped at warmUpReal of real time so a short run shows the effect.
	warmUp     = 2 * time.Minute
	warmUpReal = 20 * time.Second
	// slot is a scenario's share of the story when the demo cycles: a
	// healthy quarter, then the effect.
	slot        = 20 * time.Minute
	slotHealthy = 5 * time.Minute
)

// phase is one scenario on the story timeline, [from, to) from the story's
// start; to 0 means until the end.
type phase struct {
	scenario scenario
	from, to time.Duration
}

// plan is the story of one live run.
type plan struct {
	phases []phase
	cycle  time.Duration // >0: phases repeat with this period
	// weekly applies the daily curve, Monday's login rush and the twice
	// daily campaigns of the story clock; a single scenario runs on a flat
	// background instead, so its effect is all there is to see.
	weekly bool
}

// newPlan plays one named scenario from after the warm-up to the end, or
// cycles through several (all when none is named) in slots.
func newPlan(names []string, speed float64) plan {
	if len(names) == 1 {
		warm := min(warmUp, time.Duration(float64(warmUpReal)*speed))
		return plan{phases: []phase{{scenario: scenarios[names[0]], from: warm}}}
	}
	if len(names) == 0 {
		names = cycleOrder
	}
	p := plan{weekly: true, cycle: time.Duration(len(names)) * slot}
	for i, n := range names {
		start := time.Duration(i) * slot
		p.phases = append(p.phases, phase{scenario: scenarios[n], from: start + slotHealthy, to: start + slot})
	}
	return p
}

// at is the phase on at story offset d, if any, and how long it has been on.
func (p plan) at(d time.Duration) (phase, time.Duration, bool) {
	if p.cycle > 0 {
		d %= p.cycle
	}
	for _, ph := range p.phases {
		if d >= ph.from && (ph.to == 0 || d < ph.to) {
			return ph, d - ph.from, true
		}
	}
	return phase{}, 0, false
}

// campaignOn says whether a push campaign runs at story offset d of a
// phase with campaigns, and which one (for the log line).
func campaignOn(sincePhase time.Duration) (int, bool) {
	n := int(sincePhase / campaignEvery)
	return n + 1, sincePhase-time.Duration(n)*campaignEvery < campaignLength
}

func (s scenario) String() string { return s.name }

func campaignLine() string {
	return fmt.Sprintf("push campaign: %dx for %s", campaignFactor, strings.TrimSuffix(campaignLength.String(), "0s"))
}
