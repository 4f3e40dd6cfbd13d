package app

import (
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReceiversConfig: the receivers of the example load and
// build, the top-level slack block is the receiver named slack, and every
// mistake is reported at once with what to write.
func TestReceiversConfig(t *testing.T) {
	dir := t.TempDir()
	pd, hook := filepath.Join(dir, "pd"), filepath.Join(dir, "hook")
	writeFile(t, pd, strings.Repeat("k", 32))
	writeFile(t, hook, "s3cret")
	good := filepath.Join(dir, "good.yaml")
	writeFile(t, good, `alerting:
  receivers:
    - {name: am, alertmanager: {urls: ["http://127.0.0.1:9093"]}}
    - {name: pd-auth, pagerduty: {routing_key_file: `+pd+`, url: ""}}
    - {name: hook, webhook: {url: "https://hooks.example.com/flowslo", secret_file: `+hook+`}}
  slack: {token: xoxb-test}
`)
	cfg, err := LoadConfig(good)
	if err != nil {
		t.Fatal(err)
	}
	recv, closers, err := cfg.Alerting.receivers(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range closers {
		defer c()
	}
	var names []string
	for n := range recv {
		names = append(names, n)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"am", "hook", "pd-auth", "slack"}) {
		t.Errorf("receivers %v", names)
	}

	bad := filepath.Join(dir, "bad.yaml")
	writeFile(t, bad, `alerting:
  receivers:
    - {name: am, alertmanager: {urls: []}}
    - {name: am, pagerduty: {}}
    - {name: Bad Name, webhook: {url: "ftp://x", secret: s}}
    - {name: two, webhook: {url: "https://x", secret: s}, pagerduty: {routing_key: k}}
    - {name: slack, slack: {token: xoxb-1}}
  slack: {token: xoxb-2}
`)
	_, err = LoadConfig(bad)
	for _, want := range []string{
		`alerting.receivers[0].alertmanager.urls is empty: write urls: ["http://alertmanager:9093"]`,
		`alerting.receivers[1]: name "am" is used twice`,
		`alerting.receivers[1].pagerduty: no routing key: write routing_key_file`,
		`alerting.receivers[2]: name "Bad Name": write a short lowercase name`,
		`alerting.receivers[2].webhook.url`,
		`alerting.receivers[3] (two): give exactly one of slack, alertmanager, pagerduty, webhook, not 2`,
		`alerting.receivers[4]: name slack is the alerting.slack block's`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
}

// TestUnknownReceiverRefused: SLO files that route to a receiver the
// service config lacks are refused at start, naming the SLO and receiver.
func TestUnknownReceiverRefused(t *testing.T) {
	dir := t.TempDir()
	sloFile := filepath.Join(dir, "slos.yaml")
	writeFile(t, sloFile, strings.Replace(outageSLO, `page: "#oncall-auth"`, `page: [{receiver: pd-auth}, "#oncall-auth"]`, 1))
	a := &App{cfg: DefaultConfig(), opts: Options{SLOPath: sloFile}}
	s := &sloSource{path: sloFile, app: a}
	_, err := s.read()
	if err == nil || !strings.Contains(err.Error(), "login-success: alerting.page names receiver pd-auth") ||
		!strings.Contains(err.Error(), "add these receivers to alerting.receivers") {
		t.Fatalf("err %v", err)
	}
	a.cfg.Alerting.Receivers = []ReceiverConfig{{Name: "pd-auth"}}
	if _, err := s.read(); err != nil {
		t.Fatal(err)
	}
}
