package ingest

import (
	"crypto/sha256"
	"sync"
	"time"
)

// fingerprint identifies a request by its bytes (after decompression) and
// its signal.
type fingerprint [16]byte

func fingerprintOf(signal string, body []byte) fingerprint {
	h := sha256.New()
	h.Write([]byte(signal))
	h.Write([]byte{0})
	h.Write(body)
	var fp fingerprint
	copy(fp[:], h.Sum(nil))
	return fp
}

// outcome is what a stored request was told, given again to its retries.
type outcome struct {
	rejected int64
	message  string
}

// dedup remembers the requests stored in the last window, so a client that
// resends the same bytes (its deadline passed while the insert completed)
// is acknowledged without a second copy. A retry that arrives while the
// first copy is still being stored waits for that copy's answer.
//
// It is memory only: a retry that reaches a restarted process, or another
// collector replica, is stored again.
type dedup struct {
	window time.Duration
	max    int

	mu       sync.Mutex
	stored   map[fingerprint]outcome
	order    []stamped // stored, oldest first
	inflight map[fingerprint]*flight
}

type stamped struct {
	fp fingerprint
	at time.Time
}

// flight is a request being stored; duplicates wait for done.
type flight struct {
	done    chan struct{}
	waiters int
	out     outcome
	err     error
}

// waiting counts the requests waiting for an identical one in flight.
func (d *dedup) waiting() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, f := range d.inflight {
		n += f.waiters
	}
	return n
}

func newDedup(window time.Duration, max int) *dedup {
	return &dedup{window: window, max: max, stored: map[fingerprint]outcome{}, inflight: map[fingerprint]*flight{}}
}

// begin returns the outcome of an identical request stored within the
// window (dup true), or waits for an identical request in flight and
// returns its answer, or registers this request as in flight (lead true):
// the caller stores it and calls finish.
func (d *dedup) begin(fp fingerprint) (out outcome, dup, lead bool, err error) {
	d.mu.Lock()
	d.expire(time.Now())
	if o, ok := d.stored[fp]; ok {
		d.mu.Unlock()
		return o, true, false, nil
	}
	if f, ok := d.inflight[fp]; ok {
		f.waiters++
		d.mu.Unlock()
		<-f.done
		return f.out, f.err == nil, false, f.err
	}
	d.inflight[fp] = &flight{done: make(chan struct{})}
	d.mu.Unlock()
	return outcome{}, false, true, nil
}

// finish records the lead request's answer; a stored one is remembered.
func (d *dedup) finish(fp fingerprint, out outcome, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f := d.inflight[fp]
	delete(d.inflight, fp)
	if err == nil {
		d.stored[fp] = out
		d.order = append(d.order, stamped{fp, time.Now()})
		if len(d.order) > d.max {
			d.evict()
		}
	}
	f.out, f.err = out, err
	close(f.done)
}

func (d *dedup) expire(now time.Time) {
	for len(d.order) > 0 && now.Sub(d.order[0].at) > d.window {
		d.evict()
	}
}

func (d *dedup) evict() {
	delete(d.stored, d.order[0].fp)
	d.order[0] = stamped{}
	d.order = d.order[1:] // append reallocates from here, dropping the prefix
}
