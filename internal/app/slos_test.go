package app

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb"
	"github.com/flowslo/flowslo/store/chdb/chdbtest"
	"github.com/flowslo/flowslo/ui"
)

const oneSLO = `slos:
  - name: login-success
    flow: login
    objective: 99.5
    window: 28d
    indicator:
      source: traces
      total: 'name == "POST /v1/login"'
      bad: 'status.code == "Error"'
`

const twoSLOs = oneSLO + `  - name: feed-latency
    flow: feed
    objective: 99
    window: 7d
    indicator:
      source: traces
      total: 'name == "GET /v1/feed"'
      latency: {threshold: 300ms}
`

func TestSLOReloadKeepsLastGoodSet(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "slos.yaml")
	write(t, file, oneSLO)
	reload := make(chan struct{}, 1)
	a := startAppWith(t, func(o *Options) { o.SLOPath, o.Reload = dir, reload })
	waitSLOs(t, a, "login-success")

	// A broken edit is refused and the running set stays; the flows and
	// SLOs API and the Flows page say so, naming the file and the error.
	write(t, file, strings.Replace(twoSLOs, "objective: 99\n", "objective: 100\n", 1))
	reload <- struct{}{}
	base := "http://" + a.HTTPAddr()
	refused := waitLoadError(t, base, true)
	waitSLOs(t, a, "login-success")
	if refused.InForce != 1 || len(refused.Problems) != 1 || refused.Problems[0].File != file ||
		refused.Problems[0].Line == 0 || !strings.Contains(refused.Problems[0].Message, "objective") {
		t.Errorf("slo_load_error %+v, want one problem in %s with its line, 1 SLO in force", refused, file)
	}
	if _, body := get(t, base+"/api/v1/slos"); !strings.Contains(body, `"slo_load_error":{"path":"`) {
		t.Errorf("/api/v1/slos lacks slo_load_error: %.400s", body)
	}
	if _, page := get(t, base+"/"); !strings.Contains(page, `id="slo-load-error"`) || !strings.Contains(page, file) {
		t.Errorf("the Flows page lacks the banner naming %s", file)
	}

	// A good edit is picked up by the file watch alone, and the banner goes.
	write(t, file, twoSLOs)
	waitSLOs(t, a, "feed-latency", "login-success")
	waitLoadError(t, base, false)
}

// waitLoadError waits until GET /api/v1/flows has a slo_load_error (or,
// with want false, none) and returns it.
func waitLoadError(t *testing.T, base string, want bool) *ui.SLOLoadError {
	t.Helper()
	var v ui.FlowsView
	for deadline := time.Now().Add(6 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		_, body := get(t, base+"/api/v1/flows")
		v = ui.FlowsView{}
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatalf("/api/v1/flows %q: %v", body, err)
		}
		if (v.LoadError != nil) == want {
			return v.LoadError
		}
	}
	t.Fatalf("slo_load_error %+v, want present %v", v.LoadError, want)
	return nil
}

func TestStartRefusesInvalidSLOFiles(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "bad.yaml"), strings.Replace(oneSLO, "objective: 99.5", "objective: 150", 1))
	opts := testOptions()
	opts.SLOPath = dir
	_, err := New(t.Context(), opts)
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:4") || !strings.Contains(err.Error(), "flowslo validate") {
		t.Fatalf("New with an invalid SLO file: %v; want the file:line and a pointer to flowslo validate", err)
	}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	// Different content of the same size within one mtime tick would look
	// unchanged to the watch; real edits are seconds apart.
	later := time.Now().Add(time.Duration(len(text)) * time.Millisecond)
	_ = os.Chtimes(path, later, later)
}

// waitSLOs waits until the engine evaluates exactly the named SLOs.
func waitSLOs(t *testing.T, a *App, names ...string) {
	t.Helper()
	want := strings.Join(names, ",")
	var got string
	for deadline := time.Now().Add(6 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var have []string
		for _, s := range a.engine.SLOs() {
			have = append(have, s.Name)
		}
		slices.Sort(have)
		if got = strings.Join(have, ","); got == want {
			return
		}
	}
	t.Fatalf("engine has SLOs %q, want %q", got, want)
}

// TestRetentionReachesEngine: with storage.retention 60d, or
// retention_traces 60d beside a 30-day default, a 60-day SLO over traces
// is backfilled from spans stored 45 days ago (the engine stops its
// backfills where raw retention ends, so it must be told the configured
// one, that of the signal the SLO reads).
func TestRetentionReachesEngine(t *testing.T) {
	for name, cfg := range map[string]string{
		"retention":        "storage:\n  retention: 60d\n",
		"retention_traces": "storage:\n  retention: 30d\n  retention_traces: 60d\n",
	} {
		t.Run(name, func(t *testing.T) { testRetentionReachesEngine(t, cfg) })
	}
}

func testRetentionReachesEngine(t *testing.T, cfg string) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "flowslo.yaml"), cfg)
	write(t, filepath.Join(dir, "slos.yaml"), strings.Replace(oneSLO, "window: 28d", "window: 60d", 1))
	db := chdbtest.NewDatabase()
	st, err := chdb.Open(t.Context(), chdb.Options{DataDir: chdbtest.DataDir(), Database: db, TTLDays: 60, Schema: Schema()})
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-45 * 24 * time.Hour)
	var spans []store.Span
	for i := range 30 {
		spans = append(spans, store.Span{Timestamp: old, TraceID: fmt.Sprintf("%032x", i+1), SpanID: fmt.Sprintf("%016x", i+1),
			SpanName: "POST /v1/login", SpanKind: "Server", ServiceName: "auth-api", StatusCode: "Ok"})
	}
	if err := st.InsertSpans(t.Context(), spans); err != nil {
		t.Fatal(err)
	}
	st.Close()
	a := startAppWith(t, func(o *Options) {
		o.Database, o.ConfigFile, o.SLOPath = db, filepath.Join(dir, "flowslo.yaml"), filepath.Join(dir, "slos.yaml")
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		s, err := a.engine.StatusOf(t.Context(), "login-success")
		if err == nil && s.Status != engine.StatusBackfilling {
			if s.Total != 30 || s.PartialSince != nil {
				t.Fatalf("total %d, partial since %v: want the 30 spans of 45 days ago, complete", s.Total, s.PartialSince)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %+v after 30s (err %v)", s.Backfill, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
