package alerting

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

// Config is the alerting block of the service config:
//
//	alerting:
//	  evaluation_interval: 15s
//	  repeat_interval: 4h
//	  slack: {token: xoxb-…, token_file: …, api_url: …, webhook_url: …}
//	  links: {base_url: https://flowslo.example.com}
type Config struct {
	EvaluationInterval time.Duration `yaml:"evaluation_interval" json:"evaluation_interval"`
	RepeatInterval     time.Duration `yaml:"repeat_interval" json:"repeat_interval"`
	Slack              SlackConfig   `yaml:"slack" json:"slack"`
	Links              Links         `yaml:"links" json:"links"`
}

// SlackConfig says how to reach Slack: a bot token (chat.postMessage,
// chat.update, threads) or an incoming webhook (one channel, no updates).
type SlackConfig struct {
	Token      string `yaml:"token" json:"-"`
	TokenFile  string `yaml:"token_file" json:"token_file,omitempty"`
	APIURL     string `yaml:"api_url" json:"api_url,omitempty"`
	WebhookURL string `yaml:"webhook_url" json:"-"`
}

// Links build the URLs in messages.
type Links struct {
	BaseURL string `yaml:"base_url" json:"base_url"`
}

// Defaults.
const (
	DefaultEvaluationInterval = 15 * time.Second
	DefaultRepeatInterval     = 4 * time.Hour
	TokenEnv                  = "FLOWSLO_SLACK_TOKEN"
)

// WithDefaults fills in unset fields.
func (c Config) WithDefaults() Config {
	if c.EvaluationInterval == 0 {
		c.EvaluationInterval = DefaultEvaluationInterval
	}
	if c.RepeatInterval == 0 {
		c.RepeatInterval = DefaultRepeatInterval
	}
	return c
}

// Validate reports every problem at once. Run it after WithDefaults.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.EvaluationInterval < 100*time.Millisecond || c.EvaluationInterval > 5*time.Minute {
		bad("alerting.evaluation_interval %s is out of range: write 100ms to 5m, e.g. 15s", c.EvaluationInterval)
	}
	if c.RepeatInterval < time.Minute {
		bad("alerting.repeat_interval %s is too short: write at least 1m, e.g. 4h", c.RepeatInterval)
	}
	errs = append(errs, c.Slack.validate()...)
	if c.Links.BaseURL != "" {
		if err := checkURL(c.Links.BaseURL); err != nil {
			bad("alerting.links.base_url: %v: write e.g. https://flowslo.example.com", err)
		}
	}
	return errors.Join(errs...)
}

func (s SlackConfig) validate() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if s.Token != "" && s.TokenFile != "" {
		bad("alerting.slack: token and token_file are both set: keep one")
	}
	if s.WebhookURL != "" && (s.Token != "" || s.TokenFile != "") {
		bad("alerting.slack: webhook_url and a token are both set: keep the token (it can update messages) or the webhook")
	}
	if s.TokenFile != "" {
		if _, err := os.Stat(s.TokenFile); err != nil {
			bad("alerting.slack.token_file: %v", err)
		}
	}
	if s.Token != "" && !strings.HasPrefix(s.Token, "xox") {
		bad("alerting.slack.token does not look like a Slack token: write the bot token, xoxb-…")
	}
	for key, u := range map[string]string{"api_url": s.APIURL, "webhook_url": s.WebhookURL} {
		if u == "" {
			continue
		}
		if err := checkURL(u); err != nil {
			bad("alerting.slack.%s: %v: write e.g. https://slack.com/api/", key, err)
		}
	}
	return errs
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", raw)
	}
	return nil
}

// ResolveToken returns the bot token: token, else token_file's content,
// else the FLOWSLO_SLACK_TOKEN variable from getenv (os.Getenv when nil).
// "" with a nil error means no token is configured.
func (s SlackConfig) ResolveToken(getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	switch {
	case s.Token != "":
		return s.Token, nil
	case s.TokenFile != "":
		b, err := os.ReadFile(s.TokenFile)
		if err != nil {
			return "", fmt.Errorf("read slack token: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return strings.TrimSpace(getenv(TokenEnv)), nil
}
