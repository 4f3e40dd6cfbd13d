package app

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
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

	// A broken edit is refused and the running set stays.
	write(t, file, strings.Replace(twoSLOs, "objective: 99\n", "objective: 100\n", 1))
	reload <- struct{}{}
	time.Sleep(500 * time.Millisecond)
	waitSLOs(t, a, "login-success")

	// A good edit is picked up by the file watch alone.
	write(t, file, twoSLOs)
	waitSLOs(t, a, "feed-latency", "login-success")
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
