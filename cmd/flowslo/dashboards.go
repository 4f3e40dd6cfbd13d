package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/flowslo/flowslo/dashboards"
)

// dashboardsCmd: `flowslo dashboards export grafana [--out DIR] [--database NAME]`
// writes the built-in views as Grafana dashboards (ClickHouse data source).
func dashboardsCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 || args[0] != "export" || args[1] != "grafana" {
		fmt.Fprintln(stderr, "usage: flowslo dashboards export grafana [--out DIR] [--database NAME]")
		return 2
	}
	fs := flag.NewFlagSet("flowslo dashboards export grafana", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "grafana", "folder to write the dashboard JSON files into")
	db := fs.String("database", "flowslo", "ClickHouse database holding flowslo's tables")
	if err := fs.Parse(args[2:]); err != nil {
		return 2
	}
	paths, err := dashboards.ExportGrafana(*out, dashboards.GrafanaOptions{Database: *db})
	if err != nil {
		fmt.Fprintln(stderr, "flowslo:", err)
		return 1
	}
	for _, p := range paths {
		fmt.Fprintln(stdout, "wrote", p)
	}
	return 0
}
