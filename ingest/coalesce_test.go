package ingest

import (
	"runtime"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TestCoalescerMerges: a request arriving while an idle coalescer writes
// is written at once; the requests that arrive during that write go out
// together as the next batch, up to the byte bound, and every client gets
// its batch's answer.
func TestCoalescerMerges(t *testing.T) {
	release := make(chan struct{})
	writing := make(chan struct{}, 1)
	var mu sync.Mutex
	var batches []int // resources per written batch
	c := &coalescer[ptrace.Traces]{maxBytes: 300,
		put: func(td ptrace.Traces) error {
			mu.Lock()
			batches = append(batches, td.ResourceSpans().Len())
			first := len(batches) == 1
			mu.Unlock()
			if first {
				writing <- struct{}{}
				<-release
			}
			return nil
		},
		merge: func(dst, src ptrace.Traces) { src.ResourceSpans().MoveAndAppendTo(dst.ResourceSpans()) },
	}
	one := func() ptrace.Traces { td := ptrace.NewTraces(); td.ResourceSpans().AppendEmpty(); return td }
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := c.submit(one(), 100); err != nil {
			t.Error(err)
		}
	})
	<-writing
	for range 4 {
		wg.Go(func() {
			if err := c.submit(one(), 100); err != nil {
				t.Error(err)
			}
		})
	}
	for { // all four pending before the first write ends
		c.mu.Lock()
		n := len(c.pending)
		c.mu.Unlock()
		if n == 4 {
			break
		}
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	if len(batches) != 3 || batches[0] != 1 || batches[1] != 3 || batches[2] != 1 {
		t.Errorf("batches of %v resources, want [1 3 1] (three pending of 100 bytes fit 300)", batches)
	}
}
