package ingest

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/flowslo/flowslo/store/chdb"
	"github.com/flowslo/flowslo/store/chdb/chdbtest"
)

// TestQueueManyDaysSplits: queued rows the store refuses as one block
// (spans on 150 days while its partition limit is 100: the retention was
// shortened with them queued) merged with good requests: the group is
// split by rows until each part fits, and every span is stored (those
// beyond the new retention for the TTL to delete), none dropped.
func TestQueueManyDaysSplits(t *testing.T) {
	st, err := chdb.Open(context.Background(), chdb.Options{DataDir: chdbtest.DataDir(), Database: chdbtest.NewDatabase(), TTLDays: 30, Schema: chdbtest.Schema()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// Ingest admits 200 days: as the retention was when these were queued.
	p := startQueued(t, st, QueueOptions{}, func(o *Options) { o.Retention = 200 * 24 * time.Hour })
	now := time.Now()
	post := func(days, batch int) {
		td := ptrace.NewTraces()
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", "days")
		spans := rs.ScopeSpans().AppendEmpty().Spans()
		for d := range days {
			s := spans.AppendEmpty()
			s.SetName("op")
			s.SetSpanID([8]byte{byte(batch), byte(d), 5})
			at := pcommon.NewTimestampFromTime(now.Add(-time.Duration(d) * 24 * time.Hour))
			s.SetStartTimestamp(at)
			s.SetEndTimestamp(at)
		}
		body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post("http://"+p.HTTPAddr()+"/v1/traces", protoType, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: %s", batch, resp.Status)
		}
	}
	post(3, 0)
	post(150, 1)
	post(2, 2)
	waitFor(t, "the queue to drain", func() bool { return drained(p) })
	// Those older than the shortened retention are the TTL's to delete
	// (as it may, at any merge); those within are all stored (the last 28.5
	// days: 29 of the 150, a day apart, and the other requests' 5).
	recent := countRows(t, st, "otel_traces", "toString(Timestamp > now() - INTERVAL 684 HOUR)")["1"]
	if recent != 3+2+29 {
		t.Errorf("stored %d spans of the last 28.5 days, want 34", recent)
	}
	if n := testutil.ToFloat64(p.traces.m.splits); n == 0 {
		t.Error("no split: the group was not refused as one block, the test tests nothing")
	}
	if n := testutil.ToFloat64(p.traces.m.dropped); n != 0 {
		t.Errorf("dropped %v spans, want none", n)
	}
}
