package ingest

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// TestRetriedRequestStoredOnce replays what a client does when its
// deadline passes while the insert completes: it resends the same bytes.
// The resend arrives while the first copy is still being stored, and again
// after; over gRPC and over HTTP, on the real store, each span is stored once.
func TestRetriedRequestStoredOnce(t *testing.T) {
	st := newGatedStore(openCHDB(t))
	p := startPipeline(t, st, nil)
	req := ptraceotlp.NewExportRequest()
	if err := req.UnmarshalProto(spansProto(t, makeSpans(0, 5))); err != nil {
		t.Fatal(err)
	}
	body, _ := req.MarshalProto() // the bytes the gRPC client sends

	cc, err := grpc.NewClient(p.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	client := ptraceotlp.NewGRPCClient(cc)

	// The first attempt's client gives up while its insert is held.
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { _, err := client.Export(ctx, req); first <- err }()
	<-st.entered
	cancel()
	if err := <-first; status.Code(err) != codes.Canceled {
		t.Fatalf("first attempt: %v, want Canceled", err)
	}
	// The retry arrives while the first copy is still being inserted.
	retry := make(chan error, 1)
	go func() { _, err := client.Export(context.Background(), req); retry <- err }()
	waitFlights(t, p, 1)
	close(st.release)
	if err := <-retry; err != nil {
		t.Fatalf("retry: %v", err)
	}
	// And once more after it was stored, over both protocols.
	if _, err := client.Export(context.Background(), req); err != nil {
		t.Fatalf("late retry: %v", err)
	}
	resp, err := http.Post("http://"+p.HTTPAddr()+"/v1/traces", protoType, bytes.NewReader(body))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP retry: %v %v", resp, err)
	}
	resp.Body.Close()

	counts := countRows(t, st, "otel_traces", "SpanId")
	for _, s := range makeSpans(0, 5) {
		if n := counts[spanIDOf(s)]; n != 1 {
			t.Errorf("span %s stored %d times, want once", spanIDOf(s), n)
		}
	}
	if n := testutil.ToFloat64(p.m.duplicates.WithLabelValues("traces")); n != 3 {
		t.Errorf("%v duplicates counted, want 3", n)
	}
}

// waitFlights waits until n requests wait for an identical one in flight.
func waitFlights(t *testing.T, p *Pipeline, n int) {
	t.Helper()
	for p.traces.seen.waiting() < n {
		time.Sleep(time.Millisecond)
	}
}
