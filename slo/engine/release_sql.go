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
	return "slice_key IN " + t.b.strs(distinct(keys)) + " AND slo IN " + t.arg +
		" AND hash = " + t.str(hashes) + " AND slice_key = " + t.str(keys)
}

// planLookups are the per-SLO lookups of planned SLOs, with their periods.
type planLookups struct {
	*bySLO
	rows, inPeriod string
	first          time.Time // the earliest period start
	// minutes bounds the minute rows (res 0) read to the periods' edges
	// in a form the primary key prunes by (inPeriod's lookups are not).
	minutes string
	// withWhole selects the rows of rows' slices whose value is one of
	// values, and the SLOs' whole rows (slice_key '').
	withWhole func(values []string) string
}

// lookupPlans selects the rows of slice key(p) of each planned SLO; in
// inPeriod, those of its period: hours from its first whole hour, minutes
// before that.
func lookupPlans(b *params, plans []*relPlan, key func(*relPlan) string) planLookups {
	var names, hashes, keys []string
	var from, hours []time.Time
	first, lastHour := plans[0].from, plans[0].fromHour
	for _, p := range plans {
		lastHour = later(lastHour, p.fromHour)
		names, hashes, keys = append(names, p.s.Name), append(hashes, p.s.Hash), append(keys, key(p))
		from, hours = append(from, p.from), append(hours, p.fromHour)
		first = earlier(first, p.from)
	}
	t := newBySLO(b, names)
	m := "toInt64(toUnixTimestamp(minute))"
	inPeriod := fmt.Sprintf("res = 1 AND %[1]s >= %[2]s OR res = 0 AND %[1]s >= %[3]s AND %[1]s < %[2]s", m, t.minutes(hours), t.minutes(from))
	withWhole := func(values []string) string {
		return "slice_key IN " + b.strs(append(distinct(keys), "")) + " AND slo IN " + t.arg + " AND hash = " + t.str(hashes) +
			" AND (slice_key = '' OR slice_key = " + t.str(keys) + " AND slice_value IN " + b.strs(values) + ")"
	}
	return planLookups{bySLO: t, rows: t.sliceRows(hashes, keys), inPeriod: inPeriod, first: first, withWhole: withWhole,
		minutes: "(res = 1 OR minute < " + b.minute(lastHour) + ")"}
}

func distinct(ss []string) []string {
	var out []string
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// versionsOf are version and the planned SLOs' previous releases.
func versionsOf(plans []*relPlan, version string) []string {
	vs := []string{version}
	for _, p := range plans {
		if p.prev != "" && !slices.Contains(vs, p.prev) {
			vs = append(vs, p.prev)
		}
	}
	return vs
}

// pairPrefixes selects the pair slice values of the versions: each a
// range of slice_value (version PairSep …), which the primary key prunes
// by, where a function of slice_value would be read row by row.
func pairPrefixes(b *params, versions []string, sep string) string {
	var or []string
	for _, v := range versions {
		or = append(or, "slice_value >= "+b.str(v+sep)+" AND slice_value < "+b.str(v+string(rune(sep[0]+1))))
	}
	return "(" + strings.Join(or, " OR ") + ")"
}
