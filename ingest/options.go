package ingest

import (
	"errors"
	"fmt"
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

	// Retention is the store's retention (its TTL): spans and logs older
	// than that, or more than an hour ahead, are refused with partial
	// success instead of being stored and then deleted. Default
	// store.DefaultTTLDays days.
	Retention time.Duration
	// TracesRetention and LogsRetention, when set, are one signal's
	// retention instead of Retention (`storage.retention_traces`,
	// `storage.retention_logs`).
	TracesRetention, LogsRetention time.Duration
	// Limits bound attributes per item; defaults 128 attributes and
	// 8 KiB per value.
	Limits Limits
	// Tokens, when any, make both receivers require "Authorization:
	// Bearer <token>" with one of them (see ReadTokens).
	Tokens []string
	// TLSCertFile and TLSKeyFile, both set, serve both receivers over TLS.
	TLSCertFile, TLSKeyFile string

	// MaxRequestBytes bounds a request after decompression. Default 20 MiB.
	MaxRequestBytes int64
	// BatchMaxItems bounds the rows of one insert; requests are never
	// split, so a larger request is inserted alone. Default 50,000.
	BatchMaxItems int
	// QueueBytes bounds the bytes of requests (as received, after
	// decompression) waiting per signal, the batch being inserted
	// included; beyond it clients get a retryable error. Default 128 MiB.
	QueueBytes int64
	// InsertTimeout bounds one insert attempt on either driver. Default
	// 5 s: a healthy insert takes milliseconds, and shutdown must finish
	// one within its budget.
	InsertTimeout time.Duration
	// ReadTimeout bounds reading an OTLP HTTP request, headers and body
	// (headers alone: a third of it, at most 10 s): a client trickling
	// bytes must not hold a connection. Default 30 s.
	ReadTimeout time.Duration
	// RetryFor bounds retries of a transient insert failure before the
	// clients of the batch get a retryable error. Default 15 s.
	RetryFor time.Duration
	// RetryAfter is the hint given with retryable errors. Default 1 s.
	RetryAfter time.Duration
	// MemoryLimitMiB refuses new requests while the memory in use in the
	// process (the Go heap, and the embedded ClickHouse's own when the store
	// is embedded, see EngineMemory) exceeds it. Default 1024.
	MemoryLimitMiB uint32
	// DedupWindow is how long a stored request's fingerprint is kept, so
	// that a byte-identical retry is acknowledged without a second copy.
	// Default 10 minutes.
	DedupWindow time.Duration
	// Queue, when set, acknowledges requests once they are on the
	// persistent queue instead of once stored (see QueueOptions); the
	// store must take deduplication tokens (store.TokenInserter).
	Queue *QueueOptions
	// DedupMax bounds the fingerprints kept (about 100 bytes each);
	// beyond it the oldest are forgotten early. Default 200,000.
	DedupMax int
}

const mib = 1 << 20

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	setDefault(&o.Retention, store.DefaultTTLDays*24*time.Hour)
	setDefault(&o.TracesRetention, o.Retention)
	setDefault(&o.LogsRetention, o.Retention)
	setDefault(&o.Limits.AttributeCount, 128)
	setDefault(&o.Limits.ValueLength, 8<<10)
	setDefault(&o.MaxRequestBytes, 20*mib)
	setDefault(&o.BatchMaxItems, 50_000)
	setDefault(&o.QueueBytes, 128*mib)
	setDefault(&o.InsertTimeout, 5*time.Second)
	setDefault(&o.ReadTimeout, 30*time.Second)
	setDefault(&o.RetryFor, 15*time.Second)
	setDefault(&o.RetryAfter, time.Second)
	setDefault(&o.MemoryLimitMiB, 1024)
	setDefault(&o.DedupWindow, 10*time.Minute)
	setDefault(&o.DedupMax, 200_000)
	if o.Queue != nil {
		q := *o.Queue
		q.withDefaults()
		o.Queue = &q
	}
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
	if q := o.Queue; q != nil {
		if q.Dir == "" {
			errs = append(errs, errors.New("the persistent queue needs a directory (queue.dir)"))
		}
		if _, ok := o.Store.(store.TokenInserter); !ok && o.Store != nil {
			errs = append(errs, errors.New("the persistent queue needs a store that takes deduplication tokens"))
		}
		if q.MaxBytes < o.MaxRequestBytes {
			errs = append(errs, fmt.Errorf("queue.max_bytes %d is below the largest request (%d bytes): give at least that", q.MaxBytes, o.MaxRequestBytes))
		}
	}
	if o.QueueBytes < o.MaxRequestBytes {
		errs = append(errs, errors.New("queue bytes must be at least max request bytes"))
	}
	return errors.Join(errs...)
}

// checkInterval is how often the memory guard samples the process.
const checkInterval = 250 * time.Millisecond
