package engine

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/expr"
	"github.com/flowslo/flowslo/store"
)

// Raw rows are aggregated for many SLOs in one scan: when minutes close
// (roll) and, at every evaluation, for the open minutes (readOpen).
//
// What such a query costs is mostly ClickHouse analysing it, about 0.4 ms
// per SLO filter however few rows it reads, so each distinct filter
// appears once in the SQL: every raw row computes the array p of all
// distinct conditions (total and good filters); sumForEach adds up, per
// minute, which rows passed each SLO's total and good; only then are the
// few summed rows expanded into one row per SLO with ARRAY JOIN, driven by
// arrays passed as parameters. (The first version built, per raw row, an
// array of one tuple per SLO it counted for with arrayConcat and if, and
// took about a second over a few hundred rows with 200 SLOs; one countIf
// per SLO and count was still 0.3 s.)
//
// Slices: each raw row is expanded once per "dimension", a distinct slice
// expression (dimension 1 is the whole SLO, value ”), and counted per
// (minute, dimension, value) only for the SLOs of that dimension, so a
// high-cardinality slice costs state in proportion to the SLOs slicing by
// it, not to all SLOs.

// rawSet is a set of SLOs over one table whose raw rows are aggregated
// per minute of their Timestamp. Which rows: by insertion time, those
// inserted from each SLO's own since (ms; 0: no bound) and before until
// (0: no bound), and by event time those in [from, to) (zero: no bound).
type rawSet struct {
	table    string
	slos     []*slo.SLO
	since    []int64 // per SLO
	until    int64
	from, to time.Time
	hist     bool // with latency histograms (rollups keep them; evaluation needs none)
}

// rawSets groups slos by table, each counted from its own since.
func rawSets(slos []*slo.SLO, since []int64, until int64, hist bool) []*rawSet {
	var out []*rawSet
	for i, s := range slos {
		j := slices.IndexFunc(out, func(r *rawSet) bool { return r.table == s.SLI.Table })
		if j < 0 {
			out = append(out, &rawSet{table: s.SLI.Table, until: until})
			j = len(out) - 1
		}
		out[j].slos, out[j].since = append(out[j].slos, s), append(out[j].since, since[i])
	}
	for _, r := range out { // logs have no Duration: only latency SLIs get buckets
		r.hist = hist && slices.ContainsFunc(r.slos, func(s *slo.SLO) bool { return s.Indicator.Latency > 0 })
	}
	return out
}

// minSince is the earliest insertion time any SLO of r counts from.
func (r *rawSet) minSince() int64 { return slices.Min(r.since) }

// where is the condition on raw rows besides the SLO filters.
func (r *rawSet) where(b *params) string {
	var conds []string
	if m := r.minSince(); m > 0 {
		conds = append(conds, inserted+" >= "+b.msTime(m))
	}
	if r.until > 0 {
		conds = append(conds, inserted+" < "+b.msTime(r.until))
	}
	if !r.from.IsZero() || !r.to.IsZero() {
		conds = append(conds, timeRange(b, r.table, r.from, r.to))
	}
	if len(conds) == 0 {
		return "1"
	}
	return strings.Join(conds, " AND ")
}

// inserted is the raw tables' insertion time column.
const inserted = store.InsertedColumn

// scan collects the distinct parts of one rawSet's query and its
// outputs: one per SLO (the whole SLO) and per slice of it.
type scan struct {
	b      *params
	preds  []string       // distinct conditions, computed once per raw row
	predIx map[string]int // by exprKey (and start); 1-based like ClickHouse arrays
	totals []int          // the total filters among preds
	dims   []*dim
	dimIx  map[string]int
	outs   []output
}

// output is one row kind of the query's result: an SLO's whole numbers or
// one of its slices, counted at position pos of dimension d.
type output struct {
	tuple  string // (slo, hash, slice_key, histogram?) as a literal
	d, pos int
}

// dim is one dimension: its value per raw row and the (total, good)
// predicate pairs counted in it.
type dim struct {
	value       string
	total, good []string // predicate indexes, per position
	pos         map[[2]int]int
}

func newScan(b *params) *scan {
	q := &scan{b: b, predIx: map[string]int{}, dimIx: map[string]int{}}
	q.dims = []*dim{{value: "''", pos: map[[2]int]int{}}}
	return q
}

// pred is the index in p of the condition c (with extra appended).
func (q *scan) pred(c expr.Compiled, extra string) int {
	k := exprKey(c) + "\x00" + extra
	if i, ok := q.predIx[k]; ok {
		return i
	}
	q.preds = append(q.preds, "toUInt8("+prefixed(c, q.b.prefix(), q.b.p)+extra+")")
	q.predIx[k] = len(q.preds)
	return len(q.preds)
}

// dim is the dimension of slice expression c.
func (q *scan) dim(c expr.Compiled) int {
	k := exprKey(c)
	if i, ok := q.dimIx[k]; ok {
		return i
	}
	q.dims = append(q.dims, &dim{value: "toString(" + prefixed(c, q.b.prefix(), q.b.p) + ")", pos: map[[2]int]int{}})
	q.dimIx[k] = len(q.dims)
	return len(q.dims)
}

// out adds an output row of s (slice_key key) counting events passing the
// predicates total and good in dimension d.
func (q *scan) out(s *slo.SLO, key string, hist bool, d, total, good int) {
	dm := q.dims[d-1]
	pos, ok := dm.pos[[2]int{total, good}]
	if !ok {
		dm.total, dm.good = append(dm.total, strconv.Itoa(total)), append(dm.good, strconv.Itoa(good))
		pos = len(dm.total)
		dm.pos[[2]int{total, good}] = pos
	}
	q.outs = append(q.outs, output{fmt.Sprintf("(%s,%s,%s,%d)", quote(s.Name), quote(s.Hash), quote(key), b2i(hist)), d, pos})
}

// gids numbers every (dimension, position) pair 1, 2, … across dimensions.
func (q *scan) gids() [][]int {
	ids := make([][]int, len(q.dims))
	n := 0
	for d, dm := range q.dims {
		for range dm.total {
			n++
			ids[d] = append(ids[d], n)
		}
	}
	return ids
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

// bucket is a raw row's latency histogram bucket, or 0 for all rows when
// the set keeps no histograms.
func (r *rawSet) bucket() string {
	if r.hist {
		return histBucketSQL
	}
	return "toUInt16(0)"
}

// Which rows a rawSet's query selects.
const (
	wholeRows = 1 << iota // per SLO (slice_key ”)
	sliceRows             // per slice of the sliced SLOs ("0", "1", …)
)

// collect gathers the parts of r's query for the kinds of rows asked for.
func (r *rawSet) collect(b *params, kinds int) *scan {
	q := newScan(b)
	for i, s := range r.slos {
		var since string // an SLO counting from later than the set
		if r.since[i] > r.minSince() {
			since = " AND " + inserted + " >= " + b.msTime(r.since[i])
		}
		total, good := q.pred(s.SLI.Total, since), q.pred(s.SLI.Good, "")
		if !slices.Contains(q.totals, total) {
			q.totals = append(q.totals, total)
		}
		hist := r.hist && s.Indicator.Latency > 0
		if kinds&wholeRows != 0 {
			q.out(s, "", hist, 1, total, good)
		}
		for j, c := range s.SLI.Slices {
			if kinds&sliceRows != 0 {
				q.out(s, strconv.Itoa(j), hist, q.dim(c), total, good)
			}
		}
	}
	return q
}

// prefilterMax is how many distinct total filters at most the raw rows
// are prefiltered by.
const prefilterMax = 8

// prefilter is the condition on raw rows besides time. With few SLOs (a
// backfill), the OR of their total filters lets ClickHouse read the other
// columns only for the rows that match (PREWHERE); with many, nearly every
// row matches one, and the filters would only be analysed twice.
func (q *scan) prefilter() string {
	if len(q.totals) > prefilterMax {
		return "1"
	}
	var totals []string
	for _, i := range q.totals {
		totals = append(totals, q.preds[i-1])
	}
	return strings.Join(totals, " OR ")
}

// rows selects, per minute, slo, hash, slice_key, slice_value, good,
// total and hist, the kinds of rows asked for. Summed rows with no events
// are left out. From the inside out: per raw row, the predicates p, the
// indexes of those that passed, and the dimensions' values; then, for each
// passed predicate that is some output's total filter, one row per such
// output position (d, i) with its good filter g (byTotal maps a predicate
// to them, so the work per row follows the few filters it passes, not the
// number of SLOs); counted per minute, bucket, d, v and i; ARRAY JOIN of
// the outputs at (d, i); summed over buckets, with the histogram.
// (Filtering every position of a dimension for each row, the first way,
// cost 3.4 s per million rows with 200 SLOs; the predicates alone 0.15 s.)
// Lambdas capture only small per-row arrays: a captured array is copied
// for every element.
func (r *rawSet) rows(b *params, kinds int) string {
	q := r.collect(b, kinds)
	var values []string
	for _, d := range q.dims {
		values = append(values, d.value)
	}
	gids := q.gids()
	return fmt.Sprintf(`SELECT o.1 AS slo, o.2 AS hash, o.3 AS slice_key, v AS slice_value, minute,
	sum(g) AS good, sum(c) AS total, sumMapIf([b], [c], o.4 = 1) AS hist
FROM (
	SELECT minute, b, x.1 AS gid, vals[x.2] AS v, countIf(has(pass, x.3)) AS g, count() AS c
	FROM (
		SELECT minute, b, arrayFilter((k, y) -> y = 1, arrayEnumerate(p), p) AS pass, vals
		FROM (
			SELECT %[2]s AS minute, %[3]s AS b, [%[4]s] AS p, [%[5]s] AS vals
			FROM %[6]s WHERE %[7]s AND (%[8]s)
		)
	) ARRAY JOIN arrayFlatten(arrayMap(t -> %[1]s[t], pass)) AS x
	GROUP BY minute, b, gid, v
) ARRAY JOIN %[9]s[gid] AS o
GROUP BY slo, hash, slice_key, slice_value, minute`,
		q.byTotal(gids), rawMinute, r.bucket(), strings.Join(q.preds, ", "), strings.Join(values, ", "),
		r.table, r.where(b), q.prefilter(), q.outsByGID(gids))
}

// outsByGID is a parameter of type Array(Array(Tuple(String, String,
// String, UInt8))): for each gid, the outputs counted there.
func (q *scan) outsByGID(gids [][]int) string {
	n := 0
	for _, ids := range gids {
		n += len(ids)
	}
	by := make([][]string, n)
	for _, o := range q.outs {
		g := gids[o.d-1][o.pos-1]
		by[g-1] = append(by[g-1], o.tuple)
	}
	var a []string
	for _, ts := range by {
		a = append(a, "["+strings.Join(ts, ",")+"]")
	}
	return q.b.add("Array(Array(Tuple(String, String, String, UInt8)))", "["+strings.Join(a, ",")+"]")
}

// byTotal is a parameter of type Array(Array(Tuple(UInt32, UInt32,
// UInt32))): for each predicate (1-based), the (dimension, position) pairs
// whose total filter it is, as (gid, dimension, good filter).
func (q *scan) byTotal(gids [][]int) string {
	by := make([][]string, len(q.preds))
	for d, dm := range q.dims {
		for i := range dm.total {
			t, _ := strconv.Atoi(dm.total[i])
			by[t-1] = append(by[t-1], fmt.Sprintf("(%d,%d,%s)", gids[d][i], d+1, dm.good[i]))
		}
	}
	var a []string
	for _, pos := range by {
		a = append(a, "["+strings.Join(pos, ",")+"]")
	}
	return q.b.add("Array(Array(Tuple(UInt32, UInt32, UInt32)))", "["+strings.Join(a, ",")+"]")
}

// exprKey identifies a compiled expression by its SQL and parameter
// values, so SLOs with the same filter or slice share it in the query.
func exprKey(c expr.Compiled) string {
	var sb strings.Builder
	sb.WriteString(c.SQL)
	for _, k := range slices.Sorted(maps.Keys(c.Params)) {
		sb.WriteString("\x00" + k + "=" + c.Params[k])
	}
	return sb.String()
}
