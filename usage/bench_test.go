package usage_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb/chdbtest"
	"github.com/flowslo/flowslo/usage"
)

// BenchmarkUsage/report is what GET /api/v1/usage costs over
// FLOWSLO_BENCH_SPANS spans (default 2M) spread over 30 days, 20
// services, 20 SLOs reading half of them:
//
//	FLOWSLO_BENCH_SPANS=50000000 go test ./usage -run '^$' -bench Usage -benchtime 10x -timeout 30m
//
// BenchmarkUsage/before is the report's queries before the usage
// projection (as of commit e7c2fa1), in the same run.
//
// BenchmarkUsage/count is the baseline measured in the same run: one
// count() per service and day by toDate(Timestamp), the plain query a
// user would write for the same numbers, and what the report read before
// store.UsageProjection (here with projections turned off, as it scans).
func BenchmarkUsage(b *testing.B) {
	st, slos := benchStore(b)
	ctx := context.Background()
	b.Run("report", func(b *testing.B) {
		r := usage.New(st, usage.Options{RetentionDays: 30, SLOs: func() []*slo.SLO { return slos }})
		for b.Loop() {
			rep, err := r.Report(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if rep.TotalSpans == 0 {
				b.Fatal("no spans counted")
			}
		}
	})
	b.Run("before", func(b *testing.B) {
		for b.Loop() {
			if err := reportBefore(ctx, st, slos); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("count", func(b *testing.B) {
		for b.Loop() {
			rows, err := st.Query(ctx, "SELECT ServiceName, toDate(Timestamp), count() FROM otel_traces GROUP BY 1, 2 SETTINGS optimize_use_projections = 0", nil)
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
			}
			rows.Close()
		}
	})
}

// reportBefore runs the queries the report ran before the usage
// projection, as they were: system.parts, a count per partition and
// service (here with projections off, as then), one query per SLO.
func reportBefore(ctx context.Context, st store.Store, slos []*slo.SLO) error {
	qs := []string{
		"SELECT table, partition_id, sum(rows), sum(bytes_on_disk), sum(data_uncompressed_bytes) FROM system.parts WHERE database = currentDatabase() AND active AND table IN ('otel_traces', 'otel_logs') GROUP BY table, partition_id",
		"SELECT _partition_id, toString(ServiceName), count() FROM otel_traces GROUP BY 1, 2 SETTINGS optimize_use_projections = 0",
		"SELECT _partition_id, toString(ServiceName), count() FROM otel_logs GROUP BY 1, 2 SETTINGS optimize_use_projections = 0",
	}
	params := []store.Params{nil, nil, nil}
	for _, s := range slos {
		qs = append(qs, "SELECT DISTINCT toString(ServiceName) FROM "+s.SLI.Table+" WHERE Timestamp >= now() - INTERVAL 1 DAY AND ("+s.SLI.Total.SQL+")")
		params = append(params, store.Params(s.SLI.Total.Params))
	}
	for i, q := range qs {
		rows, err := st.Query(ctx, q, params[i])
		if err != nil {
			return err
		}
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func benchStore(b *testing.B) (store.Store, []*slo.SLO) {
	n := int64(2_000_000)
	if v := os.Getenv("FLOWSLO_BENCH_SPANS"); v != "" {
		var err error
		if n, err = strconv.ParseInt(v, 10, 64); err != nil {
			b.Fatal(err)
		}
	}
	st := chdbtest.Open(b)
	now := time.Now().UTC()
	t0 := time.Now()
	if err := generate(context.Background(), st, n, now.Add(-30*24*time.Hour), now); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d spans in %s", n, time.Since(t0).Round(time.Millisecond))
	var y strings.Builder
	y.WriteString("slos:\n")
	for i := range 20 {
		fmt.Fprintf(&y, "  - name: slo-%d\n    flow: f\n    objective: 99\n    window: 28d\n    indicator:\n      source: traces\n      total: 'service.name == \"svc-%d\" && name == \"op-%d\"'\n      bad: 'status.code == \"Error\"'\n", i, i%10, i%10)
	}
	slos, err := slo.Parse("bench.yaml", []byte(y.String()))
	if err != nil {
		b.Fatal(err)
	}
	return st, slos
}

// generate writes n spans evenly over [from, to) inside the engine, as the
// SLO engine's benchmark does: 20 services × 10 span names.
func generate(ctx context.Context, st store.Store, n int64, from, to time.Time) error {
	step := to.Sub(from).Nanoseconds() / n
	const chunk = 10_000_000
	for off := int64(0); off < n; off += chunk {
		q := `INSERT INTO otel_traces (Timestamp, TraceId, SpanId, SpanName, SpanKind, ServiceName,
	ResourceAttributes, SpanAttributes, Duration, StatusCode)
SELECT fromUnixTimestamp64Nano(toInt64({from:Int64} + i * {step:Int64})),
	lower(hex(cityHash64(i))), lower(hex(cityHash64(i, 1))),
	concat('op-', toString(intDiv(i % 200, 20))), 'Server', concat('svc-', toString(i % 20)),
	map('service.version', concat('4.', toString(intDiv(i, 7) % 5))),
	map('app.platform', ['ios', 'android', 'web'][1 + intDiv(i, 3) % 3], 'http.response.status_code', '200'),
	toUInt64(exp2((cityHash64(i, 3) % 1000) / 100.0) * 1000000),
	if(cityHash64(i, 2) % 1000 < 5, 'Error', 'Ok')
FROM (SELECT number + {off:Int64} AS i FROM numbers({m:Int64}))`
		err := st.Exec(ctx, q, store.Params{"from": fmt.Sprint(from.UnixNano()), "step": fmt.Sprint(step),
			"off": fmt.Sprint(off), "m": fmt.Sprint(min(chunk, n-off))})
		if err != nil {
			return fmt.Errorf("generate spans: %w", err)
		}
	}
	return nil
}
