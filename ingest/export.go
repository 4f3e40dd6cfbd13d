package ingest

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/flowslo/flowslo/store"
)

// decoded is a parsed request: how many items it holds and how to turn
// them into rows under a conversion.
type decoded[T any] struct {
	items  int
	toRows func(rows []T, c *conversion) []T
	// keep and put are the queued path's: keep leaves out of the request
	// the items c's window refuses, put queues what is left: body as it
	// came when raw (protobuf, nothing left out), else marshalled again
	// (size: the request's bytes, which bound how many requests one batch
	// merges).
	keep func(c *conversion)
	put  func(q *diskQueue, body []byte, raw bool, size int64) error
}

// signalPath is one signal's way from request bytes to stored rows and
// the answer the client gets: deduplication, memory check, parse, limits,
// the batcher, and the OTLP response.
type signalPath[T any] struct {
	name, items string // "traces", "spans"
	m           *signalMetrics
	batch       *batcher[T]
	seen        *dedup
	mem         *memGuard
	queue       *diskQueue // nil: acknowledge once stored, through batch
	// rowsIn and appendRow queue converted rows instead of OTLP, with a
	// store that encodes its rows (set with queue, or nil).
	rowsIn     *coalescer[*rowBatch]
	appendRow  func([]byte, *T) []byte
	limits     Limits
	retention  time.Duration
	retryAfter time.Duration
	decode     func(body []byte, json bool) (decoded[T], error)
	respond    func(rejected int64, message string, json bool) ([]byte, error)
	bufs       sync.Pool // *[]T
}

// export handles one request body and returns the encoded response, or a
// gRPC status error that both protocols turn into their answer.
func (s *signalPath[T]) export(ctx context.Context, body []byte, json bool) ([]byte, error) {
	fp := fingerprintOf(s.name, body)
	out, dup, lead, err := s.seen.begin(fp)
	if !lead {
		if err != nil {
			return nil, s.status(err)
		}
		if dup {
			s.m.duplicates.Inc()
		}
		return s.respond(out.rejected, out.message, json)
	}
	out, err = s.store(ctx, fp, body, json)
	if err != nil {
		return nil, s.status(err)
	}
	return s.respond(out.rejected, out.message, json)
}

// store runs a new request through to its insert. It calls seen.finish
// once the outcome is known, which for a client that hung up is after it
// returned.
func (s *signalPath[T]) store(ctx context.Context, fp fingerprint, body []byte, json bool) (outcome, error) {
	if err := s.mem.check(); err != nil {
		s.seen.finish(fp, outcome{}, err)
		return outcome{}, err
	}
	req, err := s.decode(body, json)
	if err != nil {
		err = malformed{err}
		s.seen.finish(fp, outcome{}, err)
		return outcome{}, err
	}
	if s.rowsIn != nil {
		return s.enqueueRows(fp, req, int64(len(body)))
	}
	if s.queue != nil {
		return s.enqueue(fp, req, body, json)
	}
	rows, out, bp := s.convert(req)
	if len(rows) == 0 {
		s.seen.finish(fp, out, nil)
		s.putBuf(bp, rows)
		return out, nil
	}
	done, err := s.batch.submit(rows, int64(len(body)))
	if err != nil {
		s.refused(len(rows))
		s.seen.finish(fp, out, err)
		s.putBuf(bp, rows)
		return out, err
	}
	finish := func(err error) {
		if err != nil {
			s.refused(len(rows))
		} else {
			s.m.accepted.Add(float64(len(rows)))
		}
		s.seen.finish(fp, out, err)
		s.putBuf(bp, rows)
	}
	select {
	case err := <-done:
		finish(err)
		return out, err
	case <-ctx.Done():
		go func() { finish(<-done) }()
		return out, status.FromContextError(ctx.Err()).Err()
	}
}

// convert turns a request into rows (in a pooled buffer, given back with
// putBuf) under the window and limits, and says what the client is told.
func (s *signalPath[T]) convert(req decoded[T]) ([]T, outcome, *[]T) {
	conv := newConversion(s.limits, s.name, s.retention, time.Now())
	bp := s.buf(req.items)
	rows := req.toRows((*bp)[:0], conv)
	out := outcome{rejected: conv.rejected, message: conv.rangeMessage(s.items)}
	s.m.rejected.Add(float64(conv.rejected))
	s.m.droppedAttrs.Add(float64(conv.droppedAttrs))
	if conv.droppedAttrs > 0 && out.message == "" {
		// A warning with nothing rejected, as OTLP partial success allows.
		out.message = fmt.Sprintf("%d attributes dropped over the limit of %d per item", conv.droppedAttrs, s.limits.AttributeCount)
	}
	return rows, out, bp
}

// enqueueRows acknowledges a request once its rows, converted and encoded
// for the store, are on the persistent queue.
func (s *signalPath[T]) enqueueRows(fp fingerprint, req decoded[T], size int64) (outcome, error) {
	rows, out, bp := s.convert(req)
	defer s.putBuf(bp, rows)
	var err error
	if len(rows) > 0 {
		b := &rowBatch{lens: make([]uint32, 0, len(rows)), body: make([]byte, 0, 2*size)}
		appendRows(b, rows, s.appendRow)
		err = s.rowsIn.submit(b, size)
	}
	s.settle(fp, out, len(rows), err)
	return out, err
}

// enqueue acknowledges a request once it is on the persistent queue,
// its out-of-window items left out and answered by partial success.
func (s *signalPath[T]) enqueue(fp fingerprint, req decoded[T], body []byte, json bool) (outcome, error) {
	conv := newConversion(s.limits, s.name, s.retention, time.Now())
	req.keep(conv)
	out := outcome{rejected: conv.rejected, message: conv.rangeMessage(s.items)}
	s.m.rejected.Add(float64(conv.rejected))
	n := req.items - int(conv.rejected)
	var err error
	if n > 0 {
		err = req.put(s.queue, body, !json && conv.rejected == 0, int64(len(body)))
	}
	s.settle(fp, out, n, err)
	return out, err
}

// settle counts a queued request's n items as accepted or refused and
// records its outcome for twins.
func (s *signalPath[T]) settle(fp fingerprint, out outcome, n int, err error) {
	if err != nil {
		s.refused(n)
	} else {
		s.m.accepted.Add(float64(n))
	}
	s.seen.finish(fp, out, err)
}

func (s *signalPath[T]) refused(n int) { s.m.refused.Add(float64(n)) }

func (s *signalPath[T]) buf(n int) *[]T {
	if b, ok := s.bufs.Get().(*[]T); ok && cap(*b) >= n {
		return b
	}
	b := make([]T, 0, n)
	return &b
}

// putBuf recycles a row slice once its insert is over.
func (s *signalPath[T]) putBuf(bp *[]T, rows []T) {
	clear(rows)
	*bp = rows[:0]
	s.bufs.Put(bp)
}

// malformed is a request that does not parse.
type malformed struct{ err error }

func (e malformed) Error() string { return "malformed request: " + e.err.Error() }

// status turns a refusal into the gRPC status both protocols answer with:
// InvalidArgument (HTTP 400) for what retrying cannot fix, Unavailable
// (HTTP 503) with a retry hint for the rest.
func (s *signalPath[T]) status(err error) error {
	var bad badData
	var mal malformed
	if _, ok := err.(interface{ GRPCStatus() *status.Status }); ok {
		return err
	}
	switch {
	case errors.As(err, &mal):
		return status.Error(codes.InvalidArgument, mal.Error())
	case errors.As(err, &bad):
		return status.Errorf(codes.InvalidArgument,
			"request refused by the store as bad data, do not retry it unchanged: %s", brief(bad.err))
	}
	msg := err.Error()
	if store.KindOf(err) == store.StorageFull {
		// What the client can act on; the exception is in the server's log.
		msg = "flowslo's storage is full or not writable (" + brief(err) + "): retry later"
	}
	st := status.New(codes.Unavailable, msg)
	detailed, derr := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(s.retryAfter)})
	if derr != nil {
		return st.Err()
	}
	return detailed.Err()
}

var (
	exceptionText = regexp.MustCompile(`DB::Exception: (.*?)(?:\. |$)`)
	exceptionName = regexp.MustCompile(`\(([A-Z][A-Z_]+)\)`)
)

// brief is the first sentence of a ClickHouse exception and its name
// ("Too many partitions for single INSERT block (more than 100)
// (TOO_MANY_PARTS)"): the rest is advice to server operators.
func brief(err error) string {
	msg := err.Error()
	m := exceptionText.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	out := m[1]
	if n := exceptionName.FindAllStringSubmatch(msg, -1); n != nil {
		out += " (" + n[len(n)-1][1] + ")"
	}
	return out
}
