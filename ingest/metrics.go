package ingest

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the pipeline's Prometheus series. "accepted" counts items
// acknowledged to clients as stored, "stored" the rows inserted; they agree
// unless a client gave up waiting after its rows were taken for insert.
// Items refused for their timestamps count as "rejected", never as accepted.
type metrics struct {
	accepted     *prometheus.CounterVec
	refused      *prometheus.CounterVec
	rejected     *prometheus.CounterVec
	duplicates   *prometheus.CounterVec
	stored       *prometheus.CounterVec
	droppedAttrs *prometheus.CounterVec
	splits       *prometheus.CounterVec
	dropped      *prometheus.CounterVec
	queueBytes   *prometheus.GaugeVec
	insertDur    *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	counter := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{"signal"})
	}
	m := &metrics{
		accepted: counter("flowslo_ingest_accepted_items_total",
			"Spans and log records acknowledged to OTLP clients after being stored."),
		refused: counter("flowslo_ingest_refused_items_total",
			"Spans and log records answered with an error (overload, failed insert, bad data)."),
		rejected: counter("flowslo_ingest_rejected_items_total",
			"Spans and log records refused by partial success (timestamp outside retention)."),
		duplicates: counter("flowslo_ingest_duplicate_items_total",
			"Spans and log records of retried requests already stored, acknowledged without a second insert."),
		stored: counter("flowslo_ingest_stored_items_total", "Rows inserted into otel_traces and otel_logs."),
		droppedAttrs: counter("flowslo_ingest_dropped_attributes_total",
			"Attributes dropped by the per-item attribute count limit."),
		splits: counter("flowslo_ingest_batch_splits_total",
			"Batches refused as bad data and split to isolate the requests that cause it."),
		dropped: counter("flowslo_ingest_dropped_items_total",
			"Spans and log records acknowledged from the persistent queue, then refused by the store as bad data (each batch logged with its cause)."),
		queueBytes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "flowslo_ingest_queue_bytes",
			Help: "Bytes of requests received and waiting to be stored, the batch being inserted included.",
		}, []string{"signal"}),
		insertDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "flowslo_ingest_insert_duration_seconds",
			Help:    "Duration of one batch insert into the store, failed attempts included.",
			Buckets: prometheus.ExponentialBuckets(0.002, 2, 14),
		}, []string{"signal", "result"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.accepted, m.refused, m.rejected, m.duplicates, m.stored,
		m.droppedAttrs, m.splits, m.dropped, m.queueBytes, m.insertDur} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// signalMetrics are the series of one signal, resolved once.
type signalMetrics struct {
	accepted, refused, rejected, duplicates, stored, droppedAttrs, splits, dropped prometheus.Counter
	queueBytes                                                                     prometheus.Gauge
	insertOK, insertErr                                                            prometheus.Observer
}

func (m *metrics) signal(name string) *signalMetrics {
	return &signalMetrics{
		accepted:     m.accepted.WithLabelValues(name),
		refused:      m.refused.WithLabelValues(name),
		rejected:     m.rejected.WithLabelValues(name),
		duplicates:   m.duplicates.WithLabelValues(name),
		stored:       m.stored.WithLabelValues(name),
		droppedAttrs: m.droppedAttrs.WithLabelValues(name),
		splits:       m.splits.WithLabelValues(name),
		dropped:      m.dropped.WithLabelValues(name),
		queueBytes:   m.queueBytes.WithLabelValues(name),
		insertOK:     m.insertDur.WithLabelValues(name, "ok"),
		insertErr:    m.insertDur.WithLabelValues(name, "error"),
	}
}

func (s *signalMetrics) observeInsert(d time.Duration, err error) {
	if err != nil {
		s.insertErr.Observe(d.Seconds())
		return
	}
	s.insertOK.Observe(d.Seconds())
}
