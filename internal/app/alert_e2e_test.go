package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

const outageSLO = `slos:
  - name: login-success
    flow: login
    service: auth-api
    objective: 99.9
    window: 28d
    indicator:
      source: traces
      total: 'name == "POST /v1/login"'
      bad: 'status.code == "Error"'
    alerting:
      page: "#oncall-auth"
`

// slackPost is one chat.postMessage that reached the Slack test server.
type slackPost struct {
	channel, text, blocks string
	at                    time.Time
}

// startSlack runs slack-go's slacktest server with a chat.postMessage
// handler that reports each message on the returned channel.
func startSlack(t testing.TB) (*slacktest.Server, <-chan slackPost) {
	posts := make(chan slackPost, 16)
	var mu sync.Mutex
	seq := 0
	srv := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
			_ = r.ParseForm()
			posts <- slackPost{r.FormValue("channel"), r.FormValue("text"), r.FormValue("blocks"), time.Now()}
			mu.Lock()
			seq++
			ts := fmt.Sprintf("1700000000.%06d", seq)
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": "CONCALL", "ts": ts})
		})
	})
	srv.Start()
	t.Cleanup(srv.Stop)
	return srv, posts
}

// startOutage runs flowslo with default intervals, alerting to slacktest,
// and starts a total outage of login: every span failed, sent with the OTel
// SDK exporter. It returns when the first span was acknowledged.
func startOutage(t testing.TB) (first time.Time, posts <-chan slackPost) {
	first, posts, _ = startOutageApp(t)
	return first, posts
}

func startOutageApp(t testing.TB) (time.Time, <-chan slackPost, *App) {
	return startOutageAppAM(t, "")
}

// startOutageAppAM also pages the Alertmanager at amURL, when given.
func startOutageAppAM(t testing.TB, amURL string) (time.Time, <-chan slackPost, *App) {
	srv, posts := startSlack(t)
	dir := t.TempDir()
	sloFile, cfgFile := filepath.Join(dir, "slos.yaml"), filepath.Join(dir, "flowslo.yaml")
	cfg := fmt.Sprintf("alerting:\n  slack:\n    token: xoxb-test\n    api_url: %s\n  links:\n    base_url: https://flowslo.example.com\n", srv.GetAPIURL())
	slos := outageSLO
	if amURL != "" {
		cfg += fmt.Sprintf("  receivers:\n    - {name: am, alertmanager: {urls: [%q]}}\n", amURL)
		slos = strings.Replace(slos, `page: "#oncall-auth"`, `page: [{receiver: am}, "#oncall-auth"]`, 1)
	}
	writeFile(t, sloFile, slos)
	writeFile(t, cfgFile, cfg)
	a := startAppWith(t, func(o *Options) { o.SLOPath, o.ConfigFile = sloFile, cfgFile })

	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(a.OTLPGRPCAddr()), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done; _ = exp.Shutdown(context.Background()) })
	acked := make(chan time.Time, 1)
	go func() {
		defer close(done)
		for i := 0; ctx.Err() == nil && i < 600; i++ {
			if err := exp.ExportSpans(ctx, failedLogins(i, 20)); err == nil && i == 0 {
				acked <- time.Now()
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	start := time.Now()
	select {
	case <-acked:
	case <-time.After(10 * time.Second):
		t.Fatal("the first batch of the outage was not acknowledged")
	}
	return start, posts, a
}

func failedLogins(batch, n int) []sdktrace.ReadOnlySpan {
	spans := loginSpans(batch, n)
	stubs := tracetest.SpanStubsFromReadOnlySpans(spans)
	now := time.Now()
	for i := range stubs {
		stubs[i].Status = sdktrace.Status{Code: codes.Error, Description: "upstream timeout"}
		stubs[i].StartTime, stubs[i].EndTime = now.Add(-50*time.Millisecond), now
	}
	return stubs.Snapshots()
}

func writeFile(t testing.TB, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOutagePagesSlack: a total outage sent over OTLP pages the SLO's
// channel once, with what on-call needs in the message.
func TestOutagePagesSlack(t *testing.T) {
	_, posts, a := startOutageApp(t)
	var p slackPost
	select {
	case p = <-posts:
	case <-time.After(60 * time.Second):
		t.Fatal("no page reached Slack within 60s of a total outage")
	}
	if p.channel != "#oncall-auth" {
		t.Errorf("page went to %q, want #oncall-auth", p.channel)
	}
	for _, want := range []string{"login-success", "https://flowslo.example.com/slos/login-success"} {
		if !strings.Contains(p.text+p.blocks, want) {
			t.Errorf("page lacks %q:\ntext: %s\nblocks: %s", want, p.text, p.blocks)
		}
	}
	// The SLO page shows the tier that paged as met, from the same rule.
	_, page := get(t, "http://"+a.HTTPAddr()+"/slos/login-success")
	if !strings.Contains(page, `<td class="why"><strong class="st-bad">met</strong></td>`) {
		t.Errorf("the SLO page shows no met tier while it pages:\n%s", page)
	}
	// /metrics carries the SLO's state for a Prometheus that scrapes it.
	_, metrics := get(t, "http://"+a.HTTPAddr()+"/metrics")
	for _, want := range []string{
		`flowslo_alert_firing{severity="page",slo="login-success"} 1`,
		`flowslo_slo_sli{flow="login",service="auth-api",slo="login-success",window="28d"} 0`,
		`flowslo_slo_error_budget_remaining{flow="login",service="auth-api",slo="login-success",window="28d"}`,
		`flowslo_slo_burn_rate{flow="login",service="auth-api",slo="login-success",window="5m"} 1000`,
		`flowslo_slo_events_total{flow="login",result="good",service="auth-api",slo="login-success"} 0`,
		`flowslo_slo_objective{flow="login",service="auth-api",slo="login-success",window="28d"} 0.999`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if !regexp.MustCompile(`flowslo_slo_events_total\{flow="login",result="bad",service="auth-api",slo="login-success"\} [1-9]`).MatchString(metrics) {
		t.Errorf("/metrics counts no bad events:\n%s", grepLines(metrics, "flowslo_slo_events"))
	}
	select {
	case again := <-posts:
		t.Errorf("a second message while the same alert fires: %+v", again)
	case <-time.After(2 * time.Second):
	}
}

func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// BenchmarkAlertLatency measures, end to end with default settings, the
// time from the first acknowledged span of a total outage to the page at
// the Slack test server.
//
//	go test ./internal/app -run '^$' -bench AlertLatency -benchtime 3x
func BenchmarkAlertLatency(b *testing.B) {
	var worst, sum time.Duration
	for i := 0; i < b.N; i++ {
		first, posts := startOutage(b)
		select {
		case p := <-posts:
			lat := p.at.Sub(first)
			sum += lat
			worst = max(worst, lat)
		case <-time.After(60 * time.Second):
			b.Fatal("no page within 60s")
		}
	}
	b.ReportMetric(sum.Seconds()/float64(b.N), "s/alert")
	b.ReportMetric(worst.Seconds(), "worst-s")
}

// BenchmarkAlertLatencyAlertmanager is BenchmarkAlertLatency for a page
// routed to Alertmanager and Slack: the time to the alert at an
// Alertmanager API v2 endpoint.
//
//	go test ./internal/app -run '^$' -bench AlertLatencyAlertmanager -benchtime 3x
func BenchmarkAlertLatencyAlertmanager(b *testing.B) {
	var worst, sum time.Duration
	for i := 0; i < b.N; i++ {
		got := make(chan time.Time, 16)
		am := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api/v2/alerts" {
				got <- time.Now()
			}
		}))
		first, _, _ := startOutageAppAM(b, am.URL)
		select {
		case at := <-got:
			lat := at.Sub(first)
			sum += lat
			worst = max(worst, lat)
		case <-time.After(60 * time.Second):
			b.Fatal("no alert at Alertmanager within 60s")
		}
		am.Close()
	}
	b.ReportMetric(sum.Seconds()/float64(b.N), "s/alert")
	b.ReportMetric(worst.Seconds(), "worst-s")
}
