package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowslo/flowslo/slo"
)

func TestValidateCommand(t *testing.T) {
	var out, errs strings.Builder
	if code := validate([]string{"../../examples"}, &out, &errs); code != 0 {
		t.Fatalf("validate examples: exit %d\n%s", code, errs.String())
	}
	if !strings.Contains(out.String(), "all valid") {
		t.Errorf("validate examples said %q", out.String())
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("slos:\n  - name: Login\n    flow: login\n    objective: 100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errs.Reset()
	code := validate([]string{bad}, &out, &errs)
	lines := strings.Split(strings.TrimSpace(errs.String()), "\n")
	if code != 1 || len(lines) < 3 {
		t.Fatalf("validate bad file: exit %d, want 1 and every problem on its own line; got\n%s", code, errs.String())
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, bad+":") {
			t.Errorf("problem line %q does not start with the file and line", l)
		}
	}
}

func TestImportOpenSLOCommand(t *testing.T) {
	var out, errs strings.Builder
	if code := importCmd([]string{"openslo", "../../slo/openslo/testdata/checkout.yaml"}, &out, &errs); code != 0 {
		t.Fatalf("import: exit %d\n%s", code, errs.String())
	}
	slos, err := slo.Parse("imported.yaml", []byte(out.String()))
	if err != nil || len(slos) == 0 {
		t.Fatalf("imported file does not load: %v\n%s", err, out.String())
	}
	if code := importCmd([]string{"openslo", "/nonexistent.yaml"}, &out, &errs); code != 2 {
		t.Errorf("import of a missing file: exit %d, want 2", code)
	}
	if code := importCmd([]string{"prometheus", "x"}, &out, &errs); code != 2 {
		t.Errorf("import of an unknown format: exit %d, want 2", code)
	}
}

func TestDashboardsExportGrafana(t *testing.T) {
	dir := t.TempDir()
	var out, errs strings.Builder
	if code := dashboardsCmd([]string{"export", "grafana", "--out", dir}, &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 || !strings.Contains(out.String(), "wrote") {
		t.Fatalf("no dashboards written: %v %q", files, out.String())
	}
	data, err := os.ReadFile(files[0])
	if err != nil || !strings.Contains(string(data), "grafana-clickhouse-datasource") {
		t.Errorf("%s does not use the ClickHouse data source: %v", files[0], err)
	}
}

func TestRulesExportPrometheus(t *testing.T) {
	out := filepath.Join(t.TempDir(), "flowslo.rules.yml")
	var stdout, stderr strings.Builder
	if code := run([]string{"rules", "export", "prometheus", "--slo", "../../examples", "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(data), "alert: FlowsloErrorBudgetBurn") || !strings.Contains(stdout.String(), "wrote") {
		t.Fatalf("%s: %v\n%s", out, err, data)
	}
	stderr.Reset()
	if code := run([]string{"rules", "export", "prometheus"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "--slo is missing") {
		t.Errorf("without --slo: exit %d %q", code, stderr.String())
	}
}
