package ingest

import (
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/flowslo/flowslo/store"
)

// Options configure a Pipeline. Zero values take the defaults noted.
type Options struct {
	// GRPCAddr and HTTPAddr are the OTLP listen addresses; ":0" picks a
	// free port (see Pipeline.GRPCAddr). Empty disables that protocol.
	GRPCAddr, HTTPAddr string
	// Store receives the rows. Required.
	Store store.Store
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Registerer gets the pipeline's metrics; nil registers nothing.
	Registerer prometheus.Registerer

	// Tokens, when any, make both receivers require "Authorization:
	// Bearer <token>" with one of them (see ReadTokens).
	Tokens []string
	// TLSCertFile and TLSKeyFile, both set, serve both receivers over TLS.
	TLSCertFile, TLSKeyFile string

	// MaxRequestBytes bounds a request after decompression. Default 20 MiB.
	MaxRequestBytes int64
	// BatchMinItems starts an insert once a batch holds that many items;
	// BatchMaxItems splits larger ones. Defaults 20,000 and 50,000.
	BatchMinItems, BatchMaxItems int
	// FlushTimeout inserts a smaller batch after this wait. Default 200 ms:
	// with 100 ms, batches under load were cut at ~16k items while the
	// previous insert still ran, making more parts for the same data.
	FlushTimeout time.Duration
	// QueueItems bounds the items waiting per signal, the batch being
	// inserted included; beyond it clients get a retryable error.
	// Default 400,000.
	QueueItems int
	// Inserters is the number of batches per signal converted and handed
	// to the store at once. Default 1: while one batch inserts, the next
	// one fills. More did not store faster on two cores: the embedded store
	// runs the inserts of a table in turn, and a batch queued there holds
	// clients whose data would otherwise make the next batch larger (fewer,
	// larger parts are what makes ClickHouse inserts cheap).
	Inserters int
	// InsertTimeout bounds one insert attempt. Default 30 s.
	InsertTimeout time.Duration
	// RetryFor bounds retries of a failed insert before the clients of the
	// batch get a retryable error. Default 15 s.
	RetryFor time.Duration
	// RetryAfter is the hint given with retryable errors. Default 1 s.
	RetryAfter time.Duration
	// MemoryLimitMiB refuses data when the Go heap exceeds it; 0 uses 80%
	// of the machine's (or cgroup's) memory.
	MemoryLimitMiB uint32
}

const mib = 1 << 20

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	setDefault(&o.MaxRequestBytes, 20*mib)
	setDefault(&o.BatchMinItems, 20_000)
	setDefault(&o.BatchMaxItems, 50_000)
	setDefault(&o.FlushTimeout, 200*time.Millisecond)
	setDefault(&o.QueueItems, 400_000)
	setDefault(&o.Inserters, 1)
	setDefault(&o.InsertTimeout, 30*time.Second)
	setDefault(&o.RetryFor, 15*time.Second)
	setDefault(&o.RetryAfter, time.Second)
	return o
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Validate reports every problem at once.
func (o Options) Validate() error {
	var errs []error
	if o.Store == nil {
		errs = append(errs, errors.New("store is required"))
	}
	if o.GRPCAddr == "" && o.HTTPAddr == "" {
		errs = append(errs, errors.New("at least one of grpc and http address is required"))
	}
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		errs = append(errs, errors.New("give both the TLS certificate and key files, or neither"))
	}
	if o.BatchMaxItems < o.BatchMinItems {
		errs = append(errs, errors.New("batch max items must be at least batch min items"))
	}
	if o.QueueItems < o.BatchMaxItems {
		errs = append(errs, errors.New("queue items must be at least batch max items"))
	}
	return errors.Join(errs...)
}

// checkInterval is how often the memory limiter samples the heap; the
// collector recommends about one second, shorter reacts to bursts sooner.
const checkInterval = 250 * time.Millisecond
