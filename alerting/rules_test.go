package alerting

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo"
)

// rulesScript is a testdata/*.rules file: an SLO, per-minute event counts,
// an evaluation schedule and the transitions expected, in order.
type rulesScript struct {
	slo       slo.SLO
	good, bad []uint64 // per minute from 0
	from, to  time.Duration
	every     time.Duration
	origin    time.Time // minute 0; the Unix epoch unless set
	want      []string
}

// TestRuleScripts runs every testdata/*.rules script: which tiers fire and
// resolve, and when.
func TestRuleScripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.rules")
	if len(files) == 0 {
		t.Fatal("no scripts")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s := parseScript(t, f)
			got := s.run()
			if !slices.Equal(got, s.want) {
				t.Errorf("transitions\n got: %q\nwant: %q", got, s.want)
			}
		})
	}
}

func (s *rulesScript) run() []string {
	prefixGood, prefixTotal := prefix(s.good, s.bad)
	trackers := map[Severity]*tracker{Page: {}, Ticket: {}}
	got := []string{}
	for at := s.from; at <= s.to; at += s.every {
		// Rules are taken at each evaluation, as the manager does: a
		// calendar window's factors follow the length of its period.
		rules := RulesFor(&s.slo, s.origin.Add(at))
		need := map[time.Duration]bool{}
		rules.durations(need)
		counts := map[time.Duration]Counts{}
		for d := range need {
			counts[d] = windowCounts(prefixGood, prefixTotal, at, d)
		}
		for _, sev := range Severities {
			v := evaluate(rules, sev, s.slo.ErrorBudget(), counts, s.origin.Add(at))
			switch trackers[sev].step(v) {
			case Fired:
				got = append(got, fmt.Sprintf("%s %s fires", short(at), sev))
			case ResolvedNow:
				got = append(got, fmt.Sprintf("%s %s resolves", short(at), sev))
			}
		}
	}
	return got
}

// windowCounts sums the minutes [at-d, at).
func windowCounts(good, total []uint64, at, d time.Duration) Counts {
	end := min(int(at/time.Minute), len(good)-1)
	start := max(int((at-d)/time.Minute), 0)
	if end <= start {
		return Counts{}
	}
	return Counts{Good: good[end] - good[start], Total: total[end] - total[start]}
}

func prefix(good, bad []uint64) ([]uint64, []uint64) {
	g, t := make([]uint64, len(good)+1), make([]uint64, len(good)+1)
	for i := range good {
		g[i+1] = g[i] + good[i]
		t[i+1] = t[i] + good[i] + bad[i]
	}
	return g, t
}

func parseScript(t *testing.T, path string) *rulesScript {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := &rulesScript{slo: slo.SLO{Name: "s"}, origin: time.Unix(0, 0).UTC()}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if err := s.apply(fields); err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
	}
	return s
}

func (s *rulesScript) apply(f []string) error {
	switch {
	case f[0] == "objective" && len(f) == 2:
		v, err := strconv.ParseFloat(f[1], 64)
		s.slo.Objective = v
		return err
	case f[0] == "window" && len(f) == 2:
		d, err := span(f[1])
		s.slo.Window.Rolling = d
		return err
	case f[0] == "calendar" && len(f) == 3:
		loc, err := time.LoadLocation(f[2])
		s.slo.Window = slo.Window{Calendar: slo.Calendar(f[1]), Location: loc}
		return err
	case f[0] == "origin" && len(f) == 2:
		t, err := time.Parse(time.RFC3339, f[1])
		s.origin = t
		return err
	case f[0] == "min_bad" && len(f) == 2:
		v, err := strconv.Atoi(f[1])
		s.slo.Alerting.MinBadEvents = v
		return err
	case f[0] == "rule" && len(f) == 5:
		long, err1 := span(f[2])
		sh, err2 := span(f[3])
		factor, err3 := strconv.ParseFloat(f[4], 64)
		s.slo.Alerting.Windows = append(s.slo.Alerting.Windows, slo.AlertWindow{Severity: f[1], Long: long, Short: sh, Factor: factor})
		return firstErr(err1, err2, err3)
	case f[0] == "events" && len(f) == 5:
		return s.events(f[1:])
	case f[0] == "run" && len(f) == 5 && f[3] == "every":
		var err1, err2, err3 error
		s.from, err1 = span(f[1])
		s.to, err2 = span(f[2])
		s.every, err3 = span(f[4])
		return firstErr(err1, err2, err3)
	case f[0] == "expect" && len(f) == 2 && f[1] == "none":
		return nil
	case f[0] == "expect" && len(f) == 4:
		at, err := span(f[1])
		s.want = append(s.want, fmt.Sprintf("%s %s %s", short(at), f[2], f[3]))
		return err
	}
	return fmt.Errorf("cannot read %q", strings.Join(f, " "))
}

// events sets the counts of the minutes [from, to): good=N bad=N.
func (s *rulesScript) events(f []string) error {
	from, err1 := span(f[0])
	to, err2 := span(f[1])
	good, err3 := strconv.ParseUint(strings.TrimPrefix(f[2], "good="), 10, 64)
	bad, err4 := strconv.ParseUint(strings.TrimPrefix(f[3], "bad="), 10, 64)
	if err := firstErr(err1, err2, err3, err4); err != nil {
		return err
	}
	for m := int(from / time.Minute); m < int(to/time.Minute); m++ {
		for len(s.good) <= m {
			s.good, s.bad = append(s.good, 0), append(s.bad, 0)
		}
		s.good[m], s.bad[m] = good, bad
	}
	return nil
}

// span reads a duration as SLO files write one (90m, 3d).
func span(v string) (time.Duration, error) {
	d, err := slo.ParseDuration(v)
	return time.Duration(d), err
}

// short writes 72h1m0s as 72h1m and 74h0m0s as 74h.
func short(d time.Duration) string {
	s := strings.TrimSuffix(d.String(), "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
