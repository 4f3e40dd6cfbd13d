package engine_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/store"
)

// TestScripts runs testdata/*.txt: small scripts that load SLOs and
// events, move a fake clock, run the engine and check its numbers. The
// format is described in testdata/README.
func TestScripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) == 0 {
		t.Fatal("no scripts")
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			t.Parallel()
			runScript(t, f)
		})
	}
}

type script struct {
	t             *testing.T
	ctx           context.Context
	st            store.Store
	e             *engine.Engine
	now           time.Time
	seq           int
	retention     time.Duration // raw retention the engine assumes; 0: its default
	logsRetention time.Duration // otel_logs' own, when set
}

func (s *script) options() engine.Options {
	// A roll margin of 1 ms: rows stored by a previous line are before the
	// next begin, so scripts exercise backfills as well as rolls.
	o := engine.Options{Clock: func() time.Time { return s.now }, SliceCap: 3, RawRetention: s.retention, RollMargin: time.Millisecond}
	if s.logsRetention > 0 {
		o.RawRetentionByTable = map[string]time.Duration{"otel_logs": s.logsRetention}
	}
	return o
}

// restart replaces the engine by a new one over the same store, as a
// process restart does, with the same SLOs: "restart [retention=D]
// [logs-retention=D]".
func (s *script) restart(f []string) error {
	for _, p := range f {
		k, v, _ := strings.Cut(p, "=")
		d, err := parseDuration(v)
		if err != nil {
			return err
		}
		switch k {
		case "retention":
			s.retention = d
		case "logs-retention":
			s.logsRetention = d
		default:
			return fmt.Errorf("unknown restart option %q", k)
		}
	}
	slos := s.e.SLOs()
	s.e = engine.New(s.st, s.options())
	s.e.SetSLOs(slos)
	return nil
}

func runScript(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := &script{t: t, ctx: context.Background(), st: openStore(t)}
	s.e = engine.New(s.st, s.options())
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := splitFields(text)
		if fields[0] == "slos" { // YAML until a line "end"
			var yaml []string
			start := line
			for sc.Scan() {
				line++
				if strings.TrimSpace(sc.Text()) == "end" {
					break
				}
				yaml = append(yaml, sc.Text())
			}
			slos, err := slo.Parse(fmt.Sprintf("%s:%d", path, start), []byte(strings.Join(yaml, "\n")))
			if err != nil {
				t.Fatalf("%s:%d: %v", path, start, err)
			}
			s.e.SetSLOs(slos)
			continue
		}
		if err := s.run(fields); err != nil {
			t.Fatalf("%s:%d: %s: %v", path, line, text, err)
		}
	}
}

// splitFields splits on spaces, keeping "quoted text" (after key=) whole.
func splitFields(s string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case r == ' ' && !quoted:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

func (s *script) run(f []string) error {
	switch f[0] {
	case "now":
		t, err := time.Parse(time.RFC3339, f[1])
		s.now = t
		return err
	case "advance":
		d, err := parseDuration(f[1])
		s.now = s.now.Add(d)
		return err
	case "spans":
		return s.spans(f[1:])
	case "logs":
		return s.logs(f[1:])
	case "dump":
		rows, err := s.st.Query(s.ctx, strings.Join(f[1:], " "), nil)
		if err != nil {
			return err
		}
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				return err
			}
			s.t.Log(v)
		}
		return rows.Err()
	case "restart":
		return s.restart(f[1:])
	case "tick":
		return s.e.Tick(s.ctx)
	case "evaluate":
		_, err := s.e.Evaluate(s.ctx)
		return err
	case "backfill":
		return s.e.Backfill(s.ctx)
	case "expect":
		return s.expect(f[1], f[2:])
	case "expect-slice":
		return s.expectSlice(f[1], f[2], f[3:])
	case "expect-progress":
		return s.expectProgress(f[1], f[2])
	case "expect-readiness":
		return s.expectReadiness(f[1], f[2], f[3:])
	}
	return fmt.Errorf("unknown command %q", f[0])
}

// at reads "N at OFFSET": how many events and when, relative to now.
func (s *script) at(f []string) (int, time.Time, []string, error) {
	if len(f) < 3 || f[1] != "at" {
		return 0, time.Time{}, nil, fmt.Errorf("write: N at OFFSET key=value…")
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		return 0, time.Time{}, nil, err
	}
	off, err := parseDuration(f[2])
	return n, s.now.Add(off), f[3:], err
}

// parseDuration reads a duration as SLO files write one ("-10d", "3d12h").
func parseDuration(text string) (time.Duration, error) {
	d, err := slo.ParseDuration(text)
	return time.Duration(d), err
}

func (s *script) spans(f []string) error {
	n, ts, kv, err := s.at(f)
	if err != nil {
		return err
	}
	proto := store.Span{SpanKind: "Server", StatusCode: "Ok", Duration: 50 * time.Millisecond,
		SpanAttributes: map[string]string{}, ResourceAttributes: map[string]string{}}
	for _, p := range kv {
		k, v, _ := strings.Cut(p, "=")
		switch {
		case k == "service":
			proto.ServiceName = v
		case k == "name":
			proto.SpanName = v
		case k == "kind":
			proto.SpanKind = v
		case k == "status":
			proto.StatusCode = v
		case k == "duration":
			if proto.Duration, err = time.ParseDuration(v); err != nil {
				return err
			}
		case strings.HasPrefix(k, "attr."):
			proto.SpanAttributes[k[5:]] = v
		case strings.HasPrefix(k, "res."):
			proto.ResourceAttributes[k[4:]] = v
		default:
			return fmt.Errorf("unknown span field %q", k)
		}
	}
	spans := make([]store.Span, n)
	for i := range spans {
		s.seq++
		sp := proto
		sp.Timestamp = ts
		sp.TraceID = fmt.Sprintf("%032x", s.seq)
		sp.SpanID = fmt.Sprintf("%016x", s.seq)
		spans[i] = sp
	}
	return s.st.InsertSpans(s.ctx, spans)
}

func (s *script) logs(f []string) error {
	n, ts, kv, err := s.at(f)
	if err != nil {
		return err
	}
	proto := store.LogRecord{SeverityNumber: 9, SeverityText: "INFO", LogAttributes: map[string]string{}, ResourceAttributes: map[string]string{}}
	for _, p := range kv {
		k, v, _ := strings.Cut(p, "=")
		switch {
		case k == "service":
			proto.ServiceName = v
		case k == "event":
			proto.EventName = v
		case k == "body":
			proto.Body = v
		case k == "severity":
			sev, err := strconv.Atoi(v)
			if err != nil {
				return err
			}
			proto.SeverityNumber = uint8(sev)
		case strings.HasPrefix(k, "attr."):
			proto.LogAttributes[k[5:]] = v
		case strings.HasPrefix(k, "res."):
			proto.ResourceAttributes[k[4:]] = v
		default:
			return fmt.Errorf("unknown log field %q", k)
		}
	}
	logs := make([]store.LogRecord, n)
	for i := range logs {
		s.seq++
		l := proto
		l.Timestamp, l.ObservedTimestamp = ts, ts
		l.TraceID = fmt.Sprintf("%032x", s.seq)
		logs[i] = l
	}
	return s.st.InsertLogs(s.ctx, logs)
}

// status evaluates (rolling first, as a cycle does) and returns name's
// numbers, after checking that the in-memory evaluation gives exactly what
// reading slo_rollup gives: every expect of every script checks memory.
func (s *script) status(name string) (engine.SLOStatus, error) {
	all, err := s.e.Evaluate(s.ctx)
	if err != nil {
		return engine.SLOStatus{}, err
	}
	if err := sameAsCold(s.ctx, s.e, all); err != nil {
		return engine.SLOStatus{}, err
	}
	for _, st := range all {
		if st.Name == name {
			return st, nil
		}
	}
	return engine.SLOStatus{}, fmt.Errorf("no slo %s", name)
}

// expect checks fields of an SLO's status: good, total, sli, budget,
// status, window_start, burn.5m … burn.3d; numbers or null.
func (s *script) expect(name string, f []string) error {
	st, err := s.status(name)
	if err != nil {
		return err
	}
	var errs []string
	for _, p := range f {
		k, want, _ := strings.Cut(p, "=")
		var got string
		switch {
		case k == "good":
			got = strconv.FormatUint(st.Good, 10)
		case k == "total":
			got = strconv.FormatUint(st.Total, 10)
		case k == "sli":
			got = num(st.SLI)
		case k == "budget":
			got = num(st.ErrorBudgetRemaining)
		case k == "status":
			got = st.Status
		case k == "window_start":
			got = st.WindowStart.Format(time.RFC3339)
		case k == "slices":
			got = strconv.Itoa(len(st.Slices))
		case k == "partial_since":
			got = "null"
			if st.PartialSince != nil {
				got = st.PartialSince.Format(time.RFC3339)
			}
		case strings.HasPrefix(k, "burn."):
			w, err := slo.ParseDuration(k[5:])
			if err != nil {
				return err
			}
			r, ok := st.BurnRates[w]
			if !ok {
				return fmt.Errorf("no burn window %s", k[5:])
			}
			got = num(r)
		default:
			return fmt.Errorf("unknown field %q", k)
		}
		if !same(got, want) {
			errs = append(errs, fmt.Sprintf("%s = %s, want %s", k, got, want))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// expectSlice checks one slice value: INDEX=VALUE then good, total, sli,
// budget, burn.1h, other (the row of values beyond the cap).
func (s *script) expectSlice(name, ref string, f []string) error {
	st, err := s.status(name)
	if err != nil {
		return err
	}
	idx, value, _ := strings.Cut(ref, "=")
	i, _ := strconv.Atoi(idx)
	for _, sl := range st.Slices {
		if sl.Slice != slosSlice(s, name, i) || sl.Value != value {
			continue
		}
		for _, p := range f {
			k, want, _ := strings.Cut(p, "=")
			got := map[string]string{"good": strconv.FormatUint(sl.Good, 10), "total": strconv.FormatUint(sl.Total, 10),
				"sli": num(sl.SLI), "budget": num(sl.ErrorBudgetRemaining), "burn.1h": num(sl.BurnRate1h), "other": strconv.FormatBool(sl.Other)}[k]
			if !same(got, want) {
				return fmt.Errorf("%s = %s, want %s (slices %+v)", k, got, want, st.Slices)
			}
		}
		return nil
	}
	return fmt.Errorf("no slice %s in %+v", ref, st.Slices)
}

func slosSlice(s *script, name string, i int) string {
	for _, x := range s.e.SLOs() {
		if x.Name == name && i < len(x.Slices) {
			return x.Slices[i]
		}
	}
	return ""
}

func (s *script) expectProgress(name, want string) error {
	for _, p := range s.e.Progress() {
		if p.SLO == name {
			if p.State != want {
				return fmt.Errorf("state %s, want %s (%+v)", p.State, want, p)
			}
			return nil
		}
	}
	return fmt.Errorf("no progress for %s", name)
}

// expectReadiness checks a flow's verdict and that its reasons contain each
// further argument.
func (s *script) expectReadiness(flow, verdict string, words []string) error {
	rs, err := s.e.Readiness(s.ctx)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.Flow != flow {
			continue
		}
		reasons := strings.Join(r.Reasons, " | ")
		if r.Verdict != verdict {
			return fmt.Errorf("verdict %s, want %s: %s", r.Verdict, verdict, reasons)
		}
		for _, w := range words {
			if !strings.Contains(reasons, w) {
				return fmt.Errorf("reasons %q lack %q", reasons, w)
			}
		}
		return nil
	}
	return fmt.Errorf("no flow %s", flow)
}

func num(f *float64) string {
	if f == nil {
		return "null"
	}
	return strconv.FormatFloat(*f, 'g', -1, 64)
}

// same compares numbers to 1e-9, anything else as text.
func same(got, want string) bool {
	g, err1 := strconv.ParseFloat(got, 64)
	w, err2 := strconv.ParseFloat(want, 64)
	if err1 == nil && err2 == nil {
		return math.Abs(g-w) <= 1e-9*math.Max(1, math.Abs(w))
	}
	return got == want
}

// sameAsCold checks got (an evaluation) against the same evaluation read
// from slo_rollup alone.
func sameAsCold(ctx context.Context, e *engine.Engine, got []engine.SLOStatus) error {
	want, err := e.EvaluateCold(ctx)
	if err != nil {
		return err
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		return fmt.Errorf("memory and slo_rollup disagree:\nmemory:     %s\nslo_rollup: %s", g, w)
	}
	return nil
}
