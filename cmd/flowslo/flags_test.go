package main

import (
	"io"
	"testing"
	"time"
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
