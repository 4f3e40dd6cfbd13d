package demo

import (
	"strings"
	"testing"
	"time"
)

// A single scenario starts within the first 30 s of real time at any
// speed, after a healthy warm-up, and lasts to the end of the run.
func TestSingleScenarioStartsEarlyAndLasts(t *testing.T) {
	for _, speed := range []float64{1, 10, 600, 100000} {
		tl := liveTimeline{t0: time.Unix(0, 0), speed: speed, plan: newPlan([]string{"auth-outage"}, speed)}
		if m := tl.at(tl.t0); m.phase != "" {
			t.Errorf("speed %g: no warm-up, %s at once", speed, m.phase)
		}
		if m := tl.at(tl.t0.Add(warmUpReal)); m.phase != "auth-outage" || !m.eff.idpDown {
			t.Errorf("speed %g: not on after %s of real time: %+v", speed, warmUpReal, m)
		}
		if m := tl.at(tl.t0.Add(24 * time.Hour)); m.phase != "auth-outage" {
			t.Errorf("speed %g: over after a day: %+v", speed, m)
		}
	}
}

func TestCycleVisitsEveryScenario(t *testing.T) {
	tl := liveTimeline{t0: time.Unix(0, 0), speed: 1, plan: newPlan(nil, 1)}
	seen := map[string]bool{}
	for d := time.Duration(0); d < 2*tl.plan.cycle; d += time.Minute {
		seen[tl.at(tl.t0.Add(d)).phase] = true
	}
	for _, n := range cycleOrder {
		if !seen[n] {
			t.Errorf("the cycle never plays %s", n)
		}
	}
	if !seen[""] {
		t.Error("the cycle has no healthy gaps")
	}
}

func TestPushCampaignIsTenfoldForTwoMinutes(t *testing.T) {
	tl := liveTimeline{t0: time.Unix(0, 0), speed: 1, plan: newPlan([]string{"push-campaign"}, 1)}
	warm := warmUpReal
	on := 0
	for d := time.Duration(0); d < campaignEvery; d += time.Second {
		if tl.at(tl.t0.Add(warm+d)).campaign > 0 {
			on++
		}
	}
	if on != int(campaignLength/time.Second) {
		t.Errorf("campaign on %ds of every %s, want %s", on, campaignEvery, campaignLength)
	}
}

func TestAdoptionGrows(t *testing.T) {
	prev := -1.0
	for h := 0; h < 72; h++ {
		a := adoption(time.Duration(h) * time.Hour)
		if a < prev || a <= 0 || a > 0.7 {
			t.Fatalf("adoption at %dh = %g after %g", h, a, prev)
		}
		prev = a
	}
}

func TestValidateReportsEverything(t *testing.T) {
	o := DefaultOptions()
	o.Scenarios, o.Speed, o.Rate, o.Backfill, o.Duration = []string{"nope"}, -1, 0, 30*24*time.Hour, -time.Second
	err := o.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`unknown scenario "nope"`, "--speed -1", "--rate 0", "--backfill 720h0m0s", "--duration -1s"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if err := DefaultOptions().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}
