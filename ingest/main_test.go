package ingest

import (
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
	return chdbtest.CountBy(t, st, "SELECT "+col+", count() FROM "+table+" GROUP BY "+col)
}
