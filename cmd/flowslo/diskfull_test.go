package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestDiskFull runs flowslo on a 64 MiB tmpfs and fills it over OTLP: once
// inserts fail for space, clients are told to retry (Unavailable), never
// acknowledged, and /readyz answers 503 naming the cause. It needs root to
// mount the tmpfs (CI runs as root); without it the test says so and skips.
func TestDiskFull(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs to fill (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	s := startServer(t, dir)
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
	if st, _ := status.FromError(refused); st.Code() != codes.Unavailable || !strings.Contains(st.Message(), "storage is full") {
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
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "storage full") {
		t.Errorf("/readyz on a full disk: %d %s, want 503 naming storage full", code, body)
	}
	t.Logf("acknowledged %d spans before the disk filled: %v", acked, refused)
}
