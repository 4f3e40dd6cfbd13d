package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/internal/app"
)

// TestServeAccessFlags: the access and server-mode flags reach the
// options app.Run takes.
func TestServeAccessFlags(t *testing.T) {
	o, err := parseServeFlags([]string{
		"--otlp-token-file", "/run/tokens", "--tls-cert-file", "c.pem", "--tls-key-file", "k.pem",
		"--trusted-proxies", "10.0.0.0/8", "--public-url", "https://slo.example.com",
		"--clickhouse-dsn", "clickhouse://w@db:9000/flowslo", "--clickhouse-read-dsn", "clickhouse://r@db:9000/flowslo",
		"--clickhouse-password-file", "/run/pw", "--clickhouse-read-password-file", "/run/rpw", "--clickhouse-read-timeout", "12s",
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.OTLPTokenFile != "/run/tokens" || o.TLSCertFile != "c.pem" || o.TLSKeyFile != "k.pem" || o.TrustedProxies != "10.0.0.0/8" ||
		o.PublicURL != "https://slo.example.com" || o.ClickHouseReadDSN != "clickhouse://r@db:9000/flowslo" ||
		o.ClickHousePasswordFile != "/run/pw" || o.ClickHouseReadPasswordFile != "/run/rpw" || o.ReadTimeout != 12*time.Second {
		t.Errorf("options: %+v", o)
	}
	d, _ := parseServeFlags(nil, io.Discard)
	if d.TrustedProxies != "127.0.0.0/8,::1" || d.ReadTimeout != 30*time.Second {
		t.Errorf("defaults: trusted %q read timeout %v", d.TrustedProxies, d.ReadTimeout)
	}
}

// TestRoleFlags: `serve --role server` and `collector` reach app.Run with
// their role; an unknown role and UI flags on a collector are refused.
func TestRoleFlags(t *testing.T) {
	o, err := parseServeFlags([]string{"--role", "server", "--clickhouse-dsn", "clickhouse://db:9000/flowslo"}, io.Discard)
	if err != nil || o.Role != app.RoleServer {
		t.Fatalf("serve --role server: %v %q", err, o.Role)
	}
	if _, err := parseServeFlags([]string{"--role", "leader"}, io.Discard); err == nil {
		t.Error("serve --role leader accepted")
	}
	c, err := parseCollectorFlags([]string{"--otlp-grpc-addr", ":14317", "--clickhouse-dsn", "clickhouse://db:9000/flowslo"}, io.Discard)
	if err != nil || c.Role != app.RoleCollector || c.OTLPGRPCAddr != ":14317" {
		t.Fatalf("collector: %v %+v", err, c)
	}
	if _, err := parseCollectorFlags([]string{"--slo", "slos/"}, io.Discard); err == nil {
		t.Error("collector --slo accepted: a collector runs no engine")
	}
}

// TestSchemaPrint: `flowslo schema print --config` prints the cluster DDL
// without a ClickHouse to connect to.
func TestSchemaPrint(t *testing.T) {
	var out, errs strings.Builder
	if code := run([]string{"schema", "print", "--config", "../../internal/app/testdata/schema/cluster.yml"}, &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	if !strings.Contains(out.String(), "ENGINE = Distributed('flowslo', currentDatabase(), otel_traces_local, cityHash64(TraceId))") {
		t.Errorf("schema print lacks the Distributed traces table:\n%.500s", out.String())
	}
	if code := run([]string{"schema"}, &out, &errs); code != 2 {
		t.Errorf("schema without print: exit %d, want 2", code)
	}
}
