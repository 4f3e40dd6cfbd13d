package app

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"

	"github.com/flowslo/flowslo/ui"
)

// TestCollectorAndServerRoles: a collector and a server over one store, as
// they run at scale. What an OTLP client sends to the collector is
// acknowledged from its persistent queue, then stored and counted by the
// server; the collector's HTTP port
// answers the probes and /metrics only; the server listens for no OTLP.
func TestCollectorAndServerRoles(t *testing.T) {
	opts := testOptions()
	collector := startAppWith(t, func(o *Options) { *o = opts; o.Role = RoleCollector })
	server := startAppWith(t, func(o *Options) {
		*o = opts
		o.Role = RoleServer
		o.HTTPAddr, o.OTLPGRPCAddr, o.OTLPHTTPAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	})
	if server.OTLPGRPCAddr() != "" || server.OTLPHTTPAddr() != "" {
		t.Fatalf("server listens for OTLP on %q %q, want no receivers", server.OTLPGRPCAddr(), server.OTLPHTTPAddr())
	}
	if server.ingest != nil || collector.engine != nil || collector.alerts != nil {
		t.Fatal("a role built a part that is not its own")
	}

	ctx := context.Background()
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(collector.OTLPGRPCAddr()), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	defer exp.Shutdown(ctx)
	if err := exp.ExportSpans(ctx, loginSpans(0, 400)); err != nil {
		t.Fatalf("export to the collector: %v", err)
	}
	// The collector acknowledged from its queue: the rows follow as the
	// queue drains, which nothing signals to a client; the bound only ends
	// a broken test.
	want := ui.Stats{Spans: 400}
	for deadline := time.Now().Add(30 * time.Second); stats(t, "http://"+server.HTTPAddr()) != want; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("server counts %+v 30 s after the collector acknowledged, want %+v", stats(t, "http://"+server.HTTPAddr()), want)
		}
	}

	cbase := "http://" + collector.HTTPAddr()
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/api/v1/stats": 404, "/": 404} {
		if code, body := get(t, cbase+path); code != want {
			t.Errorf("collector %s = %d %s, want %d", path, code, body, want)
		}
	}
	if _, m := get(t, cbase+"/metrics"); !strings.Contains(m, `flowslo_ingest_stored_items_total{signal="traces"} 400`) {
		t.Error("collector /metrics lacks its stored spans")
	}
	if code, _ := get(t, "http://"+server.HTTPAddr()+"/readyz"); code != http.StatusOK {
		t.Errorf("server /readyz = %d", code)
	}
}

func TestParseRole(t *testing.T) {
	for in, want := range map[string]Role{"": RoleAll, "all": RoleAll, "server": RoleServer, "collector": RoleCollector} {
		if got, err := ParseRole(in); err != nil || got != want {
			t.Errorf("ParseRole(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseRole("leader"); err == nil || !strings.Contains(err.Error(), "write all, server or collector") {
		t.Errorf("ParseRole(leader) = %v", err)
	}
}
