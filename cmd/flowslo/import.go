package main

import (
	"fmt"
	"io"

	"github.com/flowslo/flowslo/slo/openslo"
)

const importUsage = `Usage: flowslo import openslo FILE > slos/imported.yaml

Reads OpenSLO v1 documents (SLO, SLI, Service, DataSource; several per file
with ---) and prints the equivalent flowslo SLO file. Ratio metrics whose
metric sources have type: flowslo, spec.source: traces|logs and spec.query:
a CEL filter translate; anything else is reported with what to write instead.
Exit 0 when every SLO imported, 1 when some could not be (the others are
still printed), 2 for usage errors and unreadable files.
`

// importCmd runs `flowslo import openslo FILE`; args are what follows
// "import". The SLO file goes to stdout; warnings, problems and a summary
// go to stderr.
func importCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprint(stdout, importUsage)
		return 0
	}
	if len(args) > 0 && args[0] != "openslo" {
		fmt.Fprintf(stderr, "flowslo import: unknown format %q: flowslo imports openslo\n\n", args[0])
	}
	if len(args) != 2 || args[0] != "openslo" {
		fmt.Fprint(stderr, importUsage)
		return 2
	}
	data, err := openslo.ReadFile(args[1])
	if err != nil {
		fmt.Fprintln(stderr, "flowslo import:", err)
		return 2
	}
	res, err := openslo.Convert(args[1], data)
	stdout.Write(res.YAML)
	for _, w := range res.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
	}
	fmt.Fprintln(stderr, "flowslo import:", res.Summary(args[1]))
	if err != nil {
		return 1
	}
	return 0
}
