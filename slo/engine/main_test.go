package engine_test

import (
	"context"
	"testing"

	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb/chdbtest"
)

func TestMain(m *testing.M) { chdbtest.Main(m) }

// openStore opens the real embedded store in a database of its own.
func openStore(t testing.TB) store.Store {
	t.Helper()
	s := chdbtest.Open(t)
	// Scripts run at fixed dates in the past; retention would drop their rows.
	for _, table := range []string{"otel_traces", "otel_logs", "slo_rollup"} {
		if err := s.Exec(context.Background(), "ALTER TABLE "+table+" REMOVE TTL", nil); err != nil {
			t.Fatal(err)
		}
	}
	return s
}
