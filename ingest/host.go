package ingest

import (
	"context"
	"errors"
	"io"
	"net/http"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/extensionmiddleware"
	"google.golang.org/grpc"
)

// host is the minimal component.Host the collector components need: it
// offers flowslo's HTTP middleware as an extension, the way a collector
// service would offer a configured one.
type host struct {
	extensions map[component.ID]component.Component
}

func (h *host) GetExtensions() map[component.ID]component.Component { return h.extensions }

// inputGuardID names the middleware extension in the receiver's HTTP config.
var inputGuardID = component.MustNewID("flowslo_input_guard")

// inputGuard is the input-checking server middleware. On HTTP it answers 413 to bodies over the limit.
//
// confighttp bounds bodies itself, both as received and after decompression
// (so a gzip bomb stops at the limit instead of filling memory), but the OTLP
// receiver reports the resulting read error as 400. This middleware runs
// after decompression: it refuses declared oversized bodies before reading
// them, and turns the receiver's 400 into 413 when the body read failed on
// the size limit.
type inputGuard struct {
	component.StartFunc
	component.ShutdownFunc
	limit int64
	input *badInput
}

var (
	_ extensionmiddleware.HTTPServer = (*inputGuard)(nil)
	_ extensionmiddleware.GRPCServer = (*inputGuard)(nil)
)

// GetGRPCServerOptions answers malformed gRPC requests with InvalidArgument;
// gRPC's own MaxRecvMsgSize already answers oversized ones.
func (b *inputGuard) GetGRPCServerOptions(context.Context) ([]grpc.ServerOption, error) {
	return b.input.serverOptions(), nil
}

func (b *inputGuard) GetHTTPHandler(context.Context) (extensionmiddleware.WrapHTTPHandlerFunc, error) {
	return func(_ context.Context, next http.Handler) (http.Handler, error) {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b.serve(next, w, r)
		}), nil
	}, nil
}

func (b *inputGuard) serve(next http.Handler, w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > b.limit {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	body := &limitedBody{ReadCloser: r.Body}
	r.Body = body
	next.ServeHTTP(&tooLargeWriter{ResponseWriter: &fallbackWriter{ResponseWriter: w}, body: body}, r)
}

// limitedBody remembers whether a read hit http.MaxBytesReader's limit.
type limitedBody struct {
	io.ReadCloser
	tooLarge bool
}

func (l *limitedBody) Read(p []byte) (int, error) {
	n, err := l.ReadCloser.Read(p)
	var mbe *http.MaxBytesError
	if err != nil && errors.As(err, &mbe) {
		l.tooLarge = true
	}
	return n, err
}

// tooLargeWriter rewrites the receiver's 400 into 413 when the body was cut
// at the limit; the OTLP status message in the body stays as written.
type tooLargeWriter struct {
	http.ResponseWriter
	body *limitedBody
}

func (w *tooLargeWriter) WriteHeader(code int) {
	if code == http.StatusBadRequest && w.body.tooLarge {
		code = http.StatusRequestEntityTooLarge
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *tooLargeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
