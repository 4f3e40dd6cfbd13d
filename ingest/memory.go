package ingest

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"
)

// memGuard refuses new requests while the process's resident memory is
// over the limit. It counts the whole process, Go heap and the embedded
// ClickHouse engine's allocations alike (both live in this process's
// RSS), where the collector's memory limiter counts only the Go heap.
type memGuard struct {
	limit uint64 // bytes; 0 disables
	rss   func() (uint64, error)
	over  atomic.Bool
	last  atomic.Uint64
}

func newMemGuard(limitMiB uint32) *memGuard {
	return &memGuard{limit: uint64(limitMiB) * mib, rss: residentBytes}
}

// run samples every interval until stop is closed.
func (g *memGuard) run(interval time.Duration, stop <-chan struct{}) {
	if g.limit == 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		g.sample()
		select {
		case <-t.C:
		case <-stop:
			return
		}
	}
}

func (g *memGuard) sample() {
	n, err := g.rss()
	if err != nil {
		return
	}
	g.last.Store(n)
	over := n > g.limit
	if over && !g.over.Load() {
		// Give back what the Go heap can before refusing for long.
		runtime.GC()
	}
	g.over.Store(over)
}

// errMemory is a retryable refusal: the process is over its memory limit.
type errMemory struct{ rss, limit uint64 }

func (e errMemory) Error() string {
	return fmt.Sprintf("memory limit reached (resident %d MiB of %d MiB): retry later", e.rss/mib, e.limit/mib)
}

func (g *memGuard) check() error {
	if g.over.Load() {
		return errMemory{g.last.Load(), g.limit}
	}
	return nil
}

// residentBytes reads the process's resident set size from /proc.
func residentBytes() (uint64, error) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, err
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0, fmt.Errorf("statm: %q", b)
	}
	pages, err := strconv.ParseUint(string(f[1]), 10, 64)
	if err != nil {
		return 0, err
	}
	return pages * uint64(os.Getpagesize()), nil
}
