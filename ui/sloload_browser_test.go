package ui

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBrowserSLOLoadErrorBanner: a refused reload of the SLO files shows
// on the Flows page as a banner naming the file, the line and the error,
// saying the last good definitions stay in force, while their cards stay;
// the live refresh brings it and takes it away once the files are fixed.
func TestBrowserSLOLoadErrorBanner(t *testing.T) {
	d := newDemo(5)
	var mu sync.Mutex
	var refused *SLOLoadError
	srv := newDemoServer(d, true)
	srv.opts.SLOLoadError = func() *SLOLoadError {
		mu.Lock()
		defer mu.Unlock()
		return refused
	}
	tb := newTab(t, srv)
	tb.open("/?refresh=1", "#flows .flow")
	if n := tb.eval(`document.querySelectorAll('#slo-load-error').length`); n != float64(0) {
		t.Fatalf("a banner with nothing refused: %v", n)
	}

	mu.Lock()
	refused = &SLOLoadError{Path: "/etc/flowslo/slos", InForce: 5, At: time.Date(2026, 12, 1, 12, 30, 0, 0, time.UTC),
		Problems: []SLOProblem{{File: "/etc/flowslo/slos/checkout.yaml", Line: 12, Message: "objective 100: write a percent below 100, e.g. 99.9"}}}
	mu.Unlock()
	tb.until(`document.getElementById('slo-load-error') !== null`)
	banner := tb.text("#slo-load-error")
	for _, want := range []string{"/etc/flowslo/slos/checkout.yaml:12", "objective 100: write a percent below 100", "The last good definitions (5 SLOs) stay in force", "flowslo validate /etc/flowslo/slos"} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner %q lacks %q", banner, want)
		}
	}
	if role := tb.eval(`document.getElementById('slo-load-error').getAttribute('role')`); role != "alert" {
		t.Errorf("banner role %v, want alert", role)
	}
	if n := tb.eval(`document.querySelectorAll('#flows li.slo').length`); n != float64(5) {
		t.Errorf("SLO cards beside the banner: %v, want the 5 in force", n)
	}
	tb.shoot("flows-slo-load-error", false)

	mu.Lock()
	refused = nil
	mu.Unlock()
	tb.until(`document.getElementById('slo-load-error') === null`)
}
