package engine

import (
	"context"
	"maps"
)

// Evaluation from memory (see memory.go): the SLOs it holds, summed there.

// memCounts is windowCounts for the SLOs of p at idx, all held in memory.
func (e *Engine) memCounts(ctx context.Context, p *plan, idx []int, withSlices bool) (map[string][]counts, map[string][]sliceRow, error) {
	whole, sliced := map[string][]counts{}, map[string][]sliceRow{}
	if len(idx) == 0 {
		return whole, sliced, nil
	}
	end := p.end.Unix()
	need := edgeNeed(p, idx, withSlices)
	if err := e.loadMinutes(ctx, need); err != nil {
		return nil, nil, err
	}
	e.mem.touch(need, p.now)
	var coldSlices []int
	for _, i := range idx {
		s, def := p.slos[i], key(p.slos[i])
		c := make([]counts, len(p.starts))
		for _, j := range p.cols(i) {
			c[j] = e.mem.window(def, seriesKey{}, p.starts[j].Unix(), end)
		}
		whole[s.Name] = c
		if withSlices && len(s.Slices) > 0 {
			if e.mem.defs[def].slicesCold {
				coldSlices = append(coldSlices, i)
				continue
			}
			sliced[s.Name] = capSlices(e.memSlices(def, p, []int{p.sloCol[i], p.hourCol}), p.sloCol[i], e.opts.SliceCap)
		}
	}
	if len(coldSlices) > 0 {
		sl, err := e.querySlices(ctx, p.subset(coldSlices))
		if err != nil {
			return nil, nil, err
		}
		maps.Copy(sliced, sl)
	}
	return whole, sliced, nil
}

// memSlices are def's slice rows with the counts of columns cols.
func (e *Engine) memSlices(def string, p *plan, cols []int) []sliceRow {
	var out []sliceRow
	for k := range e.mem.defs[def].series {
		if k.slice == "" {
			continue
		}
		i, _ := sliceIndex(k.slice)
		r := sliceRow{index: i, value: k.value, c: make([]counts, len(p.starts))}
		for _, col := range cols {
			r.c[col] = e.mem.window(def, k, p.starts[col].Unix(), p.end.Unix())
		}
		out = append(out, r)
	}
	return out
}

// edgeNeed is the hours whose minutes memCounts reads for the SLOs at
// idx, with the kinds of series: whole SLOs over all their columns, slices
// over their own window and the last hour.
func edgeNeed(p *plan, idx []int, withSlices bool) map[int64]int {
	end := p.end.Unix()
	need := map[int64]int{}
	add := func(col, kind int) {
		for _, h := range edgeHours(p.starts[col].Unix(), end) {
			need[h] |= kind
		}
	}
	for _, i := range idx {
		for _, c := range p.cols(i) {
			add(c, wholeRows)
		}
		if withSlices && len(p.slos[i].Slices) > 0 {
			add(p.sloCol[i], sliceRows)
			add(p.hourCol, sliceRows)
		}
	}
	return need
}
