package engine_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/store"
)

// TestRollOfMoreThanAMillionRows: a roll whose counts are more than a
// million slo_rollup rows (a sliced SLO after a burst of late data: a
// history import, `flowslo demo --backfill`, phones' offline batches over
// many minutes) used to be one INSERT whose array parameter ClickHouse
// refuses ("Array of size … is too large", or its memory limit), failed
// again verbatim at every cycle and after every restart, and so froze
// every SLO's numbers for good. Rolls now split such a span of insertion
// time, so the numbers catch up and stay exact.
//
// It takes half a minute, so it runs with FLOWSLO_TEST_BIG_ROLL=1;
// TestRollSplitsManyRows checks the same with a lower bound.
func TestRollOfMoreThanAMillionRows(t *testing.T) {
	if os.Getenv("FLOWSLO_TEST_BIG_ROLL") == "" {
		t.Skip("inserts 1.2M spans (30 s): set FLOWSLO_TEST_BIG_ROLL=1")
	}
	bigRoll(t, openStore(t), 12, 100_000)
}

// TestRollSplitsManyRows: with the bound lowered to 1000 rows, a roll over
// 6 inserts of 600 rows each (300 minutes, whole and sliced) writes at most
// 1000 rows per INSERT (one insert's 600 are never split), and the numbers
// are exact.
func TestRollSplitsManyRows(t *testing.T) {
	defer engine.SetMaxRollRows(1000)()
	st := &widestRoll{Store: openStore(t)}
	bigRoll(t, st, 6, 300)
	if st.max > 1000 || st.max < 600 {
		t.Errorf("the widest roll wrote %d minute rows; want 600 to 1000", st.max)
	}
}

// TestRollReadsABacklogOnce: a backlog of many parts' worth is read whole
// once to find the cuts, then part by part, not once more per part as when
// each part began by reading all that was left (16,085 rows selected here
// then, 8,585 now; the gap grows with the square of the parts).
func TestRollReadsABacklogOnce(t *testing.T) {
	defer engine.SetMaxRollRows(200)()
	st := &widestRoll{Store: openStore(t)}
	bigRoll(t, st, 6, 300) // 1800 slice rows: 9 parts or more
	if st.selected > 11_000 {
		t.Errorf("rolling 1800 rows selected %d rows in %d queries, want under 11,000", st.selected, st.queries)
	}
}

// widestRoll records the most minute rows one roll INSERT carried, and
// how many rows the rolls' SELECTs returned in all.
type widestRoll struct {
	store.Store
	max      int
	selected int
	queries  int
}

func (w *widestRoll) Query(ctx context.Context, q string, p store.Params) (store.Rows, error) {
	rows, err := w.Store.Query(ctx, q, p)
	if err != nil || !strings.HasPrefix(q, "SELECT slo, hash, slice_key") {
		return rows, err
	}
	w.queries++
	return &countedRows{Rows: rows, n: &w.selected}, nil
}

// countedRows counts the rows read through it.
type countedRows struct {
	store.Rows
	n *int
}

func (c *countedRows) Next() bool {
	ok := c.Rows.Next()
	if ok {
		*c.n++
	}
	return ok
}

func (w *widestRoll) Exec(ctx context.Context, q string, p store.Params) error {
	if strings.HasPrefix(q, "INSERT INTO slo_rollup") {
		for _, v := range p {
			if strings.HasPrefix(v, "[(") {
				w.max = max(w.max, strings.Count(v, "),(")+1)
			}
		}
	}
	return w.Store.Exec(ctx, q, p)
}

// bigRoll counts a burst of finely sliced rows and returns how many cycles
// it took to count them all.
func bigRoll(t *testing.T, st store.Store, inserts, per int) int {
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	slos, err := slo.Parse("big.yaml", []byte(`slos:
  - name: by-user
    flow: login
    objective: 99
    window: 7d
    indicator:
      source: traces
      total: 'service.name == "auth-api"'
      bad: 'status.code == "Error"'
    slices: ['attributes["user"]']
`))
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(st, engine.Options{Clock: func() time.Time { return now }, RollMargin: time.Millisecond})
	e.SetSLOs(slos)
	if err := e.Tick(ctx); err != nil { // begins counting: what follows is rolled
		t.Fatal(err)
	}
	// inserts of per spans, each of its own user over 10,000 minutes
	// (12 × 100,000: 1.2M slice rows, more than one array may hold).
	for i := range inserts {
		q := fmt.Sprintf(`INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ServiceName, SpanName, SpanKind, StatusCode, Duration, SpanAttributes)
SELECT fromUnixTimestamp64Nano({now:Int64}) - toIntervalMinute(number %% 10000), hex(number + %[1]d), hex(number + %[1]d), 'auth-api', 'op', 'Server',
	if(number %% 100 = 0, 'Error', 'Ok'), 1000000, map('user', toString(number + %[1]d))
FROM numbers(%[2]d)`, i*per, per)
		if err := st.Exec(ctx, q, store.Params{"now": fmt.Sprint(now.Add(-time.Second).UnixNano())}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // the next insert gets a later insertion time (ms)
	}
	var got engine.SLOStatus
	try := 0
	for ; got.Total < uint64(inserts*per) && try < 40; try++ {
		if err := e.Backfill(ctx); err != nil {
			t.Fatalf("backfill %d: %v", try, err)
		}
		if err := e.Tick(ctx); err != nil {
			t.Fatalf("cycle %d: %v", try, err)
		}
		if got, err = e.StatusOf(ctx, "by-user"); err != nil {
			t.Fatal(err)
		}
	}
	want := rawCounts(t, st, got.WindowStart, "")
	if got.Total != want.Total || got.Good != want.Good || want.Total != uint64(inserts*per) {
		t.Fatalf("good/total %d/%d (%s), raw rows say %d/%d", got.Good, got.Total, got.Status, want.Good, want.Total)
	}
	return try
}
