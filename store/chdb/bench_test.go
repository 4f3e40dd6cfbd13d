package chdb_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb"
	"github.com/flowslo/flowslo/store/storetest"
)

// BenchmarkInsertSpans measures spans/s stored, Go encoding included, for
// the RowBinary path InsertSpans uses and for JSONEachRow.
func BenchmarkInsertSpans(b *testing.B) {
	for _, batch := range []int{10_000, 50_000} {
		spans := storetest.Spans(batch, time.Now().Add(-time.Hour), 1)
		for _, par := range []int{1, 2} {
			b.Run(fmt.Sprintf("RowBinary/batch=%d/callers=%d", batch, par), func(b *testing.B) {
				s := openTest(b, chdb.Options{})
				defer s.Close()
				benchInsertParallel(b, batch, par, func() error { return s.InsertSpans(context.Background(), spans) })
			})
		}
		b.Run(fmt.Sprintf("JSONEachRow/batch=%d", batch), func(b *testing.B) {
			s := openTest(b, chdb.Options{})
			defer s.Close()
			var buf []byte
			benchInsert(b, batch, func() error {
				buf = buf[:0]
				for i := range spans {
					buf = appendSpanJSON(buf, &spans[i])
				}
				return s.InsertRaw(context.Background(), "INSERT INTO "+store.SpansIngestTable, "JSONEachRow", buf)
			})
		})
	}
}

// benchInsertParallel runs insert from par goroutines, as the ingest
// pipeline's concurrent exporters do, b.N batches in all.
func benchInsertParallel(b *testing.B, batch, par int, insert func() error) {
	b.ReportAllocs()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range par {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				if err := insert(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "spans/s")
}

func benchInsert(b *testing.B, batch int, insert func() error) {
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		if err := insert(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "spans/s")
}

func appendSpanJSON(b []byte, s *store.Span) []byte {
	b = append(b, `{"Timestamp":`...)
	b = appendJSONTime(b, s.Timestamp)
	for _, f := range []struct{ k, v string }{
		{"TraceId", s.TraceID}, {"SpanId", s.SpanID}, {"ParentSpanId", s.ParentSpanID},
		{"TraceState", s.TraceState}, {"SpanName", s.SpanName}, {"SpanKind", s.SpanKind},
		{"ServiceName", s.ServiceName}, {"ScopeName", s.ScopeName}, {"ScopeVersion", s.ScopeVersion},
		{"StatusCode", s.StatusCode}, {"StatusMessage", s.StatusMessage},
	} {
		b = append(append(append(b, ",\""...), f.k...), "\":"...)
		b = strconv.AppendQuote(b, f.v)
	}
	b = append(b, `,"ResourceAttributes":`...)
	b = appendJSONMap(b, s.ResourceAttributes)
	b = append(b, `,"SpanAttributes":`...)
	b = appendJSONMap(b, s.SpanAttributes)
	b = append(b, `,"Duration":`...)
	b = strconv.AppendInt(b, int64(s.Duration), 10)
	b = append(b, `,"Events.Timestamp":[`...)
	for i, e := range s.Events {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONTime(b, e.Timestamp)
	}
	b = append(b, `],"Events.Name":[`...)
	for i, e := range s.Events {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, e.Name)
	}
	b = append(b, `],"Events.Attributes":[`...)
	for i, e := range s.Events {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONMap(b, e.Attributes)
	}
	return append(b, "]}\n"...)
}

// appendJSONTime writes seconds.nanoseconds, which DateTime64(9) parses.
func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = strconv.AppendInt(b, t.Unix(), 10)
	b = append(b, '.')
	b = append(b, fmt.Sprintf("%09d", t.Nanosecond())...)
	return append(b, '"')
}

// appendJSONMap quotes with strconv: the fixture values are plain ASCII, so
// Go and JSON quoting agree.
func appendJSONMap(b []byte, m map[string]string) []byte {
	b = append(b, '{')
	first := true
	for k, v := range m {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = strconv.AppendQuote(b, k)
		b = append(b, ':')
		b = strconv.AppendQuote(b, v)
	}
	return append(b, '}')
}

// BenchmarkInsertUsageProjection is what store.UsageProjection costs
// ingest: the RowBinary path with the projection (as migrated) and with
// it dropped, in the same run (-count interleaves the two).
func BenchmarkInsertUsageProjection(b *testing.B) {
	const batch = 50_000
	spans := storetest.Spans(batch, time.Now().Add(-time.Hour), 1)
	for _, with := range []bool{true, false} {
		b.Run(fmt.Sprintf("projection=%v", with), func(b *testing.B) {
			s := openTest(b, chdb.Options{})
			defer s.Close()
			if !with {
				if err := s.Exec(context.Background(), "ALTER TABLE otel_traces DROP PROJECTION "+store.UsageProjection, nil); err != nil {
					b.Fatal(err)
				}
			}
			benchInsert(b, batch, func() error { return s.InsertSpans(context.Background(), spans) })
		})
	}
}
