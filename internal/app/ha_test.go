package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"

	"github.com/flowslo/flowslo/alerting"
	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb/chdbtest"
)

// server is one replica of `flowslo serve --role server` under test, run
// until its context is cancelled, as Run does.
type server struct {
	*App
	cancel context.CancelFunc
	done   chan struct{}
	dead   bool // cut off from ClickHouse: its shutdown may fail
}

func serveReplica(t *testing.T, mod func(*Options)) *server {
	t.Helper()
	opts := testOptions()
	mod(&opts)
	a, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{App: a, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		<-ctx.Done()
		sctx, c := context.WithTimeout(context.Background(), shutdownBudget)
		defer c()
		if err := a.Shutdown(sctx); err != nil && !s.dead {
			t.Errorf("shutdown: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-s.done })
	return s
}

// TestTwoServersOnePage: a collector and two servers on one store. A total
// outage pages once; the leader is stopped mid-incident (its context
// cancelled); the other server takes over within 30 s and does not page
// again for the same incident. The follower's numbers count no roll twice.
func TestTwoServersOnePage(t *testing.T) {
	srv, posts := startSlack(t)
	dir := t.TempDir()
	sloFile, cfgFile := filepath.Join(dir, "slos.yaml"), filepath.Join(dir, "flowslo.yaml")
	writeFile(t, sloFile, outageSLO)
	writeFile(t, cfgFile, fmt.Sprintf("alerting:\n  slack:\n    token: xoxb-test\n    api_url: %s\n", srv.GetAPIURL()))
	db := chdbtest.NewDatabase()
	var servers []*server
	for range 2 {
		servers = append(servers, serveReplica(t, func(o *Options) {
			o.Role, o.Database, o.SLOPath, o.ConfigFile = RoleServer, db, sloFile, cfgFile

		}))
	}
	collector := startAppWith(t, func(o *Options) { o.Role, o.Database = RoleCollector, db })
	sendOutage(t, collector.OTLPGRPCAddr())
	// Both servers read the SLO once early, before the leader has rolled
	// much: a follower that kept the watermarks it read then would count
	// every later roll twice.
	warm := time.Now()
	for _, s := range servers {
		get(t, "http://"+s.HTTPAddr()+"/api/v1/slos")
	}

	select {
	case <-posts:
	case <-time.After(60 * time.Second):
		t.Fatal("no page reached Slack within 60s of a total outage")
	}
	waitDelivered(t, collector)
	leader, follower := leaderOf(t, servers)
	for sloStatus(t, follower).EvaluatedAt.Before(warm.Add(3 * engineInterval)) {
		time.Sleep(500 * time.Millisecond) // past the cached status of the early read
	}
	checkNoDoubleCount(t, follower)
	checkFollowerAlerts(t, follower)

	stopped := time.Now()
	leader.cancel()
	<-leader.done
	for !follower.Leading() {
		if time.Since(stopped) > 30*time.Second {
			t.Fatal("the other server did not take over within 30s of the leader stopping")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("took over %s after the leader stopped", time.Since(stopped).Round(time.Millisecond))
	waitEvaluated(t, follower)
	select {
	case again := <-posts:
		t.Fatalf("the new leader paged again for the same incident: %+v", again)
	case <-time.After(3 * time.Second):
	}
	checkNoDoubleCount(t, follower)
}

// cutStore is a server's connection to ClickHouse that the test cuts, as
// if the server died: nothing it sends arrives any more.
type cutStore struct {
	store.Store
	cut atomic.Bool
}

var errCut = errors.New("cut off from ClickHouse")

func (c *cutStore) Exec(ctx context.Context, q string, p store.Params) error {
	if c.cut.Load() {
		return errCut
	}
	return c.Store.Exec(ctx, q, p)
}

func (c *cutStore) Query(ctx context.Context, q string, p store.Params) (store.Rows, error) {
	if c.cut.Load() {
		return nil, errCut
	}
	return c.Store.Query(ctx, q, p)
}

// TestLeaderDiesMidIncident: as TestTwoServersOnePage, but the leader dies:
// cut off from ClickHouse, then stopped, it cannot release the lease. The
// other server takes over once the lease expired (a 3 s lease here) and
// does not page again.
func TestLeaderDiesMidIncident(t *testing.T) {
	srv, posts := startSlack(t)
	dir := t.TempDir()
	sloFile, cfgFile := filepath.Join(dir, "slos.yaml"), filepath.Join(dir, "flowslo.yaml")
	writeFile(t, sloFile, outageSLO)
	writeFile(t, cfgFile, fmt.Sprintf("alerting:\n  slack:\n    token: xoxb-test\n    api_url: %s\n", srv.GetAPIURL()))
	db := chdbtest.NewDatabase()
	conns := map[*server]*cutStore{}
	var servers []*server
	for range 2 {
		c := &cutStore{}
		s := serveReplica(t, func(o *Options) {
			o.Role, o.Database, o.SLOPath, o.ConfigFile, o.leaseDuration = RoleServer, db, sloFile, cfgFile, 3*time.Second
			o.wrapStore = func(st store.Store) store.Store { c.Store = st; return c }
		})
		conns[s] = c
		servers = append(servers, s)
	}
	collector := startAppWith(t, func(o *Options) { o.Role, o.Database = RoleCollector, db })
	sendOutage(t, collector.OTLPGRPCAddr())
	select {
	case <-posts:
	case <-time.After(60 * time.Second):
		t.Fatal("no page reached Slack within 60s of a total outage")
	}
	// Dying between the post and its record is the crash the receiver's
	// look-up covers (MaybeSent; alerting/slack's tests): here the leader
	// dies once the page is recorded as delivered.
	waitDelivered(t, collector)
	leader, follower := leaderOf(t, servers)
	conns[leader].cut.Store(true)
	died := time.Now()
	leader.dead = true
	leader.cancel()
	<-leader.done
	for !follower.Leading() {
		if time.Since(died) > 30*time.Second {
			t.Fatal("the other server did not take over within 30s of the leader dying")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("took over %s after the leader died", time.Since(died).Round(time.Millisecond))
	waitEvaluated(t, follower)
	select {
	case again := <-posts:
		t.Fatalf("the new leader paged again for the same incident: %+v", again)
	case <-time.After(3 * time.Second):
	}
	checkNoDoubleCount(t, follower)
}

// waitDelivered returns once the store records the page as delivered.
func waitDelivered(t *testing.T, a *App) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		n := chdbtest.CountBy(t, a.Store(), "SELECT state, count() FROM alerting_outbox FINAL WHERE kind = 'firing' GROUP BY state")
		if n["delivered"] == 1 {
			return
		}
	}
	t.Fatal("the page was not recorded as delivered within 30s")
}

// sendOutage sends failed logins to addr until the test ends and returns
// once the first batch was acknowledged.
func sendOutage(t *testing.T, addr string) {
	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(addr), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done, acked := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { cancel(); <-done; _ = exp.Shutdown(context.Background()) })
	go func() {
		defer close(done)
		for i := 0; ctx.Err() == nil && i < 1200; i++ {
			if err := exp.ExportSpans(ctx, failedLogins(i, 20)); err == nil && i == 0 {
				close(acked)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	select {
	case <-acked:
	case <-time.After(10 * time.Second):
		t.Fatal("the first batch of the outage was not acknowledged")
	}
}

// leaderOf says which server leads; exactly one must.
func leaderOf(t *testing.T, s []*server) (leader, follower *server) {
	t.Helper()
	switch {
	case s[0].Leading() && !s[1].Leading():
		return s[0], s[1]
	case s[1].Leading() && !s[0].Leading():
		return s[1], s[0]
	}
	t.Fatalf("leading: %v and %v, want exactly one", s[0].Leading(), s[1].Leading())
	return nil, nil
}

// checkNoDoubleCount: the SLO's total on s is at most the spans stored,
// counted after it: a follower that counted a roll twice shows more.
func checkNoDoubleCount(t *testing.T, s *server) {
	t.Helper()
	st := sloStatus(t, s)
	n, err := countRows(context.Background(), s.Store(), "otel_traces")
	if err != nil {
		t.Fatal(err)
	}
	if st.Total == 0 || st.Total > n {
		t.Fatalf("%s shows %d login events, %d spans are stored (leading: %v)", s.HTTPAddr(), st.Total, n, s.Leading())
	}
}

// engineInterval is the engine's default cycle.
const engineInterval = 5 * time.Second

func sloStatus(t *testing.T, s *server) engine.SLOStatus {
	t.Helper()
	_, body := get(t, "http://"+s.HTTPAddr()+"/api/v1/slos")
	var resp struct{ SLOs []engine.SLOStatus }
	if err := json.Unmarshal([]byte(body), &resp); err != nil || len(resp.SLOs) != 1 {
		t.Fatalf("/api/v1/slos: %v %s", err, body)
	}
	return resp.SLOs[0]
}

// waitEvaluated returns once s's own alert manager has evaluated the
// firing alert (its burn rates come from its memory then).
func waitEvaluated(t *testing.T, s *server) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m, leading := s.alerts.current(); leading {
			alerts, err := m.Alerts(context.Background())
			for _, a := range alerts {
				if err == nil && a.Severity == alerting.Page && a.State == alerting.Firing && len(a.BurnRates) > 0 {
					return
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the new leader did not evaluate the firing alert within 60s")
}

// checkFollowerAlerts: a follower shows the leader's firing page with its
// burn rates, and /metrics says it fires and who leads.
func checkFollowerAlerts(t *testing.T, s *server) {
	t.Helper()
	_, body := get(t, "http://"+s.HTTPAddr()+"/api/v1/alerts")
	var resp struct{ Alerts []alerting.Alert }
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatalf("/api/v1/alerts: %v %s", err, body)
	}
	var page *alerting.Alert
	for i, a := range resp.Alerts {
		if a.Severity == alerting.Page {
			page = &resp.Alerts[i]
		}
	}
	if page == nil || page.State != alerting.Firing || page.BurnRates[slo.Duration(5*time.Minute)] < 14 {
		t.Errorf("the follower's /api/v1/alerts shows %+v, want the firing page with its burn rates", page)
	}
	_, metrics := get(t, "http://"+s.HTTPAddr()+"/metrics")
	for _, want := range []string{`flowslo_alert_firing{severity="page",slo="login-success"} 1`, "flowslo_leader 0"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("the follower's /metrics lacks %s", want)
		}
	}
}

// TestTermStoreFencesTheEngine: once a term has ended, its engine can
// start no write (a background backfill included): the store refuses and
// slo_rollup is left as it was.
func TestTermStoreFencesTheEngine(t *testing.T) {
	st := chdbtest.Open(t)
	slos, err := slo.Parse("t.yaml", []byte(outageSLO))
	if err != nil {
		t.Fatal(err)
	}
	term, end := context.WithCancel(context.Background())
	e := engine.New(termStore{Store: st, term: term}, engine.Options{})
	e.SetSLOs(slos)
	if err := e.Tick(context.Background()); err != nil {
		t.Fatalf("a roll during the term: %v", err)
	}
	before, err := countRows(context.Background(), st, "slo_rollup")
	if err != nil || before == 0 {
		t.Fatalf("the term's roll wrote nothing: %d %v", before, err)
	}
	end()
	if err := e.Tick(context.Background()); !errors.Is(err, errTermOver) {
		t.Errorf("a roll after the term: %v, want it refused", err)
	}
	if err := e.Backfill(context.Background()); !errors.Is(err, errTermOver) {
		t.Errorf("a backfill after the term: %v, want it refused", err)
	}
	if after, _ := countRows(context.Background(), st, "slo_rollup"); after != before {
		t.Errorf("slo_rollup went from %d to %d rows after the term", before, after)
	}
}
