package slo

import (
	"regexp"
	"sort"
	"strings"
)

// Expectation is the event an SLO counts, as a newcomer would send it:
// the fields its total filter requires by equality (service, name, kind,
// event name, attributes), with the filters as written for the rest.
type Expectation struct {
	Signal     string            `json:"signal"` // span | log
	Service    string            `json:"service,omitempty"`
	Name       string            `json:"name,omitempty"` // span name
	Kind       string            `json:"kind,omitempty"` // span kind: Server, Consumer, …
	Event      string            `json:"event_name,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Resource   map[string]string `json:"resource,omitempty"`
	Total      string            `json:"total"` // the total filter
	Good       string            `json:"good"`  // when it is good, in words of the SLO file
	Slices     []string          `json:"slices,omitempty"`
}

// equality finds `field == "value"` in a filter; the field is one of the
// names the SLI language has for the event's identity, or an attribute.
var equality = regexp.MustCompile(`((?:resource\.)?attributes\["[^"]+"\]|service\.name|name|kind|event\.name)\s*==\s*"([^"]*)"`)

// Expects derives the expected event from the total filter. Only
// equalities joined by && say what the event must carry: a filter with ||
// or ! keeps them as text (Total) and yields no fields, since no one
// value is required there.
func (s *SLO) Expects() Expectation {
	in := s.Indicator
	x := Expectation{Signal: "span", Total: in.Total, Good: goodText(in), Slices: s.Slices}
	if in.Source == "logs" {
		x.Signal = "log"
	}
	if strings.ContainsAny(in.Total, "|!") {
		return x
	}
	for _, m := range equality.FindAllStringSubmatch(in.Total, -1) {
		x.set(m[1], m[2])
	}
	return x
}

func (x *Expectation) set(field, v string) {
	switch {
	case field == "service.name" || field == `resource.attributes["service.name"]`:
		x.Service = v
	case field == "name":
		x.Name = v
	case field == "kind":
		x.Kind = v
	case field == "event.name":
		x.Event = v
	case strings.HasPrefix(field, "resource."):
		x.Resource = put(x.Resource, attrKey(field), v)
	default:
		x.Attributes = put(x.Attributes, attrKey(field), v)
	}
}

func put(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

// attrKey is k of attributes["k"].
func attrKey(field string) string {
	_, k, _ := strings.Cut(field, `["`)
	return strings.TrimSuffix(k, `"]`)
}

func goodText(in Indicator) string {
	switch {
	case in.Latency > 0:
		return "duration <= " + in.Latency.String()
	case in.Good != "":
		return in.Good
	}
	return "not (" + in.Bad + ")"
}

// AttributeKeys are x's attribute keys in order, for templates.
func (x Expectation) AttributeKeys() []string {
	var ks []string
	for k := range x.Attributes {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
