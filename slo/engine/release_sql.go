package engine

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The release queries select, for many SLOs, the rollup rows of one slice
// each (the release slice or the pair slice) over a period per SLO.
// Written as one clause per SLO, ClickHouse spent most of the query
// analysing the clauses (350 of them: 2 s, against 50 ms for the rows);
// written as one tuple set per distinct period, it spent it on the rows,
// testing every row against every set. Here each SLO's own values (hash,
// slice key, period) are looked up by name with transform(slo, …): slo is
// LowCardinality, so ClickHouse computes the lookup once per distinct name
// rather than per row, and the query's size does not grow with the SLOs.

// bySLO writes per-SLO lookups for one query.
type bySLO struct {
	b     *params
	names []string
	arg   string // the names as a parameter
}

func newBySLO(b *params, names []string) *bySLO {
	return &bySLO{b: b, names: names, arg: b.strs(names)}
}

// str is the string of the row's SLO among vals (one per name).
func (t *bySLO) str(vals []string) string {
	return "transform(slo, " + t.arg + ", " + t.b.strs(vals) + ", '')"
}

// minutes is the minute (Unix seconds) of the row's SLO among ts.
func (t *bySLO) minutes(ts []time.Time) string {
	s := make([]string, len(ts))
	for i, x := range ts {
		s[i] = fmt.Sprint(x.Unix())
	}
	return "transform(slo, " + t.arg + ", " + t.b.add("Array(Int64)", "["+strings.Join(s, ",")+"]") + ", toInt64(0))"
}

// sliceRows is the condition selecting, of each SLO (names[i]), the rows
// of its definition (hashes[i]) and slice (keys[i]); the plain sets before
// the lookups let the primary key (res, slice_key, slo, …) prune.
func (t *bySLO) sliceRows(hashes, keys []string) string {
	var distinct []string
	for _, k := range keys {
		if !slices.Contains(distinct, k) {
			distinct = append(distinct, k)
		}
	}
	return "slice_key IN " + t.b.strs(distinct) + " AND slo IN " + t.arg +
		" AND hash = " + t.str(hashes) + " AND slice_key = " + t.str(keys)
}

// planLookups are the per-SLO lookups of planned SLOs, with their periods.
type planLookups struct {
	*bySLO
	rows, inPeriod string
	first          time.Time // the earliest period start
}

// lookupPlans selects the rows of slice key(p) of each planned SLO; in
// inPeriod, those of its period: hours from its first whole hour, minutes
// before that.
func lookupPlans(b *params, plans []*relPlan, key func(*relPlan) string) planLookups {
	var names, hashes, keys []string
	var from, hours []time.Time
	first := plans[0].from
	for _, p := range plans {
		names, hashes, keys = append(names, p.s.Name), append(hashes, p.s.Hash), append(keys, key(p))
		from, hours = append(from, p.from), append(hours, p.fromHour)
		first = earlier(first, p.from)
	}
	t := newBySLO(b, names)
	m := "toInt64(toUnixTimestamp(minute))"
	inPeriod := fmt.Sprintf("res = 1 AND %[1]s >= %[2]s OR res = 0 AND %[1]s >= %[3]s AND %[1]s < %[2]s", m, t.minutes(hours), t.minutes(from))
	return planLookups{bySLO: t, rows: t.sliceRows(hashes, keys), inPeriod: inPeriod, first: first}
}
