package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestCollectorQueueSurvivesKill9: `flowslo collector` whose ClickHouse
// cannot store (its data on a tmpfs filled to the last byte) acknowledges
// from its persistent queue until the queue is full, then answers
// Unavailable and /readyz 503. kill -9 with the queue full; the disk is
// freed; the second life starts draining and is killed -9 in the middle of
// it (batches inserted but not yet marked done are sent again); the third
// life drains the rest. Every acknowledged span is then stored exactly
// once. It needs root to mount the tmpfs; without it the test says so and
// skips, as TestDiskFull does.
func TestCollectorQueueSurvivesKill9(t *testing.T) {
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	if err := os.Mkdir(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", dataDir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs to fill (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dataDir).Run() })
	cfg := filepath.Join(dir, "collector.yml")
	config := fmt.Sprintf("queue:\n  dir: %s\n  max_bytes: %d\n", filepath.Join(dir, "queue"), 21<<20)
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	collector := func() *server {
		return startArgs(t, "collector", "--data-dir", dataDir, "--config", cfg,
			"--http-addr", "127.0.0.1:0", "--otlp-grpc-addr", "127.0.0.1:0", "--otlp-http-addr", "127.0.0.1:0")
	}

	// First life: ClickHouse's disk full, the queue fills up.
	c1 := collector()
	filler := fillDisk(t, dataDir)
	acked, refused := fillQueue(t, c1.grpcAddr)
	if st, _ := status.FromError(refused); st.Code() != codes.Unavailable || !strings.Contains(st.Message(), "queue full") {
		t.Errorf("refusal with the queue full: %v, want Unavailable naming the full queue", refused)
	}
	if code, body := httpGet(t, "http://"+c1.httpAddr+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "queue") {
		t.Errorf("/readyz with the queue full: %d %s, want 503 naming the queue", code, body)
	}
	kill9(t, c1)
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}

	// Second life: draining, killed -9 half way.
	c2 := collector()
	full := queueBytes(t, c2)
	waitUntil(t, "the second life to drain some of the queue", func() bool { return queueBytes(t, c2) < full*3/4 })
	kill9(t, c2)

	// Third life: drains the rest, then stops on SIGTERM.
	c3 := collector()
	waitUntil(t, "the third life to drain the queue", func() bool { return queueBytes(t, c3) == 0 })
	if err := c3.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-c3.done; err != nil {
		t.Errorf("exit after SIGTERM: %v\n%s", err, c3.stderr)
	}

	stored := storedKeys(t, dataDir)
	for id := range acked {
		if stored[id] != 1 {
			t.Errorf("acknowledged span %s stored %d times, want once", id, stored[id])
		}
	}
	if len(stored) != len(acked) {
		t.Errorf("%d spans stored, %d acknowledged", len(stored), len(acked))
	}
	t.Logf("acknowledged %d spans into a queue of 21 MiB (queue held %d bytes at the second start)", len(acked), full)
}

// fillDisk writes a file into dir until the file system is full, and
// returns its path.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for {
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return path
			}
			t.Fatal(err)
		}
	}
}

// fillQueue sends batches until one is refused, and returns the span keys
// acknowledged and the refusal.
func fillQueue(t *testing.T, addr string) (map[string]bool, error) {
	t.Helper()
	client := otlptracegrpc.NewClient(otlptracegrpc.WithEndpoint(addr), otlptracegrpc.WithInsecure(),
		otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}), otlptracegrpc.WithTimeout(10*time.Second))
	if err := client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer client.Stop(context.Background())
	acked := map[string]bool{}
	for b := 0; b < 1000; b++ {
		batch, ids := spanBatch(fmt.Sprintf("q%05d", b), 500)
		for _, sp := range batch[0].ScopeSpans[0].Spans { // a request of ~1 MiB
			sp.Attributes = append(sp.Attributes, str("payload", strings.Repeat("p", 2000)))
		}
		if err := client.UploadTraces(context.Background(), batch); err != nil {
			return acked, err
		}
		for _, id := range ids {
			acked[id] = true
		}
	}
	t.Fatal("1000 batches acknowledged by a 21 MiB queue")
	return nil, nil
}

func kill9(t *testing.T, s *server) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.done
}

var queueLine = regexp.MustCompile(`(?m)^flowslo_ingest_persistent_queue_bytes\{signal="traces"\} (\S+)$`)

// queueBytes reads the traces queue's depth from the collector's /metrics.
func queueBytes(t *testing.T, s *server) int64 {
	t.Helper()
	_, body := httpGet(t, "http://"+s.httpAddr+"/metrics")
	m := queueLine.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no queue depth on /metrics:\n%s", body)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return int64(v)
}

// waitUntil polls cond: the collector's queue signals nothing to a test in
// another process. The bound only ends a broken test.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(90 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s after 90 s", what)
		}
	}
}

// TestCollectorStartsWithClickHouseDown: `flowslo collector` pointed at a
// ClickHouse that refuses connections (a closed port) listens at once,
// acknowledges into its disk queue, and /readyz answers 200 saying it
// queues and why ClickHouse is not there; SIGTERM exits promptly, and the
// next life, ClickHouse still down, has the queue as it was. Storing once
// ClickHouse comes up is internal/app's TestCollectorStartsBeforeClickHouse
// (no ClickHouse server runs on the test machines).
func TestCollectorStartsWithClickHouseDown(t *testing.T) {
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close() // nothing listens there now: connections are refused
	dataDir := t.TempDir()
	collector := func() *server {
		return startArgs(t, "collector", "--clickhouse-dsn", "clickhouse://flowslo@"+deadAddr+"/flowslo", "--data-dir", dataDir,
			"--http-addr", "127.0.0.1:0", "--otlp-grpc-addr", "127.0.0.1:0", "--otlp-http-addr", "127.0.0.1:0")
	}
	c1 := collector()
	client := otlptracegrpc.NewClient(otlptracegrpc.WithEndpoint(c1.grpcAddr), otlptracegrpc.WithInsecure(),
		otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}), otlptracegrpc.WithTimeout(10*time.Second))
	if err := client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for b := range 5 {
		batch, _ := spanBatch(fmt.Sprintf("down%d", b), 200)
		if err := client.UploadTraces(context.Background(), batch); err != nil {
			t.Fatalf("batch %d with ClickHouse down: %v, want acknowledged into the queue", b, err)
		}
	}
	_ = client.Stop(context.Background())
	var code int
	var body string
	waitUntil(t, "/readyz to name the refused connection", func() bool {
		code, body = httpGet(t, "http://"+c1.httpAddr+"/readyz")
		return strings.Contains(body, "connection refused")
	})
	if code != http.StatusOK || !strings.Contains(body, "accepting into the disk queue") || !strings.Contains(body, "ClickHouse unreachable since") {
		t.Errorf("/readyz with ClickHouse down = %d %s, want 200 saying it queues and since when ClickHouse is unreachable", code, body)
	}
	queued := queueBytes(t, c1)
	if queued == 0 {
		t.Fatal("nothing queued after five acknowledged batches")
	}
	if err := c1.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-c1.done; err != nil {
		t.Errorf("exit after SIGTERM with ClickHouse down: %v\n%s", err, c1.stderr)
	}

	c2 := collector()
	if got := queueBytes(t, c2); got != queued {
		t.Errorf("second life queues %d bytes, the first left %d", got, queued)
	}
	if code, _ := httpGet(t, "http://"+c2.httpAddr+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz of the second life with ClickHouse down = %d, want 200", code)
	}
}
