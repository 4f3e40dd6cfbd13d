package alerting

import (
	"strings"
	"testing"
	"time"
)

func TestDedup(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	repeat := 4 * time.Hour
	for _, c := range []struct {
		name string
		in   dedupInput
		want Reason
	}{
		{"new alert", dedupInput{State: Firing, Routed: true}, FirstNotification},
		{"recorded a minute ago", dedupInput{State: Firing, Routed: true, NotifiedAt: ago(time.Minute)}, AlreadyNotified},
		{"recorded 4h ago", dedupInput{State: Firing, Routed: true, NotifiedAt: ago(repeat)}, RepeatIntervalElapsed},
		{"resolved after a send", dedupInput{State: Resolved, Routed: true, NotifiedAt: ago(time.Hour)}, ResolvedNotification},
		{"resolved, silenced", dedupInput{State: Resolved, Routed: true, NotifiedAt: ago(time.Hour), Silenced: true}, ResolvedNotification},
		{"resolved, never sent", dedupInput{State: Resolved, Routed: true}, ResolvedUnnotified},
		{"resolve recorded", dedupInput{State: Resolved, Routed: true, NotifiedAt: ago(time.Hour), ResolveNotifiedAt: ago(time.Minute)}, ResolvedAlreadySent},
		{"silenced", dedupInput{State: Firing, Routed: true, Silenced: true}, SilencedNow},
		{"no route", dedupInput{State: Firing}, NoRoute},
	} {
		if got := dedup(c.in, now, repeat); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	if !FirstNotification.Send() || !ResolvedNotification.Send() || AlreadyNotified.Send() || SilencedNow.Send() {
		t.Error("Send() is wrong")
	}
}

// TestLimiterReleasesOnGiveUp: a waiter that gives up holds no slot, so a
// channel whose sends time out while waiting still gets one message a
// second once a sender waits long enough (before, every waiter that gave
// up had reserved a slot and pushed the next one a second further out:
// with a short send timeout nothing was sent for 44 evaluations).
func TestLimiterReleasesOnGiveUp(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	l := newChannelLimiter(time.Second)
	l.now = func() time.Time { return now }
	if d := l.take("#oncall"); d != 0 {
		t.Fatalf("first take waits %v", d)
	}
	for range 40 { // senders that ask, are told to wait, and give up
		if d := l.take("#oncall"); d != time.Second {
			t.Fatalf("busy channel: wait %v, want 1s", d)
		}
	}
	if d := l.take("#feed"); d != 0 {
		t.Errorf("another channel waits %v", d)
	}
	now = now.Add(time.Second)
	if d := l.take("#oncall"); d != 0 {
		t.Errorf("a second later the channel is still closed for %v: given-up waits kept their slots", d)
	}
	l.hold("#oncall", 30*time.Second) // a 429 with Retry-After: 30
	if d := l.take("#oncall"); d != 30*time.Second {
		t.Errorf("after a 429: wait %v, want 30s", d)
	}
}

func TestConfigValidateReportsEverything(t *testing.T) {
	c := Config{EvaluationInterval: time.Millisecond, RepeatInterval: time.Second, UndeliverableAfter: time.Minute,
		Links: Links{BaseURL: "flowslo.example.com"}}
	err := c.WithDefaults().Validate()
	if err == nil {
		t.Fatal("bad config validated")
	}
	for _, want := range []string{
		"alerting.evaluation_interval 1ms is out of range",
		"alerting.repeat_interval 1s is too short",
		"alerting.undeliverable_after 1m0s is too short",
		"alerting.links.base_url",
	} {
		if !contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
	good := Config{Links: Links{BaseURL: "https://flowslo.example.com"}}.WithDefaults()
	if err := good.Validate(); err != nil || good.EvaluationInterval != 15*time.Second || good.RepeatInterval != 4*time.Hour || good.UndeliverableAfter != 24*time.Hour {
		t.Errorf("defaults %+v: %v", good, err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
