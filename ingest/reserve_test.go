package ingest

import (
	"bytes"
	"io"
	"net/http"
	"os/exec"
	"syscall"
	"testing"
)

// TestQueueZerosAheadKeepTheReserve: the zeros the journal writes ahead
// of its entries are disk its next appends take without more, so they
// count as free against diskReserve. With the store down and the queue's
// disk 3 MiB above the reserve, the queue takes about 3 MiB of requests
// before it refuses as almost full (found by a review: it refused after
// one, the 4 MiB of zeros counted as used).
func TestQueueZerosAheadKeepTheReserve(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	fl := newFlaky(openCHDB(t))
	fl.set(true, false, 0) // the store is down: everything stays queued
	p := startQueued(t, fl, QueueOptions{Dir: dir}, nil)
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		t.Fatal(err)
	}
	old := diskReserve
	diskReserve = fs.Bavail*uint64(fs.Bsize) - 3<<20
	t.Cleanup(func() { diskReserve = old })
	taken := 0
	for b := range 300 {
		r, err := http.Post("http://"+p.HTTPAddr()+"/v1/traces", protoType, bytes.NewReader(tracesBody(t, b, 20, 1000)))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
		if r.StatusCode != http.StatusOK {
			break
		}
		taken++
	}
	t.Logf("%d requests taken", taken)
	if taken < 100 || taken == 300 {
		t.Errorf("the queue took %d requests of 20 KB with 3 MiB above the reserve: want about 150 and then a refusal", taken)
	}
	fl.set(false, false, 0)
}
