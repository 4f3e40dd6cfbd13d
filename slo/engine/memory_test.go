package engine

import (
	"math/rand/v2"
	"testing"
)

// TestMemoryWindowMatchesMinutes: sums from memory (whole hours plus the
// minutes at the edges) equal the sum of every minute in the window, for
// random counts, windows and moments, deltas applied late and out of
// order included, and minutes at either side of an hour edge.
func TestMemoryWindowMatchesMinutes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const def = "login/h"
	k := seriesKey{}
	base := int64(1_773_100_800) // an hour boundary
	m := newMemory()
	m.defs[def] = &memDef{from: base, series: map[seriesKey]*hourSeries{}}
	minutes := map[int64]counts{}
	span := int64(72 * 60) // three days of minutes
	for range 3000 {
		t := base + rng.Int64N(span)*minuteSec
		c := counts{good: rng.Uint64N(5), total: 5}
		minutes[t] = minutes[t].plus(c)
		m.apply([]delta{{def: def, series: k, minute: t, c: c}})
	}
	m.apply([]delta{{def: def, series: k, minute: base - hourSec, c: counts{1, 1}}}) // before every window: not kept
	for h := base; h < base+span*minuteSec; h += hourSec {                           // every hour's minutes kept
		mh := m.minuteHourOf(h, wholeRows)
		for i := int64(0); i < 60; i++ {
			if c, ok := minutes[h+i*minuteSec]; ok {
				mh.add(def, k, h+i*minuteSec, c)
			}
		}
	}
	for range 500 {
		end := base + (1+rng.Int64N(span))*minuteSec
		start := base + rng.Int64N((end-base)/minuteSec)*minuteSec
		if rng.IntN(4) == 0 { // on an hour
			start = floorHourSec(start)
		}
		var want counts
		for t := start; t < end; t += minuteSec {
			want = want.plus(minutes[t])
		}
		if got := m.window(def, k, start, end); got != want {
			t.Fatalf("window [%d, %d) (minutes %d to %d after base): %+v, want %+v", start, end, (start-base)/60, (end-base)/60, got, want)
		}
		hours := edgeHours(start, end)
		for _, h := range hours {
			if h != floorHourSec(h) || h > end {
				t.Fatalf("edge hour %d of [%d, %d) is not an hour inside it", h, start, end)
			}
		}
		if start == floorHourSec(start) && len(hours) != 1 { // only the current hour's minutes are read
			t.Fatalf("window [%d, %d) starting on an hour reads the minutes of %v", start, end, hours)
		}
	}
}

// TestHourSeries: add keeps hours sorted and summed, sum takes [from, to),
// prune drops what is before from.
func TestHourSeries(t *testing.T) {
	var hs hourSeries
	for _, h := range []int64{7200, 0, 3600, 7200, 10800} {
		hs.add(h, counts{1, 2})
	}
	if len(hs) != 4 || hs[0].hour != 0 || hs[2].hour != 7200 || hs[2].c != (counts{2, 4}) {
		t.Fatalf("series %+v", hs)
	}
	if got := hs.sum(3600, 10800); got != (counts{3, 6}) {
		t.Errorf("sum [3600, 10800): %+v, want {3 6}", got)
	}
	hs.prune(7200)
	if len(hs) != 2 || hs[0].hour != 7200 {
		t.Errorf("pruned to %+v", hs)
	}
}

// TestMemSeriesCap: past the cap a definition stops keeping slices (read
// from slo_rollup instead) and forgets those it kept; the whole SLO stays.
func TestMemSeriesCap(t *testing.T) {
	defer func(n int) { memSeriesCap = n }(memSeriesCap)
	memSeriesCap = 3
	d := &memDef{slices: 1, series: map[seriesKey]*hourSeries{}}
	for _, v := range []string{"a", "b", "c", "d"} {
		if d.keep(seriesKey{"0", v}) {
			d.seriesOf(seriesKey{"0", v})
		}
	}
	if !d.slicesCold || len(d.series) != 0 || !d.keep(seriesKey{}) || d.keep(seriesKey{"0", "a"}) {
		t.Errorf("cold %v, %d series kept", d.slicesCold, len(d.series))
	}
}
