package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/flowslo/flowslo/alerting/promrules"
	"github.com/flowslo/flowslo/slo"
)

const rulesUsage = "usage: flowslo rules export prometheus --slo FILE_OR_FOLDER [--out FILE]"

// rulesCmd: `flowslo rules export prometheus --slo FILE_OR_FOLDER [--out FILE]`
// writes recording and multiwindow burn-rate alerting rules over flowslo's
// /metrics series, validated as Prometheus validates rule files.
func rulesCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 || args[0] != "export" || args[1] != "prometheus" {
		fmt.Fprintln(stderr, rulesUsage)
		return 2
	}
	fs := flag.NewFlagSet("flowslo rules export prometheus", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("slo", "", "SLO file or folder of SLO files")
	out := fs.String("out", "", "file to write the rules to (default: standard output)")
	if err := fs.Parse(args[2:]); err != nil {
		return 2
	}
	if *path == "" {
		fmt.Fprintln(stderr, "flowslo: --slo is missing: give the SLO file or folder, e.g. --slo examples/\n"+rulesUsage)
		return 2
	}
	slos, err := slo.Load(*path)
	if err != nil {
		fmt.Fprintf(stderr, "flowslo: SLO files in %s are invalid:\n%v\n", *path, err)
		return 1
	}
	text, err := promrules.Marshal(promrules.Groups(slos, time.Now()))
	if err != nil {
		fmt.Fprintln(stderr, "flowslo:", err)
		return 1
	}
	if *out == "" {
		_, err = stdout.Write(text)
	} else if err = os.WriteFile(*out, text, 0o644); err == nil {
		fmt.Fprintf(stdout, "wrote %s: rules for %d SLOs\n", *out, len(slos))
	}
	if err != nil {
		fmt.Fprintln(stderr, "flowslo:", err)
		return 1
	}
	return 0
}
