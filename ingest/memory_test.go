package ingest

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestMemGuardRecovers: over the limit, requests are refused with a
// retryable error naming the memory in use; once the engine frees memory
// (a burst is over), the next sample lets them in again. A guard on
// resident pages never came back down.
func TestMemGuardRecovers(t *testing.T) {
	engine := uint64(2048 * mib)
	g := newMemGuard(1024, func(context.Context) (uint64, error) { return engine, nil })
	g.sample()
	err := g.check()
	var em errMemory
	if !errors.As(err, &em) || !strings.Contains(err.Error(), "MiB in use") || em.inUse < engine {
		t.Fatalf("over the limit: %v", err)
	}
	engine = 100 * mib
	g.sample()
	if err := g.check(); err != nil {
		t.Fatalf("after the engine freed memory: %v", err)
	}
	// A failing probe counts the Go heap alone rather than refusing for good.
	g = newMemGuard(1024, func(context.Context) (uint64, error) { return 0, errors.New("busy") })
	g.sample()
	if err := g.check(); err != nil {
		t.Fatalf("with the probe failing: %v", err)
	}
}
