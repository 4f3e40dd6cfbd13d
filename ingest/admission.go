package ingest

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// admission sits between the receiver and the rest of the pipeline. It
// counts what clients were told, and gives every retryable failure (queue
// full, memory limit, failed insert) a gRPC Unavailable status with
// RetryInfo; the receiver turns that into HTTP 503 with Retry-After.
type admission struct {
	retryAfter time.Duration
	accepted   prometheus.Counter
	refused    prometheus.Counter
	pending    *atomic.Int64
}

func newAdmission(m *metrics, signal string, pending *atomic.Int64, retryAfter time.Duration) admission {
	return admission{
		retryAfter: retryAfter,
		accepted:   m.accepted.WithLabelValues(signal),
		refused:    m.refused.WithLabelValues(signal),
		pending:    pending,
	}
}

// do runs consume for n items and answers as the receiver should.
func (a admission) do(n int, consume func() error) error {
	a.pending.Add(int64(n))
	err := consume()
	a.pending.Add(-int64(n))
	if err != nil {
		a.refused.Add(float64(n))
		return a.status(err)
	}
	a.accepted.Add(float64(n))
	return nil
}

func (a admission) status(err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	if consumererror.IsPermanent(err) {
		return err
	}
	st := status.New(codes.Unavailable, err.Error())
	detailed, derr := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(a.retryAfter)})
	if derr != nil {
		return errors.Join(err, derr)
	}
	return detailed.Err()
}

type tracesAdmission struct {
	admission
	next consumer.Traces
}

func (t *tracesAdmission) Capabilities() consumer.Capabilities { return t.next.Capabilities() }

func (t *tracesAdmission) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	return t.do(td.SpanCount(), func() error { return t.next.ConsumeTraces(ctx, td) })
}

type logsAdmission struct {
	admission
	next consumer.Logs
}

func (l *logsAdmission) Capabilities() consumer.Capabilities { return l.next.Capabilities() }

func (l *logsAdmission) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	return l.do(ld.LogRecordCount(), func() error { return l.next.ConsumeLogs(ctx, ld) })
}
