// Package slo owns SLO definitions: the YAML files SREs keep in git, their
// validation (every problem at once, with file, line and what to write
// instead), their definition hash, and their compiled SLI filters (through
// slo/expr). Rollups, budgets, burn rates and readiness build on these types.
//
// Duration is the one window type: SLO files, the service config, the
// engine's burn rates, alerting, the UI and the API all name a window
// through it (5m, 90m, 36h, 28d), so the same window is spelled the same
// everywhere and becomes a string only in JSON, YAML and on pages.
//
// slo is a domain package: it imports no store driver or other adapter.
package slo
