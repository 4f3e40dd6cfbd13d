package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestDiskFull runs flowslo without its queue (acknowledging once stored)
// on a 64 MiB tmpfs and fills it over OTLP: once inserts fail for space,
// clients are told to retry (Unavailable), never acknowledged, and /readyz
// answers 503 naming the cause. It needs root to mount the tmpfs (CI runs
// as root); without it the test says so and skips.
func TestDiskFull(t *testing.T) {
	dir := mountTmpfs(t, "64m")
	cfg := filepath.Join(t.TempDir(), "flowslo.yaml")
	if err := os.WriteFile(cfg, []byte("queue:\n  enabled: false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, dir, "--config", cfg)
	fillUntilRefused(t, s, "storage is full", "storage full")
}

// TestDiskFullQueued is TestDiskFull with the queue (the default), on a
// disk it shares with ClickHouse: before the disk is full the queue
// refuses (it keeps 64 MiB free to record what it stores), with
// Unavailable and a /readyz that names it.
func TestDiskFullQueued(t *testing.T) {
	s := startServer(t, mountTmpfs(t, "192m"))
	fillUntilRefused(t, s, "queue disk almost full", "queue refusing")
}

// mountTmpfs mounts a tmpfs of size on a new temporary dir, or skips.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs to fill (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fillUntilRefused sends incompressible spans until s refuses them; the refusal
// must be Unavailable naming refusal, and /readyz 503 naming ready.
func fillUntilRefused(t *testing.T, s *server, refusal, ready string) {
	t.Helper()
	client := otlptracegrpc.NewClient(otlptracegrpc.WithEndpoint(s.grpcAddr), otlptracegrpc.WithInsecure(),
		otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}), otlptracegrpc.WithTimeout(20*time.Second))
	if err := client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer client.Stop(context.Background())
	acked, refused := 0, error(nil)
	for b := 0; b < 400 && refused == nil; b++ {
		batch, _ := spanBatch(fmt.Sprintf("full%05d", b), 2000)
		for _, sp := range batch[0].ScopeSpans[0].Spans { // incompressible bytes fill the disk fastest
			noise := make([]byte, 512)
			rand.Read(noise)
			sp.Attributes = append(sp.Attributes, str("payload", hex.EncodeToString(noise)))
		}
		if err := client.UploadTraces(context.Background(), batch); err != nil {
			refused = err
			break
		}
		acked += 2000
	}
	if refused == nil {
		t.Fatalf("400 batches stored on a 64 MiB disk: the test did not fill it")
	}
	if acked == 0 {
		t.Errorf("the first batch was refused (%v): the test fills nothing", refused)
	}
	if st, _ := status.FromError(refused); st.Code() != codes.Unavailable || !strings.Contains(st.Message(), refusal) {
		t.Errorf("refusal on a full disk: %v, want Unavailable (retry later)", refused)
	}
	deadline := time.Now().Add(10 * time.Second)
	var code int
	var body string
	for time.Now().Before(deadline) {
		if code, body = httpGet(t, "http://"+s.httpAddr+"/readyz"); code == http.StatusServiceUnavailable {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code != http.StatusServiceUnavailable || !strings.Contains(body, ready) {
		t.Errorf("/readyz on a full disk: %d %s, want 503 naming %q", code, body, ready)
	}
	t.Logf("acknowledged %d spans before the disk filled: %v", acked, refused)
}
