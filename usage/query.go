package usage

import (
	"context"
	"maps"
	"slices"

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

// counts reads rows per signal, day partition and service. Grouping by
// the _partition_id virtual column reads ServiceName alone.
func (r *Reporter) counts(ctx context.Context) (map[key]map[string]uint64, error) {
	out := map[key]map[string]uint64{}
	for _, sig := range []string{"traces", "logs"} {
		rows, err := r.q.Query(ctx, "SELECT _partition_id, toString(ServiceName), count() FROM "+signalTables[sig].table+" GROUP BY 1, 2", nil)
		if err != nil {
			return nil, scanErr("count "+sig, err)
		}
		for rows.Next() {
			var partition, svc string
			var n uint64
			if err := rows.Scan(&partition, &svc, &n); err != nil {
				rows.Close()
				return nil, scanErr("count "+sig, err)
			}
			k := key{sig, partition}
			if out[k] == nil {
				out[k] = map[string]uint64{}
			}
			out[k][svc] += n
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, scanErr("count "+sig, err)
		}
	}
	return out, nil
}

// readers maps each service to the SLOs that read it: by their service
// field, and by their total filter matching its rows in the last day.
func (r *Reporter) readers(ctx context.Context) (map[string][]string, error) {
	out := map[string][]string{}
	if r.opts.SLOs == nil {
		return out, nil
	}
	for _, s := range r.opts.SLOs() {
		svcs, err := r.matched(ctx, s)
		if err != nil {
			return nil, err
		}
		if s.Service != "" {
			svcs = append(svcs, s.Service)
		}
		slices.Sort(svcs)
		for _, svc := range slices.Compact(svcs) {
			out[svc] = append(out[svc], s.Name)
		}
	}
	for svc := range out {
		slices.Sort(out[svc])
	}
	return out, nil
}

// matched is the services whose rows of the last day s's total filter
// selects.
func (r *Reporter) matched(ctx context.Context, s *slo.SLO) ([]string, error) {
	col := "Timestamp"
	for _, t := range signalTables {
		if t.table == s.SLI.Table {
			col = t.time
		}
	}
	params := store.Params{}
	maps.Copy(params, s.SLI.Total.Params)
	rows, err := r.q.Query(ctx, "SELECT DISTINCT toString(ServiceName) FROM "+s.SLI.Table+
		" WHERE "+col+" >= now() - INTERVAL 1 DAY AND ("+s.SLI.Total.SQL+")", params)
	if err != nil {
		return nil, scanErr("services read by "+s.Name, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var svc string
		if err := rows.Scan(&svc); err != nil {
			return nil, scanErr("services read by "+s.Name, err)
		}
		out = append(out, svc)
	}
	return out, rows.Err()
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
