// Command amplify posts one OTLP/HTTP request whose resource attributes are
// large and whose spans are many and tiny: every stored row carries its
// resource's attributes, so the rows are (attrs × size × spans) bytes while
// the request is only (attrs × size + spans × ~40) bytes. The hostile
// review's check that such a request cannot take the server's memory.
//
//	go run ./hack/amplify -url http://127.0.0.1:14318/v1/traces -attrs 128 -size 8192 -spans 300
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:14318/v1/traces", "OTLP HTTP traces endpoint")
	attrs := flag.Int("attrs", 128, "resource attributes")
	size := flag.Int("size", 8192, "bytes of each resource attribute's value")
	spans := flag.Int("spans", 300, "spans")
	flag.Parse()
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "amplify")
	for i := range *attrs {
		rs.Resource().Attributes().PutStr(fmt.Sprintf("a%03d", i), strings.Repeat(string(rune('a'+i%26)), *size))
	}
	ss := rs.ScopeSpans().AppendEmpty().Spans()
	now := pcommon.NewTimestampFromTime(time.Now())
	for i := range *spans {
		s := ss.AppendEmpty()
		s.SetTraceID([16]byte{1, byte(i >> 16), byte(i >> 8), byte(i)})
		s.SetSpanID([8]byte{1, byte(i >> 16), byte(i >> 8), byte(i)})
		s.SetStartTimestamp(now)
		s.SetEndTimestamp(now)
	}
	body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	start := time.Now()
	resp, err := http.Post(*url, "application/x-protobuf", bytes.NewReader(body))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	b, _ := io.ReadAll(resp.Body)
	fmt.Printf("request %d bytes, rows would be ~%d MiB: %s after %v %q\n", len(body), *attrs**size**spans>>20, resp.Status, time.Since(start).Round(time.Millisecond), b)
}
