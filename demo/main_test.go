package demo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"github.com/flowslo/flowslo/demo"
	"github.com/flowslo/flowslo/internal/app"
	"github.com/flowslo/flowslo/store/chdb/chdbtest"
)

func TestMain(m *testing.M) {
	if addr := os.Getenv(sinkEnv); addr != "" {
		runNopSink(addr)
	}
	chdbtest.Main(m)
}

// The scenario tests run the demo at this speed and rate: the warm-up is
// a fraction of a second, and each flow has events every tick.
const (
	testSpeed = 600
	testRate  = 300
)

// flowslo is one in-process flowslo serving the example SLOs, alerting to
// a slacktest server.
type flowslo struct {
	app   *app.App
	posts *postLog
}

// startFlowslo runs flowslo as `make demo` does (the example SLOs, the
// embedded ClickHouse), on 127.0.0.1 ports, with Slack played by slacktest.
func startFlowslo(t *testing.T) *flowslo {
	t.Helper()
	posts := startSlack(t)
	cfg := filepath.Join(t.TempDir(), "flowslo.yaml")
	// min_events: the bounded scenarios send a few hundred events per release
	text := fmt.Sprintf("alerting:\n  slack:\n    token: xoxb-test\n    api_url: %s\n  links:\n    base_url: https://flowslo.example.com\nreadiness:\n  min_events: 30\n", posts.url)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := app.DefaultOptions()
	opts.DataDir, opts.Database = chdbtest.DataDir(), chdbtest.NewDatabase()
	opts.HTTPAddr, opts.OTLPGRPCAddr, opts.OTLPHTTPAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	opts.SLOPath, opts.ConfigFile = "../examples", cfg
	a, err := app.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return &flowslo{app: a, posts: posts}
}

// play runs the demo against f until the test ends (or the duration is
// over), and waits for it to flush at cleanup.
func (f *flowslo) play(t *testing.T, scenario string, duration time.Duration) *lockedWriter {
	t.Helper()
	opts := demo.DefaultOptions()
	opts.Endpoint, opts.Scenarios, opts.Speed, opts.Rate, opts.Duration = f.app.OTLPGRPCAddr(), []string{scenario}, testSpeed, testRate, duration
	out := &lockedWriter{}
	opts.Out = out
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := demo.Run(ctx, opts); done <- err }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo: %v\n%s", err, out)
		}
	})
	return out
}

func (f *flowslo) api(t *testing.T, path string, v any) {
	t.Helper()
	resp, err := http.Get("http://" + f.app.HTTPAddr() + "/api/v1/" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/%s = %d %s", path, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET /api/v1/%s: %v in %s", path, err, body)
	}
}

// slo is the part of /api/v1/slos/{name} the tests read.
type slo struct {
	Name        string              `json:"name"`
	Status      string              `json:"status"`
	Total       uint64              `json:"total"`
	Good        uint64              `json:"good"`
	SLI         *float64            `json:"sli"`
	Objective   float64             `json:"objective"`
	BurnRates   map[string]*float64 `json:"burn_rates"`
	EvaluatedAt time.Time           `json:"evaluated_at"`
	Slices      []struct {
		Slice string   `json:"slice"`
		Value string   `json:"value"`
		Good  uint64   `json:"good"`
		Total uint64   `json:"total"`
		SLI   *float64 `json:"sli"`
	} `json:"slices"`
}

func (f *flowslo) slos(t *testing.T) []slo {
	var out struct{ SLOs []slo }
	f.api(t, "slos", &out)
	return out.SLOs
}

// waitSLO polls name's status until ok says it is what the test waits
// for; the engine's 5 s cycle is what the test waits on.
func (f *flowslo) waitSLO(t *testing.T, name string, within time.Duration, ok func(slo) bool) slo {
	t.Helper()
	deadline := time.Now().Add(within)
	var s slo
	for time.Now().Before(deadline) {
		s = slo{}
		f.api(t, "slos/"+name, &s)
		if ok(s) {
			return s
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s did not get there within %s; last: %+v", name, within, s)
	return s
}

type alert struct {
	SLO      string `json:"slo"`
	Severity string `json:"severity"`
	State    string `json:"state"`
	Channel  string `json:"channel"`
}

func (f *flowslo) alerts(t *testing.T) []alert {
	var out struct{ Alerts []alert }
	f.api(t, "alerts", &out)
	return out.Alerts
}

// post is one chat.postMessage that reached the Slack test server.
type post struct{ channel, text string }

type postLog struct {
	url  string
	mu   sync.Mutex
	all  []post
	each chan post
}

func (p *postLog) list() []post {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]post(nil), p.all...)
}

// waitPost waits for a message to channel that names the SLO.
func (p *postLog) waitPost(t *testing.T, channel, sloName string, within time.Duration) post {
	t.Helper()
	timeout := time.After(within)
	for {
		select {
		case m := <-p.each:
			if m.channel == channel && strings.Contains(m.text, sloName) {
				return m
			}
		case <-timeout:
			t.Fatalf("no page of %s to %s within %s; messages: %+v", sloName, channel, within, p.list())
		}
	}
}

func startSlack(t *testing.T) *postLog {
	p := &postLog{each: make(chan post, 256)}
	seq := 0
	srv := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
			_ = r.ParseForm()
			m := post{r.FormValue("channel"), r.FormValue("text") + r.FormValue("blocks")}
			p.mu.Lock()
			p.all = append(p.all, m)
			seq++
			ts := fmt.Sprintf("1700000000.%06d", seq)
			p.mu.Unlock()
			select {
			case p.each <- m:
			default:
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": "C1", "ts": ts})
		})
		c.Handle("/chat.update", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": "C1", "ts": r.FormValue("ts")})
		})
	})
	srv.Start()
	t.Cleanup(srv.Stop)
	p.url = srv.GetAPIURL()
	return p
}

// lockedWriter keeps what the demo printed, for failure messages.
type lockedWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
