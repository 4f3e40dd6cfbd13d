package engine

import (
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo"
)

// TestCatchingUpIsNotCurrent: a definition whose watermark is more than
// catchUpLag behind the last safe point (used again after days, or after a
// long stop) reads as backfilling, so alerting holds it (and memory does
// not keep it), until rolls have caught it up.
func TestCatchingUpIsNotCurrent(t *testing.T) {
	slos, err := slo.Parse("t.yaml", []byte(goldenSLOs))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	e := New(nil, Options{Clock: func() time.Time { return now }})
	e.slos = slos[:2]
	e.safe = now.UnixMilli()
	for i, s := range e.slos {
		st := e.stateOf(key(s))
		st.begun, st.backfilled = true, now.Add(-60*24*time.Hour)
		st.rolled = e.safe - 1000
		if i == 1 {
			st.rolled = e.safe - catchUpLag.Milliseconds() - 1
		}
	}
	p := e.plan(now)
	if p.progress[0] != nil {
		t.Errorf("current SLO: progress %+v", p.progress[0])
	}
	if p.progress[1] == nil || p.progress[1].State != "backfilling" {
		t.Errorf("catching-up SLO: progress %+v; want backfilling", p.progress[1])
	}
	if !e.Backfilling(slos[1].Name) || e.Backfilling(slos[0].Name) {
		t.Errorf("Backfilling: catching up %v, current %v", e.Backfilling(slos[1].Name), e.Backfilling(slos[0].Name))
	}
}
