package slo

import (
	"slices"
	"strings"
	"testing"
)

// TestRoutes: a bare channel is the Slack receiver (today's files keep
// working); {receiver: …} and lists of both name the receivers of the
// service config.
func TestRoutes(t *testing.T) {
	got, err := Load("testdata/routes/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]Route{
		{{Receiver: "am"}, {Receiver: "slack", Channel: "#oncall-auth"}},
		{{Receiver: "slack", Channel: "#auth-team"}},
		{{Receiver: "pd-auth"}},
		{{Receiver: "slack", Channel: "#auth"}},
	}
	for i, r := range [][]Route{got[0].Alerting.Page, got[0].Alerting.Ticket, got[1].Alerting.Page, got[1].Alerting.Ticket} {
		if !slices.Equal(r, want[i]) {
			t.Errorf("routes %d: %+v, want %+v", i, r, want[i])
		}
	}
	_, err = Load("testdata/routes/bad.yaml")
	for _, w := range []string{
		`bad.yaml:11: alerting.page[0] names no receiver: write {receiver: name}`,
		`bad.yaml:11: channel "#on call" has spaces`,
		`bad.yaml:12: alerting.ticket[0] must not be a list: write a Slack channel ("#oncall"), {receiver: name} or a list of them`,
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in\n%v", w, err)
		}
	}
}
