package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/flowslo/flowslo/demo"
	"github.com/flowslo/flowslo/slo"
)

// demoCmd runs `flowslo demo`: a simulated mobile app and backend sending
// to a flowslo. Interrupting it flushes what it made and exits 0.
func demoCmd(args []string, stdout, stderr io.Writer) int {
	opts, err := parseDemoFlags(args, stdout, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if _, err := demo.Run(ctx, opts); err != nil {
		fmt.Fprintln(stderr, "flowslo demo:", err)
		return 1
	}
	return 0
}

func parseDemoFlags(args []string, stdout, stderr io.Writer) (demo.Options, error) {
	opts := demo.DefaultOptions()
	opts.Out = stdout
	fs := flag.NewFlagSet("flowslo demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&opts.Endpoint, "otlp-endpoint", opts.Endpoint, "OTLP gRPC endpoint of flowslo, host:port")
	fs.Func("scenario", "scenario to play, may be given more than once: "+strings.Join(demo.ScenarioNames(), ", ")+" (default: cycle through all)",
		func(v string) error { opts.Scenarios = append(opts.Scenarios, v); return nil })
	fs.Float64Var(&opts.Speed, "speed", opts.Speed, "story seconds per real second (60: an hour of the story per minute)")
	fs.Func("backfill", "first write this much history with past timestamps, e.g. 7d (at most 29d)", durationFlag(&opts.Backfill))
	fs.Func("duration", "stop after this long, e.g. 10m (default: until interrupted)", durationFlag(&opts.Duration))
	fs.Int64Var(&opts.Seed, "seed", opts.Seed, "seed of the simulation: the same seed makes the same run")
	fs.Float64Var(&opts.Rate, "rate", opts.Rate, "app requests per second at the daily mean (the load generator's knob; ~4 spans each)")
	err := fs.Parse(args)
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err == nil {
		err = opts.Validate()
	}
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stderr, "flowslo demo:", err)
	}
	return opts, err
}

func durationFlag(d *time.Duration) func(string) error {
	return func(v string) error {
		w, err := slo.ParseDuration(v)
		*d = time.Duration(w)
		return err
	}
}
