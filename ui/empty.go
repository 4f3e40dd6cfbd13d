package ui

import (
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"

	"github.com/flowslo/flowslo/slo"
)

// OTLPInfo is where flowslo receives telemetry, for the empty states.
type OTLPInfo struct {
	GRPCAddr, HTTPAddr string // bound addresses ("[::]:4318")
	TLS                bool   // the receivers require TLS
	Token              bool   // the receivers require a bearer token
}

// emptyState says how to get data in, when there is none: where to send
// (the receivers' real addresses), a command that sends one test span and
// one log, and the event each SLO counts.
type emptyState struct {
	NoSLOs       bool
	Spans        uint64
	GRPC, HTTP   string // host:port to send to
	AllIfaces    bool   // the receivers listen on every interface
	Endpoint     string // OTEL_EXPORTER_OTLP_ENDPOINT
	Command      string
	Token        bool
	Expectations []sloExpectation
}

type sloExpectation struct {
	SLO string
	slo.Expectation
}

func (s *Server) empty(r *http.Request, noData bool) *emptyState {
	if !noData {
		return nil
	}
	ctx := r.Context()
	e := &emptyState{}
	st, err := s.opts.SLOs.Status(ctx)
	if err == nil && len(st) == 0 {
		e.NoSLOs = true
	}
	for _, x := range st {
		e.Expectations = append(e.Expectations, sloExpectation{SLO: x.Name, Expectation: x.Expects})
	}
	sort.Slice(e.Expectations, func(i, j int) bool { return e.Expectations[i].SLO < e.Expectations[j].SLO })
	if s.opts.Stats != nil {
		if n, err := s.opts.Stats(ctx); err == nil {
			e.Spans = n.Spans
		}
	}
	var o OTLPInfo
	if s.opts.OTLP != nil {
		o = s.opts.OTLP()
	}
	whereToSend(e, o, hostOf(r.Host))
	return e
}

// whereToSend fills in the addresses and the test command. A receiver on
// every interface is reached by the host the page was loaded from.
func whereToSend(e *emptyState, o OTLPInfo, pageHost string) {
	if o.GRPCAddr == "" { // not bound yet
		o.GRPCAddr = ":4317"
	}
	if o.HTTPAddr == "" {
		o.HTTPAddr = ":4318"
	}
	var all1, all2 bool
	e.GRPC, all1 = reachable(o.GRPCAddr, pageHost)
	e.HTTP, all2 = reachable(o.HTTPAddr, pageHost)
	e.AllIfaces, e.Token = all1 || all2, o.Token
	scheme := "http"
	if o.TLS {
		scheme = "https"
	}
	e.Endpoint = scheme + "://" + e.HTTP
	e.Command = testCommand(e.Endpoint, o.Token, e.Expectations)
}

func hostOf(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// reachable turns a bound address into one to send to.
func reachable(addr, pageHost string) (string, bool) {
	h, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, false
	}
	if ip := net.ParseIP(h); h == "" || ip != nil && ip.IsUnspecified() {
		if pageHost == "" {
			pageHost = "localhost"
		}
		return net.JoinHostPort(pageHost, port), true
	}
	return addr, false
}

// testCommand is a shell command sending, over OTLP/HTTP JSON, one span as
// the first trace SLO expects it and one log as the first log SLO does
// (or a generic one), timed now.
func testCommand(endpoint string, token bool, xs []sloExpectation) string {
	span := slo.Expectation{Signal: "span", Service: "checkout-api", Name: "GET /health", Kind: "Server"}
	log := slo.Expectation{Signal: "log", Service: "checkout-api", Event: "test.event"}
	spanSet, logSet := false, false
	for _, x := range xs {
		if x.Signal == "span" && !spanSet && x.Service != "" {
			span, spanSet = x.Expectation, true
		}
		if x.Signal == "log" && !logSet && x.Service != "" {
			log, logSet = x.Expectation, true
		}
	}
	auth := ""
	if token {
		auth = ` -H "Authorization: Bearer $FLOWSLO_OTLP_TOKEN"`
	}
	return fmt.Sprintf(`now=$(date +%%s%%N)
curl -sS%[2]s -H 'Content-Type: application/json' %[1]s/v1/traces -d '%[3]s'
curl -sS%[2]s -H 'Content-Type: application/json' %[1]s/v1/logs -d '%[4]s'`, endpoint, auth, spanJSON(span), logJSON(log))
}

var kindNumber = map[string]int{"Internal": 1, "Server": 2, "Client": 3, "Producer": 4, "Consumer": 5}

func spanJSON(x slo.Expectation) string {
	kind := kindNumber[x.Kind]
	if kind == 0 {
		kind = 2
	}
	name := x.Name
	if name == "" {
		name = "test span"
	}
	// A status code, so that a good filter comparing one passes.
	attrs := map[string]string{"http.response.status_code": "200"}
	for k, v := range x.Attributes {
		attrs[k] = v
	}
	return fmt.Sprintf(`{"resourceSpans":[{"resource":{"attributes":[%s]},"scopeSpans":[{"spans":[{"traceId":"'$(printf %%032x $now)'","spanId":"'$(printf %%016x $now)'","name":%s,"kind":%d,"startTimeUnixNano":"'$now'","endTimeUnixNano":"'$((now+5000000))'","attributes":[%s],"status":{"code":1}}]}]}]}`,
		kvJSON(resourceOf(x)), jsonStr(name), kind, kvJSON(attrs))
}

func logJSON(x slo.Expectation) string {
	ev := ""
	if x.Event != "" {
		ev = `"eventName":` + jsonStr(x.Event) + `,`
	}
	return fmt.Sprintf(`{"resourceLogs":[{"resource":{"attributes":[%s]},"scopeLogs":[{"logRecords":[{"timeUnixNano":"'$now'",%s"severityNumber":9,"severityText":"INFO","body":{"stringValue":"flowslo test log"},"attributes":[%s]}]}]}]}`,
		kvJSON(resourceOf(x)), ev, kvJSON(x.Attributes))
}

func resourceOf(x slo.Expectation) map[string]string {
	r := map[string]string{"service.name": x.Service}
	for k, v := range x.Resource {
		r[k] = v
	}
	return r
}

// kvJSON writes OTLP attributes, sorted by key. Values are strings: the
// SLI language compares attribute values as numbers where they are ones.
func kvJSON(m map[string]string) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var out []string
	for _, k := range ks {
		out = append(out, `{"key":`+jsonStr(k)+`,"value":{"stringValue":`+jsonStr(m[k])+`}}`)
	}
	return strings.Join(out, ",")
}

// jsonStr writes a JSON string safe inside the command's single quotes.
func jsonStr(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `'`, `\u0027`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
