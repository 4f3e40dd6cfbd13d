package ingest

import (
	"context"
	"io"
	"mime"
	"net/http"
	"strconv"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/flowslo/flowslo/store"
)

// flowslo serves OTLP itself, on servers built by the collector's
// configgrpc and confighttp (TLS, auth, decompression and size limits as
// configured), instead of through the collector's OTLP receiver: the
// receiver cannot answer partial success, and it hands on parsed data
// only, where deduplication needs the request's bytes.

// wire is an OTLP request or response in either encoding.
type wire interface {
	UnmarshalJSON([]byte) error
	UnmarshalProto([]byte) error
	MarshalJSON() ([]byte, error)
	MarshalProto() ([]byte, error)
}

func unmarshal(m wire, body []byte, json bool) error {
	if json {
		return m.UnmarshalJSON(body)
	}
	return m.UnmarshalProto(body)
}

func marshal(m wire, json bool) ([]byte, error) {
	if json {
		return m.MarshalJSON()
	}
	return m.MarshalProto()
}

func decodeTraces(body []byte, json bool) (decoded[store.Span], error) {
	req := ptraceotlp.NewExportRequest()
	if err := unmarshal(req, body, json); err != nil {
		return decoded[store.Span]{}, err
	}
	td := req.Traces()
	if err := copiedTraces(td); err != nil {
		return decoded[store.Span]{}, err
	}
	return decoded[store.Span]{items: td.SpanCount(),
		toRows: func(rows []store.Span, c *conversion) []store.Span { return spansToRows(rows, td, c) },
		keep:   func(c *conversion) { keepSpans(td, c) },
		put: func(q *diskQueue, body []byte, raw bool, size int64) error {
			e, err := newOTLPEntry(body, raw, req.MarshalProto)
			if err != nil {
				return err
			}
			return q.tracesIn.submit(e, size)
		},
	}, nil
}

func respondTraces(rejected int64, message string, json bool) ([]byte, error) {
	resp := ptraceotlp.NewExportResponse()
	if rejected > 0 || message != "" {
		ps := resp.PartialSuccess()
		ps.SetRejectedSpans(rejected)
		ps.SetErrorMessage(message)
	}
	return marshal(resp, json)
}

func decodeLogs(body []byte, json bool) (decoded[store.LogRecord], error) {
	req := plogotlp.NewExportRequest()
	if err := unmarshal(req, body, json); err != nil {
		return decoded[store.LogRecord]{}, err
	}
	ld := req.Logs()
	if err := copiedLogs(ld); err != nil {
		return decoded[store.LogRecord]{}, err
	}
	return decoded[store.LogRecord]{items: ld.LogRecordCount(),
		toRows: func(rows []store.LogRecord, c *conversion) []store.LogRecord { return logsToRows(rows, ld, c) },
		keep:   func(c *conversion) { keepLogs(ld, c) },
		put: func(q *diskQueue, body []byte, raw bool, size int64) error {
			e, err := newOTLPEntry(body, raw, req.MarshalProto)
			if err != nil {
				return err
			}
			return q.logsIn.submit(e, size)
		},
	}, nil
}

func respondLogs(rejected int64, message string, json bool) ([]byte, error) {
	resp := plogotlp.NewExportResponse()
	if rejected > 0 || message != "" {
		ps := resp.PartialSuccess()
		ps.SetRejectedLogRecords(rejected)
		ps.SetErrorMessage(message)
	}
	return marshal(resp, json)
}

// exportFunc is a signalPath's export, as the servers call it.
type exportFunc func(ctx context.Context, body []byte, json bool) ([]byte, error)

// rawMessage carries a request or response as bytes through gRPC: the
// codec (badInput) fills and writes it without a protobuf round trip.
type rawMessage struct{ data []byte }

// serviceDesc is an OTLP Export service taking raw bytes.
func serviceDesc(service string, export exportFunc) *grpc.ServiceDesc {
	full := "/" + service + "/Export"
	handler := func(_ any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
		in := &rawMessage{}
		if err := dec(in); err != nil {
			return nil, err
		}
		call := func(ctx context.Context, req any) (any, error) {
			out, err := export(ctx, req.(*rawMessage).data, false)
			if err != nil {
				return nil, err
			}
			return &rawMessage{data: out}, nil
		}
		if icpt == nil {
			return call(ctx, in)
		}
		return icpt(ctx, in, &grpc.UnaryServerInfo{FullMethod: full}, call)
	}
	return &grpc.ServiceDesc{
		ServiceName: service,
		HandlerType: (*any)(nil),
		Methods:     []grpc.MethodDesc{{MethodName: "Export", Handler: handler}},
		Metadata:    "flowslo",
	}
}

const (
	traceService = "opentelemetry.proto.collector.trace.v1.TraceService"
	logsService  = "opentelemetry.proto.collector.logs.v1.LogsService"
)

const (
	protoType = "application/x-protobuf"
	jsonType  = "application/json"
)

// httpHandler serves one OTLP/HTTP path as the collector's receiver does:
// POST only, protobuf or JSON, errors as a google.rpc.Status in the body's
// encoding, Retry-After on 503.
func httpHandler(export exportFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "405 method not allowed, supported: [POST]", http.StatusMethodNotAllowed)
			return
		}
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != protoType && mt != jsonType {
			http.Error(w, "415 unsupported media type, supported: ["+jsonType+", "+protoType+"]", http.StatusUnsupportedMediaType)
			return
		}
		json := mt == jsonType
		body, err := io.ReadAll(r.Body)
		if err != nil {
			writeStatus(w, json, status.New(codes.InvalidArgument, "read request body: "+err.Error()))
			return
		}
		out, err := export(r.Context(), body, json)
		if err != nil {
			writeStatus(w, json, status.Convert(err))
			return
		}
		writeBody(w, json, http.StatusOK, out)
	}
}

func writeStatus(w http.ResponseWriter, json bool, st *status.Status) {
	code := httpCode(st.Code())
	if code == http.StatusServiceUnavailable || code == http.StatusTooManyRequests {
		for _, d := range st.Details() {
			if ri, ok := d.(*errdetails.RetryInfo); ok {
				w.Header().Set("Retry-After", strconv.FormatInt(int64(ri.GetRetryDelay().AsDuration().Seconds()), 10))
			}
		}
	}
	var body []byte
	var err error
	if json {
		body, err = protojson.Marshal(st.Proto())
	} else {
		body, err = proto.Marshal(st.Proto())
	}
	if err != nil {
		http.Error(w, st.Message(), code)
		return
	}
	writeBody(w, json, code, body)
}

func writeBody(w http.ResponseWriter, json bool, code int, body []byte) {
	ct := protoType
	if json {
		ct = jsonType
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// httpCode maps gRPC codes to HTTP as the OTLP specification does.
func httpCode(c codes.Code) int {
	switch c {
	case codes.OK:
		return http.StatusOK
	case codes.InvalidArgument:
		return http.StatusBadRequest
	case codes.ResourceExhausted:
		return http.StatusTooManyRequests
	case codes.Unauthenticated:
		return http.StatusUnauthorized
	case codes.PermissionDenied:
		return http.StatusForbidden
	case codes.Unimplemented:
		return http.StatusNotFound
	case codes.Canceled, codes.DeadlineExceeded, codes.Aborted, codes.OutOfRange, codes.Unavailable, codes.DataLoss:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}
