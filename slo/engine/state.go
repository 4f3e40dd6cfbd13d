package engine

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/flowslo/flowslo/slo"
)

// state is where one SLO definition's counts stand: a copy of its
// bookkeeping row in slo_rollup (res 2), kept in memory after load.
//
// The raw rows a definition counts are split in two by insertion time
// (store.InsertedColumn), at cutoff, the moment it began:
//   - rows inserted from cutoff on are counted by rolls, in insertion
//     order: every roll counts the rows inserted in [rolled, safe point)
//     and moves rolled there, in the same INSERT;
//   - rows inserted before cutoff are counted by backfill chunks, newest
//     event time first: each chunk counts those whose Timestamp is in
//     [lo, backfilled) and moves backfilled to lo, in the same INSERT.
//
// The two sets are disjoint and together hold every row, so each row is
// counted exactly once, in the minute of its own Timestamp, however late
// it arrived or long it lasted. The rows inserted since rolled are read
// live from the raw table at each evaluation.
type state struct {
	begun      bool
	rolled     int64     // ms of insertion time: rows inserted before it are counted
	cutoff     int64     // ms of insertion time where the definition began
	backfilled time.Time // zero until the first backfill chunk
	// In memory only, for Progress: the backfill's first and last event time.
	anchor, target time.Time
	backfilling    bool  // a backfiller is working on it
	err            error // the last rollup error
}

// noBackfill is the backfilled value of a definition no chunk has reached.
const noBackfill = math.MaxInt64

// load reads every definition's bookkeeping once; afterwards this engine is
// the only writer and keeps it in memory. Call with mu held.
func (e *Engine) load(ctx context.Context) error {
	if e.loaded {
		return nil
	}
	rows, err := e.q.Query(ctx, `SELECT slo, hash, max(rolled), min(cutoff), min(backfilled)
FROM slo_rollup WHERE res = 2 GROUP BY slo, hash`, nil)
	if err != nil {
		return fmt.Errorf("read rollup watermarks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, hash string
		var rolled, cutoff, backfilled int64
		if err := rows.Scan(&name, &hash, &rolled, &cutoff, &backfilled); err != nil {
			return fmt.Errorf("read rollup watermarks: %w", err)
		}
		st := e.stateOf(name + "/" + hash)
		st.begun, st.rolled, st.cutoff = true, rolled, cutoff
		if backfilled != noBackfill {
			st.backfilled = time.Unix(backfilled, 0).UTC()
		}
		// Progress after a restart is measured from now, where the
		// backfill (newest first) started, near enough.
		st.anchor = firstChunkEnd(e.opts.Clock())
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read rollup watermarks: %w", err)
	}
	e.loaded = true
	return nil
}

func (e *Engine) stateOf(k string) *state {
	st := e.states[k]
	if st == nil {
		st = &state{}
		e.states[k] = st
	}
	return st
}

// safePoint is the insertion time (ms) before which every raw row is
// visible: ClickHouse's clock less Options.RollMargin, and before the
// start of every INSERT still running (a row's insertion time is set
// while its INSERT runs, and the row becomes visible when the INSERT
// ends). Insertion times come from ClickHouse's clock, never from
// Options.Clock, which places events in time.
func (e *Engine) safePoint(ctx context.Context) (safePoint, error) {
	rows, err := e.q.Query(ctx, `SELECT toInt64(toUnixTimestamp64Milli(now64(3))),
	toInt64(maxIf(elapsed, positionCaseInsensitive(query, 'slo_rollup') = 0) * 1000),
	toInt64(countIf(position(query, '`+rollMarker+`') > 0 AND current_database = currentDatabase())),
	toInt64(countIf(position(query, '`+backfillMarker+`') > 0 AND current_database = currentDatabase()))
FROM `+e.opts.Processes+` WHERE query_kind = 'Insert'`, nil)
	if err != nil {
		return safePoint{}, fmt.Errorf("read insert progress: %w", err)
	}
	defer rows.Close()
	var now, running int64
	var sp safePoint
	if rows.Next() {
		if err := rows.Scan(&now, &running, &sp.rolling, &sp.backfilling); err != nil {
			return safePoint{}, fmt.Errorf("read insert progress: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return safePoint{}, fmt.Errorf("read insert progress: %w", err)
	}
	sp.at = now - max(e.opts.RollMargin.Milliseconds(), running+1)
	return sp, nil
}

// safePoint is where a roll may count up to (at, ms of insertion time),
// and how many engine writes to slo_rollup are running, of this engine or
// another: rolls (rolling) and backfill chunks (backfilling).
type safePoint struct {
	at                   int64
	rolling, backfilling int64
}

// msTime is an insertion time in ms as a ClickHouse DateTime64(3) literal.
func (b *params) msTime(ms int64) string {
	return "fromUnixTimestamp64Milli(" + b.num(ms) + ", 'UTC')"
}

// bookkeeping selects the bookkeeping rows of slos (rawCols plus rolled,
// cutoff and backfilled), all with the given values; noBackfill and
// math.MaxInt64 for cutoff leave those columns as they are (min), 0 for
// rolled likewise (max). One SELECT over an array parameter: a SELECT per
// SLO made ClickHouse analyse a UNION of 200 (a fifth of a second a roll).
func bookkeeping(b *params, slos []*slo.SLO, rolled, cutoff, backfilled int64) string {
	pairs := make([]string, len(slos))
	for i, s := range slos {
		pairs[i] = "(" + quote(s.Name) + "," + quote(s.Hash) + ")"
	}
	return "SELECT t.1 AS slo, t.2 AS hash, toUInt8(2) AS res, '' AS slice_key, '' AS slice_value, " +
		"toDateTime(0, 'UTC') AS m, toUInt64(0) AS good, toUInt64(0) AS total, " +
		"(CAST([], 'Array(UInt16)'), CAST([], 'Array(UInt64)')) AS hist, " +
		b.num(rolled) + " AS rolled, " + b.num(cutoff) + " AS cutoff, " + b.num(backfilled) + " AS backfilled\n" +
		"FROM (SELECT arrayJoin(" + b.add("Array(Tuple(String, String))", "["+strings.Join(pairs, ",")+"]") + ") AS t)"
}
