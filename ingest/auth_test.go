package ingest

import (
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/flowslo/flowslo/internal/testcert"
)

const (
	tokenA = "0123456789abcdef-token-a"
	tokenB = "fedcba9876543210-token-b"
)

// traceClients are the SDK's trace exporters over both protocols, sending
// hdr (nil: none) and, with tlsCfg, over TLS.
func traceClients(t *testing.T, p *Pipeline, hdr map[string]string, tlsCfg *tls.Config) map[string]sdktrace.SpanExporter {
	t.Helper()
	ctx := context.Background()
	gopts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(p.GRPCAddr()), otlptracegrpc.WithHeaders(hdr),
		otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false})}
	hopts := []otlptracehttp.Option{otlptracehttp.WithEndpoint(p.HTTPAddr()), otlptracehttp.WithHeaders(hdr),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false})}
	if tlsCfg != nil {
		gopts = append(gopts, otlptracegrpc.WithTLSCredentials(credentialsFrom(tlsCfg)))
		hopts = append(hopts, otlptracehttp.WithTLSClientConfig(tlsCfg))
	} else {
		gopts = append(gopts, otlptracegrpc.WithInsecure())
		hopts = append(hopts, otlptracehttp.WithInsecure())
	}
	g, err := otlptracegrpc.New(ctx, gopts...)
	if err != nil {
		t.Fatal(err)
	}
	h, err := otlptracehttp.New(ctx, hopts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Shutdown(ctx); _ = h.Shutdown(ctx) })
	return map[string]sdktrace.SpanExporter{"grpc": g, "http": h}
}

// TestOTLPRequiresToken: with tokens configured, both receivers answer
// 401 / Unauthenticated to a request without one or with a wrong one,
// store nothing from it, and store what a client with any listed token
// sends.
func TestOTLPRequiresToken(t *testing.T) {
	rec := &recorder{}
	p := startPipeline(t, rec.store(), func(o *Options) { o.Tokens = []string{tokenA, tokenB} })
	ctx := context.Background()
	for name, hdr := range map[string]map[string]string{
		"no header":    nil,
		"wrong token":  {"Authorization": "Bearer " + strings.Repeat("x", 24)},
		"basic scheme": {"Authorization": "Basic " + tokenA},
	} {
		for proto, exp := range traceClients(t, p, hdr, nil) {
			err := exp.ExportSpans(ctx, makeSpans(0, 5))
			switch proto {
			case "grpc":
				if status.Code(err) != codes.Unauthenticated {
					t.Errorf("%s over gRPC: %v, want Unauthenticated", name, err)
				}
			case "http":
				if err == nil || !strings.Contains(err.Error(), "401") {
					t.Errorf("%s over HTTP: %v, want 401", name, err)
				}
			}
		}
	}
	if n := len(rec.spanCounts()); n != 0 {
		t.Fatalf("%d spans stored from unauthenticated requests", n)
	}
	batch := 1
	for _, tok := range []string{tokenA, tokenB} {
		for proto, exp := range traceClients(t, p, map[string]string{"Authorization": "Bearer " + tok}, nil) {
			if err := exp.ExportSpans(ctx, makeSpans(batch, 5)); err != nil {
				t.Errorf("valid token over %s: %v", proto, err)
			}
			batch++
		}
	}
	if n := len(rec.spanCounts()); n != 20 {
		t.Errorf("stored %d spans from authenticated requests, want 20", n)
	}
	logs, err := otlploghttp.New(ctx, otlploghttp.WithEndpoint(p.HTTPAddr()), otlploghttp.WithInsecure(),
		otlploghttp.WithRetry(otlploghttp.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Shutdown(ctx)
	if err := logs.Export(ctx, makeLogs(0, 3)); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("logs over HTTP without a token: %v, want 401", err)
	}
}

// TestOTLPOverTLS: with a certificate, both receivers speak TLS to a
// client that trusts it and refuse a plaintext client.
func TestOTLPOverTLS(t *testing.T) {
	cert := testcert.New(t)
	rec := &recorder{}
	p := startPipeline(t, rec.store(), func(o *Options) {
		o.TLSCertFile, o.TLSKeyFile = cert.CertFile, cert.KeyFile
		o.Tokens = []string{tokenA}
	})
	ctx := context.Background()
	auth := map[string]string{"Authorization": "Bearer " + tokenA}
	batch := 0
	for proto, exp := range traceClients(t, p, auth, &tls.Config{RootCAs: cert.Pool}) {
		batch++
		if err := exp.ExportSpans(ctx, makeSpans(batch, 4)); err != nil {
			t.Errorf("TLS client over %s: %v", proto, err)
		}
	}
	if n := len(rec.spanCounts()); n != 8 {
		t.Errorf("stored %d spans over TLS, want 8", n)
	}
	for proto, exp := range traceClients(t, p, auth, nil) {
		if err := exp.ExportSpans(ctx, makeSpans(9, 4)); err == nil {
			t.Errorf("plaintext client over %s was accepted by a TLS receiver", proto)
		}
	}
}

func TestReadTokens(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	got, err := ReadTokens(write("ok", "# rotated 2026-11\n"+tokenA+"\n\n  "+tokenB+"  \n"))
	if err != nil || len(got) != 2 || got[0] != tokenA || got[1] != tokenB {
		t.Errorf("two tokens: %q %v", got, err)
	}
	for name, body := range map[string]string{"empty": "# none\n\n", "short": "abc\n", "space": "0123456789abcdef 0123\n"} {
		if _, err := ReadTokens(write(name, body)); err == nil || !strings.Contains(err.Error(), "openssl rand -hex 32") {
			t.Errorf("%s token file: %v", name, err)
		}
	}
}

func credentialsFrom(c *tls.Config) credentials.TransportCredentials { return credentials.NewTLS(c) }
