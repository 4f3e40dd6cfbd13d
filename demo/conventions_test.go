package demo_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/demo"
	"github.com/flowslo/flowslo/store"
)

// runBounded plays scenario against f for duration and returns once the
// demo has stopped by itself and flushed.
func (f *flowslo) runBounded(t *testing.T, scenario string, duration time.Duration) demo.Result {
	t.Helper()
	opts := demo.DefaultOptions()
	opts.Endpoint, opts.Scenarios, opts.Speed, opts.Rate, opts.Duration = f.app.OTLPGRPCAddr(), []string{scenario}, testSpeed, testRate, duration
	res, err := demo.Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	// Acknowledged means queued: wait until it is stored.
	for deadline := time.Now().Add(30 * time.Second); !f.app.Drained(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the queue did not drain within 30 s of the demo's end")
		}
	}
	return res
}

// spanShape is what the convention checks look at: who made a span, what it
// is called and its kind.
type spanShape struct{ service, name, kind string }

// want is the attributes a kind of span must carry, by semantic convention.
type want struct {
	span, resource []string
}

var (
	serverHTTP = []string{"http.request.method", "http.route", "url.path", "url.scheme", "server.address", "http.response.status_code", "app.version", "os.name"}
	clientHTTP = []string{"http.request.method", "url.full", "server.address", "server.port", "http.response.status_code"}
	appHTTP    = []string{"http.request.method", "url.full", "server.address", "server.port", "session.id"}
	db         = []string{"db.system.name", "db.operation.name", "db.collection.name", "db.query.text", "server.address", "server.port"}
	redis      = []string{"db.system.name", "db.operation.name", "db.query.text", "server.address", "server.port"}
	rpc        = []string{"rpc.system.name", "rpc.method", "rpc.response.status_code", "server.address", "server.port"}
	producer   = []string{"messaging.system", "messaging.destination.name", "messaging.operation.type", "messaging.operation.name", "messaging.message.id"}
	consumer   = append(slices.Clone(producer), "push.provider")
	backendRes = []string{"service.name", "service.version", "deployment.environment.name"}
	appRes     = []string{"service.name", "service.version", "app.version", "os.name", "os.version", "device.model.identifier", "device.manufacturer", "deployment.environment.name"}
)

var shapes = map[spanShape]want{
	{"shop-app", "POST", "Client"}:                 {appHTTP, appRes},
	{"shop-app", "GET", "Client"}:                  {appHTTP, appRes},
	{"auth-api", "POST /v1/login", "Server"}:       {serverHTTP, backendRes},
	{"auth-api", "POST", "Client"}:                 {clientHTTP, backendRes},
	{"auth-api", "SELECT users", "Client"}:         {db, backendRes},
	{"feed-api", "GET /v1/feed", "Server"}:         {serverHTTP, backendRes},
	{"feed-api", "GET", "Client"}:                  {redis, backendRes},
	{"feed-api", "SET", "Client"}:                  {redis, backendRes},
	{"feed-api", "acquire connection", "Internal"}: {[]string{"db.system.name", "db.client.connection.pool.name"}, backendRes},
	{"feed-api", "SELECT posts", "Client"}:         {db, backendRes},
	{"feed-api", "ranking.Ranker/Rank", "Client"}:  {rpc, backendRes},
	{"orders-api", "POST /v1/checkout", "Server"}:  {append(slices.Clone(serverHTTP), "payment.method"), backendRes},
	{"orders-api", "INSERT orders", "Client"}:      {db, backendRes},
	{"orders-api", "POST", "Client"}:               {clientHTTP, backendRes},
	{"orders-api", "send push", "Producer"}:        {producer, backendRes},
	{"push-worker", "send push", "Producer"}:       {producer, backendRes},
	{"push-worker", "process push", "Consumer"}:    {consumer, backendRes},
	{"push-worker", "POST", "Client"}:              {clientHTTP, backendRes},
}

// TestSpansFollowSemanticConventions reads a bounded steady run back from
// ClickHouse: every kind of span the demo makes, with the attribute names
// the semantic conventions give it, and the values that are enums.
func TestSpansFollowSemanticConventions(t *testing.T) {
	t.Parallel()
	f := startFlowslo(t)
	res := f.runBounded(t, "steady", 2*time.Second)
	if res.Spans == 0 || res.Logs == 0 {
		t.Fatalf("the run sent %+v", res)
	}
	st := f.app.Store()
	seen := map[spanShape]bool{}
	rows := query(t, st, `SELECT ServiceName, SpanName, SpanKind, groupUniqArrayArray(mapKeys(SpanAttributes)),
		groupUniqArrayArray(mapKeys(ResourceAttributes)), min(length(mapKeys(SpanAttributes))) FROM otel_traces GROUP BY 1, 2, 3`)
	for rows.Next() {
		var sh spanShape
		var spanKeys, resKeys []string
		var fewest uint64
		if err := rows.Scan(&sh.service, &sh.name, &sh.kind, &spanKeys, &resKeys, &fewest); err != nil {
			t.Fatal(err)
		}
		w, ok := shapes[sh]
		if !ok {
			t.Errorf("unexpected span %+v", sh)
			continue
		}
		seen[sh] = true
		missing(t, sh, "span", w.span, spanKeys)
		missing(t, sh, "resource", w.resource, resKeys)
		if fewest < uint64(len(w.span))-2 { // every span, not just some, carries them (a response code may be missing on a timeout)
			t.Errorf("%+v: a span has only %d attributes", sh, fewest)
		}
	}
	for sh := range shapes {
		if !seen[sh] {
			t.Errorf("no %+v span in the run", sh)
		}
	}
	for q, want := range map[string]string{
		`SELECT arrayStringConcat(arraySort(groupUniqArray(SpanAttributes['db.system.name'])), ',') FROM otel_traces WHERE mapContains(SpanAttributes, 'db.system.name')`:  "postgresql,redis",
		`SELECT arrayStringConcat(arraySort(groupUniqArray(SpanAttributes['messaging.operation.type'])), ',') FROM otel_traces WHERE SpanKind IN ('Producer', 'Consumer')`: "process,send",
		`SELECT arrayStringConcat(arraySort(groupUniqArray(SpanAttributes['rpc.system.name'])), ',') FROM otel_traces WHERE mapContains(SpanAttributes, 'rpc.method')`:     "grpc",
		`SELECT arrayStringConcat(arraySort(groupUniqArray(ResourceAttributes['deployment.environment.name'])), ',') FROM otel_traces`:                                     "production",
		`SELECT arrayStringConcat(arraySort(groupUniqArray(ResourceAttributes['os.name'])), ',') FROM otel_traces WHERE ServiceName = 'shop-app'`:                          "Android,iOS",
		`SELECT arrayStringConcat(arraySort(groupUniqArray(SpanAttributes['app.version'])), ',') FROM otel_traces WHERE SpanKind = 'Server'`:                               "4.1.3,4.2.0",
		// One log record per delivery attempt, in the trace of its delivery.
		`SELECT toString(countIf(EventName != 'push.delivery' OR TraceId = '' OR LogAttributes['push.provider'] = '' OR LogAttributes['push.result'] = '')) FROM otel_logs`: "0",
		`SELECT toString((SELECT count() FROM otel_logs) = (SELECT count() FROM otel_traces WHERE SpanName = 'process push'))`:                                              "1",
	} {
		if got := scalar(t, st, q); got != want {
			t.Errorf("%s\n= %q, want %q", q, got, want)
		}
	}
}

// TestTracesLinkPhoneToDatabase: one trace runs from the app's client span
// through the backend's server span to its database spans, and each push
// the worker processes links to the span that queued it.
func TestTracesLinkPhoneToDatabase(t *testing.T) {
	t.Parallel()
	f := startFlowslo(t)
	f.runBounded(t, "steady", 2*time.Second)
	st := f.app.Store()
	orphans := func(child, parent string) string {
		return fmt.Sprintf(`SELECT toString(count()) FROM otel_traces c WHERE %s AND (c.TraceId, c.ParentSpanId) NOT IN (SELECT TraceId, SpanId FROM otel_traces WHERE %s)`, child, parent)
	}
	for what, q := range map[string]string{
		"server spans without the app's client span as parent": orphans(`c.SpanKind = 'Server'`, `ServiceName = 'shop-app' AND SpanKind = 'Client' AND ParentSpanId = ''`),
		"database spans without a server span as parent":       orphans(`mapContains(c.SpanAttributes, 'db.system.name') AND c.SpanName != 'acquire connection'`, `SpanKind = 'Server'`),
		"checkout pushes not queued by a checkout":             orphans(`c.ServiceName = 'orders-api' AND c.SpanKind = 'Producer'`, `SpanName = 'POST /v1/checkout'`),
		"processed pushes without a link to their producer": `SELECT toString(count()) FROM otel_traces WHERE SpanKind = 'Consumer' AND
			(length(Links.SpanId) != 1 OR (Links.TraceId[1], Links.SpanId[1]) NOT IN (SELECT TraceId, SpanId FROM otel_traces WHERE SpanKind = 'Producer'))`,
	} {
		if got := scalar(t, st, q); got != "0" {
			t.Errorf("%s: %s", what, got)
		}
	}
	// And the chains exist: phone → orders-api → database in one trace.
	chains := scalar(t, st, `SELECT toString(count()) FROM otel_traces d
		JOIN otel_traces s ON s.TraceId = d.TraceId AND s.SpanId = d.ParentSpanId
		JOIN otel_traces c ON c.TraceId = s.TraceId AND c.SpanId = s.ParentSpanId
		WHERE d.SpanName = 'INSERT orders' AND s.SpanName = 'POST /v1/checkout' AND c.ServiceName = 'shop-app'`)
	if chains == "0" {
		t.Error("no trace runs from the app through orders-api to its database")
	}
}

func missing(t *testing.T, sh spanShape, where string, want, got []string) {
	t.Helper()
	var miss []string
	for _, k := range want {
		if !slices.Contains(got, k) {
			miss = append(miss, k)
		}
	}
	if len(miss) > 0 {
		sort.Strings(got)
		t.Errorf("%+v lacks %s attributes %s (has %s)", sh, where, strings.Join(miss, ", "), strings.Join(got, ", "))
	}
}

func query(t *testing.T, st store.Store, q string) store.Rows {
	t.Helper()
	rows, err := st.Query(context.Background(), q, nil)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	t.Cleanup(func() { rows.Close() })
	return rows
}

func scalar(t *testing.T, st store.Store, q string) string {
	t.Helper()
	rows := query(t, st, q)
	var s string
	if rows.Next() {
		if err := rows.Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s
}
