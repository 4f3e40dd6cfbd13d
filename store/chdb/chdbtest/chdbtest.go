// Package chdbtest gives tests the real embedded ClickHouse the way chDB
// allows it: one data path per test binary (a second path fails while the
// first is open), with each test isolated in a database of its own.
//
//	func TestMain(m *testing.M) { chdbtest.Main(m) }
//	func TestX(t *testing.T)    { st := chdbtest.Open(t) … }
package chdbtest

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/flowslo/flowslo/alerting"
	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb"
	"github.com/flowslo/flowslo/store/lease"
)

var (
	dataDir string
	seq     atomic.Int64
)

// Main runs the tests with a fresh data path and removes it afterwards.
func Main(m *testing.M) {
	dir, err := os.MkdirTemp("", "flowslo-chdb-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dataDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// DataDir is the test binary's data path, for code that opens the store
// itself (an app under test) with NewDatabase's name.
func DataDir() string {
	if dataDir == "" {
		panic("chdbtest: call chdbtest.Main from TestMain")
	}
	return dataDir
}

// NewDatabase returns a database name no other test of this binary uses.
func NewDatabase() string { return fmt.Sprintf("test_%d", seq.Add(1)) }

// Open opens the store in a fresh database, closed when the test ends. It
// fails, never skips, when libchdb.so is missing: a skipped storage test
// would pass off as green.
func Open(t testing.TB) store.Store {
	t.Helper()
	st, err := chdb.Open(context.Background(), chdb.Options{DataDir: DataDir(), Database: NewDatabase(), Schema: Schema()})
	if err != nil {
		t.Fatalf("open chDB (run make setup, or set FLOWSLO_CHDB_LIB): %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Schema is every domain's migrations, as the app applies them
// (internal/app.Schema, which tests below internal/ cannot import).
func Schema() []store.Migration {
	return slices.Concat(engine.Migrations(), alerting.Migrations(), lease.Migrations())
}

// CountBy runs query, which must select a string key and a count, and
// returns the count of each key: how many times each span or log landed.
func CountBy(t testing.TB, st store.Store, query string) map[string]int {
	t.Helper()
	rows, err := st.Query(context.Background(), query, nil)
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
