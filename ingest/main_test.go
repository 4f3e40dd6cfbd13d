package ingest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb"
)

// chdbDir is the one chDB data path of this test binary (chDB allows one per
// process); tests isolate themselves by database name.
var chdbDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ingest-chdb-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	chdbDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var dbSeq struct {
	sync.Mutex
	n int
}

// openCHDB opens the real store in a fresh database, or skips when
// libchdb.so is not installed.
func openCHDB(t testing.TB) store.Store {
	t.Helper()
	dbSeq.Lock()
	dbSeq.n++
	db := fmt.Sprintf("ingest_test_%d", dbSeq.n)
	dbSeq.Unlock()
	st, err := chdb.Open(context.Background(), chdb.Options{DataDir: chdbDir, Database: db})
	if err != nil {
		t.Fatalf("open chDB (run make setup, or set FLOWSLO_CHDB_LIB): %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

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
