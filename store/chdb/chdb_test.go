package chdb_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb"
	"github.com/flowslo/flowslo/store/storetest"
)

// dataDir is the one chDB data path of this test binary (chDB allows one per
// process); tests isolate themselves by database name.
var dataDir string

func TestMain(m *testing.M) {
	if mode := os.Getenv("FLOWSLO_CHDB_CHILD"); mode != "" {
		os.Exit(child(mode, os.Getenv("FLOWSLO_CHDB_CHILD_DIR")))
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "flowslo-chdb-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	dataDir = dir
	// Hold one store open for the whole run so the engine boots once.
	keep, err := chdb.Open(context.Background(), chdb.Options{DataDir: dir, Database: "keepalive"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err) // names the path and says how to get the library
		return 1
	}
	defer keep.Close()
	return m.Run()
}

var dbSeq atomic.Int64

var nonIdent = regexp.MustCompile(`[^A-Za-z0-9_]+`)

// openTest opens a store in a database of its own, named after the test.
func openTest(t testing.TB, opts chdb.Options) *chdb.Store {
	t.Helper()
	name := strings.ToLower(nonIdent.ReplaceAllString(t.Name(), "_"))
	opts.DataDir = dataDir
	if opts.Database == "" {
		opts.Database = fmt.Sprintf("t%d_%s", dbSeq.Add(1), name)
	}
	s, err := chdb.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t, chdb.Options{}) })
}
