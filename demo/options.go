package demo

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Options are the flags of `flowslo demo`.
type Options struct {
	// Endpoint is the OTLP gRPC endpoint, host:port.
	Endpoint string
	// Scenarios to play; empty cycles through all of them.
	Scenarios []string
	// Speed is how many seconds of the story pass per second of real time.
	Speed float64
	// Backfill writes this much history with past timestamps first.
	Backfill time.Duration
	// Duration stops the live part after this long; 0 runs until the
	// context ends.
	Duration time.Duration
	// Seed makes a run reproducible.
	Seed int64
	// Rate is app requests per second at the traffic shape's mean (before
	// retries, peaks and campaigns); the history is written at a fiftieth
	// of it (see historyDensity).
	Rate float64
	// Out receives what the demo is doing, a line each event and minute.
	Out io.Writer
}

// DefaultOptions are the flag defaults.
func DefaultOptions() Options {
	return Options{Endpoint: "localhost:4317", Speed: 1, Seed: 1, Rate: 50, Out: io.Discard}
}

// maxBackfill stays inside flowslo's default retention (30d): spans older
// than the retention are refused at ingest.
const maxBackfill = 29 * 24 * time.Hour

// Validate reports every problem at once.
func (o Options) Validate() error {
	var errs []error
	if o.Endpoint == "" {
		errs = append(errs, errors.New("--otlp-endpoint is empty: write host:port, e.g. localhost:4317"))
	}
	for _, s := range o.Scenarios {
		if _, ok := scenarios[s]; !ok {
			errs = append(errs, fmt.Errorf("unknown scenario %q: use one of %s", s, strings.Join(ScenarioNames(), ", ")))
		}
	}
	if o.Speed <= 0 || o.Speed > 100_000 {
		errs = append(errs, fmt.Errorf("--speed %g is out of range: write a factor from 1 to 100000, e.g. 60 (an hour a minute)", o.Speed))
	}
	if o.Rate <= 0 || o.Rate > 1_000_000 {
		errs = append(errs, fmt.Errorf("--rate %g is out of range: write requests per second from 1 to 1000000, e.g. 50", o.Rate))
	}
	if o.Backfill < 0 || o.Backfill > maxBackfill {
		errs = append(errs, fmt.Errorf("--backfill %s is out of range: write up to 29d (flowslo refuses spans older than its retention, 30d by default)", o.Backfill))
	}
	if o.Duration < 0 {
		errs = append(errs, fmt.Errorf("--duration %s is negative: write e.g. 10m, or 0 to run until interrupted", o.Duration))
	}
	return errors.Join(errs...)
}

// normalizeEndpoint accepts what people paste: a URL or host:port (the
// demo always speaks plain gRPC).
func normalizeEndpoint(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "http://"), "https://")
	return strings.TrimSuffix(s, "/")
}
