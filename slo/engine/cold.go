package engine

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flowslo/flowslo/slo"
)

// Evaluation from slo_rollup: the SLOs memory does not hold (backfilling,
// catching up, a follower's), and the reference memory is tested against.

// Long windows read whole hours (res 1) and minutes (res 0) only at their
// edges: rolled-up minutes before the plan's split (the current hour) are
// read as hours, those after it as minutes. The split is arbitrary for
// correctness (every roll writes a minute's counts and its hour's in one
// INSERT); at the current hour it keeps the minutes read few. This is how
// SLOs memory does not hold are read, and the reference memory is tested
// against (memory_test.go).

func ceilHour(t time.Time) time.Time {
	if h := t.Truncate(time.Hour); !h.Equal(t) {
		return h.Add(time.Hour)
	}
	return t
}

// sums selects, per window start, the good and total counts since it,
// named c<i>g and c<i>t. Rows come with lvl 1 (an hour) or 0 (a minute).
func sums(b *params, p *plan) string {
	split := b.minute(p.split)
	var cols []string
	for i, t := range p.starts {
		m := b.minute(t)
		cond := "lvl = 0 AND minute >= " + m
		if t.Before(p.split) {
			c := b.minute(ceilHour(t))
			cond = fmt.Sprintf("lvl = 1 AND minute >= %s OR lvl = 0 AND (minute >= %s OR minute >= %s AND minute < %s)", c, split, m, c)
		}
		cols = append(cols, fmt.Sprintf("sumIf(good, %s) AS c%dg, sumIf(total, %s) AS c%dt", cond, i, cond, i))
	}
	return strings.Join(cols, ", ")
}

// rollupRows selects the plan's SLOs' rolled-up hours and minutes, columns
// slo, slice_key, slice_value, minute, good, total, lvl; (slo, hash)
// picks each SLO's current definition.
func rollupRows(b *params, p *plan, sliceCond string) string {
	which := sliceCond + " AND " + currentDefinitions(b, p.slos)
	split := b.minute(p.split)
	edges := []string{"minute >= " + split}
	for _, t := range p.starts {
		if t.Before(p.split) && !ceilHour(t).Equal(t) {
			edges = append(edges, "minute >= "+b.minute(t)+" AND minute < "+b.minute(ceilHour(t)))
		}
	}
	hours, minutes := "res = 1 AND "+which, "res = 0 AND "+which
	return "SELECT slo, slice_key, slice_value, minute, good, total, toUInt8(1) AS lvl FROM slo_rollup WHERE " + hours +
		" AND minute >= " + b.minute(p.earliest().Truncate(time.Hour)) + " AND minute < " + split +
		"\nUNION ALL\nSELECT slo, slice_key, slice_value, minute, good, total, toUInt8(0) AS lvl FROM slo_rollup WHERE " + minutes +
		" AND minute >= " + b.minute(p.earliest()) + " AND minute < " + b.minute(p.end) + " AND (" + strings.Join(edges, " OR ") + ")"
}

// wholeSQL selects per SLO the counts since each window start: rolled-up
// rows and the live ones (open).
func wholeSQL(b *params, p *plan) string {
	return "SELECT slo, " + sums(b, p) + " FROM (\n" + rollupRows(b, p, "slice_key = ''") + "\n) GROUP BY slo"
}

// slicesSQL selects per SLO, slice and value the counts since each window
// start.
func slicesSQL(b *params, p *plan) string {
	return "SELECT slo, slice_key, slice_value, " + sums(b, p) + " FROM (\n" + rollupRows(b, p, declaredSlices(b, p.slos)) + "\n) GROUP BY slo, slice_key, slice_value"
}

// queryWhole returns per SLO the counts since each window start.
func (e *Engine) queryWhole(ctx context.Context, p *plan) (map[string][]counts, error) {
	b := newParams("e")
	rows, err := e.q.Query(ctx, wholeSQL(b, p), b.p)
	if err != nil {
		return nil, fmt.Errorf("evaluate slos: %w", err)
	}
	defer rows.Close()
	out := map[string][]counts{}
	for rows.Next() {
		var name string
		c, dest := countDest(len(p.starts), &name)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("evaluate slos: %w", err)
		}
		out[name] = c
	}
	return out, rows.Err()
}

// countDest returns scan destinations: lead, then good and total per window.
func countDest(n int, lead ...any) ([]counts, []any) {
	c := make([]counts, n)
	dest := append([]any(nil), lead...)
	for i := range c {
		dest = append(dest, &c[i].good, &c[i].total)
	}
	return c, dest
}

type sliceRow struct {
	index  int
	value  string
	c      []counts
	folded bool // the "other" row capSlices made
}

// querySlices returns per SLO its slice values' counts since each window
// start, the values beyond SliceCap (by events over the longest window)
// merged into "other".
func (e *Engine) querySlices(ctx context.Context, p *plan) (map[string][]sliceRow, error) {
	if !slices.ContainsFunc(p.slos, func(s *slo.SLO) bool { return len(s.Slices) > 0 }) {
		return nil, nil
	}
	b := newParams("e")
	rows, err := e.q.Query(ctx, slicesSQL(b, p), b.p)
	if err != nil {
		return nil, fmt.Errorf("evaluate slices: %w", err)
	}
	defer rows.Close()
	declared := map[string]int{}
	for _, s := range p.slos {
		declared[s.Name] = len(s.Slices)
	}
	out := map[string][]sliceRow{}
	for rows.Next() {
		var name, k string
		var r sliceRow
		c, dest := countDest(len(p.starts), &name, &k, &r.value)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("evaluate slices: %w", err)
		}
		r.c = c
		if r.index, err = strconv.Atoi(k); err != nil || r.index >= declared[name] {
			continue
		}
		out[name] = append(out[name], r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("evaluate slices: %w", err)
	}
	for i, s := range p.slos {
		if rs := out[s.Name]; rs != nil {
			out[s.Name] = capSlices(rs, p.sloCol[i], e.opts.SliceCap)
		}
	}
	return out, nil
}

// currentDefinitions is the condition selecting the slo_rollup rows of
// slos' current definitions: slo (the key's prefix, for pruning), then the
// (slo, hash) pair.
func currentDefinitions(b *params, slos []*slo.SLO) string {
	names := make([]string, len(slos))
	pairs := make([]string, len(slos))
	for i, s := range slos {
		names[i], pairs[i] = s.Name, "("+quote(s.Name)+","+quote(s.Hash)+")"
	}
	return "slo IN " + b.strs(names) + " AND (slo, hash) IN " + b.add("Array(Tuple(String, String))", "["+strings.Join(pairs, ",")+"]")
}
