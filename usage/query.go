package usage

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/store"
)

// signalTables are the tables reads go to (the Distributed ones on a
// cluster) and the column each day partition is keyed by.
var signalTables = map[string]struct{ table, time string }{
	"traces": {"otel_traces", "Timestamp"},
	"logs":   {"otel_logs", "TimestampTime"},
}

// partitions reads rows and bytes per signal and day from system.parts.
func (r *Reporter) partitions(ctx context.Context) (map[key]partSize, error) {
	signalOf := map[string]string{}
	for sig, t := range r.opts.DataTables {
		signalOf[t] = sig
	}
	rows, err := r.q.Query(ctx, `SELECT table, partition_id, sum(rows), sum(bytes_on_disk), sum(data_uncompressed_bytes)
FROM `+r.opts.Parts+` WHERE database = currentDatabase() AND active AND table IN {tables:Array(String)}
GROUP BY table, partition_id`, store.Params{"tables": arrayParam(slices.Sorted(maps.Keys(signalOf)))})
	if err != nil {
		return nil, scanErr("read system.parts", err)
	}
	defer rows.Close()
	out := map[key]partSize{}
	for rows.Next() {
		var table, partition string
		var s partSize
		if err := rows.Scan(&table, &partition, &s.rows, &s.bytes, &s.raw); err != nil {
			return nil, scanErr("read system.parts", err)
		}
		k := key{signalOf[table], partition}
		prev := out[k]
		out[k] = partSize{prev.rows + s.rows, prev.bytes + s.bytes, prev.raw + s.raw}
	}
	return out, rows.Err()
}

// counts reads rows and raw bytes per signal, day partition and
// service. The query groups as store.UsageProjection does, so ClickHouse
// answers it from the projection's few rows per part (parts without one
// are counted from their rows: the answer is the same, only slower).
func (r *Reporter) counts(ctx context.Context) (map[key]map[string]svcCount, error) {
	out := map[key]map[string]svcCount{}
	for _, sig := range []string{"traces", "logs"} {
		rows, err := r.q.Query(ctx, countQuery(signalTables[sig].table), nil)
		if err != nil {
			return nil, scanErr("count "+sig, err)
		}
		for rows.Next() {
			var d, svc string
			var c svcCount
			if err := rows.Scan(&d, &svc, &c.rows, &c.raw); err != nil {
				rows.Close()
				return nil, scanErr("count "+sig, err)
			}
			k := key{sig, strings.ReplaceAll(d, "-", "")} // the day's partition id
			if out[k] == nil {
				out[k] = map[string]svcCount{}
			}
			prev := out[k][svc]
			out[k][svc] = svcCount{prev.rows + c.rows, prev.raw + c.raw}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, scanErr("count "+sig, err)
		}
	}
	return out, nil
}

// countQuery reads rows and raw bytes per day and service of table.
func countQuery(table string) string {
	day := store.UsageDay(table)
	return "SELECT toString(" + day + "), toString(ServiceName), count(), " + store.UsageRawBytes(table) +
		" FROM " + table + " GROUP BY " + day + ", ServiceName SETTINGS optimize_use_projections = 1"
}

// readers maps each service to the SLOs that read it: by their service
// field, and by their total filter matching its rows in the last day.
func (r *Reporter) readers(ctx context.Context) (map[string][]string, error) {
	out := map[string][]string{}
	if r.opts.SLOs == nil {
		return out, nil
	}
	byTable := map[string][]*slo.SLO{}
	for _, s := range r.opts.SLOs() {
		if s.Service != "" {
			out[s.Service] = append(out[s.Service], s.Name)
		}
		byTable[s.SLI.Table] = append(byTable[s.SLI.Table], s)
	}
	for _, table := range slices.Sorted(maps.Keys(byTable)) {
		list := byTable[table]
		for len(list) > 0 {
			n := min(len(list), maxSLOsPerQuery)
			if err := r.matched(ctx, table, list[:n], out); err != nil {
				return nil, err
			}
			list = list[n:]
		}
	}
	for svc := range out {
		slices.Sort(out[svc])
		out[svc] = slices.Compact(out[svc])
	}
	return out, nil
}

// maxSLOsPerQuery is how many SLOs one query matches: one bit each of a
// UInt64.
const maxSLOsPerQuery = 64

// matched adds to out the services whose rows of the last day each of
// slos' total filters selects, in one scan of table: bit i of a
// service's mask is set when slos[i] matched one of its rows. Each SLO's
// placeholders are renamed apart, as every SLO numbers its own from 0.
func (r *Reporter) matched(ctx context.Context, table string, slos []*slo.SLO, out map[string][]string) error {
	col := "Timestamp"
	for _, t := range signalTables {
		if t.table == table {
			col = t.time
		}
	}
	params := store.Params{}
	var bits, matches []string
	for i, s := range slos {
		sql := s.SLI.Total.SQL
		for _, k := range slices.Sorted(maps.Keys(s.SLI.Total.Params)) {
			name := fmt.Sprintf("u%d_%s", i, k)
			sql = strings.ReplaceAll(sql, "{"+k+":", "{"+name+":")
			params[name] = s.SLI.Total.Params[k]
		}
		bits = append(bits, fmt.Sprintf("if((%s), toUInt64(%d), toUInt64(0))", sql, uint64(1)<<i))
		matches = append(matches, "("+sql+")")
	}
	rows, err := r.q.Query(ctx, "SELECT toString(ServiceName), groupBitOr("+strings.Join(bits, " + ")+") FROM "+table+
		" WHERE "+col+" >= now() - INTERVAL 1 DAY AND ("+strings.Join(matches, " OR ")+") GROUP BY ServiceName", params)
	if err != nil {
		return scanErr("services read by SLOs over "+table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var svc string
		var mask uint64
		if err := rows.Scan(&svc, &mask); err != nil {
			return scanErr("services read by SLOs over "+table, err)
		}
		for i, s := range slos {
			if mask&(uint64(1)<<i) != 0 {
				out[svc] = append(out[svc], s.Name)
			}
		}
	}
	return rows.Err()
}

// arrayParam writes a String array as a query parameter value.
func arrayParam(vals []string) string {
	out := "["
	for i, v := range vals {
		if i > 0 {
			out += ","
		}
		out += "'" + escape(v) + "'"
	}
	return out + "]"
}

func escape(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' || s[i] == '\\' {
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return string(b)
}
