package app

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb/chdbtest"
	"github.com/flowslo/flowslo/store/storetest"
)

// TestMoveEmbeddedData is deploy/README.md's migration from the embedded
// engine to a server, on chDB: SELECT * of each telemetry table in the
// Native format, inserted into the new database's table as it is. Every
// row arrives unchanged (same count, same hash over all written columns),
// and the new copy gets its own FlowsloInserted, so the server's engine
// counts the rows as it counts any other writer's.
func TestMoveEmbeddedData(t *testing.T) {
	from, to := chdbtest.Open(t), chdbtest.Open(t)
	ctx := context.Background()
	now := time.Now().UTC()
	if err := from.InsertSpans(ctx, storetest.Spans(2000, now.Add(-2*time.Hour), 1)); err != nil {
		t.Fatal(err)
	}
	if err := from.InsertLogs(ctx, storetest.Logs(700, now.Add(-time.Hour), 2)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, table := range []string{"otel_traces", "otel_logs"} {
		file := filepath.Join(dir, table+".native")
		if err := from.Exec(ctx, "SELECT * FROM "+table+" INTO OUTFILE '"+file+"' FORMAT Native", nil); err != nil {
			t.Fatalf("export %s: %v", table, err)
		}
		if err := to.Exec(ctx, "INSERT INTO "+table+" SELECT * FROM file('"+file+"', Native)", nil); err != nil {
			t.Fatalf("import %s: %v", table, err)
		}
		hash := "SELECT count(), sum(cityHash64(*)) FROM " + table
		if a, b := pair(t, from, hash), pair(t, to, hash); a != b || a[0] == 0 {
			t.Errorf("%s: moved %v, have %v", table, b, a)
		}
	}
	if a := pair(t, to, "SELECT count(), countIf(FlowsloInserted > now64(3) - INTERVAL 1 HOUR) FROM otel_traces"); a[0] != a[1] {
		t.Errorf("moved spans: %d, with a fresh insertion time: %d", a[0], a[1])
	}
}

func pair(t *testing.T, st store.Store, q string) [2]uint64 {
	t.Helper()
	rows, err := st.Query(context.Background(), q, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [2]uint64
	if rows.Next() {
		if err := rows.Scan(&out[0], &out[1]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
