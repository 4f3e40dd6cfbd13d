package engine_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/store"
)

// noWrites is a follower's store: every write fails the test.
type noWrites struct {
	store.Store
	t *testing.T
}

func (n noWrites) Exec(ctx context.Context, q string, p store.Params) error {
	n.t.Errorf("a read-only engine wrote: %.80s", q)
	return errors.New("read-only")
}

// TestReadOnlyEngineFollows: a read-only engine (a follower replica) never
// writes, and shows the numbers the writing engine rolled up, also after
// more rolls, with no memory of its own to fall behind.
func TestReadOnlyEngineFollows(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Date(2026, 3, 10, 12, 0, 30, 0, time.UTC)
	slos, err := slo.Parse("t.yaml", []byte(`slos:
  - name: login-success
    flow: login
    objective: 99
    window: 7d
    indicator: {source: traces, total: 'service.name == "auth-api"', bad: 'status.code == "Error"'}
    slices: ['attributes["app.platform"]']
`))
	if err != nil {
		t.Fatal(err)
	}
	opts := engine.Options{Clock: func() time.Time { return now }, RollMargin: time.Millisecond, StaleAfter: time.Nanosecond}
	leader := engine.New(st, opts)
	leader.SetSLOs(slos)
	opts.ReadOnly = true
	follower := engine.New(noWrites{st, t}, opts)
	follower.SetSLOs(slos)
	seq := 0
	send := func(n int, status string, ago time.Duration) {
		var spans []store.Span
		for range n {
			seq++
			spans = append(spans, store.Span{Timestamp: now.Add(-ago), TraceID: hex32(seq), SpanID: hex32(seq)[16:], ServiceName: "auth-api",
				StatusCode: status, SpanAttributes: map[string]string{"app.platform": []string{"ios", "android"}[seq%2]}})
		}
		if err := st.InsertSpans(ctx, spans); err != nil {
			t.Fatal(err)
		}
	}
	for round, want := range []uint64{10, 17, 30} {
		send(int(want)-seq-2, "Ok", time.Duration(round)*time.Hour)
		send(2, "Error", time.Minute)
		time.Sleep(5 * time.Millisecond) // past the roll margin
		if err := errors.Join(leader.Backfill(ctx), leader.Tick(ctx), follower.Backfill(ctx), follower.Tick(ctx)); err != nil {
			t.Fatal(err)
		}
		l, err := leader.StatusOf(ctx, "login-success")
		if err != nil {
			t.Fatal(err)
		}
		f, err := follower.StatusOf(ctx, "login-success")
		if err != nil {
			t.Fatal(err)
		}
		if l.Total != want || f.Total != l.Total || f.Good != l.Good || len(f.Slices) != len(l.Slices) || *f.BurnRates[slo.Duration(5*time.Minute)] != *l.BurnRates[slo.Duration(5*time.Minute)] {
			t.Errorf("round %d: leader %d/%d, follower %d/%d (want total %d), slices %d/%d", round, l.Good, l.Total, f.Good, f.Total, want, len(l.Slices), len(f.Slices))
		}
		// Counted: the events rolls counted (not the backfilled ones of
		// round 0), each once, growing by what each round stored.
		c := leader.Counted()["login-success"]
		if round > 0 && c.Total != want-10 || c.Total-c.Good != 2*uint64(round) && round > 0 {
			t.Errorf("round %d: counted %+v, want %d events, %d bad", round, c, want-10, 2*round)
		}
		if follower.Counted() != nil {
			t.Errorf("a read-only engine reports counted events: %v", follower.Counted())
		}
	}
}

// TestManySliceValuesReadCold: a definition whose slices have more values
// than memory keeps reads its slices from slo_rollup, with the same
// numbers, the whole SLO still from memory.
func TestManySliceValuesReadCold(t *testing.T) {
	defer engine.SetMemSeriesCap(4)()
	ctx := context.Background()
	st := openStore(t)
	now := time.Date(2026, 3, 10, 12, 0, 30, 0, time.UTC)
	slos, err := slo.Parse("t.yaml", []byte(`slos:
  - name: login-success
    flow: login
    objective: 99
    window: 7d
    indicator: {source: traces, total: 'service.name == "auth-api"', bad: 'status.code == "Error"'}
    slices: ['attributes["user"]']
`))
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(st, engine.Options{Clock: func() time.Time { return now }, RollMargin: time.Millisecond, SliceCap: 3})
	e.SetSLOs(slos)
	var spans []store.Span
	for i := range 40 {
		spans = append(spans, store.Span{Timestamp: now.Add(-time.Duration(i) * time.Minute), TraceID: hex32(i + 1), SpanID: hex32(i + 1)[16:],
			ServiceName: "auth-api", StatusCode: []string{"Ok", "Error"}[i%2], SpanAttributes: map[string]string{"user": fmt.Sprint("u", i%9)}})
	}
	if err := st.InsertSpans(ctx, spans); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	if err := errors.Join(e.Backfill(ctx), e.Tick(ctx)); err != nil {
		t.Fatal(err)
	}
	if err := st.InsertSpans(ctx, spans[:5]); err != nil { // rolled, not backfilled
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	got, err := e.Evaluate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Total != 45 || len(got[0].Slices) != 4 { // 3 values and "other"
		t.Fatalf("total %d, %d slices: %+v", got[0].Total, len(got[0].Slices), got[0].Slices)
	}
	if err := sameAsCold(ctx, e, got); err != nil {
		t.Fatal(err)
	}
}
