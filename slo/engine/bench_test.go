package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb"
	"github.com/flowslo/flowslo/store/chdb/chdbtest"
)

// The evaluation benchmark: FLOWSLO_BENCH_SPANS spans (default 50 million)
// over 30 days, generated inside the engine, and 200 SLOs over them
// (FLOWSLO_BENCH_SLOS to change; every fourth sliced by platform and app
// version, half of them latency SLIs), backfilled once. Run:
//
//	go test ./slo/engine -run '^$' -bench . -benchtime 5x -timeout 60m
var bench struct {
	once sync.Once
	e    *engine.Engine
	st   store.Store
	err  error
	now  atomic.Int64 // the engine's clock, Unix ns; BenchmarkTickMinute moves it
}

func benchEngine(b *testing.B) *engine.Engine {
	bench.once.Do(func() { bench.e, bench.err = setupBench(b) })
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.e
}

func setupBench(b *testing.B) (*engine.Engine, error) {
	ctx := context.Background()
	st, err := chdb.Open(ctx, chdb.Options{DataDir: chdbtest.DataDir(), Database: "bench", Schema: engine.Migrations()})
	if err != nil {
		return nil, err
	}
	bench.st = st
	n := int64(50_000_000)
	if v := os.Getenv("FLOWSLO_BENCH_SPANS"); v != "" {
		n, _ = strconv.ParseInt(v, 10, 64)
	}
	now := time.Now().UTC()
	t0 := time.Now()
	if err := generateSpans(ctx, st, n, now.Add(-30*24*time.Hour), now); err != nil {
		return nil, err
	}
	b.Logf("generated %d spans in %s", n, time.Since(t0).Round(time.Millisecond))
	nSLOs := 200
	if v := os.Getenv("FLOWSLO_BENCH_SLOS"); v != "" {
		nSLOs, _ = strconv.Atoi(v)
	}
	slos, err := benchSLOs(nSLOs)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	bench.now.Store(now.UnixNano())
	clock := func() time.Time { return time.Unix(0, bench.now.Load()).UTC() }
	// A roll margin of 1 ms: the benchmarks insert and tick faster than
	// real time, and rows within the default 2 s would wait for a later
	// cycle (the margin changes when rows are counted, not what it costs).
	e := engine.New(st, engine.Options{Clock: clock, BackfillChunk: 31 * 24 * time.Hour, RollMargin: time.Millisecond, Logger: log})
	e.SetSLOs(slos)
	t0 = time.Now()
	if err := e.Backfill(ctx); err != nil {
		return nil, err
	}
	b.Logf("backfilled %d SLOs in %s", nSLOs, time.Since(t0).Round(time.Millisecond))
	var rows uint64
	r, err := st.Query(ctx, "SELECT count() FROM slo_rollup", nil)
	if err != nil {
		return nil, err
	}
	for r.Next() {
		r.Scan(&rows)
	}
	b.Logf("slo_rollup holds %d rows", rows)
	return e, nil
}

// generateSpans writes n spans evenly over [from, to) in chunks of 10M:
// 20 services × 10 span names, 20 releases (4.0 … 4.19) on 3 platforms,
// 0.5% errors, durations log-uniform 1 ms–1 s.
func generateSpans(ctx context.Context, st store.Store, n int64, from, to time.Time) error {
	step := to.Sub(from).Nanoseconds() / n
	const chunk = 10_000_000
	for off := int64(0); off < n; off += chunk {
		m := min(chunk, n-off)
		q := `INSERT INTO otel_traces (Timestamp, TraceId, SpanId, SpanName, SpanKind, ServiceName,
	ResourceAttributes, SpanAttributes, Duration, StatusCode)
SELECT fromUnixTimestamp64Nano(toInt64({from:Int64} + i * {step:Int64})),
	lower(hex(cityHash64(i))), lower(hex(cityHash64(i, 1))),
	concat('op-', toString(intDiv(i % 200, 20))), 'Server', concat('svc-', toString(i % 20)),
	map('service.version', concat('4.', toString(intDiv(i, 7) % 20))),
	map('app.platform', ['ios', 'android', 'web'][1 + intDiv(i, 3) % 3], 'http.response.status_code', '200'),
	toUInt64(exp2((cityHash64(i, 3) % 1000) / 100.0) * 1000000),
	if(cityHash64(i, 2) % 1000 < 5, 'Error', 'Ok')
FROM (SELECT number + {off:Int64} AS i FROM numbers({m:Int64}))`
		err := st.Exec(ctx, q, store.Params{"from": fmt.Sprint(from.UnixNano()), "step": fmt.Sprint(step),
			"off": fmt.Sprint(off), "m": fmt.Sprint(m)})
		if err != nil {
			return fmt.Errorf("generate spans: %w", err)
		}
	}
	return nil
}

// benchSLOs returns n SLOs over the generated services and span names.
func benchSLOs(n int) ([]*slo.SLO, error) {
	var y strings.Builder
	y.WriteString("slos:\n")
	for i := range n {
		fmt.Fprintf(&y, "  - name: slo-%d\n    flow: flow-%d\n    objective: %s\n", i, i%10, []string{"99", "99.5", "99.9"}[i%3])
		switch {
		case i%50 == 7:
			y.WriteString("    calendar: month\n")
		case i%10 == 3:
			y.WriteString("    window: 7d\n")
		default:
			y.WriteString("    window: 28d\n")
		}
		fmt.Fprintf(&y, "    indicator:\n      source: traces\n      total: 'service.name == \"svc-%d\" && name == \"op-%d\"'\n", (i*7)%20, (i/20)%10)
		if i%2 == 0 {
			y.WriteString("      bad: 'status.code == \"Error\"'\n")
		} else {
			y.WriteString("      latency: {threshold: 500ms}\n")
		}
		if i%4 == 0 {
			y.WriteString("    slices: ['attributes[\"app.platform\"]', 'resource.attributes[\"service.version\"]']\n")
		}
	}
	return slo.Parse("bench.yaml", []byte(y.String()))
}

// BenchmarkEvaluate is one evaluation cycle of all 200 SLOs: budgets, the
// seven burn rates and the per-slice numbers (two queries).
func BenchmarkEvaluate(b *testing.B) {
	e := benchEngine(b)
	ctx := context.Background()
	t0 := time.Now()
	if err := e.Tick(ctx); err != nil { // the first cycle loads memory
		b.Fatal(err)
	}
	b.Logf("first cycle (rollups into memory): %s", time.Since(t0).Round(time.Millisecond))
	b.ResetTimer()
	cpu := startCPU()
	for b.Loop() {
		if err := e.Tick(ctx); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

// BenchmarkTickIngest is a cycle while spans arrive at 10,000 spans/s:
// first (untimed) the last 10 minutes of that traffic (6M spans) and one
// cycle, the steady state; then before each Tick 5 s more (50,000 spans),
// on time ("late=0%") or with 1% of them 3 hours late ("late=1%"), the
// issue's bound being that late data at 1% of the rate costs under 10%
// more CPU. cpu-s/op counts the process's CPU during the Ticks only.
func BenchmarkTickIngest(b *testing.B) {
	e := benchEngine(b)
	ctx := context.Background()
	now := time.Unix(0, bench.now.Load())
	if err := generateSpans(ctx, bench.st, 6_000_000, now.Add(-10*time.Minute), now); err != nil {
		b.Fatal(err)
	}
	if err := e.Tick(ctx); err != nil {
		b.Fatal(err)
	}
	for _, late := range []int64{0, 500} {
		b.Run(fmt.Sprintf("late=%d%%", late/500), func(b *testing.B) { tickIngest(b, e, late) })
	}
}

func tickIngest(b *testing.B, e *engine.Engine, late int64) {
	ctx := context.Background()
	var cpu, gen time.Duration
	for b.Loop() {
		b.StopTimer()
		t0 := time.Now()
		now := time.Unix(0, bench.now.Load())
		if err := generateSpans(ctx, bench.st, 50_000-late, now.Add(-5*time.Second), now); err != nil {
			b.Fatal(err)
		}
		if late > 0 {
			if err := generateSpans(ctx, bench.st, late, now.Add(-3*time.Hour-5*time.Second), now.Add(-3*time.Hour)); err != nil {
				b.Fatal(err)
			}
		}
		gen += time.Since(t0)
		b.StartTimer()
		c0 := processCPU()
		if err := e.Tick(ctx); err != nil {
			b.Fatal(err)
		}
		cpu += processCPU() - c0
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.Logf("span generation (not timed): %s per cycle", (gen / time.Duration(b.N)).Round(time.Millisecond))
}

// cpuClock measures the process's CPU time (Go and the embedded
// ClickHouse alike) over a benchmark loop.
type cpuClock struct{ start time.Duration }

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{processCPU()} }

func (c cpuClock) report(b *testing.B) {
	b.ReportMetric((processCPU()-c.start).Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkStatus is what GET /api/v1/slos costs: the last cycle's numbers,
// encoded as JSON.
func BenchmarkStatus(b *testing.B) {
	e := benchEngine(b)
	ctx := context.Background()
	if _, err := e.Evaluate(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		st, err := e.Status(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(map[string]any{"slos": st}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRelease is what GET /api/v1/releases/{version} costs: one
// release of 20, seen over the whole window, in those of the 50 SLOs with
// a release slice whose events carry it, its platform split read from the pair slice's rollups; beside it
// (raw-split) the split from raw rows of the period that it replaced.
func BenchmarkRelease(b *testing.B) {
	e := benchEngine(b)
	ctx := context.Background()
	if err := e.Tick(ctx); err != nil {
		b.Fatal(err)
	}
	for _, raw := range []bool{false, true} {
		b.Run(map[bool]string{false: "rollups", true: "raw-split"}[raw], func(b *testing.B) {
			engine.UseRawPlatformSplit(e, raw)
			defer engine.UseRawPlatformSplit(e, false)
			n := 0
			for b.Loop() {
				rep, err := e.Release(ctx, "4.10", engine.ReleaseQuery{})
				if err != nil || len(rep.SLOs) == 0 || len(rep.SLOs[0].Platforms) == 0 {
					b.Fatalf("release: %d SLOs, %v", len(rep.SLOs), err)
				}
				n = len(rep.SLOs)
			}
			b.ReportMetric(float64(n), "slos")
		})
	}
}

// BenchmarkTickMinute is a cycle in which a minute passes (one in 12
// with the default 5 s interval): every window start moves. It moves the
// clock, so it runs last.
func BenchmarkTickMinute(b *testing.B) {
	e := benchEngine(b)
	ctx := context.Background()
	cpu := startCPU()
	for b.Loop() {
		bench.now.Add(int64(time.Minute))
		if err := e.Tick(ctx); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}
