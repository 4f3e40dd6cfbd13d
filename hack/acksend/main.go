// Command acksend posts OTLP/HTTP protobuf spans from many clients at once
// and writes the span ID of every span the server acknowledged (200, no
// rejected span) to a file, one hex ID a line: the kill -9 review compares
// that list with the stored rows (hack/README.md, hack/killq.sh).
//
//	go run ./hack/acksend -url http://127.0.0.1:14318/v1/traces -clients 8 -n 200 -run 3 -out acked.txt -for 20s
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:14318/v1/traces", "OTLP HTTP traces endpoint")
	clients := flag.Int("clients", 8, "concurrent clients")
	n := flag.Int("n", 200, "spans per request")
	run := flag.Uint("run", 1, "run number, in every span ID (0-255)")
	out := flag.String("out", "acked.txt", "file the acknowledged span IDs are appended to")
	dur := flag.Duration("for", 10*time.Second, "how long to send")
	service := flag.String("service", "qkill", "service.name")
	signal := flag.String("signal", "traces", "traces or logs (log records carry the IDs as their trace and span IDs)")
	flag.Parse()
	build, check := request, tracesOK
	if *signal == "logs" {
		build, check = logsRequest, logsOK
	}

	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriter(f)
	var mu sync.Mutex
	var acked, failed int
	end := time.Now().Add(*dur)
	var wg sync.WaitGroup
	for c := 0; c < *clients; c++ {
		wg.Go(func() {
			for seq := 0; time.Now().Before(end); seq++ {
				body, ids := build(*service, uint8(*run), uint16(c), uint32(seq), *n)
				ok := post(*url, body, check)
				mu.Lock()
				if ok {
					acked++
					for _, id := range ids {
						fmt.Fprintln(w, id)
					}
				} else {
					failed++
				}
				mu.Unlock()
				if !ok {
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	f.Close()
	fmt.Printf("run %d: %d requests acknowledged (%d spans), %d not\n", *run, acked, acked**n, failed)
}

// itemIDs are the trace and span ID of item i of a request: they say run,
// client, seq and index.
func itemIDs(run uint8, client uint16, seq uint32, i int) ([16]byte, [8]byte) {
	var sid [8]byte
	sid[0] = run
	binary.BigEndian.PutUint16(sid[1:3], client)
	binary.BigEndian.PutUint32(sid[3:7], seq)
	sid[7] = byte(i)
	var tid [16]byte
	copy(tid[:], sid[:])
	binary.BigEndian.PutUint32(tid[8:12], uint32(i))
	tid[15] = 1
	return tid, sid
}

// logsRequest builds one request of n log records carrying the IDs of
// ids.
func logsRequest(service string, run uint8, client uint16, seq uint32, n int) ([]byte, []string) {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", service)
	recs := rl.ScopeLogs().AppendEmpty().LogRecords()
	now := time.Now()
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		tid, sid := itemIDs(run, client, seq, i)
		r := recs.AppendEmpty()
		r.SetTraceID(tid)
		r.SetSpanID(sid)
		r.SetTimestamp(pcommon.NewTimestampFromTime(now))
		r.SetSeverityText("INFO")
		r.Body().SetStr("log line xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
		out = append(out, hex.EncodeToString(tid[:])+" "+hex.EncodeToString(sid[:]))
	}
	body, _ := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	return body, out
}

// request builds one request of n spans whose IDs say run, client, seq
// and index.
func request(service string, run uint8, client uint16, seq uint32, n int) ([]byte, []string) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", service)
	ss := rs.ScopeSpans().AppendEmpty().Spans()
	now := time.Now()
	ids := make([]string, 0, n)
	for i := 0; i < n; i++ {
		tid, sid := itemIDs(run, client, seq, i)
		sp := ss.AppendEmpty()
		sp.SetTraceID(tid)
		sp.SetSpanID(sid)
		sp.SetName("op")
		sp.SetKind(ptrace.SpanKindServer)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(now))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Millisecond)))
		sp.Attributes().PutStr("pad", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
		ids = append(ids, hex.EncodeToString(tid[:])+" "+hex.EncodeToString(sid[:]))
	}
	body, _ := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	return body, ids
}

func tracesOK(b []byte) bool {
	r := ptraceotlp.NewExportResponse()
	return r.UnmarshalProto(b) == nil && r.PartialSuccess().RejectedSpans() == 0
}

func logsOK(b []byte) bool {
	r := plogotlp.NewExportResponse()
	return r.UnmarshalProto(b) == nil && r.PartialSuccess().RejectedLogRecords() == 0
}

// post sends body and says whether every item was acknowledged.
func post(url string, body []byte, ok func([]byte) bool) bool {
	resp, err := http.Post(url, "application/x-protobuf", bytes.NewReader(body))
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return false
	}
	return ok(b)
}
