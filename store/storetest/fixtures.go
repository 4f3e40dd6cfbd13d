package storetest

import (
	"fmt"
	"time"

	"github.com/flowslo/flowslo/store"
)

var (
	services = []string{"api-gateway", "auth", "feed", "checkout", "push"}
	routes   = []string{"/login", "/feed", "/checkout", "/push/ack", "/profile"}
)

// Spans makes n realistic spans starting at start, 1 ms apart: 10 span
// attributes, 5 resource attributes, an event on every 10th span and a link
// on every 20th. seed varies the ids so batches do not collide.
func Spans(n int, start time.Time, seed int) []store.Span {
	out := make([]store.Span, n)
	for i := range out {
		out[i] = span(i, start, seed)
	}
	return out
}

func span(i int, start time.Time, seed int) store.Span {
	ts := start.Add(time.Duration(i) * time.Millisecond)
	svc, route := services[i%len(services)], routes[i%len(routes)]
	s := store.Span{
		Timestamp:    ts,
		TraceID:      fmt.Sprintf("%016x%016x", seed, i/4),
		SpanID:       fmt.Sprintf("%08x%08x", seed, i),
		ParentSpanID: parentID(seed, i),
		SpanName:     "HTTP GET " + route,
		SpanKind:     "Server",
		ServiceName:  svc,
		ResourceAttributes: map[string]string{
			"service.name": svc, "service.version": "4.2.0", "deployment.environment": "prod",
			"host.name": fmt.Sprintf("node-%d", i%7), "telemetry.sdk.language": "go",
		},
		ScopeName:    "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",
		ScopeVersion: "0.72.0",
		SpanAttributes: map[string]string{
			"http.request.method": "GET", "http.route": route, "http.response.status_code": status(i),
			"url.scheme": "https", "server.address": "api.example.com", "user_agent.original": "MobileApp/4.2 (iOS 18.1)",
			"app.release": "4.2.0", "app.platform": "ios", "network.protocol.version": "2",
			"app.user_id": fmt.Sprintf("u-%d", i%1000),
		},
		Duration:   time.Duration(1+i%500) * time.Millisecond,
		StatusCode: "Unset",
	}
	if i%50 == 0 {
		s.StatusCode, s.StatusMessage = "Error", "upstream timeout"
	}
	if i%10 == 0 {
		s.Events = []store.SpanEvent{{Timestamp: ts.Add(time.Microsecond), Name: "exception",
			Attributes: map[string]string{"exception.type": "TimeoutError", "exception.message": "deadline exceeded"}}}
	}
	if i%20 == 0 {
		s.Links = []store.SpanLink{{TraceID: fmt.Sprintf("%032x", i+1), SpanID: fmt.Sprintf("%016x", i+2),
			TraceState: "k=v", Attributes: map[string]string{"link.kind": "follows"}}}
	}
	return s
}

func parentID(seed, i int) string {
	if i%4 == 0 {
		return ""
	}
	return fmt.Sprintf("%08x%08x", seed, i-i%4)
}

func status(i int) string {
	if i%50 == 0 {
		return "504"
	}
	return "200"
}

// Logs makes n realistic log records starting at start, 1 ms apart.
func Logs(n int, start time.Time, seed int) []store.LogRecord {
	out := make([]store.LogRecord, n)
	for i := range out {
		ts := start.Add(time.Duration(i) * time.Millisecond)
		svc := services[i%len(services)]
		out[i] = store.LogRecord{
			Timestamp: ts, ObservedTimestamp: ts.Add(time.Millisecond),
			TraceID: fmt.Sprintf("%016x%016x", seed, i/4), SpanID: fmt.Sprintf("%08x%08x", seed, i),
			TraceFlags: 1, SeverityText: "INFO", SeverityNumber: 9, ServiceName: svc,
			Body:               fmt.Sprintf("request %d served", i),
			ResourceSchemaURL:  "https://opentelemetry.io/schemas/1.26.0",
			ResourceAttributes: map[string]string{"service.name": svc, "host.name": fmt.Sprintf("node-%d", i%7)},
			ScopeName:          "slog", ScopeVersion: "1.0",
			ScopeAttributes: map[string]string{"scope.kind": "app"},
			LogAttributes:   map[string]string{"http.route": routes[i%len(routes)], "app.user_id": fmt.Sprintf("u-%d", i%1000)},
			EventName:       "request.served",
		}
	}
	return out
}
