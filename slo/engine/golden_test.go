package engine

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.sql from the current SQL")

// goldenSLOs: a ratio, a latency and a sliced SLO over traces, and a logs
// SLO, evaluated together as the engine does.
const goldenSLOs = `slos:
  - name: login-success
    flow: login
    objective: 99
    window: 28d
    indicator:
      source: traces
      total: 'service.name == "auth-api" && name == "POST /v1/login"'
      bad: 'status.code == "Error" || attributes["http.response.status_code"] >= 500'
  - name: feed-latency
    flow: feed
    objective: 95
    window: 7d
    indicator:
      source: traces
      total: 'service.name == "feed-api"'
      latency: {threshold: 300ms}
  - name: checkout-success
    flow: checkout
    objective: 99.5
    calendar: month
    timezone: Europe/Berlin
    indicator:
      source: traces
      total: 'service.name == "orders-api"'
      good: 'status.code != "Error"'
    slices: ['resource.attributes["os.name"]', 'resource.attributes["service.version"]']
  - name: push-delivery
    flow: push
    objective: 99
    window: 7d
    indicator:
      source: logs
      total: 'event.name == "push.delivery"'
      good: 'attributes["push.outcome"] == "delivered"'
`

// TestGoldenSQL compares the SQL the engine generates with
// testdata/golden/*.sql, so a change to a query shows in the diff and is
// reviewed as SQL. It needs no ClickHouse; the chDB scripts test what the
// SQL means. Run with -update to accept a change.
func TestGoldenSQL(t *testing.T) {
	slos, err := slo.Parse("golden.yaml", []byte(goldenSLOs))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 10, 12, 34, 56, 0, time.UTC)
	rolled := now.Add(-10 * time.Second).UnixMilli()
	since := []int64{rolled, rolled, rolled - 5000, rolled}
	e := New(nil, Options{Clock: func() time.Time { return now }})
	e.slos = slos
	for _, s := range slos {
		st := e.stateOf(key(s))
		st.begun, st.rolled, st.cutoff, st.backfilled = true, rolled, rolled-3600_000, now.Add(-40*24*time.Hour)
	}
	p := e.plan(now)
	rolled1 := []string{"('login-success','h','','',1773146040,9,10,([],[]))", "('feed-latency','h','','',1773146040,5,5,([12,13],[2,3]))"}
	cases := map[string]func(b *params) string{
		"roll-select": func(b *params) string { return selectRollSQL(b, rawSets(slos, since, rolled+5000, true)) },
		"roll":        func(b *params) string { return rollSQL(b, slos, rolled1, rolled+5000, "roll-0123456789abcdef") },
		"backfill": func(b *params) string {
			return backfillSQL(b, slos, chunkSets(slos, now.Add(-48*time.Hour), now.Add(-24*time.Hour), rolled-3600_000), now.Add(-48*time.Hour), "backfill-0123456789abcdef")
		},
		"whole":  func(b *params) string { return wholeSQL(b, p) },
		"slices": func(b *params) string { return slicesSQL(b, p) },
		"memory-hours": func(b *params) string {
			return memRowsSQL(b, 1, slos, "minute >= "+b.minute(now.Add(-28*24*time.Hour).Truncate(time.Hour)))
		},
	}
	for name, build := range cases {
		t.Run(name, func(t *testing.T) {
			b := newParams("g")
			got := build(b) + "\n\n-- parameters\n" + paramLines(b)
			path := filepath.Join("testdata", "golden", name+".sql")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./slo/engine -run TestGoldenSQL -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s: review the SQL, then run with -update\n%s", name, path, firstDiff(string(want), got))
			}
		})
	}
}

func paramLines(b *params) string {
	var sb strings.Builder
	for _, k := range slices.Sorted(maps.Keys(b.p)) {
		fmt.Fprintf(&sb, "-- %s = %s\n", k, b.p[k])
	}
	return sb.String()
}

// firstDiff shows the first line where want and got differ.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n want %q\n  got %q", i+1, a, b)
		}
	}
	return ""
}
