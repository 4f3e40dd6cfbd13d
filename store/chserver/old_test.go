package chserver_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/flowslo/flowslo/store/chserver"
)

// TestRefusesOldServer needs a server older than 23.8 at
// FLOWSLO_TEST_OLD_CLICKHOUSE_DSN, e.g. Debian bookworm's clickhouse-server
// 18.16 (apt-get install clickhouse-server).
func TestRefusesOldServer(t *testing.T) {
	dsn := os.Getenv("FLOWSLO_TEST_OLD_CLICKHOUSE_DSN")
	if dsn == "" {
		t.Skip("FLOWSLO_TEST_OLD_CLICKHOUSE_DSN not set")
	}
	_, err := chserver.Open(context.Background(), dsn, chserver.Options{})
	if err == nil || !strings.Contains(err.Error(), "is too old: flowslo needs 23.8 or newer") {
		t.Fatalf("got %v, want a too-old refusal", err)
	}
	t.Log(err)
}
