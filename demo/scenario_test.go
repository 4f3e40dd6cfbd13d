package demo_test

import (
	"strings"
	"testing"
	"time"
)

// Each scenario, at high speed against an in-process flowslo serving the
// example SLOs, has the effect it claims, read from flowslo's API and the
// Slack test server.

func TestAuthOutagePagesLogin(t *testing.T) {
	t.Parallel()
	f := startFlowslo(t)
	out := f.play(t, "auth-outage", time.Minute)
	p := f.posts.waitPost(t, "#oncall-auth", "login-success", 45*time.Second)
	if !strings.Contains(p.text, "https://flowslo.example.com/slos/login-success") {
		t.Errorf("the page has no link to the SLO: %s", p.text)
	}
	if !strings.Contains(out.String(), "auth-outage starts") {
		t.Errorf("the demo did not say the outage started:\n%s", out)
	}
	onlyPages(t, f, "login-success")
}

func TestSlowFeedPagesFeed(t *testing.T) {
	t.Parallel()
	f := startFlowslo(t)
	f.play(t, "slow-feed", time.Minute)
	f.posts.waitPost(t, "#oncall-feed", "feed-latency", 45*time.Second)
	onlyPages(t, f, "feed-latency")
}

// onlyPages: an incident pages the SLO it is about and no other.
func onlyPages(t *testing.T, f *flowslo, name string) {
	t.Helper()
	for _, a := range f.alerts(t) {
		if a.SLO != name && a.Severity == "page" {
			t.Errorf("%s pages too: %+v", a.SLO, a)
		}
	}
}

// TestBadReleaseSplitsCheckoutByReleaseAndPlatform: 4.2.0 fails checkout
// on Android only. The release API is not on this branch; what exists says
// the same: checkout-success's slices put 4.2.0 and Android under the
// objective, 4.1.3 and iOS at or above it, and the checkout page fires.
func TestBadReleaseSplitsCheckoutByReleaseAndPlatform(t *testing.T) {
	t.Parallel()
	f := startFlowslo(t)
	f.play(t, "bad-release", time.Minute)
	s := f.waitSLO(t, "checkout-success", 45*time.Second, func(s slo) bool {
		return slice(s, `attributes["app.version"]`, "4.2.0").Total >= 60 && slice(s, `attributes["app.version"]`, "4.1.3").Total >= 60
	})
	objective := s.Objective / 100
	for _, c := range []struct {
		slice, value string
		below        bool
	}{
		{`attributes["app.version"]`, "4.2.0", true},
		{`attributes["app.version"]`, "4.1.3", false},
		{`attributes["os.name"]`, "Android", true},
		{`attributes["os.name"]`, "iOS", false},
	} {
		sl := slice(s, c.slice, c.value)
		if sl.SLI == nil {
			t.Errorf("%s=%s: no SLI (%+v)", c.slice, c.value, sl)
			continue
		}
		if below := *sl.SLI < objective; below != c.below {
			t.Errorf("%s=%s: SLI %.4f against objective %.4f, want below=%v", c.slice, c.value, *sl.SLI, objective, c.below)
		}
	}
	f.posts.waitPost(t, "#oncall-payments", "checkout-success", 45*time.Second)

	// The release verdicts say it in words: 4.2.0 not ready, for Android;
	// 4.1.3 ready. Verdicts follow the rollups, so wait for them to settle.
	f.waitRelease(t, "4.2.0", 30*time.Second, func(verdict, reasons string) bool {
		return verdict == "not_ready" && strings.Contains(strings.ToLower(reasons), "android")
	})
	f.waitRelease(t, "4.1.3", 30*time.Second, func(verdict, _ string) bool { return verdict == "ready" })
}

type sliceNumbers struct {
	Good, Total uint64
	SLI         *float64
}

func slice(s slo, name, value string) sliceNumbers {
	for _, sl := range s.Slices {
		if sl.Slice == name && sl.Value == value {
			return sliceNumbers{sl.Good, sl.Total, sl.SLI}
		}
	}
	return sliceNumbers{}
}

// TestSteadyFiresNothing: with nothing wrong, every example SLO gets
// events and stays met, and no alert fires. It waits for two evaluations
// after every SLO has events, so an alert would have had its chance.
func TestSteadyFiresNothing(t *testing.T) {
	t.Parallel()
	f := startFlowslo(t)
	f.play(t, "steady", time.Minute)
	var first time.Time
	waitAll(t, f, func(ss []slo) bool {
		for _, s := range ss {
			if s.Total < 50 {
				return false
			}
			first = s.EvaluatedAt
		}
		return true
	})
	waitAll(t, f, func(ss []slo) bool { return len(ss) > 0 && ss[0].EvaluatedAt.After(first.Add(4*time.Second)) })
	for _, s := range f.slos(t) {
		if s.Status != "ok" {
			t.Errorf("%s is %s under steady traffic: %+v", s.Name, s.Status, s)
		}
	}
	if a := f.alerts(t); len(a) != 0 {
		t.Errorf("alerts under steady traffic: %+v", a)
	}
	if p := f.posts.list(); len(p) != 0 {
		t.Errorf("Slack messages under steady traffic: %+v", p)
	}
}

func waitAll(t *testing.T, f *flowslo, ok func([]slo) bool) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) {
		if ok(f.slos(t)) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("SLOs did not get there in time: %+v", f.slos(t))
}

// waitRelease polls /api/v1/releases/{version} until ok holds for its
// verdict and reasons, or fails with the last answer.
func (f *flowslo) waitRelease(t *testing.T, version string, within time.Duration, ok func(verdict, reasons string) bool) {
	t.Helper()
	var r struct {
		Verdict string   `json:"verdict"`
		Reasons []string `json:"reasons"`
	}
	for deadline := time.Now().Add(within); ; time.Sleep(500 * time.Millisecond) {
		f.api(t, "releases/"+version, &r)
		if ok(r.Verdict, strings.Join(r.Reasons, " ")) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("release %s after %s: %s %q", version, within, r.Verdict, r.Reasons)
		}
	}
}
