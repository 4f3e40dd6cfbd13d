package engine

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"
)

// Latency percentiles are read from the rollups' histograms (the hist
// column: per minute and hour, counts per bucket of histBucketSQL), never
// from raw rows, so a week costs what an hour does. A bucket spans a
// ratio of 2^(1/8) (9%); a percentile is reported as its bucket's
// geometric middle, within BucketError of the true value.

// BucketError is the largest relative error of a percentile read from the
// histogram buckets: half a bucket's width.
var BucketError = (math.Pow(2, 1.0/histPerDoubling) - 1) / 2

// LatencySeries is a latency SLO's p50, p95 and p99 over time.
type LatencySeries struct {
	SLO         string         `json:"slo"`
	ThresholdMS float64        `json:"threshold_ms"`
	BucketError float64        `json:"bucket_error"` // relative, ±
	StepS       int64          `json:"step_seconds"`
	Points      []LatencyPoint `json:"points"`
}

// LatencyPoint covers the step starting at T; percentiles in ms, nil
// without events.
type LatencyPoint struct {
	T     time.Time `json:"t"`
	Total uint64    `json:"total"`
	Over  uint64    `json:"over"` // events in buckets wholly above the threshold
	P50   *float64  `json:"p50_ms"`
	P95   *float64  `json:"p95_ms"`
	P99   *float64  `json:"p99_ms"`
}

// Latency returns name's percentiles per step over [from, to), from the
// rolled-up minutes (hours when the step is whole hours). ErrBadRequest
// for an SLO without a latency threshold.
func (e *Engine) Latency(ctx context.Context, name string, from, to time.Time, step time.Duration) (LatencySeries, error) {
	s := e.find(name)
	if s == nil {
		return LatencySeries{}, ErrUnknownSLO
	}
	if s.Indicator.Latency <= 0 {
		return LatencySeries{}, fmt.Errorf("%w: %s is not a latency SLO (it has no latency threshold): its events carry no histogram", ErrBadRequest, name)
	}
	step = max(step.Truncate(time.Minute), time.Minute)
	from, to = floorMinute(from), floorMinute(to)
	if !to.After(from) || to.Sub(from)/step > MaxPoints {
		return LatencySeries{}, fmt.Errorf("%w: the range must be positive and at most %d steps", ErrBadRequest, MaxPoints)
	}
	res := 0
	if step%time.Hour == 0 {
		res, from = 1, from.Truncate(time.Hour)
	}
	b := newParams("l")
	q := fmt.Sprintf(`SELECT intDiv(toInt64(toUnixTimestamp(minute)) - %[1]s, %[2]s) AS i, arrayMap(x -> toString(x), h.1), arrayMap(x -> toString(x), h.2)
FROM (SELECT minute, hist FROM slo_rollup WHERE res = %[3]d AND slice_key = '' AND slo = %[4]s AND hash = %[5]s AND minute >= %[6]s AND minute < %[7]s)
GROUP BY i HAVING length((sumMap(hist) AS h).1) > 0 ORDER BY i`,
		b.num(from.Unix()), b.num(int64(step.Seconds())), res, b.str(s.Name), b.str(s.Hash), b.minute(from), b.minute(to))
	out := LatencySeries{SLO: name, ThresholdMS: float64(s.Indicator.Latency) / 1e6, BucketError: BucketError, StepS: int64(step.Seconds()), Points: []LatencyPoint{}}
	rows, err := e.q.Query(ctx, q, b.p)
	if err != nil {
		return out, fmt.Errorf("latency of %s: %w", name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int64
		var bs, cs []string
		if err := rows.Scan(&i, &bs, &cs); err != nil {
			return out, fmt.Errorf("latency of %s: %w", name, err)
		}
		h := parseHist(bs, cs)
		p := LatencyPoint{T: from.Add(time.Duration(i) * step), Total: h.total(), Over: h.over(out.ThresholdMS)}
		p.P50, p.P95, p.P99 = h.quantile(0.5), h.quantile(0.95), h.quantile(0.99)
		out.Points = append(out.Points, p)
	}
	return out, rows.Err()
}

// hist is a latency histogram: counts by bucket, buckets ascending.
type hist struct {
	buckets []int
	counts  []uint64
}

func parseHist(bs, cs []string) hist {
	var h hist
	for i := range bs {
		b, err1 := strconv.Atoi(bs[i])
		c, err2 := strconv.ParseUint(cs[i], 10, 64)
		if err1 == nil && err2 == nil && c > 0 && i < len(cs) {
			h.buckets, h.counts = append(h.buckets, b), append(h.counts, c)
		}
	}
	sort.Sort(h)
	return h
}

func (h hist) Len() int           { return len(h.buckets) }
func (h hist) Less(i, j int) bool { return h.buckets[i] < h.buckets[j] }
func (h hist) Swap(i, j int) {
	h.buckets[i], h.buckets[j] = h.buckets[j], h.buckets[i]
	h.counts[i], h.counts[j] = h.counts[j], h.counts[i]
}

func (h hist) total() uint64 {
	var n uint64
	for _, c := range h.counts {
		n += c
	}
	return n
}

// quantile is the q-quantile in ms: the middle of the bucket holding the
// event of rank ceil(q × total).
func (h hist) quantile(q float64) *float64 {
	n := h.total()
	if n == 0 {
		return nil
	}
	rank := uint64(math.Ceil(q * float64(n)))
	var cum uint64
	for i, c := range h.counts {
		if cum += c; cum >= rank {
			return ptr(bucketMiddleMS(h.buckets[i]))
		}
	}
	return ptr(bucketMiddleMS(h.buckets[len(h.buckets)-1]))
}

// over counts the events in buckets that start above the threshold.
func (h hist) over(thresholdMS float64) uint64 {
	var n uint64
	for i, b := range h.buckets {
		if b > 0 && bucketLowMS(b) >= thresholdMS {
			n += h.counts[i]
		}
	}
	return n
}

// bucketLowMS is where bucket b (≥ 1) starts: 2^((b-1)/8) µs.
func bucketLowMS(b int) float64 { return math.Pow(2, float64(b-1)/histPerDoubling) / 1000 }

// bucketMiddleMS is bucket b's geometric middle; bucket 0 (under 1 µs)
// reads as half a microsecond.
func bucketMiddleMS(b int) float64 {
	if b == 0 {
		return 0.0005
	}
	return math.Pow(2, (float64(b)-0.5)/histPerDoubling) / 1000
}
