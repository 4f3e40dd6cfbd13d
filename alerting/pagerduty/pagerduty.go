// Package pagerduty is the PagerDuty receiver of alerting: PagerDuty
// Events API v2. A page triggers an incident with a dedup key per alert
// (one incident of one SLO's severity), a repeat triggers again with the
// same key (PagerDuty folds it into the open incident), and the resolve
// resolves that key. Events are idempotent by dedup key, so a try that may
// have arrived is simply sent again.
package pagerduty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/flowslo/flowslo/alerting"
)

// DefaultURL is the Events API v2 endpoint.
const DefaultURL = "https://events.pagerduty.com/v2/enqueue"

// Config is a pagerduty receiver: {routing_key_file: /run/secrets/pd, url: ""}.
type Config struct {
	RoutingKey     string `yaml:"routing_key" json:"-"`
	RoutingKeyFile string `yaml:"routing_key_file" json:"routing_key_file,omitempty"`
	// URL overrides DefaultURL, for proxies.
	URL string `yaml:"url" json:"url,omitempty"`
}

// Validate reports every problem at once; at names the block.
func (c Config) Validate(at string) error {
	var errs []error
	switch {
	case c.RoutingKey != "" && c.RoutingKeyFile != "":
		errs = append(errs, fmt.Errorf("%s: routing_key and routing_key_file are both set: keep one", at))
	case c.RoutingKey == "" && c.RoutingKeyFile == "":
		errs = append(errs, fmt.Errorf("%s: no routing key: write routing_key_file: /run/secrets/pd (the integration key of a PagerDuty service)", at))
	case c.RoutingKeyFile != "":
		if _, err := os.Stat(c.RoutingKeyFile); err != nil {
			errs = append(errs, fmt.Errorf("%s.routing_key_file: %v", at, err))
		}
	}
	if c.URL != "" {
		if err := alerting.CheckURL(c.URL); err != nil {
			errs = append(errs, fmt.Errorf("%s.url: %v: write e.g. %s, or leave it out", at, err, DefaultURL))
		}
	}
	return errors.Join(errs...)
}

// Receiver implements alerting.Notifier for PagerDuty.
type Receiver struct {
	key, url string
	http     *http.Client
}

// New reads the routing key and returns the receiver.
func New(c Config) (*Receiver, error) {
	key := c.RoutingKey
	if c.RoutingKeyFile != "" {
		b, err := os.ReadFile(c.RoutingKeyFile)
		if err != nil {
			return nil, fmt.Errorf("read pagerduty routing key: %w", err)
		}
		key = strings.TrimSpace(string(b))
	}
	u := c.URL
	if u == "" {
		u = DefaultURL
	}
	return &Receiver{key: key, url: u, http: &http.Client{Timeout: 15 * time.Second}}, nil
}

// Event is an Events API v2 event.
type Event struct {
	RoutingKey  string   `json:"routing_key"`
	EventAction string   `json:"event_action"` // trigger, resolve
	DedupKey    string   `json:"dedup_key"`
	Payload     *Payload `json:"payload,omitempty"`
	Client      string   `json:"client,omitempty"`
	ClientURL   string   `json:"client_url,omitempty"`
	Links       []Link   `json:"links,omitempty"`
}

// Payload is what a trigger says about the alert.
type Payload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"` // critical, error, warning, info
	Timestamp     string         `json:"timestamp,omitempty"`
	Component     string         `json:"component,omitempty"`
	Group         string         `json:"group,omitempty"`
	Class         string         `json:"class,omitempty"`
	CustomDetails map[string]any `json:"custom_details,omitempty"`
}

// Link is a link shown on the incident.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// EventOf is d as a PagerDuty event.
func (r *Receiver) EventOf(d *alerting.Delivery) Event {
	m := d.Message
	e := Event{RoutingKey: r.key, EventAction: "trigger", DedupKey: m.AlertID, Client: "flowslo", ClientURL: m.Link("slo")}
	if m.Kind == alerting.KindResolved {
		e.EventAction = "resolve"
		return e
	}
	sev := "critical"
	if m.Severity == alerting.Ticket {
		sev = "warning"
	}
	summary := m.Headline()
	if len(summary) > 1024 { // PagerDuty's limit
		summary = summary[:1021] + "..."
	}
	details := map[string]any{"slo": m.SLO, "flow": m.Flow, "objective": m.Objective, "window": m.Window, "text": m.Text()}
	if m.BudgetLeft != nil {
		details["error_budget_left"] = *m.BudgetLeft
	}
	if m.TopSlice != nil {
		details["top_slice"] = m.TopSlice.Key + "=" + m.TopSlice.Value
	}
	if len(m.Examples) > 0 {
		details["example_traces"] = m.Examples
	}
	e.Payload = &Payload{Summary: summary, Source: "flowslo", Severity: sev, Timestamp: m.StartedAt.UTC().Format(time.RFC3339),
		Component: m.Service, Group: m.Flow, Class: "slo_burn_rate", CustomDetails: details}
	for _, l := range m.Links {
		e.Links = append(e.Links, Link{Href: l.URL, Text: l.Label})
	}
	return e
}

// Notify sends d's event; the Ref is the dedup key.
func (r *Receiver) Notify(ctx context.Context, d *alerting.Delivery) (alerting.Ref, error) {
	body, err := json.Marshal(r.EventOf(d))
	if err != nil {
		return "", alerting.Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(body))
	if err != nil {
		return "", alerting.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("pagerduty: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return alerting.Ref(d.Message.AlertID), alerting.HTTPError(resp, msg)
}
