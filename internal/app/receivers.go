package app

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"

	"github.com/flowslo/flowslo/alerting"
	"github.com/flowslo/flowslo/alerting/alertmanager"
	"github.com/flowslo/flowslo/alerting/pagerduty"
	"github.com/flowslo/flowslo/alerting/slack"
	"github.com/flowslo/flowslo/alerting/webhook"
	"github.com/flowslo/flowslo/slo"
)

// AlertingConfig is the alerting block of the service config: alerting's
// own settings, the Slack receiver as before receivers existed, and the
// named receivers SLOs route to.
//
//	alerting:
//	  evaluation_interval: 15s
//	  receivers:
//	    - {name: am, alertmanager: {urls: ["http://alertmanager:9093"]}}
//	    - {name: pd-auth, pagerduty: {routing_key_file: /run/secrets/pd}}
//	    - {name: hook, webhook: {url: "https://…", secret_file: /run/secrets/hook}}
//	  slack: {token_file: /run/secrets/slack}   # the receiver named "slack"
type AlertingConfig struct {
	alerting.Config `yaml:",inline"`
	Slack           slack.Config     `yaml:"slack"`
	Receivers       []ReceiverConfig `yaml:"receivers"`
}

// ReceiverConfig is one named receiver: exactly one kind is set.
type ReceiverConfig struct {
	Name         string               `yaml:"name"`
	Slack        *slack.Config        `yaml:"slack"`
	Alertmanager *alertmanager.Config `yaml:"alertmanager"`
	PagerDuty    *pagerduty.Config    `yaml:"pagerduty"`
	Webhook      *webhook.Config      `yaml:"webhook"`
}

var receiverName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// Validate reports every problem of the block at once. Run it after
// WithDefaults.
func (c AlertingConfig) Validate() error {
	errs := []error{c.Config.Validate(), c.Slack.Validate("alerting.slack")}
	seen := map[string]bool{}
	for i, r := range c.Receivers {
		at := fmt.Sprintf("alerting.receivers[%d]", i)
		switch {
		case !receiverName.MatchString(r.Name):
			errs = append(errs, fmt.Errorf("%s: name %q: write a short lowercase name, e.g. pd-auth", at, r.Name))
		case seen[r.Name]:
			errs = append(errs, fmt.Errorf("%s: name %q is used twice: give each receiver its own name", at, r.Name))
		case r.Name == slo.SlackReceiver && c.slackSet():
			errs = append(errs, fmt.Errorf("%s: name slack is the alerting.slack block's: rename this receiver or drop that block", at))
		}
		seen[r.Name] = true
		errs = append(errs, r.validate(at))
	}
	return errors.Join(errs...)
}

func (c AlertingConfig) slackSet() bool { return c.Slack != slack.Config{} }

func (r ReceiverConfig) validate(at string) error {
	var errs []error
	n := 0
	if r.Slack != nil {
		n++
		errs = append(errs, r.Slack.Validate(at+".slack"))
	}
	if r.Alertmanager != nil {
		n++
		errs = append(errs, r.Alertmanager.Validate(at+".alertmanager"))
	}
	if r.PagerDuty != nil {
		n++
		errs = append(errs, r.PagerDuty.Validate(at+".pagerduty"))
	}
	if r.Webhook != nil {
		n++
		errs = append(errs, r.Webhook.Validate(at+".webhook"))
	}
	if n != 1 {
		errs = append(errs, fmt.Errorf("%s (%s): give exactly one of slack, alertmanager, pagerduty, webhook, not %d", at, r.Name, n))
	}
	return errors.Join(errs...)
}

// receivers builds every configured receiver by name; closers stop the
// ones that run in the background.
func (c AlertingConfig) receivers(log *slog.Logger) (map[string]alerting.Notifier, []func(), error) {
	out := map[string]alerting.Notifier{}
	var closers []func()
	if s, err := slack.New(c.Slack, os.Getenv); err != nil {
		return nil, nil, fmt.Errorf("alerting.slack: %w", err)
	} else if s != nil { // a typed nil would look like a receiver
		out[slo.SlackReceiver] = s
	}
	for _, r := range c.Receivers {
		n, closer, err := r.build(log)
		if err != nil {
			for _, f := range closers {
				f()
			}
			return nil, nil, fmt.Errorf("alerting receiver %s: %w", r.Name, err)
		}
		out[r.Name] = n
		if closer != nil {
			closers = append(closers, closer)
		}
	}
	return out, closers, nil
}

func (r ReceiverConfig) build(log *slog.Logger) (alerting.Notifier, func(), error) {
	switch {
	case r.Slack != nil:
		s, err := slack.New(*r.Slack, os.Getenv)
		if err == nil && s == nil {
			err = errors.New("no token or webhook_url")
		}
		return s, nil, err
	case r.Alertmanager != nil:
		a, err := alertmanager.New(*r.Alertmanager, log.With("receiver", r.Name))
		if err != nil {
			return nil, nil, err
		}
		return a, a.Close, nil
	case r.PagerDuty != nil:
		p, err := pagerduty.New(*r.PagerDuty)
		return p, nil, err
	}
	w, err := webhook.New(*r.Webhook)
	return w, nil, err
}
