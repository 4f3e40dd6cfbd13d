package ingest

import (
	"context"
	"log/slog"
	"strings"
	"sync"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// zapToSlog is a zapcore.Core that writes the collector components' zap
// logs to flowslo's slog handler, so the process keeps one log stream.
//
// It also notes the endpoints the receiver reports when it starts listening:
// the receiver does not expose its listeners, and this is how a ":0" address
// becomes a port that callers and tests can use.
type zapToSlog struct {
	h      slog.Handler
	attrs  []slog.Attr
	events *endpoints
}

// endpoints records the bound addresses logged by the OTLP receiver.
type endpoints struct {
	mu         sync.Mutex
	grpc, http string
}

func (e *endpoints) get() (grpcAddr, httpAddr string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.grpc, e.http
}

func (e *endpoints) note(msg string, fields []zapcore.Field) {
	var endpoint string
	for _, f := range fields {
		if f.Key == "endpoint" {
			endpoint = f.String
		}
	}
	if endpoint == "" {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case strings.HasPrefix(msg, "Starting GRPC server"):
		e.grpc = endpoint
	case strings.HasPrefix(msg, "Starting HTTP server"):
		e.http = endpoint
	}
}

func newZapLogger(l *slog.Logger, ep *endpoints) *zap.Logger {
	return zap.New(&zapToSlog{h: l.Handler(), events: ep})
}

func (c *zapToSlog) Enabled(lvl zapcore.Level) bool {
	return c.h.Enabled(context.Background(), slogLevel(lvl)) || lvl == zapcore.InfoLevel
}

func (c *zapToSlog) With(fields []zapcore.Field) zapcore.Core {
	clone := *c
	clone.attrs = append(append([]slog.Attr(nil), c.attrs...), slogAttrs(fields)...)
	return &clone
}

func (c *zapToSlog) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *zapToSlog) Write(e zapcore.Entry, fields []zapcore.Field) error {
	c.events.note(e.Message, fields)
	lvl := slogLevel(e.Level)
	if !c.h.Enabled(context.Background(), lvl) {
		return nil
	}
	r := slog.NewRecord(e.Time, lvl, e.Message, 0)
	r.AddAttrs(c.attrs...)
	r.AddAttrs(slogAttrs(fields)...)
	return c.h.Handle(context.Background(), r)
}

func (c *zapToSlog) Sync() error { return nil }

func slogLevel(l zapcore.Level) slog.Level {
	switch {
	case l >= zapcore.ErrorLevel:
		return slog.LevelError
	case l == zapcore.WarnLevel:
		return slog.LevelWarn
	case l == zapcore.InfoLevel:
		return slog.LevelInfo
	default:
		return slog.LevelDebug
	}
}

// slogAttrs converts zap fields through zap's map encoder, which knows
// every field type.
func slogAttrs(fields []zapcore.Field) []slog.Attr {
	if len(fields) == 0 {
		return nil
	}
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range fields {
		f.AddTo(enc)
	}
	attrs := make([]slog.Attr, 0, len(enc.Fields))
	for k, v := range enc.Fields {
		attrs = append(attrs, slog.Any(k, v))
	}
	return attrs
}
