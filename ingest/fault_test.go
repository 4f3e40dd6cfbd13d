package ingest

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/flowslo/flowslo/store"
)

// TestFailingStoreIsRetryable checks that inserts failing past the retry
// deadline reach clients as retryable errors with a hint, never success,
// and that retries within the deadline turn a flaky insert into success.
func TestFailingStoreIsRetryable(t *testing.T) {
	var attempts atomic.Int64
	var failFirst atomic.Int64 // inserts to fail before succeeding
	failFirst.Store(1 << 30)
	rec := &recorder{}
	st := rec.store()
	record := st.insertSpans
	st.insertSpans = func(ctx context.Context, s []store.Span) error {
		if attempts.Add(1) <= failFirst.Load() {
			return errors.New("clickhouse is down")
		}
		return record(ctx, s)
	}
	p := startPipeline(t, st, func(o *Options) {
		o.RetryFor = 300 * time.Millisecond
		o.RetryAfter = 2 * time.Second
	})

	st2, err := grpcExport(t, p)
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("gRPC: got %v, want Unavailable", err)
	}
	if d := retryDelay(st2); d != 2*time.Second {
		t.Errorf("gRPC RetryInfo delay %v, want 2s", d)
	}
	if attempts.Load() < 2 {
		t.Errorf("%d insert attempts, want retries", attempts.Load())
	}

	resp := httpExport(t, p)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "2" {
		t.Errorf("HTTP: status %d Retry-After %q, want 503 and 2", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if n := len(rec.spanCounts()); n != 0 {
		t.Errorf("%d spans stored by a store that always fails", n)
	}

	// One failure, then success: retried inside the deadline, acknowledged.
	attempts.Store(0)
	failFirst.Store(1)
	if _, err := grpcExport(t, p); err != nil {
		t.Errorf("flaky insert not retried to success: %v", err)
	}
	if n := len(rec.spanCounts()); n != 1 {
		t.Errorf("stored %d spans after retry, want 1", n)
	}
}

// TestOverloadRefusedNotDropped fills a small queue behind a slow store:
// the overflow gets Unavailable with a hint, and everything acknowledged is
// stored.
func TestOverloadRefusedNotDropped(t *testing.T) {
	rec := &recorder{}
	st := rec.store()
	record := st.insertSpans
	st.insertSpans = func(ctx context.Context, s []store.Span) error {
		time.Sleep(300 * time.Millisecond)
		return record(ctx, s)
	}
	p := startPipeline(t, st, func(o *Options) {
		o.QueueBytes, o.MaxRequestBytes = 200_000, 100_000
	})
	ex := newExporters(t, p)

	var wg sync.WaitGroup
	var mu sync.Mutex
	acked, refused := map[string]bool{}, 0
	for b := range 10 {
		wg.Go(func() {
			spans := makeSpans(b, 400)
			err := ex.traceGRPC.ExportSpans(context.Background(), spans)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if !isUnavailableWithHint(err) {
					t.Errorf("overload error %v, want Unavailable with RetryInfo", err)
				}
				refused++
				return
			}
			for _, s := range spans {
				acked[spanIDOf(s)] = true
			}
		})
	}
	wg.Wait()
	if refused == 0 || len(acked) == 0 {
		t.Fatalf("refused %d requests and acknowledged %d spans; want both", refused, len(acked))
	}
	stored := rec.spanCounts()
	for id := range acked {
		if stored[id] != 1 {
			t.Errorf("acknowledged span %s stored %d times", id, stored[id])
		}
	}
}

func isUnavailableWithHint(err error) bool {
	st, ok := status.FromError(errors.Unwrap(err))
	if !ok {
		st, _ = status.FromError(err)
	}
	return st.Code() == codes.Unavailable && retryDelay(st) > 0
}

func grpcExport(t *testing.T, p *Pipeline) (*status.Status, error) {
	body, _ := oneSpan().MarshalProto()
	err := rawGRPCExport(t, p.GRPCAddr(), body)
	st, _ := status.FromError(err)
	return st, err
}

func httpExport(t *testing.T, p *Pipeline) *http.Response {
	body, _ := oneSpan().MarshalProto()
	resp, err := http.Post("http://"+p.HTTPAddr()+"/v1/traces", "application/x-protobuf", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func retryDelay(st *status.Status) time.Duration {
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			return ri.GetRetryDelay().AsDuration()
		}
	}
	return 0
}
