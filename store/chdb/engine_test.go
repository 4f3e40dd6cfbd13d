package chdb_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/store/chdb"
	"github.com/flowslo/flowslo/store/storetest"
)

// TestGoPanicRecoveredAfterOpen guards chdb_set_signal_handlers_enabled(0):
// with ClickHouse's SIGSEGV handler installed this hangs instead of recovering.
func TestGoPanicRecoveredAfterOpen(t *testing.T) {
	s := openTest(t, chdb.Options{})
	defer s.Close()
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		var p *struct{ x int }
		_ = p.x // nil dereference: SIGSEGV turned into a Go panic
	}()
	select {
	case r := <-done:
		if r == nil || !strings.Contains(fmtAny(r), "nil pointer") {
			t.Fatalf("recovered %v, want a nil pointer panic", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nil dereference was not recovered within 10s")
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func fmtAny(v any) string {
	if e, ok := v.(error); ok {
		return e.Error()
	}
	return ""
}

// TestReopenKeepsData closes the store and opens the same database again:
// rows live in a real database on disk, not in chDB's default one.
func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, chdb.Options{Database: "reopen"})
	if err := s.InsertSpans(ctx, storetest.Spans(123, time.Now().Add(-time.Minute), 7)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openTest(t, chdb.Options{Database: "reopen"})
	defer s.Close()
	rows, err := s.Query(ctx, "SELECT count() FROM otel_traces", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var n int
	if !rows.Next() || rows.Scan(&n) != nil || n != 123 {
		t.Fatalf("after reopen: %d spans, want 123 (%v)", n, rows.Err())
	}
}

func TestSecondDataDirRefused(t *testing.T) {
	_, err := chdb.Open(context.Background(), chdb.Options{DataDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "one data dir per process") {
		t.Fatalf("got %v, want a one-data-dir error", err)
	}
}

func TestMissingLibraryMessage(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope", "libchdb.so")
	_, err := chdb.Open(context.Background(), chdb.Options{DataDir: t.TempDir(), LibPath: missing})
	if err == nil {
		t.Fatal("no error for a missing library")
	}
	for _, want := range []string{missing, "make setup", "FLOWSLO_CHDB_LIB"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestLibPathLookup(t *testing.T) {
	t.Setenv("FLOWSLO_CHDB_LIB", "/env/libchdb.so")
	if got := chdb.ResolveLibPath("/opt/libchdb.so"); got != "/opt/libchdb.so" {
		t.Errorf("explicit: %s", got)
	}
	if got := chdb.ResolveLibPath(""); got != "/env/libchdb.so" {
		t.Errorf("env: %s", got)
	}
	t.Setenv("FLOWSLO_CHDB_LIB", "")
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	if got, want := chdb.ResolveLibPath(""), "/xdg/flowslo/chdb/"+chdb.Version+"/libchdb.so"; got != want {
		t.Errorf("default: %s, want %s", got, want)
	}
}
