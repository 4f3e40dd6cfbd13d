package slack

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/flowslo/flowslo/alerting"
)

// Config says how to reach Slack: a bot token (chat.postMessage, chat.update,
// threads, and the look-up that keeps a retried message from posting twice)
// or an incoming webhook (one channel, every message new, no look-up).
//
//	slack: {token: xoxb-…, token_file: …, api_url: …, webhook_url: …}
type Config struct {
	Token      string `yaml:"token" json:"-"`
	TokenFile  string `yaml:"token_file" json:"token_file,omitempty"`
	APIURL     string `yaml:"api_url" json:"api_url,omitempty"`
	WebhookURL string `yaml:"webhook_url" json:"-"`
}

// TokenEnv is where the bot token is read from when the config gives none.
const TokenEnv = "FLOWSLO_SLACK_TOKEN"

// Validate reports every problem at once; at names the block
// ("alerting.slack", "alerting.receivers[2].slack").
func (c Config) Validate(at string) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(at+format, args...)) }
	if c.Token != "" && c.TokenFile != "" {
		bad(": token and token_file are both set: keep one")
	}
	if c.WebhookURL != "" && (c.Token != "" || c.TokenFile != "") {
		bad(": webhook_url and a token are both set: keep the token (it can update messages) or the webhook")
	}
	if c.TokenFile != "" {
		if _, err := os.Stat(c.TokenFile); err != nil {
			bad(".token_file: %v", err)
		}
	}
	if c.Token != "" && !strings.HasPrefix(c.Token, "xox") {
		bad(".token does not look like a Slack token: write the bot token, xoxb-…")
	}
	for _, f := range []struct{ key, url string }{{"api_url", c.APIURL}, {"webhook_url", c.WebhookURL}} {
		if f.url == "" {
			continue
		}
		if err := alerting.CheckURL(f.url); err != nil {
			bad(".%s: %v: write e.g. https://slack.com/api/", f.key, err)
		}
	}
	return errors.Join(errs...)
}

// ResolveToken returns the bot token: token, else token_file's content,
// else the FLOWSLO_SLACK_TOKEN variable from getenv (os.Getenv when nil).
// "" with a nil error means no token is configured.
func (c Config) ResolveToken(getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	switch {
	case c.Token != "":
		return c.Token, nil
	case c.TokenFile != "":
		b, err := os.ReadFile(c.TokenFile)
		if err != nil {
			return "", fmt.Errorf("read slack token: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return strings.TrimSpace(getenv(TokenEnv)), nil
}
