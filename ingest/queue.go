package ingest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/flowslo/flowslo/ingest/journal"
	"github.com/flowslo/flowslo/store"
)

// QueueOptions configure the persistent queue: with it, a request is
// acknowledged once it is on disk, and written to the store from there,
// retried until the store takes it. Each signal's queue is a journal
// (package ingest/journal) in its own directory under Dir.
type QueueOptions struct {
	// Dir holds the queue's files; created if missing. Required.
	Dir string
	// MaxBytes bounds each signal's queue, in bytes as queued (OTLP
	// protobuf, or the encoded rows with a row store); beyond it clients
	// get 503 / Unavailable with Retry-After. Default 1 GiB.
	MaxBytes int64
	// NoFSync skips the fsync after each write: a process crash still
	// loses nothing (the kernel has the pages), a machine crash may lose
	// what was acknowledged in its last seconds.
	NoFSync bool
	// InsertBytes bounds one insert from the queue, in queued bytes: an
	// insert takes every queued batch waiting, up to this. Default 8 MiB.
	InsertBytes int64
	// InsertLinger is the least time between two inserts of a signal
	// while less than a quarter of InsertBytes waits: what a steady flow
	// waits on disk, acknowledged, to be stored in fewer, larger inserts.
	// Default 250 ms.
	InsertLinger time.Duration
}

func (q *QueueOptions) withDefaults() {
	setDefault(&q.MaxBytes, 1<<30)
	setDefault(&q.InsertBytes, 8<<20)
	setDefault(&q.InsertLinger, 250*time.Millisecond)
}

// diskQueue is the persistent queue of both signals: per signal, a
// coalescer merging concurrent requests into one journal entry, the
// journal, and one consumer storing groups of entries.
type diskQueue struct {
	opts    QueueOptions
	timeout time.Duration // of one insert attempt
	sink    *sink
	traces  *journal.Journal
	logs    *journal.Journal
	// tracesIn and logsIn merge concurrent requests into one queued
	// batch of OTLP; tracesRows and logsRows, used instead with a row
	// store, into one batch of encoded rows.
	tracesIn   *coalescer[*otlpEntry]
	logsIn     *coalescer[*otlpEntry]
	tracesRows *coalescer[*rowBatch]
	logsRows   *coalescer[*rowBatch]

	stop      context.Context // ends the consumers
	cancel    context.CancelFunc
	hurry     context.Context // ends lingering (see linger): the queue drains
	hurryUp   context.CancelFunc
	consumers sync.WaitGroup

	mu       sync.Mutex
	refusing map[string]error // per signal: the last enqueue failed so, no success since
}

// sink is what the queue's consumers need of the pipeline: the store, the
// limits, the metrics and the health record.
type sink struct {
	store  store.TokenInserter
	rows   rowStore // store, when it takes rows it encodes (queued as rows); else nil
	limits Limits
	health *health
	log    *slog.Logger
	m      map[string]*signalMetrics
}

// retryMin and retryMax bound the wait between attempts at a group the
// store did not take.
const (
	retryMin = 100 * time.Millisecond
	retryMax = 5 * time.Second
)

func newDiskQueue(o QueueOptions, timeout time.Duration, maxRequest int64, s *sink) (*diskQueue, error) {
	if err := refuseOldQueue(o.Dir); err != nil {
		return nil, err
	}
	q := &diskQueue{opts: o, timeout: timeout, sink: s, refusing: map[string]error{}}
	q.stop, q.cancel = context.WithCancel(context.Background())
	q.hurry, q.hurryUp = context.WithCancel(q.stop)
	var err error
	jo := func(signal string) journal.Options {
		return journal.Options{MaxBytes: o.MaxBytes, NoFSync: o.NoFSync, Damaged: func(seq uint64, err error) {
			s.log.Error("queued batch damaged on disk: dropped after it was acknowledged", "signal", signal, "entry", seq, "cause", err)
		}}
	}
	if q.traces, err = journal.Open(filepath.Join(o.Dir, "traces"), jo("traces")); err != nil {
		return nil, fmt.Errorf("queue dir %s: %w", o.Dir, err)
	}
	if q.logs, err = journal.Open(filepath.Join(o.Dir, "logs"), jo("logs")); err != nil {
		return nil, errors.Join(fmt.Errorf("queue dir %s: %w", o.Dir, err), q.traces.Close())
	}
	q.buildCoalescers(maxRequest)
	return q, nil
}

// buildCoalescers makes each signal's coalescers: OTLP entries, and rows
// entries when the store is a row store.
func (q *diskQueue) buildCoalescers(maxRequest int64) {
	otlpTo := func(signal string, j *journal.Journal) *coalescer[*otlpEntry] {
		return &coalescer[*otlpEntry]{maxBytes: maxRequest,
			put:   func(e *otlpEntry) error { return q.enqueue(signal, j, e.b) },
			merge: func(dst, src *otlpEntry) { dst.b = append(dst.b, src.b[1:]...) },
		}
	}
	q.tracesIn, q.logsIn = otlpTo("traces", q.traces), otlpTo("logs", q.logs)
	rs := q.sink.rows
	if rs == nil {
		return
	}
	rowsTo := func(signal string, j *journal.Journal) *coalescer[*rowBatch] {
		return &coalescer[*rowBatch]{maxBytes: maxRequest,
			put:   func(b *rowBatch) error { return q.enqueue(signal, j, b.entry(rs.RowsFormat())) },
			merge: func(dst, src *rowBatch) { dst.merge(src) },
		}
	}
	q.tracesRows, q.logsRows = rowsTo("traces", q.traces), rowsTo("logs", q.logs)
}

// refuseOldQueue refuses a dir that holds the queue of an earlier
// flowslo (the OTel Collector's file storage): what it holds was
// acknowledged, and this version cannot read it.
func refuseOldQueue(dir string) error {
	old, _ := filepath.Glob(filepath.Join(dir, "exporter_*"))
	if len(old) == 0 {
		return nil
	}
	return fmt.Errorf("queue dir %s holds a queue written by an earlier flowslo (%s): run that version until its queue has drained (flowslo_ingest_persistent_queue_bytes 0), or remove those files to drop what they hold", dir, filepath.Base(old[0]))
}

// LeftQueued is how many bytes the queue in dir holds that were
// acknowledged and are not stored yet: 0 when dir holds no queue, an
// error when it holds an earlier flowslo's (which cannot be read). A
// flowslo started with its queue turned off must not ignore them (they
// would never be stored); it refuses to start instead (internal/app).
func LeftQueued(dir string) (int64, error) {
	if err := refuseOldQueue(dir); err != nil {
		return 0, err
	}
	var total int64
	for _, signal := range []string{"traces", "logs"} {
		d := filepath.Join(dir, signal)
		if _, err := os.Stat(d); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		j, err := journal.Open(d, journal.Options{MaxBytes: math.MaxInt64})
		if err != nil {
			return 0, fmt.Errorf("queue dir %s: %w", dir, err)
		}
		total += j.Pending()
		if err := j.Close(); err != nil {
			return 0, fmt.Errorf("queue dir %s: %w", dir, err)
		}
	}
	return total, nil
}

// start runs one consumer per signal, which first stores what an earlier
// run left queued.
func (q *diskQueue) start() {
	q.consume("traces", q.traces, q.sink.prepareTraces)
	q.consume("logs", q.logs, q.sink.prepareLogs)
}

// shutdown stores what is queued while the store takes it and ctx
// allows (keeping shutdownMargin), then stops the consumers (what is left
// stays queued for the next start, under the same tokens) and closes the
// journals.
func (q *diskQueue) shutdown(ctx context.Context) error {
	q.drain(ctx)
	q.cancel()
	stopped := make(chan struct{})
	go func() { q.consumers.Wait(); close(stopped) }()
	var err error
	select {
	case <-stopped:
	case <-ctx.Done():
		// An insert still running is left to end by its own deadline;
		// its group was not marked done, so it is stored again at the
		// next start and skipped if it landed.
		err = fmt.Errorf("queue consumers still inserting: %w", ctx.Err())
	}
	return errors.Join(err, q.traces.Close(), q.logs.Close())
}

// drain waits until both queues are empty, an insert fails (a store that
// is down would hold the shutdown to its end) or ctx's deadline is within
// drainMargin: the rest of the process still has to close in that time
// (seen: 8.8 s of a 10 s budget with 570 MB queued, at the old 0.5 s).
// Nothing signals a drained journal; shutdown polls.
func (q *diskQueue) drain(ctx context.Context) {
	q.hurryUp()
	deadline := time.Now().Add(untilDeadline(ctx, drainMargin))
	for q.traces.Pending()+q.logs.Pending() > 0 && q.sink.health.problem() == nil && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// drainMargin is kept of the shutdown budget after draining the queue.
const drainMargin = 2 * time.Second

// ready is a group of queued batches decoded and converted to rows,
// waiting for its insert.
type ready struct {
	g      journal.Group
	token  string
	parts  int // push splits a group refused as bad data by these (resources or rows)
	insert insertRange
}

// prepare decodes a group's payloads into one insert: how many parts push
// may split it into (resources or rows), and the insert of a range of
// them.
type prepare func(payloads [][]byte) (parts int, insert insertRange, err error)

// consume stores signal's journal group by group until the queue stops,
// in two steps that can overlap: one goroutine takes the next group
// (every batch waiting, up to InsertBytes) and converts it, the other
// inserts the group before under the token the journal gives its range,
// retried with backoff until the store takes it (or refuses it as bad
// data, which push settles), then marks it done.
//
// The next group is taken while an insert runs only when a large one
// (aheadBytes) waits already: under load converting it meanwhile keeps
// the store busy, while a light flow gets one large insert after the
// running one instead of a small one taken too early.
func (q *diskQueue) consume(signal string, j *journal.Journal, prep prepare) {
	// Unbuffered: one group converted waits while one is inserted, so a
	// backlog holds at most two groups of InsertBytes in memory.
	readyc := make(chan ready)
	var out atomic.Int32            // groups taken for the inserter and not yet stored
	freed := make(chan struct{}, 1) // an insert ended
	ahead := q.opts.InsertBytes / 4
	q.consumers.Go(func() {
		defer close(readyc)
		var taken time.Time // when the last group was taken
		for wait := retryMin; ; {
			for out.Load() > 0 && j.Waiting() < ahead && q.stop.Err() == nil {
				j.WaitBytes(q.stop, ahead, freed)
			}
			q.linger(j, taken, ahead)
			g, payloads, err := j.Next(q.stop, q.opts.InsertBytes)
			taken = time.Now()
			if q.stop.Err() != nil || errors.Is(err, journal.ErrClosed) {
				return
			}
			if err != nil {
				q.sink.log.Error("persistent queue: reading the next batches failed", "signal", signal, "error", err)
				q.sink.health.failed(signal, err)
				if !q.pause(&wait) {
					return
				}
				continue
			}
			wait = retryMin
			n, insert, ok := q.prepared(signal, prep, payloads)
			if !ok {
				return
			}
			out.Add(1)
			select {
			case readyc <- ready{g: g, token: j.Token(g), parts: n, insert: insert}:
			case <-q.stop.Done():
				return
			}
		}
	})
	q.consumers.Go(func() {
		for r := range readyc {
			ok := q.store(signal, r)
			out.Add(-1)
			select {
			case freed <- struct{}{}:
			default:
			}
			if !ok {
				return
			}
			if err := j.Done(r.g); err != nil && !errors.Is(err, journal.ErrClosed) {
				q.sink.log.Warn("persistent queue: recording a stored group failed; it is stored again after a restart, and skipped by its token",
					"signal", signal, "error", err)
			}
		}
	})
}

// linger waits, while less than ahead bytes wait, until InsertLinger has
// passed since the last group was taken: under a steady flow the queue
// makes a few large inserts a second instead of one per export. Each
// insert makes a part of some twenty files and a share of later merges,
// the same cost for 500 spans as for 50,000. After a quiet spell the
// first batch goes at once; a draining queue does not linger.
func (q *diskQueue) linger(j *journal.Journal, taken time.Time, ahead int64) {
	d := time.Until(taken.Add(q.opts.InsertLinger))
	if d <= 0 || j.Waiting() >= ahead || q.hurry.Err() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(q.hurry, d)
	defer cancel()
	j.WaitBytes(ctx, ahead, nil)
}

// prepared runs prep until it succeeds; false when the queue stops
// first. A group this flowslo cannot insert (rows in another encoding)
// is kept, and said, until someone drains it: the same group, for a
// group is never skipped.
func (q *diskQueue) prepared(signal string, prep prepare, payloads [][]byte) (int, insertRange, bool) {
	for wait := retryMin; ; {
		n, insert, err := prep(payloads)
		if err == nil {
			return n, insert, true
		}
		q.sink.log.Error("persistent queue: cannot insert the next batches", "signal", signal, "error", err)
		q.sink.health.failed(signal, err)
		if !q.pause(&wait) {
			return 0, nil, false
		}
	}
}

// store inserts r until the store takes it; false when the queue stops
// first.
func (q *diskQueue) store(signal string, r ready) bool {
	for wait := retryMin; ; {
		if q.stop.Err() != nil {
			return false
		}
		ctx, cancel := context.WithTimeout(q.stop, q.timeout)
		err := q.sink.push(ctx, signal, r.token, 0, r.parts, r.insert)
		cancel()
		if err == nil {
			return true
		}
		if !q.pause(&wait) {
			return false
		}
	}
}

// pause waits *wait, doubling it up to retryMax; false when the queue
// stops first.
func (q *diskQueue) pause(wait *time.Duration) bool {
	select {
	case <-q.stop.Done():
		return false
	case <-time.After(*wait):
	}
	*wait = min(2**wait, retryMax)
	return true
}

// enqueue appends one batch to its signal's journal. It returns once the
// data is on disk, or why it is not.
func (q *diskQueue) enqueue(signal string, j *journal.Journal, payload []byte) error {
	err := q.diskLow()
	if err != nil && j.Trim() { // the disk its stored tail held is back
		err = q.diskLow()
	}
	if err != nil && int64(len(payload))+64 <= j.Ahead() {
		err = nil // it goes into zeros the journal wrote ahead: no disk taken
	}
	if err == nil {
		err = j.Append(payload)
	}
	var full *journal.ErrFull
	if errors.As(err, &full) {
		err = errQueueFull{q.opts.MaxBytes}
	}
	q.mu.Lock()
	if err != nil {
		q.refusing[signal] = err
	} else {
		delete(q.refusing, signal)
	}
	q.mu.Unlock()
	return err
}

// diskReserve is the free space the queue's filesystem keeps: below it
// requests are refused (503) instead of written, so the consumers can
// still record the groups they insert and those stored (an append that
// fails for a full disk is cut off and refused, never acknowledged, but a
// consumer that cannot record a group waits until there is room). A var
// for tests.
var diskReserve uint64 = 64 << 20

// errDiskLow is a retryable refusal: the queue's disk is almost full.
type errDiskLow struct{ free, reserve uint64 }

func (e errDiskLow) Error() string {
	return fmt.Sprintf("ingest queue disk almost full (%d MiB free, %d MiB kept free): retry later", e.free/mib, e.reserve/mib)
}

// diskLow says whether the queue's filesystem has less than diskReserve
// free (one statfs; an error to read it is no refusal).
func (q *diskQueue) diskLow() error {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(q.opts.Dir, &fs); err != nil {
		return nil
	}
	if free := fs.Bavail * uint64(fs.Bsize); free < diskReserve {
		return errDiskLow{free, diskReserve}
	}
	return nil
}

// Depth is the bytes queued for signal ("traces", "logs") and not yet
// stored.
func (q *diskQueue) Depth(signal string) int64 {
	if signal == "logs" {
		return q.logs.Pending()
	}
	return q.traces.Pending()
}

// problem says why a signal's queue takes no requests: it refused the
// latest one (full, or its disk failing) and, if full, is still more than
// half full. A queue that accepts is ready even while the store is down:
// buffering that outage is what it is for.
func (q *diskQueue) problem() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	var errs []error
	for _, signal := range []string{"traces", "logs"} {
		err, ok := q.refusing[signal]
		if !ok {
			continue
		}
		var full errQueueFull
		depth := q.Depth(signal)
		if errors.As(err, &full) && depth <= q.opts.MaxBytes/2 {
			continue
		}
		errs = append(errs, fmt.Errorf("%s queue refusing requests (%d of %d MiB queued): %w",
			signal, depth/mib, q.opts.MaxBytes/mib, err))
	}
	return errors.Join(errs...)
}

// noWindow admits every timestamp: a queued request's items were checked
// against the window when it was received.
func noWindow(lim Limits) *conversion {
	return &conversion{lim: lim, maxTime: math.MaxUint64}
}

// prepareTraces makes one insert of a group's trace entries: with a row
// store, the rows concatenated (OTLP entries converted and encoded first),
// split by rows if refused as bad data; otherwise the OTLP batches merged
// and converted, split by resource.
func (s *sink) prepareTraces(payloads [][]byte) (int, insertRange, error) {
	if rs := s.rows; rs != nil {
		b, err := rowsGroup(s, "traces", payloads, rs.RowsFormat(), s.otlpSpans, rs.AppendSpanRow)
		if err != nil {
			return 0, nil, err
		}
		return len(b.lens), b.rowRanges(rs.InsertSpanRowsOnce), nil
	}
	td := ptrace.NewTraces()
	all, err := decodeEntries(s, "traces", payloads, s.traceEntry, func(part ptrace.Traces) {
		part.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	})
	if err != nil {
		return 0, nil, err
	}
	rss := td.ResourceSpans()
	return rss.Len(), func(ctx context.Context, token string, lo, hi int) (int, error) {
		rows := all
		if lo != 0 || hi != rss.Len() {
			rows = spanRange(nil, rss, lo, hi, noWindow(s.limits))
		}
		return len(rows), s.store.InsertSpansOnce(ctx, token, rows)
	}, nil
}

// prepareLogs is prepareTraces for logs.
func (s *sink) prepareLogs(payloads [][]byte) (int, insertRange, error) {
	if rs := s.rows; rs != nil {
		b, err := rowsGroup(s, "logs", payloads, rs.RowsFormat(), s.otlpLogs, rs.AppendLogRow)
		if err != nil {
			return 0, nil, err
		}
		return len(b.lens), b.rowRanges(rs.InsertLogRowsOnce), nil
	}
	ld := plog.NewLogs()
	all, err := decodeEntries(s, "logs", payloads, s.logEntry, func(part plog.Logs) {
		part.ResourceLogs().MoveAndAppendTo(ld.ResourceLogs())
	})
	if err != nil {
		return 0, nil, err
	}
	rls := ld.ResourceLogs()
	return rls.Len(), func(ctx context.Context, token string, lo, hi int) (int, error) {
		rows := all
		if lo != 0 || hi != rls.Len() {
			rows = logRange(nil, rls, lo, hi, noWindow(s.limits))
		}
		return len(rows), s.store.InsertLogsOnce(ctx, token, rows)
	}, nil
}

// otlpPayload is an OTLP entry's protobuf; a rows entry, which only a row
// store can insert, is an error that says how to drain it.
func otlpPayload(p []byte) ([]byte, error) {
	if len(p) > 0 && p[0] == entryOTLP {
		return p[1:], nil
	}
	return nil, errors.New("the queue holds rows encoded for the embedded store: run flowslo with the embedded store on this queue dir until it has drained")
}

// otlpSpans converts an OTLP entry's protobuf to rows.
func (s *sink) otlpSpans(otlp []byte) ([]store.Span, error) {
	_, rows, err := s.traceEntry(otlp)
	return rows, err
}

// otlpLogs converts an OTLP entry's protobuf to rows.
func (s *sink) otlpLogs(otlp []byte) ([]store.LogRecord, error) {
	_, rows, err := s.logEntry(otlp)
	return rows, err
}

// rowsGroup concatenates a group's entries as rows for a row store: rows
// entries as they are, OTLP entries (queued by a flowslo before, or while
// the store was another) converted and encoded. Rows in another format
// are an error: inserting them would store garbage.
func rowsGroup[T any](s *sink, signal string, payloads [][]byte, format byte,
	fromOTLP func([]byte) ([]T, error), appendRow func([]byte, *T) []byte) (*rowBatch, error) {
	b := &rowBatch{}
	for _, p := range payloads {
		switch {
		case len(p) > 0 && p[0] == entryRows:
			if err := parseRows(b, p[1:], format); err != nil {
				if errors.Is(err, errRowsFormat) {
					return nil, err
				}
				s.undecodable(signal, err)
			}
		case len(p) > 0 && p[0] == entryOTLP:
			rows, err := fromOTLP(p[1:])
			if err != nil {
				s.undecodable(signal, err)
				continue
			}
			appendRows(b, rows, appendRow)
		default:
			s.undecodable(signal, errors.New("unknown entry kind"))
		}
	}
	return b, nil
}

// undecodable reports a queued batch that passed its checksum and does not
// parse: written by this process from parsed data, so never expected.
func (s *sink) undecodable(signal string, err error) {
	s.m[signal].dropped.Inc()
	s.log.Error("queued batch does not parse: dropped after it was acknowledged", "signal", signal, "cause", err)
}

// insertRange inserts the rows of a queued batch's resources [lo, hi)
// under token and says how many rows they were.
type insertRange func(ctx context.Context, token string, lo, hi int) (int, error)

// push inserts the resources [lo, hi) of one group of queued batches with
// token. A transient failure is returned for the consumer to retry the
// group (halves stored already are then skipped by their tokens). A refusal as
// bad data of several resources (several clients' requests, merged) is
// split in halves, each with a token derived from token, so the same
// halves always carry the same tokens; a lone resource refused so was
// acknowledged to its client already and cannot be refused any more: it
// is counted (flowslo_ingest_dropped_items_total) and logged with its
// cause.
func (s *sink) push(ctx context.Context, signal, token string, lo, hi int, insert insertRange) error {
	m := s.m[signal]
	start := time.Now()
	n, err := insert(ctx, token, lo, hi)
	if n == 0 {
		return nil
	}
	m.observeInsert(time.Since(start), err)
	switch {
	case err == nil:
		s.health.ok(signal)
		m.stored.Add(float64(n))
		return nil
	case store.KindOf(err) == store.BadData && hi-lo > 1:
		m.splits.Inc()
		mid := lo + (hi-lo)/2
		return errors.Join(s.push(ctx, signal, token+"-0", lo, mid, insert), s.push(ctx, signal, token+"-1", mid, hi, insert))
	case store.KindOf(err) == store.BadData:
		m.dropped.Add(float64(n))
		s.log.Error("queued batch refused by the store as bad data: dropped after it was acknowledged",
			"signal", signal, "items", n, "token", token, "cause", brief(err))
		return nil
	}
	s.health.failed(signal, err)
	return fmt.Errorf("insert %d %s: %w", n, signal, err)
}

// keepSpans removes from td the spans c's window refuses, counting them
// as spansToRows does: the queue then holds only what will be stored.
func keepSpans(td ptrace.Traces, c *conversion) {
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			ss.Spans().RemoveIf(func(s ptrace.Span) bool {
				switch {
				case !c.inWindow(s.StartTimestamp()):
					c.rejected++
					return true
				case !c.validEnd(s.StartTimestamp(), s.EndTimestamp()):
					c.rejected++
					c.badEnd++
					return true
				}
				return false
			})
		}
	}
}

// keepLogs removes from ld the log records c's window refuses.
func keepLogs(ld plog.Logs, c *conversion) {
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			sl.LogRecords().RemoveIf(func(r plog.LogRecord) bool {
				if !c.inWindow(logTime(r)) {
					c.rejected++
					return true
				}
				return false
			})
		}
	}
}
