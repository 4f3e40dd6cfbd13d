package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/store"
)

// refusingStore fails every write to slo_rollup while refuse is set.
type refusingStore struct {
	store.Store
	refuse bool
}

func (r *refusingStore) Exec(ctx context.Context, q string, p store.Params) error {
	if r.refuse && strings.HasPrefix(q, "INSERT INTO slo_rollup") {
		return fmt.Errorf("chdb: disk full (query: %s)", q) // as the store words it
	}
	return r.Store.Exec(ctx, q, p)
}

// TestStaleWhileRollsFail: while rolls fail, an SLO's status says its
// numbers stopped being counted (they used to read as evaluated now, "ok",
// with nothing to tell them from fresh ones), and says so no more once a
// roll lands.
func TestStaleWhileRollsFail(t *testing.T) {
	ctx := context.Background()
	st := &refusingStore{Store: openStore(t)}
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	slos, err := slo.Parse("stale.yaml", []byte(`slos:
  - name: login-success
    flow: login
    objective: 99
    window: 7d
    indicator:
      source: traces
      total: 'service.name == "auth-api"'
      bad: 'status.code == "Error"'
`))
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(st, engine.Options{Clock: func() time.Time { return now }, RollMargin: time.Millisecond, StaleAfter: time.Nanosecond})
	e.SetSLOs(slos)
	if err := e.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.Backfill(ctx); err != nil {
		t.Fatal(err)
	}
	spans := make([]store.Span, 10)
	for i := range spans {
		spans[i] = store.Span{Timestamp: now.Add(-time.Minute), TraceID: fmt.Sprintf("%032x", i), SpanID: fmt.Sprintf("%016x", i),
			ServiceName: "auth-api", SpanKind: "Server", StatusCode: "Ok", Duration: time.Millisecond}
	}
	if err := st.InsertSpans(ctx, spans); err != nil {
		t.Fatal(err)
	}
	st.refuse = true
	if err := e.Tick(ctx); err == nil {
		t.Fatal("a cycle whose roll failed returned no error")
	}
	now = now.Add(time.Second) // past the last cycle's numbers: Status evaluates
	got, err := e.StatusOf(ctx, "login-success")
	if err != nil {
		t.Fatal(err)
	}
	if got.Total != 0 || !strings.Contains(got.Stale, "counted until") {
		t.Errorf("rolls failing: total %d, stale %q; want 0 and a stale note", got.Total, got.Stale)
	}
	for _, p := range e.Progress() {
		if p.State != "failed" || strings.Contains(p.Error, "INSERT") {
			t.Errorf("progress while rolls fail: %s %q; want failed, without the SQL", p.State, p.Error)
		}
	}
	if !e.Held("login-success") || e.Backfilling("login-success") {
		t.Errorf("rolls failing: held %v, backfilling %v; want alerts held, not backfilling", e.Held("login-success"), e.Backfilling("login-success"))
	}
	st.refuse = false
	if err := e.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if e.Held("login-success") {
		t.Error("alerts still held after a roll landed")
	}
	if got, err = e.StatusOf(ctx, "login-success"); err != nil || got.Total != 10 || got.Stale != "" {
		t.Errorf("rolls landing again: total %d, stale %q (%v); want 10 and no note", got.Total, got.Stale, err)
	}
}
