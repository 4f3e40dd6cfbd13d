package app

import "fmt"

// Role is what one flowslo process does. The one binary runs as any of
// them: everything in one process (the default), or, past one machine,
// many collectors (each with its persistent queue) in front of a ClickHouse server or cluster and
// servers that evaluate, alert and serve the UI against it.
type Role string

const (
	// RoleAll runs the OTLP receivers, the SLO engine, alerting and the UI
	// in one process (`flowslo serve`).
	RoleAll Role = "all"
	// RoleCollector runs the OTLP receivers with their input checks,
	// limits and auth, and the store exporter; its HTTP port serves only
	// /healthz, /readyz and /metrics (`flowslo collector`).
	RoleCollector Role = "collector"
	// RoleServer runs the SLO engine, alerting, the UI and the API, and no
	// receivers (`flowslo serve --role server`).
	RoleServer Role = "server"
)

// ParseRole reads the --role flag; empty means RoleAll.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case "", RoleAll:
		return RoleAll, nil
	case RoleCollector, RoleServer:
		return r, nil
	}
	return "", fmt.Errorf("role %q is not known: write all, server or collector (as `flowslo collector`)", s)
}

// receives: the process serves OTLP.
func (r Role) receives() bool { return r != RoleServer }

// evaluates: the process runs the SLO engine, alerting and the UI.
func (r Role) evaluates() bool { return r != RoleCollector }
