package ingest

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the pipeline's Prometheus series. "accepted" counts items
// acknowledged to clients, which (with acknowledge-after-insert) are stored;
// "stored" counts rows the exporter inserted, which may exceed accepted when a
// client gave up waiting after its batch was taken for insert.
type metrics struct {
	accepted  *prometheus.CounterVec
	refused   *prometheus.CounterVec
	stored    *prometheus.CounterVec
	insertDur *prometheus.HistogramVec
	// pending counts items received and not yet answered, per signal: the
	// depth of the exporter queue plus the batch being inserted.
	pendingSpans, pendingLogs atomic.Int64
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		accepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "flowslo_ingest_accepted_items_total",
			Help: "Spans and log records acknowledged to OTLP clients after being stored.",
		}, []string{"signal"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "flowslo_ingest_refused_items_total",
			Help: "Spans and log records answered with an error (overload, failed insert).",
		}, []string{"signal"}),
		stored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "flowslo_ingest_stored_items_total",
			Help: "Rows inserted into otel_traces and otel_logs.",
		}, []string{"signal"}),
		insertDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "flowslo_ingest_insert_duration_seconds",
			Help:    "Duration of one batch insert into the store, failed attempts included.",
			Buckets: prometheus.ExponentialBuckets(0.002, 2, 14),
		}, []string{"signal", "result"}),
	}
	queue := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "flowslo_ingest_queue_items",
		Help:        "Items received and waiting to be stored.",
		ConstLabels: prometheus.Labels{"signal": "traces"},
	}, func() float64 { return float64(m.pendingSpans.Load()) })
	queueLogs := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "flowslo_ingest_queue_items",
		Help:        "Items received and waiting to be stored.",
		ConstLabels: prometheus.Labels{"signal": "logs"},
	}, func() float64 { return float64(m.pendingLogs.Load()) })
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.accepted, m.refused, m.stored, m.insertDur, queue, queueLogs} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
