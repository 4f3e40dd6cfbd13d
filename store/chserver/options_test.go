package chserver

import (
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// TestOptionsReachTheDriver: the password from a file or the environment
// replaces the DSN's, and the read store's time limit becomes the
// server-side max_execution_time of every query.
func TestOptionsReachTheDriver(t *testing.T) {
	co, err := clickhouse.ParseDSN("clickhouse://reader@db.internal:9000/flowslo")
	if err != nil {
		t.Fatal(err)
	}
	applyOptions(co, Options{Password: "from-file", MaxExecutionTime: 30 * time.Second})
	if co.Auth.Password != "from-file" || co.Auth.Username != "reader" {
		t.Errorf("auth: %+v", co.Auth)
	}
	if got := co.Settings["max_execution_time"]; got != 30 {
		t.Errorf("max_execution_time = %v, want 30", got)
	}
	co, _ = clickhouse.ParseDSN("clickhouse://u:in-dsn@db:9000/x")
	applyOptions(co, Options{})
	if co.Auth.Password != "in-dsn" || co.Settings["max_execution_time"] != nil {
		t.Errorf("no options: %+v %v", co.Auth, co.Settings)
	}
}
