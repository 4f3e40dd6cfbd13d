package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
)

// TestBadInputRefused sends malformed and oversized requests between good
// ones and checks each refusal, that nothing of them is stored, and that the
// pipeline keeps serving with earlier data intact.
func TestBadInputRefused(t *testing.T) {
	rec := &recorder{}
	p := startPipeline(t, rec.store(), nil)
	ex := newExporters(t, p)
	if err := ex.traceGRPC.ExportSpans(context.Background(), makeSpans(0, 100)); err != nil {
		t.Fatal(err)
	}

	url := "http://" + p.HTTPAddr() + "/v1/traces"
	big := bigTracesJSON(t, 21<<20)
	cases := []struct {
		name, contentType, encoding string
		body                        []byte
		want                        int
	}{
		{"malformed protobuf", "application/x-protobuf", "", []byte("\x0a\x05ab"), http.StatusBadRequest},
		{"malformed json", "application/json", "", []byte(`{"resourceSpans": [`), http.StatusBadRequest},
		{"oversized", "application/json", "", big, http.StatusRequestEntityTooLarge},
		{"oversized gzip", "application/json", "gzip", gzipped(t, big), http.StatusRequestEntityTooLarge},
		{"gzip bomb", "application/x-protobuf", "gzip", gzippedZeros(t, 1<<30), http.StatusRequestEntityTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(c.body))
			req.Header.Set("Content-Type", c.contentType)
			if c.encoding != "" {
				req.Header.Set("Content-Encoding", c.encoding)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Errorf("status %d, want %d", resp.StatusCode, c.want)
			}
		})
	}

	t.Run("grpc malformed", func(t *testing.T) {
		err := rawGRPCExport(t, p.GRPCAddr(), []byte("\x0a\x05ab"))
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("got %v, want InvalidArgument", err)
		}
	})
	t.Run("grpc oversized", func(t *testing.T) {
		err := rawGRPCExport(t, p.GRPCAddr(), bigTracesProto(t, 21<<20))
		if status.Code(err) != codes.ResourceExhausted {
			t.Errorf("got %v, want ResourceExhausted", err)
		}
	})

	if err := ex.traceHTTP.ExportSpans(context.Background(), makeSpans(1, 100)); err != nil {
		t.Fatalf("pipeline stopped serving after bad input: %v", err)
	}
	counts := rec.spanCounts()
	if len(counts) != 200 {
		t.Errorf("stored %d distinct spans, want the 200 good ones only", len(counts))
	}
	for id, n := range counts {
		if n != 1 {
			t.Errorf("span %s stored %d times", id, n)
		}
	}
}

// bigTraces builds a request of at least size bytes of span names.
func bigTraces(size int) ptraceotlp.ExportRequest {
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	name := strings.Repeat("x", 1<<20)
	for range size>>20 + 1 {
		spans.AppendEmpty().SetName(name)
	}
	return ptraceotlp.NewExportRequestFromTraces(td)
}

func bigTracesJSON(t *testing.T, size int) []byte {
	b, err := bigTraces(size).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func bigTracesProto(t *testing.T, size int) []byte {
	b, err := bigTraces(size).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gzipped(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// gzippedZeros is n zero bytes gzipped, written a MiB at a time: holding
// the bomb's inflated form would make the test itself the process's
// biggest use of memory, which the memory guard counts.
func gzippedZeros(t *testing.T, n int) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	chunk := make([]byte, 1<<20)
	for ; n > 0; n -= len(chunk) {
		if _, err := zw.Write(chunk[:min(n, len(chunk))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rawGRPCExport calls TraceService/Export with bytes as they are, so tests
// can send what no well-behaved client would.
func rawGRPCExport(t *testing.T, addr string, body []byte) error {
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(64<<20)))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	var out rawMsg
	in := rawMsg(body)
	return cc.Invoke(context.Background(), "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
		&in, &out, grpc.ForceCodecV2(rawCodec{}))
}

type rawMsg []byte

type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }
func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(*v.(*rawMsg))}, nil
}
func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*v.(*rawMsg) = data.Materialize()
	return nil
}

var _ encoding.CodecV2 = rawCodec{}

// oneSpan is a request holding a single span with a fresh span ID.
func oneSpan() ptraceotlp.ExportRequest {
	td := ptrace.NewTraces()
	s := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	s.SetName("one")
	now := pcommon.NewTimestampFromTime(time.Now())
	s.SetStartTimestamp(now)
	s.SetEndTimestamp(now)
	s.SetSpanID([8]byte{byte(spanSeq.Add(1)), 1, 2, 3, 4, 5, 6, 7})
	return ptraceotlp.NewExportRequestFromTraces(td)
}

var spanSeq atomic.Int64
