package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flowslo/flowslo/slo"
)

// Releases are learnt from the SLOs' release slices (a slice on
// service.version or app.version): slo_rollup keeps, per SLO, per hour
// and minute, the counts of every value of every slice, so a release's
// counts, first and last sight and share of events are sums over rollup
// rows, cheap at any raw volume. The split of one release by platform
// reads the pair slice (slo.ReleasePair: release and platform counted
// together as one more slice), so it is a sum over rollup rows too.
//
// Numbers are as of the last roll (a few seconds behind the raw tables):
// the live rows the evaluation adds are not read here.

// ReleaseSlice says whether a slice expression names a release.
func ReleaseSlice(expr string) bool { return slo.ReleaseSlice(expr) }

// PlatformSlice says whether a slice expression names a platform.
func PlatformSlice(expr string) bool { return slo.PlatformSlice(expr) }

// relSLO is an SLO with a release slice.
type relSLO struct {
	s     *slo.SLO
	key   string    // slice_key of its release slice
	pair  string    // slice_key of its release × platform slice
	start time.Time // its window's first minute now
	// rolled: the rows inserted before it are in the rollups (ms; 0: none).
	rolled int64
	// platSlice names the platform: the slice expression, or the default.
	platSlice string
}

// releaseSLOs are the SLOs with a release slice, of flow if set.
func (e *Engine) releaseSLOs(now time.Time, flow string) []relSLO {
	var out []relSLO
	rolled := e.rolledMarks()
	for _, s := range e.SLOs() {
		if flow != "" && s.Flow != flow {
			continue
		}
		if s.Release == nil {
			continue
		}
		out = append(out, relSLO{s: s, key: strconv.Itoa(s.Release.Release), pair: strconv.Itoa(s.Release.Key),
			start: sloWindowStart(s.Window, now), rolled: rolled[key(s)], platSlice: s.Release.Platform})
	}
	return out
}

// rolledMarks are the SLO definitions' roll watermarks, by key.
func (e *Engine) rolledMarks() map[string]int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]int64, len(e.states))
	for k, st := range e.states {
		if st.begun {
			out[k] = st.rolled
		}
	}
	return out
}

// ReleaseInfo is one release as flowslo has seen it in the SLOs' events
// (over their windows).
type ReleaseInfo struct {
	Version   string    `json:"version"`
	FirstSeen time.Time `json:"first_seen"` // the first minute with an event
	LastSeen  time.Time `json:"last_seen"`  // the last minute with an event
	Events    uint64    `json:"events"`     // summed over its SLOs
	Services  []Seen    `json:"services"`
	SLOs      []string  `json:"slos"`
	Flows     []string  `json:"flows"`
}

// Seen is when a release was first and last seen in one service's SLOs.
type Seen struct {
	Service   string    `json:"service"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// ReleaseFilter narrows Releases: seen since Since (zero: within the
// SLO windows), in one SLO or one flow.
type ReleaseFilter struct {
	Since     time.Time
	SLO, Flow string
}

// sight is one release in one SLO.
type sight struct {
	slo, version string
	first, last  time.Time
	total        uint64
}

// Releases lists the releases seen, newest version first.
func (e *Engine) Releases(ctx context.Context, f ReleaseFilter) ([]ReleaseInfo, error) {
	rs := e.releaseSLOs(e.opts.Clock(), f.Flow)
	if f.SLO != "" {
		rs = slices.DeleteFunc(rs, func(r relSLO) bool { return r.s.Name != f.SLO })
	}
	sights, err := e.sights(ctx, rs, f.Since, "")
	if err != nil {
		return nil, err
	}
	return catalog(rs, sights), nil
}

// sights reads, per SLO and release, the first and last minute seen and
// the events within its window (from Since when later): hours first, then
// the minutes of the first and last hours, of release only when set (the
// others keep whole hours: a report compares releases by hour).
func (e *Engine) sights(ctx context.Context, rs []relSLO, since time.Time, release string) ([]sight, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	b := newParams("r")
	var names, hashes, keys []string
	var from []time.Time
	first := time.Time{}
	for _, r := range rs {
		f := r.start
		if since.After(f) {
			f = since
		}
		f = f.Truncate(time.Hour)
		names, hashes, keys, from = append(names, r.s.Name), append(hashes, r.s.Hash), append(keys, r.key), append(from, f)
		first = earliestOf(first, f)
	}
	t := newBySLO(b, names)
	q := `SELECT slo, slice_value, toInt64(toUnixTimestamp(min(minute))), toInt64(toUnixTimestamp(max(minute))), sum(total) FROM slo_rollup
WHERE res = 1 AND slice_value != '' AND ` + t.sliceRows(hashes, keys) + ` AND minute >= ` + b.minute(first) + `
	AND toInt64(toUnixTimestamp(minute)) >= ` + t.minutes(from) + `
GROUP BY slo, slice_value`
	out, err := e.scanSights(ctx, q, b)
	if err != nil || len(out) == 0 {
		return out, err
	}
	refine := out
	if release != "" {
		refine = slices.DeleteFunc(slices.Clone(out), func(x sight) bool { return x.version != release })
	}
	if len(refine) == 0 {
		return out, nil
	}
	fine, err := e.refineFirst(ctx, rs, refine)
	if err != nil {
		return nil, err
	}
	for _, f := range fine {
		for i := range out {
			if out[i].slo == f.slo && out[i].version == f.version {
				out[i].first, out[i].last = f.first, f.last
			}
		}
	}
	return out, nil
}

func (e *Engine) scanSights(ctx context.Context, q string, b *params) ([]sight, error) {
	rows, err := e.q.Query(ctx, q, b.p)
	if err != nil {
		return nil, fmt.Errorf("releases: %w", err)
	}
	defer rows.Close()
	var out []sight
	for rows.Next() {
		var x sight
		var first, last int64
		if err := rows.Scan(&x.slo, &x.version, &first, &last, &x.total); err != nil {
			return nil, fmt.Errorf("releases: %w", err)
		}
		x.first, x.last = time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC()
		out = append(out, x)
	}
	return out, rows.Err()
}

// refineFirst reads each sight's first and last minute from the minutes
// of its first and last hours only.
func (e *Engine) refineFirst(ctx context.Context, rs []relSLO, ss []sight) ([]sight, error) {
	b := newParams("m")
	var names, hashes, keys, hours, versions []string
	for _, r := range rs {
		names, hashes, keys = append(names, r.s.Name), append(hashes, r.s.Hash), append(keys, r.key)
	}
	first, last := ss[0].first, ss[0].last
	for _, x := range ss {
		for _, h := range []time.Time{x.first, x.last} {
			hours = append(hours, fmt.Sprintf("(%s,%s,%d)", quote(x.slo), quote(x.version), h.Unix()))
		}
		first, last = earlier(first, x.first), later(last, x.last)
		if !slices.Contains(versions, x.version) {
			versions = append(versions, x.version)
		}
	}
	t := newBySLO(b, names)
	// The set of versions lets the primary key (…, slice_value, minute)
	// prune when few are refined.
	q := `SELECT slo, slice_value, toInt64(toUnixTimestamp(min(minute))), toInt64(toUnixTimestamp(max(minute))), toUInt64(0) FROM slo_rollup
WHERE res = 0 AND ` + t.sliceRows(hashes, keys) + ` AND slice_value IN ` + b.strs(versions) + `
	AND minute >= ` + b.minute(first) + ` AND minute < ` + b.minute(last.Add(time.Hour)) + `
	AND (slo, slice_value, toInt64(toUnixTimestamp(toStartOfHour(minute)))) IN ` + b.add("Array(Tuple(String, String, Int64))", "["+strings.Join(hours, ",")+"]") + `
GROUP BY slo, slice_value`
	return e.scanSights(ctx, q, b)
}

// catalog gathers sights into releases, newest version first.
func catalog(rs []relSLO, ss []sight) []ReleaseInfo {
	bySLO := map[string]*slo.SLO{}
	for _, r := range rs {
		bySLO[r.s.Name] = r.s
	}
	byVersion := map[string]*ReleaseInfo{}
	for _, x := range ss {
		ri := byVersion[x.version]
		if ri == nil {
			ri = &ReleaseInfo{Version: x.version, FirstSeen: x.first, LastSeen: x.last}
			byVersion[x.version] = ri
		}
		s := bySLO[x.slo]
		ri.FirstSeen, ri.LastSeen = earlier(ri.FirstSeen, x.first), later(ri.LastSeen, x.last)
		ri.Events += x.total
		ri.SLOs = appendNew(ri.SLOs, x.slo)
		ri.Flows = appendNew(ri.Flows, s.Flow)
		ri.Services = seenIn(ri.Services, s.Service, x)
	}
	out := make([]ReleaseInfo, 0, len(byVersion))
	for _, ri := range byVersion {
		sort.Strings(ri.SLOs)
		sort.Strings(ri.Flows)
		sort.Slice(ri.Services, func(i, j int) bool { return ri.Services[i].Service < ri.Services[j].Service })
		out = append(out, *ri)
	}
	sort.Slice(out, func(i, j int) bool { return NewerVersion(out[i].Version, out[j].Version) })
	return out
}

func appendNew(ss []string, s string) []string {
	if slices.Contains(ss, s) {
		return ss
	}
	return append(ss, s)
}

func seenIn(seen []Seen, service string, x sight) []Seen {
	for i := range seen {
		if seen[i].Service == service {
			seen[i].FirstSeen, seen[i].LastSeen = earlier(seen[i].FirstSeen, x.first), later(seen[i].LastSeen, x.last)
			return seen
		}
	}
	return append(seen, Seen{Service: service, FirstSeen: x.first, LastSeen: x.last})
}

// NewerVersion orders versions by their numeric parts ("4.10.0" after
// "4.9.2"), then as text.
func NewerVersion(a, b string) bool {
	pa, pb := versionParts(a), versionParts(b)
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if pa[i] != pb[i] {
			return pa[i] > pb[i]
		}
	}
	if len(pa) != len(pb) {
		return len(pa) > len(pb)
	}
	return a > b
}

func versionParts(v string) []int {
	var out []int
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r < '0' || r > '9' }) {
		n, _ := strconv.Atoi(f)
		out = append(out, n)
	}
	return out
}
