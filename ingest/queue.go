package ingest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"syscall"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/flowslo/flowslo/store"
)

// QueueOptions configure the persistent queue: with it, a request is
// acknowledged once it is on disk, and written to the store from there,
// retried until the store takes it. It is the collector's own: one
// exporterhelper exporter per signal whose sending queue lives in the
// contrib filestorage extension (bbolt files in Dir).
type QueueOptions struct {
	// Dir holds the queue's files; created if missing. Required.
	Dir string
	// MaxBytes bounds each signal's queue, in bytes of OTLP protobuf;
	// beyond it clients get 503 / Unavailable with Retry-After. Default
	// 1 GiB.
	MaxBytes int64
	// NoFSync skips the fsync after each write: a process crash still
	// loses nothing (the kernel has the pages), a machine crash may lose
	// what was acknowledged in its last seconds.
	NoFSync bool
	// Consumers is how many inserts per signal run at once. Default 2.
	Consumers int
}

func (q *QueueOptions) withDefaults() {
	setDefault(&q.MaxBytes, 1<<30)
	setDefault(&q.Consumers, 2)
}

// tokenKey is the client metadata key that carries a queued batch's
// insert_deduplication_token: the persistent queue stores a request's
// client metadata with it, so the token survives retries and restarts.
const tokenKey = "flowslo-insert-token"

var (
	queueID   = component.MustNewID("flowslo")
	storageID = component.MustNewIDWithName("file_storage", "flowslo_queue")
)

// diskQueue is the persistent queue of both signals.
type diskQueue struct {
	opts    QueueOptions
	storage extension.Extension
	traces  exporter.Traces
	logs    exporter.Logs
	depth   map[string]*sdkmetric.ManualReader // per signal: exporterhelper's queue_size
	// tracesIn and logsIn merge concurrent requests into one queued batch.
	tracesIn *coalescer[ptrace.Traces]
	logsIn   *coalescer[plog.Logs]

	mu       sync.Mutex
	refusing map[string]error // per signal: the last enqueue failed so, no success since
}

// sink is what the queue's consumers need of the pipeline: the store, the
// limits, the metrics and the health record.
type sink struct {
	store  store.TokenInserter
	limits Limits
	health *health
	log    *slog.Logger
	m      map[string]*signalMetrics
}

func newDiskQueue(o QueueOptions, tel component.TelemetrySettings, timeout time.Duration, maxRequest int64, s *sink) (*diskQueue, error) {
	q := &diskQueue{opts: o, depth: map[string]*sdkmetric.ManualReader{}, refusing: map[string]error{}}
	q.tracesIn = &coalescer[ptrace.Traces]{maxBytes: maxRequest,
		put: func(td ptrace.Traces) error {
			return q.enqueue("traces", func(ctx context.Context) error { return q.traces.ConsumeTraces(ctx, td) })
		},
		merge: func(dst, src ptrace.Traces) { src.ResourceSpans().MoveAndAppendTo(dst.ResourceSpans()) },
	}
	q.logsIn = &coalescer[plog.Logs]{maxBytes: maxRequest,
		put: func(ld plog.Logs) error {
			return q.enqueue("logs", func(ctx context.Context) error { return q.logs.ConsumeLogs(ctx, ld) })
		},
		merge: func(dst, src plog.Logs) { src.ResourceLogs().MoveAndAppendTo(dst.ResourceLogs()) },
	}
	var err error
	if q.storage, err = newFileStorage(o, tel); err != nil {
		return nil, err
	}
	tr, lr := sdkmetric.NewManualReader(), sdkmetric.NewManualReader()
	q.depth["traces"], q.depth["logs"] = tr, lr
	if q.traces, err = exporterhelper.NewTraces(context.Background(), exporterSettings(tel, tr), struct{}{},
		s.pushTraces, q.helperOptions(timeout)...); err != nil {
		return nil, fmt.Errorf("traces queue: %w", err)
	}
	if q.logs, err = exporterhelper.NewLogs(context.Background(), exporterSettings(tel, lr), struct{}{},
		s.pushLogs, q.helperOptions(timeout)...); err != nil {
		return nil, fmt.Errorf("logs queue: %w", err)
	}
	return q, nil
}

func newFileStorage(o QueueOptions, tel component.TelemetrySettings) (extension.Extension, error) {
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory, cfg.CreateDirectory, cfg.FSync = o.Dir, true, !o.NoFSync
	// Give back the space of a drained backlog: bbolt files never shrink
	// by themselves.
	cfg.Compaction.Directory, cfg.Compaction.OnStart, cfg.Compaction.OnRebound = o.Dir, true, true
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("queue dir %s: %w", o.Dir, err)
	}
	ext, err := f.Create(context.Background(), extension.Settings{ID: storageID, TelemetrySettings: tel,
		BuildInfo: component.NewDefaultBuildInfo()}, cfg)
	if err != nil {
		return nil, fmt.Errorf("queue storage: %w", err)
	}
	return ext, nil
}

// exporterSettings report the exporter's own metrics (the queue's size
// among them) to reader, where Depth reads them.
func exporterSettings(tel component.TelemetrySettings, reader *sdkmetric.ManualReader) exporter.Settings {
	tel.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	return exporter.Settings{ID: queueID, TelemetrySettings: tel, BuildInfo: component.NewDefaultBuildInfo()}
}

// helperOptions: a persistent queue sized in bytes, no batching (each
// queued request is inserted as it was queued, so its token always names
// the same rows), retries without end (the data is acknowledged: only
// the store refusing it as bad data ends its attempts).
func (q *diskQueue) helperOptions(timeout time.Duration) []exporterhelper.Option {
	qc := exporterhelper.NewDefaultQueueConfig()
	qc.Sizer = exporterhelper.RequestSizerTypeBytes
	qc.QueueSize = q.opts.MaxBytes
	qc.NumConsumers = q.opts.Consumers
	qc.StorageID = &storageID
	qc.Batch = configoptional.None[exporterhelper.BatchConfig]()
	retry := configretry.NewDefaultBackOffConfig()
	retry.InitialInterval, retry.MaxInterval, retry.MaxElapsedTime = 100*time.Millisecond, 5*time.Second, 0
	return []exporterhelper.Option{
		exporterhelper.WithQueue(configoptional.Some(qc)),
		exporterhelper.WithRetry(retry),
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{Timeout: timeout}),
	}
}

// start opens the storage, then the queues, which take up what an
// earlier run left in them.
func (q *diskQueue) start(ctx context.Context, h *host) error {
	if err := q.storage.Start(ctx, h); err != nil {
		return fmt.Errorf("start queue storage in %s: %w", q.opts.Dir, err)
	}
	h.extensions[storageID] = q.storage
	if err := q.traces.Start(ctx, h); err != nil {
		return fmt.Errorf("start traces queue: %w", err)
	}
	if err := q.logs.Start(ctx, h); err != nil {
		return fmt.Errorf("start logs queue: %w", err)
	}
	return nil
}

// shutdown stops the consumers (a batch being retried stays queued for
// the next start), then closes the storage.
func (q *diskQueue) shutdown(ctx context.Context) error {
	return errors.Join(q.traces.Shutdown(ctx), q.logs.Shutdown(ctx), q.storage.Shutdown(ctx))
}

// enqueue puts one request's data on its signal's queue under a fresh
// token. It returns once the data is on disk, or why it is not.
func (q *diskQueue) enqueue(signal string, put func(context.Context) error) error {
	ctx := client.NewContext(context.Background(), client.Info{
		Metadata: client.NewMetadata(map[string][]string{tokenKey: {newToken()}}),
	})
	err := q.diskLow()
	if err == nil {
		err = put(ctx)
	}
	if errors.Is(err, exporterhelper.ErrQueueIsFull) {
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
// requests are refused (503) instead of written. The queue's consumers
// write to the same files as they take requests (which are dispatched,
// which are done), and when such a write fails for a full disk
// exporterhelper drops the request it took: acknowledged, then lost
// (seen with a 3 MiB tmpfs: one request of 3000 spans). A var for tests.
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

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// Depth is the bytes queued for signal ("traces", "logs"), as the queue
// counts them (OTLP protobuf).
func (q *diskQueue) Depth(signal string) int64 {
	var rm metricdata.ResourceMetrics
	if err := q.depth[signal].Collect(context.Background(), &rm); err != nil {
		return 0
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if g, ok := m.Data.(metricdata.Gauge[int64]); ok && m.Name == "otelcol_exporter_queue_size" && len(g.DataPoints) > 0 {
				return g.DataPoints[0].Value
			}
		}
	}
	return 0
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

func (s *sink) pushTraces(ctx context.Context, td ptrace.Traces) error {
	rss := td.ResourceSpans()
	return s.push(ctx, "traces", tokenOf(ctx), 0, rss.Len(), func(ctx context.Context, token string, lo, hi int) (int, error) {
		rows := spanRange(nil, rss, lo, hi, noWindow(s.limits))
		return len(rows), s.store.InsertSpansOnce(ctx, token, rows)
	})
}

func (s *sink) pushLogs(ctx context.Context, ld plog.Logs) error {
	rls := ld.ResourceLogs()
	return s.push(ctx, "logs", tokenOf(ctx), 0, rls.Len(), func(ctx context.Context, token string, lo, hi int) (int, error) {
		rows := logRange(nil, rls, lo, hi, noWindow(s.limits))
		return len(rows), s.store.InsertLogsOnce(ctx, token, rows)
	})
}

// insertRange inserts the rows of a queued batch's resources [lo, hi)
// under token and says how many rows they were.
type insertRange func(ctx context.Context, token string, lo, hi int) (int, error)

// push inserts the resources [lo, hi) of one queued batch with token. A
// transient failure is returned for exporterhelper to retry the batch
// (halves stored already are then skipped by their tokens). A refusal as
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

// tokenOf is the token enqueue gave the request. A request queued without
// one (never by flowslo) gets a fresh one per attempt, so it is not
// deduplicated.
func tokenOf(ctx context.Context) string {
	if v := client.FromContext(ctx).Metadata.Get(tokenKey); len(v) == 1 && store.ValidToken(v[0]) {
		return v[0]
	}
	return newToken()
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
