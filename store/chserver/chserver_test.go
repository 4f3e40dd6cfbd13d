package chserver_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chserver"
	"github.com/flowslo/flowslo/store/storetest"
)

var dbSeq atomic.Int64

// TestContract runs the store contract on a server named by
// FLOWSLO_TEST_CLICKHOUSE_DSN (clickhouse://user:pass@host:9000), each test
// in a database of its own, dropped afterwards.
func TestContract(t *testing.T) {
	dsn := os.Getenv("FLOWSLO_TEST_CLICKHOUSE_DSN")
	if dsn == "" {
		t.Skip("FLOWSLO_TEST_CLICKHOUSE_DSN not set: no ClickHouse server to test against")
	}
	run := time.Now().Unix()
	admin, err := chserver.Open(context.Background(), withDatabase(dsn, "flowslo_test_admin"), chserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	storetest.Run(t, func(t *testing.T) store.Store {
		db := fmt.Sprintf("flowslo_test_%d_%d", run, dbSeq.Add(1))
		s, err := chserver.Open(context.Background(), withDatabase(dsn, db), chserver.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db, nil) })
		return s
	})
}

// withDatabase replaces the DSN's path with db.
func withDatabase(dsn, db string) string {
	q := ""
	if i := strings.IndexByte(dsn, '?'); i >= 0 {
		dsn, q = dsn[:i], dsn[i:]
	}
	if i := strings.Index(dsn, "://"); i >= 0 {
		if j := strings.IndexByte(dsn[i+3:], '/'); j >= 0 {
			dsn = dsn[:i+3+j]
		}
	}
	return dsn + "/" + db + q
}

// TestReaderTimeLimit: a reader store's max_execution_time stops a long
// query on the server.
func TestReaderTimeLimit(t *testing.T) {
	dsn := os.Getenv("FLOWSLO_TEST_CLICKHOUSE_DSN")
	if dsn == "" {
		t.Skip("FLOWSLO_TEST_CLICKHOUSE_DSN not set: no ClickHouse server to test against")
	}
	r, err := chserver.Open(context.Background(), withDatabase(dsn, "default"), chserver.Options{Reader: true, MaxExecutionTime: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows, err := r.Query(context.Background(), "SELECT sleepEachRow(0.5) FROM numbers(10) SETTINGS max_block_size = 1", nil)
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "timeout") {
		t.Fatalf("a 5 s query under a 1 s limit: %v, want a timeout", err)
	}
}
