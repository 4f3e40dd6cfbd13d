package pagerduty_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowslo/flowslo/alerting"
	"github.com/flowslo/flowslo/alerting/pagerduty"
)

// eventsAPI is a PagerDuty Events API v2 endpoint as documented: it checks
// each event as PagerDuty does (a 32-character routing key, a known
// action, a dedup key, and for triggers a summary of at most 1024
// characters, a source and a known severity), answers 202 with the dedup
// key, 400 with the problems otherwise, and keeps one incident per key.
type eventsAPI struct {
	mu        sync.Mutex
	events    []pagerduty.Event
	incidents map[string]string // dedup key → triggered, resolved
	answer    int               // non-zero: answer this status instead
}

func (e *eventsAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ev pagerduty.Event
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	w.Header().Set("Content-Type", "application/json")
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.answer != 0 {
		w.WriteHeader(e.answer)
		return
	}
	var errs []string
	if r.URL.Path != "/v2/enqueue" || r.Header.Get("Content-Type") != "application/json" {
		errs = append(errs, "wrong path or content type")
	}
	if err := dec.Decode(&ev); err != nil {
		errs = append(errs, err.Error())
	}
	if len(ev.RoutingKey) != 32 {
		errs = append(errs, "routing_key must be 32 characters")
	}
	if ev.DedupKey == "" {
		errs = append(errs, "dedup_key is required")
	}
	switch ev.EventAction {
	case "trigger":
		p := ev.Payload
		if p == nil || p.Summary == "" || len(p.Summary) > 1024 || p.Source == "" || !strings.Contains("critical error warning info", p.Severity) {
			errs = append(errs, "payload needs summary (≤1024), source and a known severity")
		}
	case "resolve":
	default:
		errs = append(errs, "unknown event_action")
	}
	if len(errs) > 0 {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]any{"status": "invalid event", "message": "Event object is invalid", "errors": errs})
		return
	}
	e.events = append(e.events, ev)
	e.incidents[ev.DedupKey] = ev.EventAction + "d"
	w.WriteHeader(http.StatusAccepted)
	json.NewEncoder(w).Encode(map[string]any{"status": "success", "message": "Event processed", "dedup_key": ev.DedupKey})
}

func delivery(kind alerting.Kind) *alerting.Delivery {
	left := 0.4
	return &alerting.Delivery{ID: "login-success/page/1/" + string(kind) + "/pd/", Receiver: "pd", Message: &alerting.Message{
		AlertID: "login-success/page/1", Kind: kind, Severity: alerting.Page, SLO: "login-success", Flow: "login", Service: "auth-api",
		Title: "PAGE · login-success", Summary: strings.Repeat("is failing ", 200), BudgetLeft: &left, Window: "28d",
		StartedAt: time.Date(2026, 11, 26, 14, 2, 0, 0, time.UTC),
		Links:     []alerting.Link{{Kind: "slo", Label: "Open login-success in flowslo", URL: "https://flowslo.example.com/slos/login-success"}}}}
}

// TestWire: trigger, repeat and resolve of one incident share one dedup
// key; PagerDuty's refusals map to the retry classes.
func TestWire(t *testing.T) {
	api := &eventsAPI{incidents: map[string]string{}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	keyFile := filepath.Join(t.TempDir(), "pd")
	os.WriteFile(keyFile, []byte(strings.Repeat("a", 32)+"\n"), 0o600)
	c := pagerduty.Config{RoutingKeyFile: keyFile, URL: srv.URL + "/v2/enqueue"}
	if err := c.Validate("alerting.receivers[0].pagerduty"); err != nil {
		t.Fatal(err)
	}
	r, err := pagerduty.New(c)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, k := range []alerting.Kind{alerting.KindFiring, alerting.KindRepeat, alerting.KindResolved} {
		ref, err := r.Notify(ctx, delivery(k))
		if err != nil || ref != "login-success/page/1" {
			t.Fatalf("%s: %q %v", k, ref, err)
		}
	}
	if len(api.events) != 3 || len(api.incidents) != 1 || api.incidents["login-success/page/1"] != "resolved" {
		t.Fatalf("events %+v incidents %v", api.events, api.incidents)
	}
	p := api.events[0].Payload
	if p.Severity != "critical" || p.Group != "login" || p.Component != "auth-api" || len(p.Summary) != 1024 ||
		p.CustomDetails["error_budget_left"] != 0.4 || api.events[0].Links[0].Href != "https://flowslo.example.com/slos/login-success" {
		t.Errorf("trigger %+v", api.events[0])
	}
	for status, check := range map[int]func(error) bool{
		http.StatusBadRequest:          alerting.IsPermanent,
		http.StatusTooManyRequests:     func(err error) bool { var x *alerting.ThrottledError; return errors.As(err, &x) },
		http.StatusInternalServerError: func(err error) bool { var x *alerting.RefusedError; return errors.As(err, &x) },
	} {
		api.answer = status
		if _, err := r.Notify(ctx, delivery(alerting.KindFiring)); !check(err) {
			t.Errorf("HTTP %d: %v (%T)", status, err, err)
		}
	}
	if err := (pagerduty.Config{}).Validate("pd"); err == nil || !strings.Contains(err.Error(), "no routing key") {
		t.Errorf("empty config: %v", err)
	}
}
