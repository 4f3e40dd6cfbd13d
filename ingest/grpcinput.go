package ingest

import (
	"context"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
)

// badInput makes gRPC answer InvalidArgument to requests that do not parse.
//
// grpc-go reports a codec failure as Internal, before any interceptor runs.
// So the codec records the failure against the message it was asked to
// fill and lets the call proceed; the unary interceptor, which receives that
// same message, answers InvalidArgument before the receiver sees it.
type badInput struct {
	base   encoding.CodecV2
	failed sync.Map // request message pointer → unmarshal error
}

func newBadInput() *badInput {
	return &badInput{base: encoding.GetCodecV2("proto")}
}

func (b *badInput) serverOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.ForceServerCodecV2(b),
		grpc.ChainUnaryInterceptor(b.intercept),
	}
}

func (b *badInput) Name() string { return b.base.Name() }

// Marshal and Unmarshal pass flowslo's OTLP services' rawMessage through
// as bytes; the services parse (and answer InvalidArgument) themselves.
func (b *badInput) Marshal(v any) (mem.BufferSlice, error) {
	if raw, ok := v.(*rawMessage); ok {
		return mem.BufferSlice{mem.SliceBuffer(raw.data)}, nil
	}
	return b.base.Marshal(v)
}

func (b *badInput) Unmarshal(data mem.BufferSlice, v any) error {
	if raw, ok := v.(*rawMessage); ok {
		raw.data = data.Materialize()
		return nil
	}
	if err := b.base.Unmarshal(data, v); err != nil {
		b.failed.Store(v, err)
	}
	return nil
}

func (b *badInput) intercept(ctx context.Context, req any, _ *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	if err, ok := b.failed.LoadAndDelete(req); ok {
		return nil, status.Errorf(codes.InvalidArgument, "malformed request: %v", err)
	}
	return next(ctx, req)
}
