package demo_test

import (
	"context"
	"fmt"
	"net"
	"sort"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configgrpc"
	"go.opentelemetry.io/collector/config/confignet"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/flowslo/flowslo/demo"
)

// sink is the collector's own OTLP receiver keeping everything it gets: a
// real OTLP server, with no flowslo in between.
type sink struct {
	addr   string
	traces *consumertest.TracesSink
	logs   *consumertest.LogsSink
}

func startSink(tb testing.TB) *sink {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &sink{addr: ln.Addr().String(), traces: &consumertest.TracesSink{}, logs: &consumertest.LogsSink{}}
	ln.Close()
	f := otlpreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*otlpreceiver.Config)
	g := configgrpc.NewDefaultServerConfig()
	g.NetAddr = confignet.AddrConfig{Endpoint: s.addr, Transport: confignet.TransportTypeTCP}
	g.MaxRecvMsgSizeMiB = 64
	cfg.Protocols.GRPC = configoptional.Some(g)
	cfg.Protocols.HTTP = configoptional.None[otlpreceiver.HTTPConfig]()
	set := receivertest.NewNopSettings(f.Type())
	tr, err := f.CreateTraces(context.Background(), set, cfg, s.traces)
	if err != nil {
		tb.Fatal(err)
	}
	lr, err := f.CreateLogs(context.Background(), set, cfg, s.logs)
	if err != nil {
		tb.Fatal(err)
	}
	if err := tr.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		tb.Fatal(err)
	}
	if err := lr.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = tr.Shutdown(context.Background()); _ = lr.Shutdown(context.Background()) })
	return s
}

// TestSeededRunIsReproducible: two runs with the same seed send the same
// spans and logs (IDs, names, attributes, statuses, links, timestamps as
// offsets from the run's start); another seed sends others.
func TestSeededRunIsReproducible(t *testing.T) {
	t.Parallel()
	run := func(seed int64) []string {
		s := startSink(t)
		opts := demo.DefaultOptions()
		// Cycling through every scenario at this speed plays all of them.
		opts.Endpoint, opts.Speed, opts.Rate, opts.Duration, opts.Seed = s.addr, 4000, testRate, 2*time.Second, seed
		res, err := demo.Run(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		events := s.events()
		if int64(len(events)) != res.Spans+res.Logs || res.Spans == 0 {
			t.Fatalf("the sink holds %d events, the demo says %d spans and %d logs were acknowledged", len(events), res.Spans, res.Logs)
		}
		return events
	}
	a, b, c := run(7), run(7), run(8)
	if diff := firstDiff(a, b); diff != "" {
		t.Errorf("two runs with seed 7 differ (%d and %d events): %s", len(a), len(b), diff)
	}
	if firstDiff(a, c) == "" {
		t.Error("seeds 7 and 8 made the same run")
	}
}

// events renders every span and log record as text, with times relative to
// the earliest span, sorted.
func (s *sink) events() []string {
	var out []string
	var t0 pcommon.Timestamp
	for _, td := range s.traces.AllTraces() {
		for i := range td.ResourceSpans().Len() {
			rs := td.ResourceSpans().At(i)
			for j := range rs.ScopeSpans().Len() {
				spans := rs.ScopeSpans().At(j).Spans()
				for k := range spans.Len() {
					if st := spans.At(k).StartTimestamp(); t0 == 0 || st < t0 {
						t0 = st
					}
				}
			}
		}
	}
	rel := func(ts pcommon.Timestamp) int64 { return int64(ts) - int64(t0) }
	for _, td := range s.traces.AllTraces() {
		for i := range td.ResourceSpans().Len() {
			rs := td.ResourceSpans().At(i)
			res := fmt.Sprint(rs.Resource().Attributes().AsRaw())
			for j := range rs.ScopeSpans().Len() {
				spans := rs.ScopeSpans().At(j).Spans()
				for k := range spans.Len() {
					sp := spans.At(k)
					links := ""
					for l := range sp.Links().Len() {
						links += sp.Links().At(l).SpanID().String()
					}
					out = append(out, fmt.Sprintf("span %s %s %s %s %q %s %d %d %v %s %s %d", res, sp.TraceID(), sp.SpanID(), sp.ParentSpanID(),
						sp.Name(), sp.Kind(), rel(sp.StartTimestamp()), rel(sp.EndTimestamp()), sp.Attributes().AsRaw(), sp.Status().Code(), links, sp.Events().Len()))
				}
			}
		}
	}
	for _, ld := range s.logs.AllLogs() {
		for i := range ld.ResourceLogs().Len() {
			rl := ld.ResourceLogs().At(i)
			for j := range rl.ScopeLogs().Len() {
				recs := rl.ScopeLogs().At(j).LogRecords()
				for k := range recs.Len() {
					r := recs.At(k)
					out = append(out, fmt.Sprintf("log %s %s %s %d %s %q %v", r.TraceID(), r.SpanID(), r.EventName(), rel(r.Timestamp()),
						r.SeverityNumber(), r.Body().AsString(), r.Attributes().AsRaw()))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("event %d:\n%s\n%s", i, a[i], b[i])
		}
	}
	if len(a) != len(b) {
		return fmt.Sprintf("%d events and %d", len(a), len(b))
	}
	return ""
}
