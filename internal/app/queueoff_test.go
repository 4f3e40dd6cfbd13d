package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/ingest/journal"
)

// TestQueueOffRefusesLeftQueue: turned off (queue.enabled: false) on a
// data dir whose queue still holds what it acknowledged, flowslo refuses
// to start and says how to drain it, instead of leaving those requests
// unstored for ever; once the queue is drained it starts.
func TestQueueOffRefusesLeftQueue(t *testing.T) {
	opts := testOptions()
	cfg := filepath.Join(t.TempDir(), "flowslo.yaml")
	if err := os.WriteFile(cfg, []byte("queue:\n  enabled: false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	opts.ConfigFile = cfg
	dir := filepath.Join(opts.DataDir, defaultQueueDir(opts.Database), "traces")
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(dir)) })
	j, err := journal.Open(dir, journal.Options{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append([]byte("acknowledged, not stored")); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	_, err = New(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "queue.enabled is false") || !strings.Contains(err.Error(), "drained") {
		t.Fatalf("New with the queue off on a queue holding data: %v, want a refusal saying to drain it", err)
	}

	// Drained (the group recorded stored), the same dir is no obstacle.
	if j, err = journal.Open(dir, journal.Options{MaxBytes: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	g, _, err := j.Next(ctx, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Done(g); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	startAppWith(t, func(o *Options) { *o = opts })
}
