package dashboards

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGrafanaSQLUsesMacros(t *testing.T) {
	q := GrafanaSQL(SLIHistory, GrafanaOptions{Database: "flowslo"})
	for _, want := range []string{"$__fromTime", "$__toTime", "$__interval_s", "FROM flowslo.slo_rollup_hour", "WITH panel AS ("} {
		if !strings.Contains(q, want) {
			t.Errorf("grafana SQL lacks %q:\n%s", want, q)
		}
	}
	if strings.Contains(q, "{from:") || strings.Contains(q, "{step:") {
		t.Errorf("parameters left in grafana SQL:\n%s", q)
	}
}

func TestExportGrafana(t *testing.T) {
	dir := t.TempDir()
	paths, err := ExportGrafana(dir, GrafanaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != len(All) {
		t.Fatalf("wrote %d files, want %d", len(paths), len(All))
	}
	b, err := os.ReadFile(filepath.Join(dir, "flowslo-services.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID    string
		Panels []struct {
			Type       string
			Datasource struct{ Type string }
			Targets    []struct {
				RawSQL string `json:"rawSql"`
				Format int
			}
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if d.UID != "flowslo-services" || len(d.Panels) != 1 || d.Panels[0].Datasource.Type != GrafanaPlugin {
		t.Fatalf("unexpected dashboard: %+v", d)
	}
	if sql := d.Panels[0].Targets[0].RawSQL; !strings.Contains(sql, "FROM otel_traces") || d.Panels[0].Targets[0].Format != 1 {
		t.Errorf("RED target: %+v", d.Panels[0].Targets[0])
	}
}

func TestGrafanaRefusesBadDatabase(t *testing.T) {
	if _, err := GrafanaJSON(Flows, GrafanaOptions{Database: "x; DROP TABLE y"}); err == nil {
		t.Fatal("want an error for a database name that is not an identifier")
	}
}
