package ingest

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/flowslo/flowslo/store"
)

// health remembers, per signal, whether the latest insert failed for a
// reason of the store's (disk full, store down), so readiness can say why
// the pipeline cannot store. An insert that succeeds clears it; bad data
// never sets it, since the store is fine.
type health struct {
	mu      sync.Mutex
	failing map[string]failure
}

type failure struct {
	since time.Time
	err   error
}

func newHealth() *health { return &health{failing: map[string]failure{}} }

func (h *health) ok(signal string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.failing, signal)
}

func (h *health) failed(signal string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f, ok := h.failing[signal]
	if !ok {
		f.since = time.Now()
	}
	f.err = err
	h.failing[signal] = f
}

// problem describes the failing inserts, nil when there are none.
func (h *health) problem() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var errs []error
	for signal, f := range h.failing {
		errs = append(errs, fmt.Errorf("%s inserts failing since %s (%s): %w",
			signal, f.since.UTC().Format(time.RFC3339), store.KindOf(f.err), f.err))
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errors.Join(errs...)
}
