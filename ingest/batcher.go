package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/flowslo/flowslo/store"
)

// batcher merges the requests of one signal into inserts. It never waits on
// a timer: an idle batcher inserts a request the moment it arrives, and
// requests that arrive while an insert runs become the next batch, taken
// the moment that insert returns. Under load batches grow by themselves
// (everything that arrived during one insert), and a lone request is
// acknowledged in the time of its own insert.
//
// A batch the store refuses as bad data is split in halves until the
// requests that cause the refusal stand alone: only those are refused, the
// others are stored and acknowledged. Transient failures are retried with
// backoff within retryFor, and refused as retryable after it.
type batcher[T any] struct {
	signal string
	insert func(context.Context, []T) error
	cfg    batchConfig
	m      *signalMetrics
	health *health

	// stop ends retries and running inserts: it is cancelled when the
	// shutdown deadline passes, not when shutdown starts, so queued
	// requests are still stored while there is time.
	stop context.Context

	mu      sync.Mutex
	queue   []*request[T]
	queued  int64 // bytes of requests queued or being inserted
	running bool  // a goroutine is taking batches
	closed  bool
	idle    chan struct{} // closed when running ends after close
	buf     []T           // rows of the batch being inserted, reused
}

type batchConfig struct {
	maxItems      int
	queueBytes    int64
	insertTimeout time.Duration
	retryFor      time.Duration
}

// request is one client's rows, waiting for their insert.
type request[T any] struct {
	rows []T
	size int64      // bytes as received; what the queue limit counts
	done chan error // receives the outcome once
}

var errShuttingDown = errors.New("flowslo is shutting down")

func newBatcher[T any](signal string, insert func(context.Context, []T) error, cfg batchConfig,
	m *signalMetrics, h *health, stop context.Context) *batcher[T] {
	return &batcher[T]{signal: signal, insert: insert, cfg: cfg, m: m, health: h, stop: stop}
}

// errQueueFull is a retryable refusal: the queue holds its limit in bytes.
type errQueueFull struct{ limit int64 }

func (e errQueueFull) Error() string {
	return fmt.Sprintf("ingest queue full (%d MiB waiting to be stored)", e.limit/mib)
}

// submit queues rows; done receives their outcome once they are stored
// or refused. A request larger than the whole queue is still taken when
// nothing else waits.
func (b *batcher[T]) submit(rows []T, size int64) (done <-chan error, err error) {
	r := &request[T]{rows: rows, size: size, done: make(chan error, 1)}
	if err := b.enqueue(r); err != nil {
		return nil, err
	}
	return r.done, nil
}

func (b *batcher[T]) enqueue(r *request[T]) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.closed:
		return errShuttingDown
	case b.queued > 0 && b.queued+r.size > b.cfg.queueBytes:
		return errQueueFull{b.cfg.queueBytes}
	}
	b.queue = append(b.queue, r)
	b.queued += r.size
	b.m.queueBytes.Add(float64(r.size))
	if !b.running {
		b.running = true
		go b.run()
	}
	return nil
}

// run takes batches until the queue is empty.
func (b *batcher[T]) run() {
	for {
		batch := b.take()
		if batch == nil {
			return
		}
		b.store(batch)
	}
}

// take removes the next batch from the queue: whole requests up to
// maxItems rows (at least one request). Empty, it ends the run.
func (b *batcher[T]) take() []*request[T] {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		b.running = false
		if b.closed && b.idle != nil {
			close(b.idle)
			b.idle = nil
		}
		return nil
	}
	n, items := 0, 0
	for n < len(b.queue) && (n == 0 || items+len(b.queue[n].rows) <= b.cfg.maxItems) {
		items += len(b.queue[n].rows)
		n++
	}
	batch := b.queue[:n:n]
	b.queue = b.queue[n:]
	return batch
}

// store inserts batch and answers each request; a bad-data refusal of
// several requests is split to find the ones that cause it.
func (b *batcher[T]) store(batch []*request[T]) {
	err := b.insertRetrying(batch)
	switch {
	case err == nil:
		b.answer(batch, nil)
	case store.KindOf(err) == store.BadData && len(batch) > 1:
		b.m.splits.Inc()
		half := len(batch) / 2
		b.store(batch[:half])
		b.store(batch[half:])
	case store.KindOf(err) == store.BadData:
		b.answer(batch, badData{err})
	default:
		b.answer(batch, err)
	}
}

func (b *batcher[T]) answer(batch []*request[T], err error) {
	var size int64
	for _, r := range batch {
		size += r.size
		r.done <- err
	}
	b.mu.Lock()
	b.queued -= size
	b.mu.Unlock()
	b.m.queueBytes.Sub(float64(size))
}

// badData marks a refusal caused by the request's own rows.
type badData struct{ err error }

func (e badData) Error() string { return e.err.Error() }
func (e badData) Unwrap() error { return e.err }

// insertRetrying inserts the rows of batch, retrying transient failures
// with backoff until retryFor has passed or shutdown runs out of time.
func (b *batcher[T]) insertRetrying(batch []*request[T]) error {
	rows := b.rows(batch)
	defer b.release()
	deadline := time.Now().Add(b.cfg.retryFor)
	backoff := 50 * time.Millisecond
	for {
		err := b.insertOnce(rows)
		if err == nil {
			b.health.ok(b.signal)
			b.m.stored.Add(float64(len(rows)))
			return nil
		}
		if store.KindOf(err) == store.BadData {
			return err
		}
		b.health.failed(b.signal, err)
		if time.Now().Add(backoff).After(deadline) {
			return err
		}
		select {
		case <-time.After(backoff):
		case <-b.stop.Done():
			return fmt.Errorf("%w: %w", errShuttingDown, err)
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

func (b *batcher[T]) insertOnce(rows []T) error {
	ctx, cancel := context.WithTimeout(b.stop, b.cfg.insertTimeout)
	defer cancel()
	start := time.Now()
	err := b.insert(ctx, rows)
	b.m.observeInsert(time.Since(start), err)
	if err != nil {
		return fmt.Errorf("insert %d %s: %w", len(rows), b.signal, err)
	}
	return nil
}

// rows concatenates the batch's rows; a lone request is inserted as is.
func (b *batcher[T]) rows(batch []*request[T]) []T {
	if len(batch) == 1 {
		return batch[0].rows
	}
	b.buf = b.buf[:0]
	for _, r := range batch {
		b.buf = append(b.buf, r.rows...)
	}
	return b.buf
}

// release drops row references so the reused buffer pins no old batch.
func (b *batcher[T]) release() {
	clear(b.buf)
	b.buf = b.buf[:0]
}

// close refuses new requests and waits until the queue is stored or
// refused, or ctx ends.
func (b *batcher[T]) close(ctx context.Context) error {
	b.mu.Lock()
	b.closed = true
	var idle chan struct{}
	if b.running {
		idle = make(chan struct{})
		b.idle = idle
	}
	b.mu.Unlock()
	if idle == nil {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s still being stored: %w", b.signal, ctx.Err())
	}
}
