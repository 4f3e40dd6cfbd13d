package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

const loginSLO = `slos:
  - name: login-success
    flow: login
    service: auth-api
    description: Users can sign in
    objective: 90
    window: 28d
    indicator:
      source: traces
      total: 'service.name == "auth-api" && name == "POST /v1/login"'
      bad: 'status.code == "Error"'
`

// TestSLONumbersFromRealSpans sends spans with a real OTLP client to a
// running flowslo and checks the API's numbers against the arithmetic, then
// the exit codes of `flowslo check` against that server.
func TestSLONumbersFromRealSpans(t *testing.T) {
	sloFile := filepath.Join(t.TempDir(), "login.yaml")
	if err := os.WriteFile(sloFile, []byte(loginSLO), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, t.TempDir(), "--slo", sloFile)
	base := "http://" + s.httpAddr
	// Before any span the server has nothing to judge by: exit 2, not READY.
	waitBackfilled(t, s.httpAddr, "login-success", "", 30*time.Second)
	var out strings.Builder
	if code := check([]string{"--url", base, "--flow", "login"}, &out, &out); code != checkUnknown || !strings.Contains(out.String(), "NO DATA") {
		t.Errorf("check before any data: exit %d, want %d; output %q", code, checkUnknown, out.String())
	}

	// 1000 login spans, 20 of them failed; plus 50 spans the SLO must ignore.
	client := otlptracegrpc.NewClient(otlptracegrpc.WithEndpoint(s.grpcAddr), otlptracegrpc.WithInsecure())
	if err := client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer client.Stop(context.Background())
	batch, _ := spanBatch("login", 1000)
	for i, sp := range batch[0].ScopeSpans[0].Spans {
		if i%50 == 0 {
			sp.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR}
		}
	}
	other, _ := spanBatch("other", 50)
	for _, sp := range other[0].ScopeSpans[0].Spans {
		sp.Name = "GET /v1/feed"
	}
	sent := time.Now()
	if err := client.UploadTraces(context.Background(), append(batch, other...)); err != nil {
		t.Fatal(err)
	}

	st := waitForTotal(t, s.httpAddr, "login-success", 1000, 20*time.Second)
	t.Logf("SLO numbers current %s after the upload was acknowledged", time.Since(sent).Round(100*time.Millisecond))
	if st.Good != 980 {
		t.Errorf("good = %d, want 980", st.Good)
	}
	near(t, "sli", st.SLI, 0.98)
	near(t, "error_budget_remaining", st.ErrorBudgetRemaining, 1-0.02/0.10)
	for _, w := range []string{"5m", "1h", "1d"} {
		near(t, "burn rate "+w, st.BurnRates[w], 0.02/0.10)
	}

	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"--url", base, "--slo", "login-success"}, checkReady, "READY"},
		{[]string{"--url", base, "--flow", "login"}, checkReady, "READY"},
		{[]string{"--url", base, "--slo", "no-such-slo"}, checkUnknown, `unknown SLO "no-such-slo": flowslo knows login-success`},
		{[]string{"--url", base, "--flow", "no-such-flow"}, checkUnknown, `unknown flow "no-such-flow"`},
		{[]string{"--url", "http://127.0.0.1:1", "--slo", "login-success"}, checkUnknown, "unreachable"},
	} {
		var out strings.Builder
		code := check(tc.args, &out, &out)
		if code != tc.code || !strings.Contains(out.String(), tc.says) {
			t.Errorf("check %v: exit %d, want %d; output %q should say %q", tc.args, code, tc.code, out.String(), tc.says)
		}
	}
}

// waitBackfilled waits until the SLO's first backfill is done (its status
// no longer "backfilling"), reading the API with token if one is given.
func waitBackfilled(t *testing.T, addr, name, token string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		var st struct{ Status string }
		if err := getJSON("http://"+addr+"/api/v1/slos/"+name, token, &st); err == nil && st.Status != "backfilling" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s still backfilling after %s", name, within)
}

type sloStatus struct {
	Total                uint64              `json:"total"`
	Good                 uint64              `json:"good"`
	SLI                  *float64            `json:"sli"`
	ErrorBudgetRemaining *float64            `json:"error_budget_remaining"`
	BurnRates            map[string]*float64 `json:"burn_rates"`
}

func waitForTotal(t *testing.T, addr, name string, total uint64, within time.Duration) sloStatus {
	t.Helper()
	deadline := time.Now().Add(within)
	var st sloStatus
	for time.Now().Before(deadline) {
		code, body := httpGet(t, "http://"+addr+"/api/v1/slos/"+name)
		if code == 200 {
			st = sloStatus{}
			if err := json.Unmarshal([]byte(body), &st); err != nil {
				t.Fatal(err)
			}
			if st.Total == total {
				return st
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("%s total still %d after %s, want %d", name, st.Total, within, total)
	return st
}

func near(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s = null, want %g", what, want)
		return
	}
	if math.Abs(*got-want) > 1e-9 {
		t.Errorf("%s = %g, want %g", what, *got, want)
	}
}

// TestCheckWithToken: a flowslo that requires a login answers `flowslo
// check` only with the token, and says how to give it otherwise.
func TestCheckWithToken(t *testing.T) {
	dir := t.TempDir()
	sloFile, tokenFile := filepath.Join(dir, "login.yaml"), filepath.Join(dir, "token")
	if err := os.WriteFile(sloFile, []byte(loginSLO), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tokenFile, []byte("0123456789abcdef0123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, t.TempDir(), "--slo", sloFile, "--auth-token-file", tokenFile)
	base := "http://" + s.httpAddr

	var out strings.Builder
	if code := check([]string{"--url", base, "--slo", "login-success"}, &out, &out); code != checkUnknown || !strings.Contains(out.String(), "--token-file") {
		t.Errorf("without the token: exit %d, %q", code, out.String())
	}
	// With it the check gets the server's verdict: no data yet.
	waitBackfilled(t, s.httpAddr, "login-success", "0123456789abcdef0123", 30*time.Second)
	out.Reset()
	if code := check([]string{"--url", base, "--slo", "login-success", "--token-file", tokenFile}, &out, &out); code != checkUnknown || !strings.Contains(out.String(), "SLO login-success: NO DATA") {
		t.Errorf("with the token: exit %d, %q", code, out.String())
	}
}

// TestLateSpansCountedEndToEnd: phones upload offline batches late. Spans
// sent over real OTLP 20 minutes, 3 hours and 3 days after they happened
// count in the SLO, once each, in their own minutes (the 5m window never
// sees them), and keep counting the same after a restart.
func TestLateSpansCountedEndToEnd(t *testing.T) {
	sloFile := filepath.Join(t.TempDir(), "login.yaml")
	if err := os.WriteFile(sloFile, []byte(loginSLO), 0o644); err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	s := startServer(t, dataDir, "--slo", sloFile)
	client := otlptracegrpc.NewClient(otlptracegrpc.WithEndpoint(s.grpcAddr), otlptracegrpc.WithInsecure())
	if err := client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer client.Stop(context.Background())
	batchAt(t, client, "now", 100, 0, 0)
	waitForTotal(t, s.httpAddr, "login-success", 100, 20*time.Second)
	for _, late := range []struct {
		tag string
		age time.Duration
	}{{"late20m", 20 * time.Minute}, {"late3h", 3 * time.Hour}, {"late3d", 72 * time.Hour}} {
		batchAt(t, client, late.tag, 10, late.age, 10)
	}
	st := waitForTotal(t, s.httpAddr, "login-success", 130, 20*time.Second)
	if st.Good != 100 {
		t.Errorf("good = %d, want 100 (the 30 late spans failed)", st.Good)
	}
	near(t, "burn rate 5m", st.BurnRates["5m"], 0)
	near(t, "burn rate 1h", st.BurnRates["1h"], 10.0/110/0.10)
	near(t, "burn rate 1d", st.BurnRates["1d"], 20.0/120/0.10)

	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.done
	s2 := startServer(t, dataDir, "--slo", sloFile)
	st = waitForTotal(t, s2.httpAddr, "login-success", 130, 20*time.Second)
	if st.Good != 100 {
		t.Errorf("after kill -9 and restart: good = %d, want 100", st.Good)
	}
}

// batchAt uploads n login spans that started age ago, bad of them failed.
func batchAt(t *testing.T, c otlptrace.Client, tag string, n int, age time.Duration, bad int) {
	t.Helper()
	batch, _ := spanBatch(tag, n)
	start := time.Now().Add(-age)
	for i, sp := range batch[0].ScopeSpans[0].Spans {
		sp.StartTimeUnixNano = uint64(start.UnixNano())
		sp.EndTimeUnixNano = sp.StartTimeUnixNano + 1_000_000
		if i < bad {
			sp.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR}
		}
	}
	if err := c.UploadTraces(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
}
