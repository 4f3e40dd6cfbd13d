package dashboards

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// GrafanaPlugin is the data source plugin the exported panels query.
const GrafanaPlugin = "grafana-clickhouse-datasource"

// GrafanaOptions shape the export.
type GrafanaOptions struct {
	// Database qualifies flowslo's tables ("flowslo" → flowslo.otel_traces);
	// empty leaves them to the data source's default database.
	Database string
}

var (
	macros = strings.NewReplacer(
		"toDateTime({from:Int64})", "$__fromTime",
		"toDateTime({to:Int64})", "$__toTime",
		"{from:Int64}", "toUnixTimestamp($__fromTime)",
		"{to:Int64}", "toUnixTimestamp($__toTime)",
		"{step:Int64}", "greatest($__interval_s, 3600)",
	)
	tableRef = regexp.MustCompile(`\b(FROM|JOIN)\s+(otel_traces|otel_logs|slo_rollup_hour|slo_rollup)\b`)
	database = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// GrafanaSQL is p's query as Grafana runs it: parameters become the
// plugin's macros and, with a database, tables are qualified.
func GrafanaSQL(p Panel, o GrafanaOptions) string {
	q := macros.Replace(p.SQL)
	if o.Database != "" {
		q = tableRef.ReplaceAllString(q, "$1 "+o.Database+".$2")
	}
	if p.Grafana != "" {
		q = "WITH panel AS (\n" + q + "\n)\n" + p.Grafana
	}
	return q
}

// GrafanaJSON is d as a Grafana dashboard (schema 39) whose panels query
// the data source picked in its "datasource" variable.
func GrafanaJSON(d Dashboard, o GrafanaOptions) ([]byte, error) {
	if o.Database != "" && !database.MatchString(o.Database) {
		return nil, fmt.Errorf("database %q: letters, digits and '_' only", o.Database)
	}
	ds := map[string]string{"type": GrafanaPlugin, "uid": "${datasource}"}
	panels := make([]map[string]any, 0, len(d.Panels))
	for i, p := range d.Panels {
		panels = append(panels, grafanaPanel(i, p, ds, o))
	}
	return json.MarshalIndent(map[string]any{
		"uid": d.UID, "title": d.Title, "description": d.Description,
		"tags": []string{"flowslo"}, "schemaVersion": 39, "editable": true,
		"time":    map[string]string{"from": "now-7d", "to": "now"},
		"refresh": "1m",
		"templating": map[string]any{"list": []map[string]any{{
			"name": "datasource", "label": "ClickHouse", "type": "datasource", "query": GrafanaPlugin,
		}}},
		"panels": panels,
	}, "", "  ")
}

func grafanaPanel(i int, p Panel, ds map[string]string, o GrafanaOptions) map[string]any {
	format, queryType := 1, "table"
	if p.Kind == TimeSeries {
		format, queryType = 0, "timeseries"
	}
	return map[string]any{
		"id": i + 1, "type": string(p.Kind), "title": p.Title, "description": p.Description,
		"datasource":  ds,
		"gridPos":     map[string]int{"h": 10, "w": 24, "x": 0, "y": i * 10},
		"fieldConfig": map[string]any{"defaults": map[string]any{"unit": p.Unit}, "overrides": []any{}},
		"targets": []map[string]any{{
			"refId": "A", "datasource": ds, "editorType": "sql", "format": format,
			"queryType": queryType, "rawSql": GrafanaSQL(p, o),
		}},
	}
}

// ExportGrafana writes every built-in dashboard as DIR/<uid>.json and
// returns the paths written. `flowslo dashboards export grafana` calls it.
func ExportGrafana(dir string, o GrafanaOptions) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("export grafana: %w", err)
	}
	var paths []string
	for _, d := range All {
		b, err := GrafanaJSON(d, o)
		if err != nil {
			return paths, fmt.Errorf("export grafana: %w", err)
		}
		path := filepath.Join(dir, d.UID+".json")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			return paths, fmt.Errorf("export grafana: %w", err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}
