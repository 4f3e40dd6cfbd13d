package ingest

import (
	"context"
	"sync"

	"github.com/flowslo/flowslo/store"
)

// fakeStore is a store.Store built from function fields, for fault
// injection; nil fields succeed and do nothing.
type fakeStore struct {
	insertSpans func(context.Context, []store.Span) error
	insertLogs  func(context.Context, []store.LogRecord) error
}

func (f *fakeStore) Exec(context.Context, string, store.Params) error { return nil }
func (f *fakeStore) Query(context.Context, string, store.Params) (store.Rows, error) {
	return nil, nil
}
func (f *fakeStore) Ping(context.Context) error { return nil }
func (f *fakeStore) Close() error               { return nil }

func (f *fakeStore) InsertSpans(ctx context.Context, s []store.Span) error {
	if f.insertSpans == nil {
		return nil
	}
	return f.insertSpans(ctx, s)
}

func (f *fakeStore) InsertLogs(ctx context.Context, l []store.LogRecord) error {
	if f.insertLogs == nil {
		return nil
	}
	return f.insertLogs(ctx, l)
}

// recorder keeps copies of inserted rows; the pipeline reuses its row
// buffers after an insert returns, as a real store would allow.
type recorder struct {
	mu    sync.Mutex
	spans []store.Span
	logs  []store.LogRecord
}

func (r *recorder) store() *fakeStore {
	return &fakeStore{
		insertSpans: func(_ context.Context, s []store.Span) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.spans = append(r.spans, s...)
			return nil
		},
		insertLogs: func(_ context.Context, l []store.LogRecord) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.logs = append(r.logs, l...)
			return nil
		},
	}
}

// spanCounts maps span ID to how often it was stored.
func (r *recorder) spanCounts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for _, s := range r.spans {
		out[s.SpanID]++
	}
	return out
}

// logCounts maps the "seq" log attribute to how often it was stored.
func (r *recorder) logCounts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for _, l := range r.logs {
		out[l.Body]++
	}
	return out
}
