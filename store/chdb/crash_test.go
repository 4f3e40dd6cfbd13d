package chdb_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flowslo/flowslo/store/chdb"
	"github.com/flowslo/flowslo/store/storetest"
)

const crashBatches, crashBatch = 5, 2000

// child runs in a subprocess of this test binary, with its own data dir
// (chDB allows one per process). "insert" reports each acknowledged batch
// and keeps inserting until killed; "count" prints the stored spans.
func child(mode, dir string) int {
	ctx := context.Background()
	opts := chdb.Options{DataDir: dir}
	if mode == "memcap" {
		opts.MaxMemoryBytes = memCap
	}
	s, err := chdb.Open(ctx, opts)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	switch mode {
	case "insert":
		for i := 0; ; i++ {
			if err := s.InsertSpans(ctx, storetest.Spans(crashBatch, time.Now().Add(-time.Minute), i)); err != nil {
				fmt.Println("error:", err)
				return 1
			}
			fmt.Println("acked", i+1)
		}
	case "memcap": // a query needing far more than the cap, then a small one
		_, err := s.Query(ctx, "SELECT length(groupArray(toString(number))) FROM numbers(50000000)", nil)
		fmt.Println("big:", err)
		rows, err := s.Query(ctx, "SELECT count() FROM numbers(1000)", nil)
		if err == nil {
			rows.Close()
		}
		fmt.Println("small:", err)
	case "count":
		rows, err := s.Query(ctx, "SELECT count() FROM otel_traces", nil)
		if err != nil {
			fmt.Println("error:", err)
			return 1
		}
		var n int
		rows.Next()
		rows.Scan(&n)
		fmt.Println("count", n)
	}
	return 0
}

// TestKill9KeepsAcknowledged kills an inserting process with SIGKILL and
// checks every acknowledged batch is there after a restart.
func TestKill9KeepsAcknowledged(t *testing.T) {
	dir := t.TempDir()
	cmd := childCmd("insert", dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := 0
	sc := bufio.NewScanner(out)
	for acked < crashBatches && sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "acked %d", &acked); err != nil {
			t.Fatalf("child: %s", sc.Text())
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	for sc.Scan() { // acknowledgements printed before the kill landed
		fmt.Sscanf(sc.Text(), "acked %d", &acked)
	}
	cmd.Wait()
	got, err := childCmd("count", dir).Output()
	if err != nil {
		t.Fatalf("count after kill: %v: %s", err, got)
	}
	var n int
	fmt.Sscanf(strings.TrimSpace(string(got)), "count %d", &n)
	if n < acked*crashBatch {
		t.Fatalf("after kill -9: %d spans, want at least the %d acknowledged", n, acked*crashBatch)
	}
	t.Logf("acknowledged %d spans before kill -9, found %d after restart", acked*crashBatch, n)
}

func childCmd(mode, dir string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "FLOWSLO_CHDB_CHILD="+mode, "FLOWSLO_CHDB_CHILD_DIR="+dir)
	return cmd
}

// memCap is the engine memory cap TestEngineMemoryCap's child runs with.
const memCap = 256 << 20

// TestEngineMemoryCap: with Options.MaxMemoryBytes, a query that needs
// more fails with ClickHouse's memory error (the host keeps its memory)
// and the engine goes on serving the next query.
func TestEngineMemoryCap(t *testing.T) {
	out, err := childCmd("memcap", t.TempDir()).CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v: %s", err, out)
	}
	got := string(out)
	if !strings.Contains(got, "big:") || !strings.Contains(strings.ToLower(got), "memory limit") {
		t.Errorf("the big query did not fail on the memory cap: %s", got)
	}
	if !strings.Contains(got, "small: <nil>") {
		t.Errorf("the engine did not serve the next query: %s", got)
	}
}
