package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/ui"
)

// fixedReleases serves release reports with the verdict each is given,
// through the real API server: the check maps the server's verdict only.
type fixedReleases map[string]engine.ReleaseReport

func (f fixedReleases) Releases(context.Context, engine.ReleaseFilter) ([]engine.ReleaseInfo, error) {
	return nil, nil
}

func (f fixedReleases) Release(_ context.Context, v string, q engine.ReleaseQuery) (engine.ReleaseReport, error) {
	r, ok := f[v]
	if !ok {
		return r, fmt.Errorf("%w %q: the SLOs' events carry 4.2.0, 4.1.3", engine.ErrUnknownRelease, v)
	}
	if q.Flow != "" { // keep the flow's SLOs, as the engine does
		var kept []engine.ReleaseSLO
		for _, s := range r.SLOs {
			if s.Flow == q.Flow {
				kept = append(kept, s)
			}
		}
		r.SLOs = kept
	}
	return r, nil
}

func release(v, verdict, reason string) engine.ReleaseReport {
	sli := 0.992
	return engine.ReleaseReport{Version: v, Verdict: verdict, Reasons: []string{reason}, SLOs: []engine.ReleaseSLO{
		{SLO: "checkout-success", Flow: "checkout", Verdict: verdict, Good: 992, Total: 1000, SLI: &sli, Objective: 0.999,
			Previous: &engine.ReleaseCounts{Version: "4.1.3", Good: 999, Total: 1000}},
		{SLO: "login-success", Flow: "login", Verdict: "ready", Good: 999, Total: 1000, Objective: 0.995},
	}}
}

func startReleaseAPI(t *testing.T, r fixedReleases) string {
	t.Helper()
	srv := ui.New(ui.Options{Addr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Gatherer: prometheus.NewRegistry(), SLOs: &statusEngine{}, Releases: r})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	return "http://" + srv.Addr()
}

// TestCheckRelease: the exit code and first line follow the server's
// verdict on the release; --json prints its answer.
func TestCheckRelease(t *testing.T) {
	base := startReleaseAPI(t, fixedReleases{
		"4.2.0": release("4.2.0", "not_ready", "on android, 4.2.0 checkout-success is 95.00%, below its 99.90% objective (500 events)"),
		"4.1.3": release("4.1.3", "ready", "4.1.3 checkout-success is 99.95% against its 99.90% objective"),
		"4.3.0": release("4.3.0", "unknown", "not enough events yet: 4.3.0 has 37 events in checkout-success"),
		"4.2.1": release("4.2.1", "at_risk", "4.2.1 checkout-success is 99.91%, close to its 99.90% objective"),
	})
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"--release", "4.2.0"}, checkNotReady, "release 4.2.0: NOT READY: on android, 4.2.0 checkout-success is 95.00%"},
		{[]string{"--release", "4.2.0"}, checkNotReady, "checkout-success             not ready  SLI 99.2%"},
		{[]string{"--release", "4.1.3"}, checkReady, "release 4.1.3: READY: 4.1.3 checkout-success is 99.95%"},
		{[]string{"--release", "4.3.0"}, checkUnknown, "release 4.3.0: UNKNOWN: not enough events yet"},
		{[]string{"--release", "4.2.1"}, checkNotReady, "release 4.2.1: AT RISK"},
		{[]string{"--release", "4.2.1", "--allow-at-risk"}, checkReady, "AT RISK (passing: --allow-at-risk)"},
		{[]string{"--release", "9.9.9"}, checkUnknown, `release 9.9.9: unknown release "9.9.9": the SLOs' events carry 4.2.0, 4.1.3`},
		{[]string{"--release", "4.2.0", "--slo", "x"}, checkUnknown, "narrow it with --flow NAME"},
	} {
		var out strings.Builder
		code := check(append([]string{"--url", base}, tc.args...), &out, &out)
		if code != tc.code || !strings.Contains(out.String(), tc.says) {
			t.Errorf("check %v: exit %d, want %d; output %q should say %q", tc.args, code, tc.code, out.String(), tc.says)
		}
	}
	var out strings.Builder
	if code := check([]string{"--url", base, "--release", "4.2.0", "--flow", "login", "--json"}, &out, &out); code != checkNotReady {
		t.Errorf("--json exit %d", code)
	}
	var rep engine.ReleaseReport
	if err := json.Unmarshal([]byte(out.String()), &rep); err != nil || rep.Version != "4.2.0" || len(rep.SLOs) != 1 || rep.SLOs[0].SLO != "login-success" {
		t.Errorf("--json: %v %q", err, out.String())
	}
	out.Reset()
	if code := check([]string{"--url", "http://127.0.0.1:1", "--release", "4.2.0"}, &out, &out); code != checkUnknown || !strings.Contains(out.String(), "flowslo unreachable") {
		t.Errorf("unreachable: exit %d, %q", code, out.String())
	}
	out.Reset()
	if code := check([]string{"--url", base, "--flow", "login", "--json"}, &out, &out); code != checkUnknown || !strings.Contains(out.String(), `unknown flow`) {
		t.Errorf("flow --json without SLOs: exit %d %q", code, out.String())
	}
}

func TestCheckFlowJSON(t *testing.T) {
	base := startAPI(t, sloNumbers("login-success", "login", fp(0.8), 0.5), sloNumbers("checkout-success", "checkout", fp(0.9), 20))
	var out strings.Builder
	if code := check([]string{"--url", base, "--flow", "checkout", "--json"}, &out, &out); code != checkNotReady {
		t.Errorf("exit %d: %s", code, out.String())
	}
	var f struct {
		Flow, Verdict string
		SLOs          []struct{ Name string }
	}
	if err := json.Unmarshal([]byte(out.String()), &f); err != nil || f.Flow != "checkout" || f.Verdict != "not_ready" || len(f.SLOs) != 1 {
		t.Errorf("--json: %v %q", err, out.String())
	}
}
