package engine

import (
	"sort"
	"time"
)

// The engine's memory: incremental evaluation.
//
// Evaluating 200 SLOs from slo_rollup at every 5 s cycle meant reading
// every hour of every window again (a second of ClickHouse CPU a cycle,
// though almost nothing changed). Instead the engine keeps, for every SLO
// definition whose counts are current, a copy of what slo_rollup holds for
// it: good and total per hour of event time, whole and per declared slice
// value, from the earliest start any of its windows can need. A window
// is then summed in memory from its whole hours plus the minutes at its
// two edges (the partial hour it starts in and the current hour), and the
// minutes of those few hours are also kept, loaded from slo_rollup the
// first time a window edge falls in them.
//
// The copy stays exact because the engine is slo_rollup's only writer
// for a current definition: every roll first selects its counts into Go,
// writes them (and the watermark) in one INSERT, and only after that
// INSERT succeeds adds the same counts here (apply). A crash loses
// nothing: memory is rebuilt from slo_rollup at start. Definitions that
// are not current (backfilling, catching up) are not kept; their
// backfill chunks are written by ClickHouse alone, and they are loaded
// when they become current. Evaluation never reads raw rows: a cycle
// rolls first, so what it shows is everything inserted up to the roll's
// safe point (Options.RollMargin behind).
type memory struct {
	defs map[string]*memDef // by key(s)
	// minutes holds, per hour (start, unix s), the minute counts of the
	// loaded definitions, for the hours window edges fall in.
	minutes map[int64]*minuteHour
}

// memDef is one definition's rolled-up counts.
type memDef struct {
	from   int64 // the first hour loaded (unix s): windows may start from here
	slices int   // declared slices loaded ("0" … slices-1)
	series map[seriesKey]*hourSeries
	// slicesCold: its slices have more values than memSeriesCap (a slice
	// by user id, say); they are read from slo_rollup instead.
	slicesCold bool
}

// memSeriesCap bounds the series one definition keeps in memory (a var
// for tests).
var memSeriesCap = 10_000

// keep says whether d keeps series k; past memSeriesCap it stops keeping
// slices at all (slicesCold) and forgets those it kept.
func (d *memDef) keep(k seriesKey) bool {
	if k.slice == "" {
		return true
	}
	if !d.slicesCold && d.series[k] == nil && len(d.series) >= memSeriesCap {
		d.slicesCold = true
		for sk := range d.series {
			if sk.slice != "" {
				delete(d.series, sk)
			}
		}
	}
	return !d.slicesCold
}

// seriesKey is one series of an SLO: the whole SLO (slice "") or the
// value of one declared slice.
type seriesKey struct{ slice, value string }

// hourSeries is a series' counts per hour, sorted by hour.
type hourSeries []hourCount

type hourCount struct {
	hour int64 // unix s
	c    counts
}

// minuteHour is one hour's minute counts for every loaded series, and
// which kinds of series (wholeRows, sliceRows) were loaded.
type minuteHour struct {
	kinds int
	used  time.Time // the last evaluation that read it (engine clock)
	c     map[string]map[seriesKey]*[60]counts
}

// delta is one row a roll wrote: counts of a series in one minute.
type delta struct {
	def    string // key(s)
	series seriesKey
	minute int64 // unix s
	c      counts
}

func newMemory() *memory {
	return &memory{defs: map[string]*memDef{}, minutes: map[int64]*minuteHour{}}
}

const hourSec, minuteSec = 3600, 60

func floorHourSec(t int64) int64 { return t - mod(t, hourSec) }

func mod(a, b int64) int64 { return ((a % b) + b) % b }

// add adds c to hour h, keeping the series sorted.
func (hs *hourSeries) add(h int64, c counts) {
	s := *hs
	i := sort.Search(len(s), func(i int) bool { return s[i].hour >= h })
	if i < len(s) && s[i].hour == h {
		s[i].c = s[i].c.plus(c)
		return
	}
	s = append(s, hourCount{})
	copy(s[i+1:], s[i:])
	s[i] = hourCount{h, c}
	*hs = s
}

// sum is the counts of the hours in [from, to).
func (hs hourSeries) sum(from, to int64) counts {
	var c counts
	i := sort.Search(len(hs), func(i int) bool { return hs[i].hour >= from })
	for ; i < len(hs) && hs[i].hour < to; i++ {
		c = c.plus(hs[i].c)
	}
	return c
}

// prune drops the hours before from.
func (hs *hourSeries) prune(from int64) {
	s := *hs
	i := sort.Search(len(s), func(i int) bool { return s[i].hour >= from })
	*hs = append(s[:0], s[i:]...)
}

func (c counts) plus(d counts) counts { return counts{c.good + d.good, c.total + d.total} }

func kindOf(k seriesKey) int {
	if k.slice == "" {
		return wholeRows
	}
	return sliceRows
}

// apply adds a roll's rows to the loaded definitions: to their hours, and
// to the minutes of the hours kept.
func (m *memory) apply(rows []delta) {
	for _, r := range rows {
		d := m.defs[r.def]
		if d == nil || !d.holds(r.series) {
			continue
		}
		h := floorHourSec(r.minute)
		if h < d.from {
			continue // before every window (a very late event)
		}
		if !d.keep(r.series) {
			continue
		}
		d.seriesOf(r.series).add(h, r.c)
		if mh := m.minutes[h]; mh != nil && mh.kinds&kindOf(r.series) != 0 {
			mh.add(r.def, r.series, r.minute, r.c)
		}
	}
}

// holds says whether k is a series d keeps: the whole SLO or a declared
// slice (internal slices are never evaluated).
func (d *memDef) holds(k seriesKey) bool {
	if k.slice == "" {
		return true
	}
	i, ok := sliceIndex(k.slice)
	return ok && i < d.slices
}

func (d *memDef) seriesOf(k seriesKey) *hourSeries {
	s := d.series[k]
	if s == nil {
		s = &hourSeries{}
		d.series[k] = s
	}
	return s
}

func (mh *minuteHour) add(def string, k seriesKey, minute int64, c counts) {
	byKey := mh.c[def]
	if byKey == nil {
		byKey = map[seriesKey]*[60]counts{}
		mh.c[def] = byKey
	}
	a := byKey[k]
	if a == nil {
		a = &[60]counts{}
		byKey[k] = a
	}
	i := (minute - floorHourSec(minute)) / minuteSec
	a[i] = a[i].plus(c)
}

// minutesIn sums def's series k over the minutes [from, to) of hour h,
// which must be kept.
func (m *memory) minutesIn(def string, k seriesKey, h, from, to int64) counts {
	var c counts
	a := m.minutes[h].c[def][k]
	if a == nil {
		return c
	}
	for i := (from - h) / minuteSec; i < (to-h)/minuteSec; i++ {
		c = c.plus(a[i])
	}
	return c
}

// window sums def's series k over [start, end), both whole minutes (unix
// s), end at most an hour after the current hour began: whole hours from
// the hour series, the edges from minutes. The hours edges fall in
// (edgeHours) must be kept.
func (m *memory) window(def string, k seriesKey, start, end int64) counts {
	d := m.defs[def]
	s := d.series[k]
	cur := floorHourSec(end - minuteSec) // the current hour
	if start >= cur {
		return m.minutesIn(def, k, cur, start, end)
	}
	first := floorHourSec(start)
	c := m.minutesIn(def, k, cur, cur, end)
	if first != start {
		first += hourSec
		c = c.plus(m.minutesIn(def, k, first-hourSec, start, first))
	}
	if s != nil {
		c = c.plus(s.sum(first, cur))
	}
	return c
}

// edgeHours are the hours whose minutes window(start, end) reads.
func edgeHours(start, end int64) []int64 {
	cur := floorHourSec(end - minuteSec)
	hours := []int64{cur}
	if start < cur && floorHourSec(start) != start {
		hours = append(hours, floorHourSec(start))
	}
	return hours
}

// missing returns, of the hours asked for (hour → kinds), those not kept
// with the kinds asked, and the kinds to load for each.
func (m *memory) missing(need map[int64]int) map[int64]int {
	out := map[int64]int{}
	for h, k := range need {
		have := 0
		if mh := m.minutes[h]; mh != nil {
			have = mh.kinds
		}
		if k&^have != 0 {
			out[h] = k &^ have
		}
	}
	return out
}

// minuteHourTTL is how long an hour's minutes are kept after the last
// evaluation that read them: alert rules and metrics may read a window or
// two that the evaluation does not, and should not load them every cycle.
const minuteHourTTL = 5 * time.Minute

// touch marks the hours of need as read at now and drops those no read
// has needed for minuteHourTTL.
func (m *memory) touch(need map[int64]int, now time.Time) {
	for h, mh := range m.minutes {
		if _, ok := need[h]; ok {
			mh.used = now
		} else if now.Sub(mh.used) > minuteHourTTL || mh.used.After(now) {
			delete(m.minutes, h)
		}
	}
}

// minuteHourOf returns hour h's minutes, marked as holding kinds.
func (m *memory) minuteHourOf(h int64, kinds int) *minuteHour {
	mh := m.minutes[h]
	if mh == nil {
		mh = &minuteHour{c: map[string]map[seriesKey]*[60]counts{}}
		m.minutes[h] = mh
	}
	mh.kinds |= kinds
	return mh
}

// drop forgets def, and every minute kept (they would lack the next
// definition loaded; they are loaded again when needed).
func (m *memory) drop(def string) {
	delete(m.defs, def)
	m.minutes = map[int64]*minuteHour{}
}
