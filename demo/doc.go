// Package demo is the simulated mobile app and backend behind `flowslo demo`:
// iOS and Android clients on two app versions calling auth-api, feed-api,
// orders-api and push-worker, written through the OTel Go SDK over real OTLP
// gRPC (traces and logs) with the semantic conventions real apps use.
//
// Time has two clocks. Span timestamps are real time (live) or the past
// (--backfill), so flowslo's windows and alerts see them as they would see a
// real app. The story clock (the daily curve, push campaigns, scenario
// phases) runs --speed times faster than real time. Everything random comes
// from one generator seeded by --seed and is drawn in one goroutine, in
// fixed ticks of the story, so a seeded run writes the same events at the
// same offsets from its start every time.
//
// The example SLOs in examples/ are written against exactly these spans and
// logs; the tests run every scenario against an in-process flowslo and read
// the effect back from its API.
package demo
