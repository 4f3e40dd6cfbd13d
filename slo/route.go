package slo

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// SlackReceiver is the receiver a bare channel ("#oncall-auth") names, so
// SLO files written before receivers existed keep working.
const SlackReceiver = "slack"

// Route is one place an alert severity goes: a receiver of the service
// config (alerting.receivers) and, for Slack, a channel.
type Route struct {
	Receiver string
	Channel  string
}

func (r Route) String() string {
	if r.Channel == "" {
		return r.Receiver
	}
	if r.Receiver == SlackReceiver {
		return r.Channel
	}
	return r.Receiver + " " + r.Channel
}

// checkRoutes reads alerting.page or alerting.ticket: a channel, a
// {receiver, channel} mapping or a list of either. The receiver names are
// checked against the service config when the SLOs are loaded by serve.
func checkRoutes(d *draft, key string) []Route {
	n := d.node(key)
	if n == nil {
		return nil
	}
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var out []Route
	for i, it := range items {
		k := key
		if n.Kind == yaml.SequenceNode {
			k = fmt.Sprintf("%s[%d]", key, i)
		}
		if r, ok := checkRoute(d, k, it); ok {
			out = append(out, r)
		}
	}
	return out
}

func checkRoute(d *draft, key string, n *yaml.Node) (Route, bool) {
	if n.Kind == yaml.ScalarNode {
		return Route{Receiver: SlackReceiver, Channel: n.Value}, checkChannel(d, key, n.Value)
	}
	r := Route{Receiver: strings.TrimSpace(d.text(key + ".receiver")), Channel: d.text(key + ".channel")}
	if r.Receiver == "" {
		d.errorf(key, "%s names no receiver: write {receiver: name} with a name from alerting.receivers of the service config", label(d.path+"."+key))
		return r, false
	}
	return r, r.Channel == "" || checkChannel(d, key+".channel", r.Channel)
}

// checkChannel catches a channel name YAML read as a comment: an unquoted
// #oncall is no value at all, so a quoted one is what users mean.
func checkChannel(d *draft, key, v string) bool {
	if strings.ContainsAny(v, " \t") {
		d.errorf(key, "channel %q has spaces: write a Slack channel, e.g. \"#oncall-auth\" (quoted)", v)
		return false
	}
	return v != ""
}
