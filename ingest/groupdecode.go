package ingest

import (
	"runtime"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/flowslo/flowslo/store"
)

// A group of OTLP entries (the queue in front of a ClickHouse server) is
// decoded and converted entry by entry on every core: one consumer
// goroutine per signal doing it alone bounded a collector at one core's
// worth of protobuf, however many it had. The result is the same as in
// one pass: parts are merged, and rows concatenated, in entry order.

// inParallel runs f(0) … f(n-1) on up to GOMAXPROCS goroutines and
// returns when all have.
func inParallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				f(i)
			}
		})
	}
	wg.Wait()
}

// entryDecoded is one OTLP entry of a group: its data and its rows, or why
// the group cannot go on (kind: not an OTLP entry) or the entry is
// dropped (bad: it does not parse).
type entryDecoded[D, R any] struct {
	data D
	rows []R
	kind error
	bad  error
}

// decodeEntries decodes and converts each of payloads in parallel, then
// takes them in order: merge moves an entry's data into the group's,
// and the rows are concatenated.
func decodeEntries[D, R any](s *sink, signal string, payloads [][]byte,
	decode func(otlp []byte) (D, []R, error), merge func(D)) ([]R, error) {
	out := make([]entryDecoded[D, R], len(payloads))
	inParallel(len(payloads), func(i int) {
		otlp, err := otlpPayload(payloads[i])
		if err != nil {
			out[i].kind = err
			return
		}
		out[i].data, out[i].rows, out[i].bad = decode(otlp)
	})
	n := 0
	for _, d := range out {
		n += len(d.rows)
	}
	all := make([]R, 0, n)
	for _, d := range out {
		switch {
		case d.kind != nil:
			return nil, d.kind
		case d.bad != nil:
			s.undecodable(signal, d.bad)
		default:
			merge(d.data)
			all = append(all, d.rows...)
		}
	}
	return all, nil
}

// traceEntry decodes one OTLP trace entry and converts it to rows.
func (s *sink) traceEntry(otlp []byte) (ptrace.Traces, []store.Span, error) {
	td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(otlp)
	if err != nil {
		return td, nil, err
	}
	rss := td.ResourceSpans()
	return td, spanRange(make([]store.Span, 0, td.SpanCount()), rss, 0, rss.Len(), noWindow(s.limits)), nil
}

// logEntry decodes one OTLP log entry and converts it to rows.
func (s *sink) logEntry(otlp []byte) (plog.Logs, []store.LogRecord, error) {
	ld, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(otlp)
	if err != nil {
		return ld, nil, err
	}
	rls := ld.ResourceLogs()
	return ld, logRange(make([]store.LogRecord, 0, ld.LogRecordCount()), rls, 0, rls.Len(), noWindow(s.limits)), nil
}
