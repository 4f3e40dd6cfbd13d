package ingest

import "sync"

// coalescer merges the requests of one signal that arrive while the
// previous one is being written to the persistent queue into one queued
// batch, the way the batcher merges inserts: an idle coalescer writes a
// request at once, and under load one queue write (and later one insert,
// with one fsync) carries everything that arrived during the previous
// write.
type coalescer[D any] struct {
	put      func(D) error    // writes one batch to the queue
	merge    func(dst, src D) // moves src's items into dst
	maxBytes int64            // bound of a merged batch, in request bytes

	mu      sync.Mutex
	pending []*pendingData[D]
	running bool
}

type pendingData[D any] struct {
	data D
	size int64
	done chan error
}

// submit queues d (size bytes as received) and returns once the batch it
// went into is on the queue's disk, or why not.
func (c *coalescer[D]) submit(d D, size int64) error {
	r := &pendingData[D]{data: d, size: size, done: make(chan error, 1)}
	c.mu.Lock()
	c.pending = append(c.pending, r)
	if !c.running {
		c.running = true
		go c.run()
	}
	c.mu.Unlock()
	return <-r.done
}

// run writes batches until nothing is pending.
func (c *coalescer[D]) run() {
	for {
		batch := c.take()
		if batch == nil {
			return
		}
		d := batch[0].data
		for _, r := range batch[1:] {
			c.merge(d, r.data)
		}
		err := c.put(d)
		for _, r := range batch {
			r.done <- err
		}
	}
}

// take removes the next batch: whole requests up to maxBytes (at least
// one). Empty, it ends the run.
func (c *coalescer[D]) take() []*pendingData[D] {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) == 0 {
		c.running = false
		return nil
	}
	n, size := 0, int64(0)
	for n < len(c.pending) && (n == 0 || size+c.pending[n].size <= c.maxBytes) {
		size += c.pending[n].size
		n++
	}
	batch := c.pending[:n:n]
	c.pending = c.pending[n:]
	return batch
}
