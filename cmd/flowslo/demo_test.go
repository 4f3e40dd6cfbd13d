package main

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var doneLine = regexp.MustCompile(`done: flowslo acknowledged (\d+) spans and (\d+) log records`)

// TestDemoAgainstServeExitsByItself runs `flowslo demo` with a short
// backfill and a bounded live part against a `flowslo serve` process
// serving the example SLOs: it exits 0 by itself, every span and log it
// reports acknowledged is stored, and the backfilled history counts on the
// SLOs.
func TestDemoAgainstServeExitsByItself(t *testing.T) {
	s := startServer(t, t.TempDir(), "--slo", "../../examples")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, "demo", "--otlp-endpoint", s.grpcAddr, "--scenario", "steady",
		"--speed", "600", "--rate", "200", "--backfill", "2h", "--duration", "3s")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("the demo did not exit by itself within 90s:\n%s", out)
	}
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	for _, want := range []string{"backfill: writing 2h0m0s of history", "backfill done", "steady traffic, nothing goes wrong", "live until"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the demo did not print %q:\n%s", want, out)
		}
	}
	t.Logf("%s", out)
	m := doneLine.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("no summary line:\n%s", out)
	}
	spans, _ := strconv.ParseUint(m[1], 10, 64)
	logs, _ := strconv.ParseUint(m[2], 10, 64)
	// Acknowledged means on the queue's disk: stored a moment later.
	want := fmt.Sprintf(`{"spans":%d,"logs":%d}`, spans, logs)
	var body string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, body = httpGet(t, "http://"+s.httpAddr+"/api/v1/stats"); strings.TrimSpace(body) == want || time.Now().After(deadline) {
			break
		}
	}
	if strings.TrimSpace(body) != want || spans == 0 {
		t.Errorf("stats %s, want %s (what the demo says was acknowledged)", body, want)
	}
	// The history counts: login events from before the live part began.
	from, to := time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-5*time.Minute).Unix()
	var series struct{ Points []struct{ Total uint64 } }
	deadline := time.Now().Add(30 * time.Second)
	var total uint64
	for time.Now().Before(deadline) && total == 0 {
		if err := getJSON(fmt.Sprintf("http://%s/api/v1/slos/login-success/series?from=%d&to=%d&step=10m", s.httpAddr, from, to), "", &series); err != nil {
			t.Fatal(err)
		}
		total = 0
		for _, p := range series.Points {
			total += p.Total
		}
		time.Sleep(200 * time.Millisecond)
	}
	if total == 0 {
		t.Error("no backfilled login counted on login-success")
	}
}

func TestDemoFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"demo", "--scenario", "nope"}, `unknown scenario "nope": use one of auth-outage, bad-release, monday-peak, payment-throttle, push-campaign, slow-feed, steady`},
		{[]string{"demo", "--backfill", "40d"}, "--backfill 960h0m0s is out of range: write up to 29d"},
		{[]string{"demo", "--speed", "0"}, "--speed 0 is out of range"},
		{[]string{"demo", "--duration", "soon"}, `"soon" is not a duration`},
		{[]string{"demo", "--otlp-endpoint", "127.0.0.1:1", "--duration", "1s"}, "no OTLP receiver at 127.0.0.1:1"},
	} {
		var stderr strings.Builder
		code := run(tc.args, io.Discard, &stderr)
		if code == 0 || !strings.Contains(stderr.String(), tc.says) {
			t.Errorf("%v: exit %d, %q; want it to say %q", tc.args, code, stderr.String(), tc.says)
		}
	}
}
