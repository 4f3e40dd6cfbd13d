package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/flowslo/flowslo/internal/app"
)

// schemaCmd: `flowslo schema print [--config FILE]` prints the DDL flowslo
// runs on an empty database with that config (retention, cluster), without
// connecting to one, so a DBA can review it first.
func schemaCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "print" {
		fmt.Fprintln(stderr, "usage: flowslo schema print [--config FILE]")
		return 2
	}
	fs := flag.NewFlagSet("flowslo schema print", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "service config file: storage.retention and storage.cluster shape the DDL")
	if err := parseArgs(fs, args[1:], stderr); err != nil {
		return 2
	}
	cfg, err := app.LoadConfig(*config)
	if err != nil {
		fmt.Fprintln(stderr, "flowslo schema print:", err)
		return 2
	}
	if err := app.WriteSchema(stdout, cfg); err != nil {
		fmt.Fprintln(stderr, "flowslo schema print:", err)
		return 1
	}
	return 0
}
