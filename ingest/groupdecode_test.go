package ingest

import (
	"context"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/flowslo/flowslo/store"
)

// capturingStore keeps the spans of each insert (a ClickHouse server's
// store, here without a server: what the group turned into is the test).
type capturingStore struct {
	*fakeStore
	spans []store.Span
}

func (c *capturingStore) InsertSpansOnce(_ context.Context, _ string, s []store.Span) error {
	c.spans = append(c.spans, s...)
	return nil
}

func (c *capturingStore) InsertLogsOnce(context.Context, string, []store.LogRecord) error { return nil }

// TestGroupDecodedInOrder: a group of OTLP entries decoded on every core
// gives the rows and resources of one pass, in entry order; an entry that
// does not parse is dropped alone and counted; an entry of another kind
// stops the group.
func TestGroupDecodedInOrder(t *testing.T) {
	cs := &capturingStore{fakeStore: &fakeStore{}}
	p := startQueued(t, cs, QueueOptions{}, nil)
	s := p.queue.sink
	var payloads [][]byte
	var want []string
	for b := range 40 {
		payloads = append(payloads, append([]byte{entryOTLP}, tracesBody(t, b, 5, 1)...))
		for i := range 5 {
			if b != 17 {
				want = append(want, fmt.Sprintf("%02x%02x%02x%02x01000000", b>>8, b&0xff, i>>8, i&0xff))
			}
		}
	}
	payloads[17] = []byte{entryOTLP, 0xff, 0xff, 0xff}
	parts, insert, err := s.prepareTraces(payloads)
	if err != nil || parts != 39 {
		t.Fatalf("prepared %d resources (%v), want 39: one per entry that parses", parts, err)
	}
	if n, err := insert(context.Background(), "t", 0, parts); err != nil || n != len(want) {
		t.Fatalf("inserted %d rows (%v), want %d", n, err, len(want))
	}
	for i, span := range cs.spans {
		if span.SpanID != want[i] {
			t.Fatalf("row %d is span %s, want %s: rows out of entry order", i, span.SpanID, want[i])
		}
	}
	if got := testutil.ToFloat64(p.m.dropped.WithLabelValues("traces")); got != 1 {
		t.Errorf("dropped counted %v, want 1 (the entry that does not parse)", got)
	}
	// A range of resources converts the same entries again: entry 18 is
	// resource 17 now.
	cs.spans = nil
	if n, err := insert(context.Background(), "t", 17, 18); err != nil || n != 5 || cs.spans[0].SpanID != want[17*5] {
		t.Fatalf("resource 17: %d rows (%v), first %v, want entry 18's 5", n, err, cs.spans)
	}
	payloads[30] = []byte{entryRows, 1}
	if _, _, err := s.prepareTraces(payloads); err == nil {
		t.Error("a rows entry in a group for a server was prepared")
	}
}
