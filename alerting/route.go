package alerting

import (
	"slices"
	"strings"

	"github.com/flowslo/flowslo/slo"
)

// Route is one receiver, and where in it (a Slack channel), that an SLO
// severity's notifications go to.
type Route struct {
	Receiver string `json:"receiver"`
	Target   string `json:"target,omitempty"`
}

func (r Route) String() string { return slo.Route{Receiver: r.Receiver, Channel: r.Target}.String() }

// routesOf lists where s's alerts of sev go, without repeats.
func routesOf(s *slo.SLO, sev Severity) []Route {
	in := s.Alerting.Page
	if sev == Ticket {
		in = s.Alerting.Ticket
	}
	out := make([]Route, 0, len(in))
	for _, r := range in {
		if x := (Route{Receiver: r.Receiver, Target: r.Channel}); !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func routesText(rs []Route) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return strings.Join(parts, ", ")
}

// UnknownReceivers lists the receivers slos route to that names does not
// hold, as "slo-name: receiver" lines: serve refuses such SLO files.
func UnknownReceivers(slos []*slo.SLO, names func(string) bool) []string {
	var out []string
	for _, s := range slos {
		for _, sev := range Severities {
			for _, r := range routesOf(s, sev) {
				if !names(r.Receiver) {
					out = append(out, s.Name+": alerting."+string(sev)+" names receiver "+r.Receiver)
				}
			}
		}
	}
	return out
}
