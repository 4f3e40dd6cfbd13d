package slo

import "testing"

// The examples are what `make run` serves, so they must stay valid.
func TestExamplesLoad(t *testing.T) {
	slos, err := Load("../examples")
	if err != nil {
		t.Fatalf("examples/ has errors:\n%v", err)
	}
	flows := map[string]bool{}
	for _, s := range slos {
		flows[s.Flow] = true
		if s.Hash == "" || s.SLI.Total.SQL == "" || s.SLI.Good.SQL == "" {
			t.Errorf("%s: incomplete: %+v", s.Name, s)
		}
	}
	for _, f := range []string{"login", "feed", "push", "checkout"} {
		if !flows[f] {
			t.Errorf("no example SLO for flow %s", f)
		}
	}
}
