package app

import (
	"github.com/flowslo/flowslo/usage"
)

// newUsage reads usage from the UI's store: on a cluster, the parts of
// the local tables on one replica of every shard.
func newUsage(a *App) *usage.Reporter {
	mo := MigrateOptions(a.cfg)
	parts := "system.parts"
	if c := a.cfg.Storage.Cluster; c != "" {
		parts = "cluster('" + c + "', system.parts)"
	}
	return usage.New(a.reads, usage.Options{
		DataTables:          map[string]string{"traces": mo.DataTable("otel_traces"), "logs": mo.DataTable("otel_logs")},
		Parts:               parts,
		RetentionDays:       a.cfg.Storage.RetentionDays(),
		TracesRetentionDays: a.cfg.Storage.SignalRetentionDays("traces"),
		LogsRetentionDays:   a.cfg.Storage.SignalRetentionDays("logs"),
		SLOs:                a.engine.SLOs,
	})
}
