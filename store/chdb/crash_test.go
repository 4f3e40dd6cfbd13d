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
	s, err := chdb.Open(ctx, chdb.Options{DataDir: dir})
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
