package main

import (
	"fmt"
	"io"

	"github.com/flowslo/flowslo/slo"
)

// validate checks SLO files without a server: exit 0 when valid, 1 with
// every problem on its own line otherwise.
func validate(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: flowslo validate PATH   (an SLO file or a folder of them)")
		return 2
	}
	slos, err := slo.Load(args[0])
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: %d SLOs, all valid\n", args[0], len(slos))
	return 0
}
