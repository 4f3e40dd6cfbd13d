package ingest

import (
	"context"
	"testing"

	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb/chdbtest"
)

func TestMain(m *testing.M) { chdbtest.Main(m) }

// openCHDB opens the real embedded store in a fresh database.
func openCHDB(t testing.TB) store.Store { return chdbtest.Open(t) }

// countRows returns how many rows of table have each value of col.
func countRows(t testing.TB, st store.Store, table, col string) map[string]int {
	t.Helper()
	rows, err := st.Query(context.Background(), "SELECT "+col+", count() FROM "+table+" GROUP BY "+col, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n uint64
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = int(n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
