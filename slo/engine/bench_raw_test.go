package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/store/chdb"
)

// BenchmarkRawRows is what one roll's raw aggregation costs per million
// spans with 200 SLOs (a quarter of them sliced, half latency SLIs), beside
// what computing the filters alone costs:
//
//	go test ./slo/engine -run '^$' -bench RawRows -benchtime 3x
func BenchmarkRawRows(b *testing.B) {
	t := b
	ctx := context.Background()
	st, err := chdb.Open(ctx, chdb.Options{DataDir: t.TempDir(), Database: "xp", Schema: Migrations()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	q := `INSERT INTO otel_traces (Timestamp, TraceId, SpanId, SpanName, SpanKind, ServiceName, ResourceAttributes, SpanAttributes, Duration, StatusCode)
SELECT fromUnixTimestamp64Nano(toInt64({from:Int64} + number * 1000000)), lower(hex(cityHash64(number))), lower(hex(cityHash64(number, 1))),
	concat('op-', toString(intDiv(number % 200, 20))), 'Server', concat('svc-', toString(number % 20)),
	map('service.version', concat('4.', toString(intDiv(number, 7) % 5))),
	map('app.platform', ['ios', 'android', 'web'][1 + intDiv(number, 3) % 3], 'http.response.status_code', '200'),
	toUInt64(exp2((cityHash64(number, 3) % 1000) / 100.0) * 1000000), if(cityHash64(number, 2) % 1000 < 5, 'Error', 'Ok')
FROM numbers(1000000)`
	if err := st.Exec(ctx, q, map[string]string{"from": fmt.Sprint(now.Add(-time.Hour).UnixNano())}); err != nil {
		t.Fatal(err)
	}
	var y strings.Builder
	y.WriteString("slos:\n")
	for i := range 200 {
		fmt.Fprintf(&y, "  - name: slo-%d\n    flow: f\n    objective: 99\n    window: 28d\n    indicator:\n      source: traces\n      total: 'service.name == \"svc-%d\" && name == \"op-%d\"'\n", i, (i*7)%20, (i/20)%10)
		if i%2 == 0 {
			y.WriteString("      bad: 'status.code == \"Error\"'\n")
		} else {
			y.WriteString("      latency: {threshold: 500ms}\n")
		}
		if i%4 == 0 {
			y.WriteString("    slices: ['attributes[\"app.platform\"]', 'resource.attributes[\"service.version\"]']\n")
		}
	}
	slos, err := slo.Parse("x.yaml", []byte(y.String()))
	if err != nil {
		t.Fatal(err)
	}
	since := make([]int64, len(slos))
	run := func(name, sql string, p map[string]string) {
		t.Run(name, func(b *testing.B) {
			for b.Loop() {
				rows, err := st.Query(ctx, sql, p)
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
				}
				rows.Close()
			}
		})
	}
	for _, hist := range []bool{false, true} {
		p := newParams("x")
		run(fmt.Sprintf("rows/hist=%v", hist), rawSets(slos, since, 0, hist)[0].rows(p, wholeRows|sliceRows), p.p)
	}
	// A roll without the release × platform pair slice, as before it.
	p0 := newParams("x")
	run("rows/hist=true/no-pair", rawSets(declaredOnly(slos), since, 0, true)[0].rows(p0, wholeRows|sliceRows), p0.p)
	p := newParams("x")
	sc := rawSets(slos, since, 0, false)[0].collect(p, wholeRows|sliceRows)
	run("filters-only", "SELECT sum(arraySum(["+strings.Join(sc.preds, ", ")+"])) FROM otel_traces", p.p)
}
