package engine

import (
	"context"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/store"
)

func floorMinute(t time.Time) time.Time { return t.UTC().Truncate(time.Minute) }

// maxRollSpan bounds the insertion time one roll covers, so catching up
// after a long stop is a series of bounded INSERTs.
const maxRollSpan = 10 * time.Minute

// catchUpLag is how far behind the safe point a definition's watermark may
// be and still count as current. Further behind (a definition used again
// after days, a long stop), reading its rows live at every evaluation
// would cost as much as a backfill: it catches up instead, rollBudget per
// cycle, and until then it reads as backfilling, its alerts held.
const catchUpLag = time.Hour

// rollBudget is how long one cycle spends catching up before it evaluates.
const rollBudget = 2 * time.Second

// rollColumns are slo_rollup's columns in the order rolls select them.
const rollColumns = "slo, hash, res, slice_key, slice_value, minute, good, total, hist, rolled, cutoff, backfilled"

// oneInsertPart makes an INSERT … SELECT one block, so one part: with no
// partition key the whole roll then lands in one part or not at all.
const oneInsertPart = "\nSETTINGS min_insert_block_size_rows = 1000000000000, min_insert_block_size_bytes = 1000000000000, max_insert_threads = 1"

// rollLocked counts, for every SLO, the raw rows inserted since its last
// roll, after beginning the definitions that have no bookkeeping yet: one
// INSERT per round (normally one round; more while catching up). Call with
// mu held.
func (e *Engine) rollLocked(ctx context.Context) error {
	if e.opts.ReadOnly {
		return nil
	}
	sp, err := e.safePoint(ctx)
	if err != nil {
		return err
	}
	if sp.rolling > 0 && e.unsureRoll == nil {
		// Another writer's roll (a replica that just lost its lease, a
		// process that died mid-roll on a server) is still running:
		// what this engine knows may be short of it. Wait for it to end,
		// then read everything again.
		e.suspect = true
		e.opts.Logger.Info("a roll of another writer is still running; waiting for it before rolling")
		return nil
	}
	if e.unsureRoll != nil {
		if sp.rolling > 0 {
			return nil // the earlier attempt may still be running: it may yet land
		}
		if err := e.writeRoll(ctx, e.unsureRoll); err != nil {
			return err
		}
	}
	if e.suspect {
		e.reload()
	}
	if err := e.beginNew(ctx); err != nil {
		return err
	}
	to := sp.at
	e.safe = to
	started := time.Now()
	for time.Since(started) < rollBudget {
		slos, since, end := e.behind(to)
		if len(slos) == 0 {
			return nil
		}
		t0 := time.Now()
		wrote, err := e.roll(ctx, slos, since, end, false)
		e.opts.Logger.Debug("rolled", "slos", len(slos), "span", time.Duration(end-slices.Min(since))*time.Millisecond, "wrote", wrote, "took", time.Since(t0))
		if err != nil || !wrote {
			return err
		}
	}
	return nil
}

// reload forgets the bookkeeping and memory, to read both again from
// slo_rollup: after a write whose outcome is unknown, or another writer's.
// Call with mu held.
func (e *Engine) reload() {
	e.loaded, e.suspect = false, false
	e.mem = newMemory()
}

// catchingUp says whether st is too far behind the last safe point to
// count as current (see catchUpLag). Call with mu held.
func (e *Engine) catchingUp(st *state) bool {
	return e.safe-st.rolled > catchUpLag.Milliseconds()
}

// beginNew writes the first bookkeeping row of every definition that has
// none: from the safe point on its rows are counted by rolls, the rows
// inserted before by its backfill. Call with mu held.
func (e *Engine) beginNew(ctx context.Context) error {
	if err := e.load(ctx); err != nil {
		return err
	}
	var begin []*slo.SLO
	for _, s := range e.slos {
		if !e.stateOf(key(s)).begun {
			begin = append(begin, s)
		}
	}
	if len(begin) == 0 {
		return nil
	}
	sp, err := e.safePoint(ctx)
	if err != nil {
		return err
	}
	at := sp.at
	b := newParams("r")
	parts := []string{bookkeeping(b, begin, at, at, noBackfill)}
	if err := e.q.Exec(ctx, insertRollup(parts, "", rollMarker), b.p); err != nil {
		e.suspect = true // it may have landed: read the bookkeeping again
		return fmt.Errorf("begin counting %s: %w", names(begin), err)
	}
	for _, s := range begin {
		st := e.stateOf(key(s))
		st.begun, st.rolled, st.cutoff = true, at, at
	}
	return nil
}

// behind returns the begun SLOs rolled to before to, where each stands,
// and where this round ends: to, or maxRollSpan after the furthest behind.
func (e *Engine) behind(to int64) (slos []*slo.SLO, since []int64, end int64) {
	end = to
	for _, s := range e.slos {
		if st := e.stateOf(key(s)); st.begun && st.rolled < to {
			end = min(end, st.rolled+maxRollSpan.Milliseconds())
		}
	}
	for _, s := range e.slos {
		if st := e.stateOf(key(s)); st.begun && st.rolled < end {
			slos, since = append(slos, s), append(since, st.rolled)
		}
	}
	return slos, since, end
}

// roll writes, in one INSERT, the counts of the rows slos[i] has not
// counted yet (inserted in [since[i], to)) and each one's new watermark,
// then adds the counts to memory. The counts pass through Go (selected,
// then inserted from a parameter) so that memory gets exactly what the
// INSERT wrote, and only once it is written.
//
// A span whose counts are more than maxRollRows rows is rolled in parts
// (part is set for them: a part with nothing new still moves the
// watermark, so the next roll starts past it).
func (e *Engine) roll(ctx context.Context, slos []*slo.SLO, since []int64, to int64, part bool) (wrote bool, err error) {
	sets, err := e.withRows(ctx, rawSets(slos, since, to, true))
	if err != nil {
		return false, err
	}
	if len(sets) == 0 && !part && to-slices.Min(since) < idleWatermark.Milliseconds() {
		return false, nil // nothing new: the watermark can wait
	}
	var rows []string
	var deltas []delta
	if len(sets) > 0 {
		if rows, deltas, err = e.selectRoll(ctx, sets); err != nil {
			return false, fmt.Errorf("count rows up to %s: %w", time.UnixMilli(to).UTC().Format(time.RFC3339Nano), err)
		}
	}
	if lo := slices.Min(since); len(rows) > maxRollRows && to-lo > 1 {
		cuts, err := e.rollCuts(ctx, sets, len(rows))
		if err != nil {
			return false, err
		}
		if len(cuts) > 0 && cuts[0] > lo && cuts[0] < to {
			return e.rollParts(ctx, slos, since, cuts, to, part)
		}
	}
	b := newParams("r")
	w := &rollWrite{query: rollSQL(b, slos, rows, to, writeToken("roll", slos, append(since, to)...)), params: b.p, slos: slos, to: to, deltas: deltas}
	return true, e.writeRoll(ctx, w)
}

// maxRollRows bounds the minute rows one roll writes: they travel as one
// array parameter, which ClickHouse refuses beyond a million elements (and
// parses slowly long before), and a roll refused so would be retried
// verbatim forever, freezing every SLO. A roll over more ends earlier in
// insertion time (rollCuts; the rows of one INSERT, one millisecond, are
// never split). A var for tests.
var maxRollRows = 100_000

// rollParts rolls [since, to) in parts ending at each of cuts, then the
// rest, all in this cycle: each part selects only its own range, so a
// large backlog is read about twice, where rolling one part per cycle read
// all that was left at every cycle (1.2M late rows took 3.5 minutes).
func (e *Engine) rollParts(ctx context.Context, slos []*slo.SLO, since, cuts []int64, to int64, part bool) (bool, error) {
	cur := slices.Clone(since)
	for _, cut := range cuts {
		if cut <= slices.Min(cur) || cut >= to {
			continue
		}
		ss, ssince := rollUpTo(slos, cur, cut)
		if _, err := e.roll(ctx, ss, ssince, cut, true); err != nil {
			return true, err
		}
		for i := range cur {
			cur[i] = max(cur[i], cut)
		}
	}
	if _, err := e.roll(ctx, slos, cur, to, part); err != nil {
		return true, err
	}
	return true, nil
}

// rollCuts are the insertion times (ms) at which a roll of sets, whose
// counts were n rows, should end its parts to write about maxRollRows
// each: where each such share of its raw rows (less a fifth) had been
// inserted, from one query over the insertion time column alone. Each cut
// is past the insertion time before it.
func (e *Engine) rollCuts(ctx context.Context, sets []*rawSet, n int) ([]int64, error) {
	b := newParams("c")
	var parts []string
	for _, r := range sets {
		parts = append(parts, fmt.Sprintf("SELECT toInt64(toUnixTimestamp64Milli(%s)) AS t FROM %s WHERE %s", inserted, r.table, r.where(b)))
	}
	rows, err := e.q.Query(ctx, "SELECT t, count() FROM ("+strings.Join(parts, " UNION ALL ")+") GROUP BY t ORDER BY t", b.p)
	if err != nil {
		return nil, fmt.Errorf("split a large roll: %w", err)
	}
	defer rows.Close()
	var ts []int64
	var cs []uint64
	var total uint64
	for rows.Next() {
		var t int64
		var c uint64
		if err := rows.Scan(&t, &c); err != nil {
			return nil, fmt.Errorf("split a large roll: %w", err)
		}
		ts, cs, total = append(ts, t), append(cs, c), total+c
	}
	if err := rows.Err(); err != nil || len(ts) == 0 {
		return nil, err
	}
	want := max(uint64(float64(total)*0.8*float64(maxRollRows)/float64(n)), 1)
	var cuts []int64
	var sum uint64
	for i := 1; i < len(ts); i++ {
		if sum += cs[i-1]; sum+cs[i] > want {
			cuts, sum = append(cuts, ts[i]), 0
		}
	}
	if len(cuts) == 0 {
		cuts = []int64{ts[len(ts)-1]}
	}
	return cuts, nil
}

// rollUpTo keeps the SLOs of a roll that stand before cut: a roll up to
// cut must never move a watermark back.
func rollUpTo(slos []*slo.SLO, since []int64, cut int64) ([]*slo.SLO, []int64) {
	var ss []*slo.SLO
	var sn []int64
	for i, s := range slos {
		if since[i] < cut {
			ss, sn = append(ss, s), append(sn, since[i])
		}
	}
	return ss, sn
}

// idleWatermark is how far behind the safe point a watermark may stay
// while nothing new was inserted: writing it every cycle would cost an
// INSERT (and a part) every 5 s for nothing; an hour would make the
// definition read as catching up (catchUpLag).
const idleWatermark = time.Minute

// rollWrite is one roll's INSERT and what follows once it is stored.
type rollWrite struct {
	query  string
	params store.Params
	slos   []*slo.SLO
	to     int64
	deltas []delta
}

// writeRoll runs w's INSERT; once stored, moves its SLOs' watermarks and
// adds its counts to memory. A failed INSERT may still have landed (a
// timeout after the server stored it): it is kept as unsureRoll and
// retried verbatim, with its deduplication token, before any other roll,
// so it counts once whichever happened.
func (e *Engine) writeRoll(ctx context.Context, w *rollWrite) error {
	if err := e.q.Exec(ctx, w.query, w.params); err != nil {
		e.unsureRoll = w
		for _, s := range w.slos {
			e.stateOf(key(s)).err = err
		}
		return fmt.Errorf("roll up to %s: %w", time.UnixMilli(w.to).UTC().Format(time.RFC3339Nano), err)
	}
	e.unsureRoll = nil
	for _, s := range w.slos {
		st := e.stateOf(key(s))
		st.rolled, st.err = w.to, nil
	}
	e.mem.apply(w.deltas)
	for _, d := range w.deltas {
		if d.series.slice == "" {
			e.counted[d.def] = e.counted[d.def].plus(d.c)
		}
	}
	return nil
}

// selectRoll aggregates the rows of sets per minute: as tuple literals for
// rollSQL (slo, hash, slice_key, hex(slice_value), minute, good, total,
// hist) and as deltas for memory.
func (e *Engine) selectRoll(ctx context.Context, sets []*rawSet) ([]string, []delta, error) {
	b := newParams("s")
	rows, err := e.q.Query(ctx, selectRollSQL(b, sets), b.p)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var lits []string
	var deltas []delta
	for rows.Next() {
		var name, hash, sk, hv, hist string
		var d delta
		if err := rows.Scan(&name, &hash, &sk, &hv, &d.minute, &d.c.good, &d.c.total, &hist); err != nil {
			return nil, nil, err
		}
		v, err := hex.DecodeString(hv)
		if err != nil {
			return nil, nil, fmt.Errorf("slice value %q: %w", hv, err)
		}
		d.def, d.series = name+"/"+hash, seriesKey{sk, string(v)}
		deltas = append(deltas, d)
		lits = append(lits, fmt.Sprintf("(%s,%s,%s,'%s',%d,%d,%d,%s)", quote(name), quote(hash), quote(sk), hv, d.minute, d.c.good, d.c.total, hist))
	}
	return lits, deltas, rows.Err()
}

// selectRollSQL selects the per-minute rows of sets, hist as text (a
// literal of its type) and slice values as hex, so any bytes return exactly.
func selectRollSQL(b *params, sets []*rawSet) string {
	return "SELECT slo, hash, slice_key, hex(slice_value), toInt64(toUnixTimestamp(minute)), good, total, toString(hist) FROM (\n" + rawRows(b, sets) + "\n)"
}

// rollSQL writes rows (selectRoll's literals) as minutes and hours and
// moves every SLO of slos to to.
func rollSQL(b *params, slos []*slo.SLO, rows []string, to int64, token string) string {
	var parts []string
	if len(rows) > 0 {
		parts = append(parts, withHours(rollRows(b, rows)))
	}
	parts = append(parts, bookkeeping(b, slos, to, math.MaxInt64, noBackfill))
	return insertRollup(parts, token, rollMarker)
}

// rollRows selects rows (selectRoll's literals) as rawCols.
func rollRows(b *params, rows []string) string {
	t := b.add("Array(Tuple(String, String, String, String, Int64, UInt64, UInt64, Tuple(Array(UInt16), Array(UInt64))))", "["+strings.Join(rows, ",")+"]")
	return "SELECT t.1 AS slo, t.2 AS hash, t.3 AS slice_key, unhex(t.4) AS slice_value, toDateTime(t.5, 'UTC') AS minute, t.6 AS good, t.7 AS total, t.8 AS hist\nFROM (SELECT arrayJoin(" + t + ") AS t)"
}

// withRows keeps the sets that have rows in their range: one small query,
// served by the insertion time's index and the partitions, spares a table
// with nothing new (or a backfill chunk of empty history) the cost of a raw
// aggregation, which is mostly ClickHouse analysing every SLO's filters,
// however few rows there are.
func (e *Engine) withRows(ctx context.Context, sets []*rawSet) ([]*rawSet, error) {
	b := newParams("w")
	var parts []string
	for i, r := range sets {
		parts = append(parts, fmt.Sprintf("SELECT toUInt32(%d) FROM (SELECT 1 FROM %s WHERE %s LIMIT 1)", i, r.table, r.where(b)))
	}
	if len(parts) == 0 {
		return nil, nil
	}
	rows, err := e.q.Query(ctx, strings.Join(parts, " UNION ALL "), b.p)
	if err != nil {
		return nil, fmt.Errorf("look for new rows: %w", err)
	}
	defer rows.Close()
	var keep []*rawSet
	for rows.Next() {
		var i uint32
		if err := rows.Scan(&i); err != nil {
			return nil, fmt.Errorf("look for new rows: %w", err)
		}
		keep = append(keep, sets[i])
	}
	return keep, rows.Err()
}

// rawRows is the UNION of the per-minute rows of sets (rawCols).
func rawRows(b *params, sets []*rawSet) string {
	var rows []string
	for _, r := range sets {
		rows = append(rows, r.rows(b, wholeRows|sliceRows))
	}
	return strings.Join(rows, "\nUNION ALL\n")
}

// withHours turns per-minute rows (rawCols) into slo_rollup rows: each
// minute (res 0) and its sum per hour (res 1), written together.
func withHours(rows string) string {
	// Every column is named: the UNION's parts must not hold two columns of
	// one name, which SELECT * would not tell apart.
	return `SELECT slo, hash, res, slice_key, slice_value, if(res = 1, toStartOfHour(minute), minute) AS m,
	sum(good) AS good, sum(total) AS total, sumMap(hist) AS hist, toInt64(0) AS rolled, toInt64(0) AS cutoff, toInt64(0) AS backfilled
FROM (` + rows + `) ARRAY JOIN [toUInt8(0), toUInt8(1)] AS res
GROUP BY slo, hash, res, slice_key, slice_value, m`
}

// insertRollup is the INSERT of parts into slo_rollup as one part. Its
// subquery is named marker (rollMarker, backfillMarker), so safePoint sees
// an engine write still running;
// token, when set, is its insert_deduplication_token: the same INSERT
// retried after a failure that may have landed is stored once.
func insertRollup(parts []string, token, marker string) string {
	q := "INSERT INTO slo_rollup (" + rollColumns + ")\nSELECT * FROM (\n" + strings.Join(parts, "\nUNION ALL\n") + "\n) AS " + marker + oneInsertPart
	if token != "" {
		q += ", insert_deduplicate = 1, insert_deduplication_token = '" + token + "'"
	}
	return q
}

// The names of the subquery of engine writes to slo_rollup: rolls (and
// the first bookkeeping row), and backfill chunks.
const (
	rollMarker     = "flowslo_roll"
	backfillMarker = "flowslo_backfill"
)

// writeToken is a deduplication token for one write: a hash of what
// decides its rows (the kind, the definitions and the ranges).
func writeToken(kind string, slos []*slo.SLO, bounds ...int64) string {
	h := fnv.New64a()
	for _, s := range slos {
		h.Write([]byte(key(s) + "\x00"))
	}
	for _, b := range bounds {
		h.Write([]byte(strconv.FormatInt(b, 10) + "\x00"))
	}
	return fmt.Sprintf("%s-%016x", kind, h.Sum64())
}

// sliceTuples is the array of (slice_key, value) pairs each raw row
// contributes to: the whole SLO, then one per slice.
func sliceTuples(s *slo.SLO, pfx string, p store.Params, whole bool) string {
	var parts []string
	if whole {
		parts = append(parts, "('', '')")
	}
	for i, c := range s.SLI.Slices {
		parts = append(parts, fmt.Sprintf("('%d', toString(%s))", i, prefixed(c, pfx, p)))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func names(slos []*slo.SLO) string {
	n := make([]string, len(slos))
	for i, s := range slos {
		n[i] = s.Name
	}
	return strings.Join(n, ", ")
}
