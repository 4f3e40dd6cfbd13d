package engine_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/flowslo/flowslo/store/chdb"
)

// dataDir is the one chDB data path of this test binary (chDB allows one
// per process); tests isolate themselves by database name.
var dataDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "flowslo-engine-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dataDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var dbSeq atomic.Int64

var nonIdent = regexp.MustCompile(`[^A-Za-z0-9_]+`)

// openStore opens the real embedded store in a database of its own, or
// skips when libchdb.so is not installed.
func openStore(t testing.TB) *chdb.Store {
	t.Helper()
	name := strings.ToLower(nonIdent.ReplaceAllString(t.Name(), "_"))
	if len(name) > 40 {
		name = name[:40]
	}
	db := fmt.Sprintf("e%d_%s", dbSeq.Add(1), name)
	s, err := chdb.Open(context.Background(), chdb.Options{DataDir: dataDir, Database: db})
	if err != nil {
		t.Skipf("chDB not available: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	// Scripts run at fixed dates in the past; retention would drop their rows.
	for _, table := range []string{"otel_traces", "otel_logs", "slo_rollup", "slo_rollup_hour"} {
		if err := s.Exec(context.Background(), "ALTER TABLE "+table+" REMOVE TTL", nil); err != nil {
			t.Fatal(err)
		}
	}
	return s
}
