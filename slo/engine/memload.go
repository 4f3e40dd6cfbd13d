package engine

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flowslo/flowslo/slo"
)

// memFrom is the first hour s's windows can need at now: its own window,
// the longest burn-rate window, and the long windows of its alert rules.
func memFrom(s *slo.SLO, now time.Time) int64 {
	d := time.Duration(BurnWindows[len(BurnWindows)-1])
	for _, w := range s.AlertWindows(now) {
		d = max(d, w.Long, w.Short)
	}
	d = max(d, s.Window.Rolling)
	start := earlier(sloWindowStart(s.Window, now), windowStart(now, d))
	return floorHourSec(start.Unix())
}

// syncMemory makes memory hold exactly the current SLOs among slos at now:
// it loads those it lacks (or holds from too late an hour, after a window
// was widened), drops those no longer current, and prunes hours no window
// reaches any more. Call with mu held.
func (e *Engine) syncMemory(ctx context.Context, now time.Time) error {
	want := map[string]bool{}
	var load []*slo.SLO
	var froms []int64
	for _, s := range e.slos {
		if !e.current(s, now) {
			continue
		}
		k, from := key(s), memFrom(s, now)
		want[k] = true
		d := e.mem.defs[k]
		if d != nil && d.from <= from && d.slices == len(s.Slices) {
			if from > d.from { // an hour left every window
				for _, hs := range d.series {
					hs.prune(from)
				}
				d.from = from
			}
			continue
		}
		load, froms = append(load, s), append(froms, from)
	}
	for k := range e.mem.defs {
		if !want[k] {
			e.mem.drop(k)
		}
	}
	if len(load) == 0 {
		return nil
	}
	t0 := time.Now()
	err := e.loadDefs(ctx, load, froms)
	e.opts.Logger.Debug("loaded rollups into memory", "slos", len(load), "took", time.Since(t0), "err", err)
	return err
}

// loadDefs reads the hours of slos (each from froms[i] on) into memory.
func (e *Engine) loadDefs(ctx context.Context, slos []*slo.SLO, froms []int64) error {
	defs := map[string]*memDef{}
	for i, s := range slos {
		defs[key(s)] = &memDef{from: froms[i], slices: len(s.Slices), series: map[seriesKey]*hourSeries{}}
	}
	b := newParams("m")
	q := memRowsSQL(b, 1, slos, "minute >= "+b.minute(time.Unix(slices.Min(froms), 0)))
	err := e.scanMemRows(ctx, q, b, func(def string, k seriesKey, t int64, c counts) {
		if d := defs[def]; d != nil && t >= d.from && d.holds(k) {
			if d.keep(k) {
				d.seriesOf(k).add(t, c)
			}
		}
	})
	if err != nil {
		return fmt.Errorf("load rollups: %w", err)
	}
	for k, d := range defs {
		e.mem.defs[k] = d
	}
	e.mem.minutes = map[int64]*minuteHour{} // the hours kept lack the new definitions
	return nil
}

// loadMinutes reads into memory the minutes of the hours asked for (hour →
// kinds of series) of every loaded definition.
func (e *Engine) loadMinutes(ctx context.Context, need map[int64]int) error {
	need = e.mem.missing(need)
	if len(need) == 0 || len(e.mem.defs) == 0 {
		return nil
	}
	var slos []*slo.SLO
	for _, s := range e.slos {
		if e.mem.defs[key(s)] != nil {
			slos = append(slos, s)
		}
	}
	b := newParams("m")
	var ranges []string
	for _, h := range sortedHours(need) {
		cond := "minute >= " + b.minute(time.Unix(h, 0)) + " AND minute < " + b.minute(time.Unix(h+hourSec, 0))
		if need[h] == wholeRows {
			cond += " AND slice_key = ''"
		} else if need[h] == sliceRows {
			cond += " AND slice_key != ''"
		}
		ranges = append(ranges, "("+cond+")")
	}
	q := memRowsSQL(b, 0, slos, strings.Join(ranges, " OR "))
	hours := map[int64]*minuteHour{}
	for h, k := range need {
		hours[h] = e.mem.minuteHourOf(h, k)
	}
	err := e.scanMemRows(ctx, q, b, func(def string, k seriesKey, t int64, c counts) {
		h := floorHourSec(t)
		if d, mh := e.mem.defs[def], hours[h]; d != nil && mh != nil && need[h]&kindOf(k) != 0 && d.holds(k) {
			mh.add(def, k, t, c)
		}
	})
	if err != nil {
		for h := range need { // half-loaded hours would read short
			delete(e.mem.minutes, h)
		}
		return fmt.Errorf("load rollup minutes: %w", err)
	}
	return nil
}

func sortedHours(m map[int64]int) []int64 {
	hs := make([]int64, 0, len(m))
	for h := range m {
		hs = append(hs, h)
	}
	slices.Sort(hs)
	return hs
}

// memRowsSQL selects slo_rollup rows of resolution res (0 minutes, 1
// hours) of slos' current definitions, whole and declared slices, matching
// cond: slo, hash, slice_key, hex(slice_value), minute (unix s), good,
// total.
func memRowsSQL(b *params, res int, slos []*slo.SLO, cond string) string {
	which := currentDefinitions(b, slos)
	slicesCond := "slice_key = ''"
	if slices.ContainsFunc(slos, func(s *slo.SLO) bool { return len(s.Slices) > 0 }) {
		slicesCond = "(slice_key = '' OR " + declaredSlices(b, slos) + ")"
	}
	return fmt.Sprintf(`SELECT slo, hash, slice_key, hex(slice_value), toInt64(toUnixTimestamp(minute)), sum(good), sum(total)
FROM slo_rollup WHERE res = %d AND %s AND %s AND (%s)
GROUP BY slo, hash, slice_key, slice_value, minute`, res, slicesCond, which, cond)
}

// scanMemRows runs a memRowsSQL query and hands each row to f.
func (e *Engine) scanMemRows(ctx context.Context, q string, b *params, f func(def string, k seriesKey, t int64, c counts)) error {
	rows, err := e.q.Query(ctx, q, b.p)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var name, hash, sk, hv string
		var t int64
		var c counts
		if err := rows.Scan(&name, &hash, &sk, &hv, &t, &c.good, &c.total); err != nil {
			return err
		}
		v, err := hex.DecodeString(hv)
		if err != nil {
			return fmt.Errorf("slice value %q: %w", hv, err)
		}
		f(name+"/"+hash, seriesKey{sk, string(v)}, t, c)
	}
	return rows.Err()
}

// sliceIndex is the declared slice index a slice_key names.
func sliceIndex(k string) (int, bool) {
	i, err := strconv.Atoi(k)
	return i, err == nil && i >= 0
}
