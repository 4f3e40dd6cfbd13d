package alerting

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Config is alerting's own part of the alerting block of the service config
// (the receivers' parts are each receiver package's own):
//
//	alerting:
//	  evaluation_interval: 15s
//	  repeat_interval: 4h
//	  undeliverable_after: 24h
//	  links: {base_url: https://flowslo.example.com}
type Config struct {
	EvaluationInterval time.Duration `yaml:"evaluation_interval" json:"evaluation_interval"`
	RepeatInterval     time.Duration `yaml:"repeat_interval" json:"repeat_interval"`
	// UndeliverableAfter: a notification not delivered this long after it
	// was due is reported as undeliverable instead of sent late.
	UndeliverableAfter time.Duration `yaml:"undeliverable_after" json:"undeliverable_after"`
	Links              Links         `yaml:"links" json:"links"`
}

// Links build the URLs in messages.
type Links struct {
	BaseURL string `yaml:"base_url" json:"base_url"`
}

// Defaults.
const (
	DefaultEvaluationInterval = 15 * time.Second
	DefaultRepeatInterval     = 4 * time.Hour
	DefaultUndeliverableAfter = 24 * time.Hour
)

// WithDefaults fills in unset fields.
func (c Config) WithDefaults() Config {
	if c.EvaluationInterval == 0 {
		c.EvaluationInterval = DefaultEvaluationInterval
	}
	if c.RepeatInterval == 0 {
		c.RepeatInterval = DefaultRepeatInterval
	}
	if c.UndeliverableAfter == 0 {
		c.UndeliverableAfter = DefaultUndeliverableAfter
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
	if c.UndeliverableAfter < 10*time.Minute {
		bad("alerting.undeliverable_after %s is too short: write at least 10m, e.g. 24h", c.UndeliverableAfter)
	}
	if c.Links.BaseURL != "" {
		if err := CheckURL(c.Links.BaseURL); err != nil {
			bad("alerting.links.base_url: %v: write e.g. https://flowslo.example.com", err)
		}
	}
	return errors.Join(errs...)
}

// CheckURL is the URL check every receiver's config uses: http(s) with a
// host.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", raw)
	}
	return nil
}
