package ingest

import (
	"context"
	"fmt"
	"runtime"
	rtmetrics "runtime/metrics"
	"sync/atomic"
	"time"
)

// memGuard refuses new requests while the memory the process has in use is
// over the limit: the Go heap's live objects plus what the embedded
// ClickHouse engine reports it holds (MemoryTracker, when the store is
// embedded). It counts memory in use, not resident pages: ClickHouse's
// allocator and Go's keep freed pages for a while, so a guard on RSS
// stayed over its limit long after a burst (seen: 503 for two idle
// minutes, and for good after a few requests with huge resource
// attributes). The collector's memory limiter counts only the Go heap.
type memGuard struct {
	limit  uint64 // bytes; 0 disables
	engine func(context.Context) (uint64, error)
	over   atomic.Bool
	last   atomic.Uint64
	goHeap atomic.Uint64
}

// EngineMemory is what a store that runs ClickHouse in this process
// offers: the bytes its engine has in use.
type EngineMemory interface {
	MemoryInUse(ctx context.Context) (uint64, error)
}

func newMemGuard(limitMiB uint32, engine func(context.Context) (uint64, error)) *memGuard {
	return &memGuard{limit: uint64(limitMiB) * mib, engine: engine}
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
	var engine uint64
	if g.engine != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if e, err := g.engine(ctx); err == nil {
			engine = e
		}
		cancel()
	}
	heap := goHeapBytes()
	if engine+heap > g.limit {
		// The heap's count holds garbage not yet collected: collect it
		// before deciding to refuse.
		runtime.GC()
		heap = goHeapBytes()
	}
	g.last.Store(engine + heap)
	g.goHeap.Store(heap)
	g.over.Store(engine+heap > g.limit)
}

// goHeapBytes is the Go heap's live and not yet swept objects.
func goHeapBytes() uint64 {
	s := []rtmetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	rtmetrics.Read(s)
	if s[0].Value.Kind() != rtmetrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// errMemory is a retryable refusal: the process is over its memory limit.
type errMemory struct{ inUse, goHeap, limit uint64 }

func (e errMemory) Error() string {
	return fmt.Sprintf("memory limit reached (%d MiB in use, %d MiB of it Go heap, limit %d MiB): retry later",
		e.inUse/mib, e.goHeap/mib, e.limit/mib)
}

func (g *memGuard) check() error {
	if g.over.Load() {
		return errMemory{g.last.Load(), g.goHeap.Load(), g.limit}
	}
	return nil
}
