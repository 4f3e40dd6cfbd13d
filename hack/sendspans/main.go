// Command sendspans posts OTLP/HTTP protobuf spans with chosen timestamps to
// a flowslo receiver, for the hostile review (hack/README.md). It prints
// what the server answered, so the spans it accepted are known exactly.
//
//	go run ./hack/sendspans -n 100 -bad 7 -at -20m -service svc -name op
package main

import (
	"bytes"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:14318/v1/traces", "OTLP HTTP traces endpoint")
	n := flag.Int("n", 10, "spans")
	bad := flag.Int("bad", 0, "of which with status Error")
	at := flag.Duration("at", 0, "span start relative to now (e.g. -20m, 50m)")
	abs := flag.String("abs", "", "span start as RFC 3339 (overrides -at)")
	dur := flag.Duration("dur", 10*time.Millisecond, "span duration")
	service := flag.String("service", "svc", "service.name")
	name := flag.String("name", "op", "span name")
	slices := flag.Int("slices", 0, "distinct values of attribute user (0: none)")
	extra := flag.String("attr", "", "k=v string attribute on every span")
	repeat := flag.Int("repeat", 1, "send the same request this many times")
	flag.Parse()

	start := time.Now().Add(*at)
	if *abs != "" {
		t, err := time.Parse(time.RFC3339, *abs)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		start = t
	}
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", *service)
	ss := rs.ScopeSpans().AppendEmpty().Spans()
	for i := 0; i < *n; i++ {
		sp := ss.AppendEmpty()
		var tid [16]byte
		var sid [8]byte
		rand.Read(tid[:])
		rand.Read(sid[:])
		sp.SetTraceID(tid)
		sp.SetSpanID(sid)
		sp.SetName(*name)
		sp.SetKind(ptrace.SpanKindServer)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(*dur)))
		if i < *bad {
			sp.Status().SetCode(ptrace.StatusCodeError)
		} else {
			sp.Status().SetCode(ptrace.StatusCodeOk)
		}
		if *slices > 0 {
			sp.Attributes().PutStr("user", fmt.Sprintf("u%05d", i%*slices))
		}
		if *extra != "" {
			var k, v string
			for j := 0; j < len(*extra); j++ {
				if (*extra)[j] == '=' {
					k, v = (*extra)[:j], (*extra)[j+1:]
					break
				}
			}
			sp.Attributes().PutStr(k, v)
		}
	}
	body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for r := 0; r < *repeat; r++ {
		resp, err := http.Post(*url, "application/x-protobuf", bytes.NewReader(body))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		out := ptraceotlp.NewExportResponse()
		msg := fmt.Sprintf("%q", b)
		if out.UnmarshalProto(b) == nil {
			ps := out.PartialSuccess()
			msg = fmt.Sprintf("rejected=%d %q", ps.RejectedSpans(), ps.ErrorMessage())
		}
		fmt.Printf("%s start=%s n=%d bad=%d -> %d %s\n", *service, start.UTC().Format(time.RFC3339), *n, *bad, resp.StatusCode, msg)
	}
}
