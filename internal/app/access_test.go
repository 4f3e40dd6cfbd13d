package app

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/flowslo/flowslo/internal/testcert"
	"github.com/flowslo/flowslo/ui"
)

const otlpToken = "f1e2d3c4b5a69788-otlp-token"

// TestOTLPTokenAndTLS runs flowslo with --otlp-token-file and a TLS
// certificate: SDK exporters over TLS with the token are stored, without
// it they are refused on both protocols, and the UI answers over HTTPS.
func TestOTLPTokenAndTLS(t *testing.T) {
	cert := testcert.New(t)
	tokens := filepath.Join(t.TempDir(), "otlp-tokens")
	if err := os.WriteFile(tokens, []byte("# ci\n"+otlpToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startAppWith(t, func(o *Options) {
		o.OTLPTokenFile, o.TLSCertFile, o.TLSKeyFile = tokens, cert.CertFile, cert.KeyFile
	})
	tlsCfg := &tls.Config{RootCAs: cert.Pool}
	ctx := context.Background()
	export := func(hdr map[string]string) (grpcErr, httpErr error) {
		g, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(a.OTLPGRPCAddr()), otlptracegrpc.WithHeaders(hdr),
			otlptracegrpc.WithTLSCredentials(credentials.NewTLS(tlsCfg)), otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}))
		if err != nil {
			t.Fatal(err)
		}
		defer g.Shutdown(ctx)
		h, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(a.OTLPHTTPAddr()), otlptracehttp.WithHeaders(hdr),
			otlptracehttp.WithTLSClientConfig(tlsCfg), otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
		if err != nil {
			t.Fatal(err)
		}
		defer h.Shutdown(ctx)
		return g.ExportSpans(ctx, loginSpans(7, 30)), h.ExportSpans(ctx, loginSpans(8, 20))
	}
	gErr, hErr := export(nil)
	if status.Code(gErr) != codes.Unauthenticated || hErr == nil || !strings.Contains(hErr.Error(), "401") {
		t.Errorf("without a token: gRPC %v, HTTP %v; want Unauthenticated and 401", gErr, hErr)
	}
	gErr, hErr = export(map[string]string{"Authorization": "Bearer " + otlpToken})
	if gErr != nil || hErr != nil {
		t.Fatalf("with the token: gRPC %v, HTTP %v", gErr, hErr)
	}
	waitDrained(t, a)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}}
	resp, err := client.Get("https://" + a.HTTPAddr() + "/api/v1/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st ui.Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || st.Spans != 50 {
		t.Errorf("stats over HTTPS: %+v %v, want 50 spans", st, err)
	}
	if resp, err := http.Get("http://" + a.HTTPAddr() + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("the UI answered plain HTTP while serving TLS")
		}
	}
}

// TestStartupWarningCoversOTLP: an open OTLP receiver beyond loopback is
// warned about at start, as an open UI is; tokens without TLS too.
func TestStartupWarningCoversOTLP(t *testing.T) {
	warnings := func(o Options) string {
		var buf bytes.Buffer
		a := &App{opts: o, log: slog.New(slog.NewTextHandler(&buf, nil)), httpOptions: ui.Options{Addr: o.HTTPAddr}}
		a.warnOpenAccess()
		return buf.String()
	}
	def := DefaultOptions()
	if w := warnings(def); !strings.Contains(w, "OTLP receivers take data from anyone") || !strings.Contains(w, ":4317") || !strings.Contains(w, "UI and API answer only") {
		t.Errorf("defaults:\n%s", w)
	}
	withToken := def
	withToken.OTLPTokenFile = "tokens"
	if w := warnings(withToken); strings.Contains(w, "OTLP receivers take data") || !strings.Contains(w, "plain text") {
		t.Errorf("token without TLS:\n%s", w)
	}
	local := def
	local.HTTPAddr, local.OTLPGRPCAddr, local.OTLPHTTPAddr = "127.0.0.1:8080", "127.0.0.1:4317", "localhost:4318"
	if w := warnings(local); w != "" {
		t.Errorf("all on loopback, want no warning:\n%s", w)
	}
}

// TestWaitsForClickHouse: with the server unreachable, flowslo listens,
// /readyz answers 503 with why, and it retries until told to stop; a DSN
// that waiting cannot fix fails at once.
func TestWaitsForClickHouse(t *testing.T) {
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close() // nothing listens there now: connections are refused
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions()
	opts.ClickHouseDSN = "clickhouse://flowslo@" + deadAddr + "/flowslo"
	opts.HTTPListener = ln
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		a, err := New(ctx, opts)
		if a != nil {
			_ = a.Shutdown(context.Background())
		}
		done <- err
	}()
	base := "http://" + ln.Addr().String()
	reason := awaitReadyzReason(t, base, "waiting for ClickHouse at "+deadAddr)
	if !strings.Contains(reason, "refused") || !strings.Contains(reason, "next in") {
		t.Errorf("/readyz reason %q should say the connection was refused and when flowslo retries", reason)
	}
	if code, _ := get(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz while waiting: %d", code)
	}
	cancel()
	if err := <-done; err == nil || !strings.Contains(err.Error(), "gave up waiting for ClickHouse") {
		t.Errorf("New after cancel: %v", err)
	}

	bad := testOptions()
	bad.ClickHouseDSN = "clickhouse://" + deadAddr + "/not-a-name!"
	if _, err := New(context.Background(), bad); err == nil || strings.Contains(err.Error(), "waiting") {
		t.Errorf("bad database name: %v, want an error at once", err)
	}
}

// awaitReadyzReason polls /readyz until it answers 503 with a reason
// holding want (the app starts in the background), and returns it.
func awaitReadyzReason(t *testing.T, base, want string) string {
	t.Helper()
	var last string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var r struct{ Reason string }
		_ = json.Unmarshal(body, &r)
		last = r.Reason
		if resp.StatusCode == http.StatusServiceUnavailable && strings.Contains(r.Reason, want) {
			return r.Reason
		}
	}
	t.Fatalf("/readyz never said %q; last reason %q", want, last)
	return ""
}
