// Package slo owns SLO definitions: the YAML files SREs keep in git, their
// validation (every problem at once, with file, line and what to write
// instead), their definition hash, and their compiled SLI filters (through
// slo/expr). Rollups, budgets, burn rates and readiness build on these types.
//
// slo is a domain package: it imports no store driver or other adapter.
package slo
