package app

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/store/chdb/chdbtest"
)

// BenchmarkFollowerReads times the same pages and API calls on the leader
// and on a follower of one store (20 SLOs, 5,000 spans): a follower reads
// through an engine built on the bookkeeping of now, checked after each
// read, and evaluates anew after each of the leader's rolls.
//
//	go test ./internal/app -run '^$' -bench FollowerReads -benchtime 50x
func BenchmarkFollowerReads(b *testing.B) {
	dir := b.TempDir()
	sloFile := filepath.Join(dir, "slos.yaml")
	writeFile(b, sloFile, manySLOs(20))
	db := chdbtest.NewDatabase()
	leader := startAppWith(b, func(o *Options) { o.SLOPath, o.Database = sloFile, db })
	follower := startAppWith(b, func(o *Options) { o.SLOPath, o.Database, o.Role = sloFile, db, RoleServer })
	sendReleases(b, leader, 5)
	t0 := time.Now()
	waitBackfilled(b, leader, 10*time.Minute)
	b.Logf("20 SLOs backfilled in %s", time.Since(t0).Round(time.Second))
	if !leader.Leading() || follower.Leading() {
		b.Fatal("the all-in-one started first must lead")
	}
	for _, path := range []string{"/api/v1/slos", "/api/v1/slos/slo-4", "/slos/slo-4", "/api/v1/slos/slo-4/series?step=300", "/api/v1/releases"} {
		for _, r := range []struct {
			name string
			a    *App
		}{{"leader", leader}, {"follower", follower}} {
			b.Run(r.name+"_"+strings.ReplaceAll(strings.TrimPrefix(path, "/"), "/", "_"), func(b *testing.B) {
				for b.Loop() {
					resp, err := http.Get("http://" + r.a.HTTPAddr() + path)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Fatalf("%s: %s", path, resp.Status)
					}
				}
			})
		}
	}
}
