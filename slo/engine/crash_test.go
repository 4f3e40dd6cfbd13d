package engine_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/store"
)

var errCrash = errors.New("crashed")

// crashingStore runs the engine's writes to slo_rollup and, when told to,
// dies right after one (the write is in the table, the engine never heard
// back) or right before it (nothing written): the two points a process can
// die at around a roll, which is a single INSERT.
type crashingStore struct {
	store.Store
	rng    *rand.Rand
	writes int
}

func (c *crashingStore) Exec(ctx context.Context, q string, p store.Params) error {
	if !strings.HasPrefix(q, "INSERT INTO slo_rollup") {
		return c.Store.Exec(ctx, q, p)
	}
	c.writes++
	switch c.rng.IntN(4) {
	case 0:
		return errCrash
	case 1:
		if err := c.Store.Exec(ctx, q, p); err != nil {
			return err
		}
		return errCrash
	}
	return c.Store.Exec(ctx, q, p)
}

// TestCrashAroundEveryWrite kills the engine (a new one takes over from the
// table, as after a restart) before or after a quarter of its writes each,
// while spans arrive on time, late and very late, before and after the
// SLOs began, and checks every number against a count of the raw rows.
// "survive" keeps the same engine instead: the write failed on the client
// (a timeout) and may or may not have landed, and the engine must find out.
func TestCrashAroundEveryWrite(t *testing.T) {
	t.Run("restart", func(t *testing.T) { crashAroundEveryWrite(t, true) })
	t.Run("survive", func(t *testing.T) { crashAroundEveryWrite(t, false) })
}

func crashAroundEveryWrite(t *testing.T, restart bool) {
	ctx := context.Background()
	raw := openStore(t)
	st := &crashingStore{Store: raw, rng: rand.New(rand.NewPCG(1, 2))}
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	slos, err := slo.Parse("crash.yaml", []byte(`slos:
  - name: login-success
    flow: login
    objective: 99
    window: 7d
    indicator:
      source: traces
      total: 'service.name == "auth-api"'
      bad: 'status.code == "Error"'
    slices: ['attributes["app.version"]']
`))
	if err != nil {
		t.Fatal(err)
	}
	opts := engine.Options{Clock: func() time.Time { return now }, RollMargin: time.Millisecond, BackfillChunk: 6 * time.Hour}
	e := engine.New(st, opts)
	e.SetSLOs(slos)
	restarts := 0
	survive := func(err error) {
		t.Helper()
		switch {
		case errors.Is(err, errCrash):
			restarts++
			if restart {
				e = engine.New(st, opts)
				e.SetSLOs(slos)
			}
		case err != nil:
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	seq := 0
	for step := range 40 {
		var spans []store.Span
		for range 20 {
			seq++
			age := []time.Duration{0, time.Minute, 20 * time.Minute, 3 * time.Hour, 3 * 24 * time.Hour, 6 * 24 * time.Hour}[rng.IntN(6)]
			status := "Ok"
			if rng.IntN(5) == 0 {
				status = "Error"
			}
			spans = append(spans, store.Span{Timestamp: now.Add(-age), TraceID: fmt.Sprintf("%032x", seq), SpanID: fmt.Sprintf("%016x", seq),
				ServiceName: "auth-api", SpanKind: "Server", StatusCode: status, Duration: time.Millisecond,
				SpanAttributes: map[string]string{"app.version": fmt.Sprintf("4.%d.0", rng.IntN(3))}})
		}
		if err := raw.InsertSpans(ctx, spans); err != nil {
			t.Fatal(err)
		}
		if step%3 == 0 {
			survive(e.Backfill(ctx))
		}
		survive(e.Tick(ctx))
		now = now.Add(time.Minute)
	}
	for range 50 { // finish what the crashes interrupted
		errB, errT := e.Backfill(ctx), e.Tick(ctx)
		if errB == nil && errT == nil {
			break
		}
		survive(errors.Join(errB, errT))
	}
	if restarts < 10 {
		t.Fatalf("only %d crashes in %d writes: the test proves little", restarts, st.writes)
	}
	got, err := e.StatusOf(ctx, "login-success")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status == engine.StatusBackfilling {
		t.Fatalf("still backfilling: %+v", got.Backfill)
	}
	want := rawCounts(t, raw, got.WindowStart, "")
	if got.Total != want.Total || got.Good != want.Good {
		t.Errorf("after %d crashes: good/total %d/%d, raw rows say %d/%d", restarts, got.Good, got.Total, want.Good, want.Total)
	}
	for _, sl := range got.Slices {
		w := rawCounts(t, raw, got.WindowStart, sl.Value)
		if sl.Total != w.Total || sl.Good != w.Good {
			t.Errorf("slice %s: %d/%d, raw rows say %d/%d", sl.Value, sl.Good, sl.Total, w.Good, w.Total)
		}
	}
	t.Logf("%d writes, %d crashes, %d spans; total %d", st.writes, restarts, seq, got.Total)
}

// rawCounts counts the SLO's events since from straight from otel_traces.
func rawCounts(t *testing.T, st store.Store, from time.Time, version string) engine.WindowCounts {
	t.Helper()
	q := "SELECT countIf(StatusCode != 'Error'), count() FROM otel_traces WHERE ServiceName = 'auth-api' AND Timestamp >= fromUnixTimestamp64Nano({from:Int64})"
	p := store.Params{"from": fmt.Sprint(from.UnixNano())}
	if version != "" {
		q += " AND SpanAttributes['app.version'] = {v:String}"
		p["v"] = version
	}
	rows, err := st.Query(context.Background(), q, p)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var c engine.WindowCounts
	if rows.Next() {
		if err := rows.Scan(&c.Good, &c.Total); err != nil {
			t.Fatal(err)
		}
	}
	return c
}
