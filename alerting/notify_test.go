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
		{"new alert", dedupInput{State: Firing, Channel: "#oncall"}, FirstNotification},
		{"sent a minute ago", dedupInput{State: Firing, Channel: "#oncall", NotifiedAt: ago(time.Minute)}, AlreadyNotified},
		{"sent 4h ago", dedupInput{State: Firing, Channel: "#oncall", NotifiedAt: ago(repeat)}, RepeatIntervalElapsed},
		{"resolved after a send", dedupInput{State: Resolved, Channel: "#oncall", NotifiedAt: ago(time.Hour)}, ResolvedNotification},
		{"resolved, silenced", dedupInput{State: Resolved, Channel: "#oncall", NotifiedAt: ago(time.Hour), Silenced: true}, ResolvedNotification},
		{"resolved, never sent", dedupInput{State: Resolved, Channel: "#oncall"}, ResolvedUnnotified},
		{"resolve sent", dedupInput{State: Resolved, Channel: "#oncall", NotifiedAt: ago(time.Hour), ResolveNotifiedAt: ago(time.Minute)}, ResolvedAlreadySent},
		{"silenced", dedupInput{State: Firing, Channel: "#oncall", Silenced: true}, SilencedNow},
		{"no channel", dedupInput{State: Firing}, NoChannel},
		{"failed for good a minute ago", dedupInput{State: Firing, Channel: "#x", FailedAt: ago(time.Minute)}, RetryAfterPermanent},
		{"failed for good 4h ago", dedupInput{State: Firing, Channel: "#x", FailedAt: ago(repeat)}, FirstNotification},
		{"repeat failed for good", dedupInput{State: Firing, Channel: "#x", NotifiedAt: ago(5 * time.Hour), FailedAt: ago(time.Hour)}, RetryAfterPermanent},
		{"in flight", dedupInput{State: Firing, Channel: "#oncall", InFlight: true}, InFlight},
	} {
		if got := dedup(c.in, now, repeat); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	if !FirstNotification.Send() || !ResolvedNotification.Send() || AlreadyNotified.Send() || SilencedNow.Send() {
		t.Error("Send() is wrong")
	}
}

func TestConfigValidateReportsEverything(t *testing.T) {
	c := Config{EvaluationInterval: time.Millisecond, RepeatInterval: time.Second,
		Slack: SlackConfig{Token: "abc", TokenFile: "/nope", WebhookURL: "ftp://x", APIURL: "::"},
		Links: Links{BaseURL: "flowslo.example.com"}}
	err := c.WithDefaults().Validate()
	if err == nil {
		t.Fatal("bad config validated")
	}
	for _, want := range []string{
		"alerting.evaluation_interval 1ms is out of range",
		"alerting.repeat_interval 1s is too short",
		"token and token_file are both set",
		"webhook_url and a token are both set",
		"alerting.slack.token_file: stat /nope",
		"does not look like a Slack token",
		"alerting.slack.webhook_url",
		"alerting.slack.api_url",
		"alerting.links.base_url",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
	good := Config{Slack: SlackConfig{Token: "xoxb-1"}, Links: Links{BaseURL: "https://flowslo.example.com"}}.WithDefaults()
	if err := good.Validate(); err != nil || good.EvaluationInterval != 15*time.Second || good.RepeatInterval != 4*time.Hour {
		t.Errorf("defaults %+v: %v", good, err)
	}
	tok, err := SlackConfig{}.ResolveToken(func(k string) string { return map[string]string{TokenEnv: " xoxb-env\n"}[k] })
	if err != nil || tok != "xoxb-env" {
		t.Errorf("token from env: %q %v", tok, err)
	}
}
