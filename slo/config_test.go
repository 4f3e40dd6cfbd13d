package slo

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestGoodFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.good.yaml")
	if len(files) == 0 {
		t.Fatal("no good files")
	}
	for _, f := range files {
		if _, err := Load(f); err != nil {
			t.Errorf("%s:\n%v", f, err)
		}
	}
}

// TestBadFiles pins the exact errors of each bad file, all reported at
// once; each line is prefixed with "testdata/<file>:".
func TestBadFiles(t *testing.T) {
	tests := []struct {
		file string
		errs []string
	}{
		{"calendar.bad.yaml", []string{
			"5: calendar \"year\" is not a period: write week, month or quarter",
			"11: timezone \"Mars/Olympus_Mons\" is unknown: write an IANA name, e.g. Europe/Berlin or UTC",
		}},
		{"duplicate_name.bad.yaml", []string{
			"7: name \"login-success\" is already used at testdata/duplicate_name.bad.yaml:2: give each SLO its own name",
		}},
		{"empty.bad.yaml", []string{
			" the file is empty: write slos: followed by a list of SLOs",
		}},
		{"expr.bad.yaml", []string{
			"8: indicator.total: column 54: undeclared reference to 'nme': traces have attributes[\"key\"], duration, kind, name, resource.attributes[\"key\"], scope.name, service.name, status.code, status.message",
			"9: indicator.bad: column 16: status.code is never \"ERROR\": write one of \"Unset\", \"Ok\", \"Error\"",
			"10: slices[1]: column 1: a slice must be a value such as resource.attributes[\"service.version\"] or service.name",
			"19: indicator.total: column 11: found no matching overload for '_==_' applied to '(string, int)': compare like with like: text with \"quoted text\", numbers with numbers, duration with duration(\"300ms\")",
			"20: indicator.good: a filter must be true or false, not dyn: compare it, e.g. status.code == \"Error\"",
		}},
		{"indicator.bad.yaml", []string{
			"7: indicator needs exactly one of bad, good or latency, not 2: keep one, e.g. bad: 'status.code == \"Error\"'",
			"18: latency needs source: traces (logs have no duration): use bad or good for logs",
			"24: indicator.source is missing: add source: traces (or logs)",
			"30: source \"metrics\" is unknown: write traces or logs",
			"35: latency threshold \"fast\" is not a positive duration: write e.g. threshold: 300ms",
		}},
		{"many.bad.yaml", []string{
			"2: flow is missing: add flow: login",
			"3: objective \"99.5%\" is not a number: write a percent without quotes or %, e.g. 99.5",
			"6: indicator.total is missing: add total: with a filter for the events that count, e.g. name == \"POST /v1/login\"",
			"8: slices must be a list, not a value: write a list: [a, b] or one \"- item\" line each",
			"10: channel \"#oncall payments\" has spaces: write a Slack channel, e.g. \"#oncall-auth\" (quoted)",
			"12: severity \"urgent\" is unknown: write severity: page or severity: ticket",
			"12: short window 1h0m0s is not shorter than long window 5m0s: write e.g. long: 1h, short: 5m",
			"12: factor \"0\" is not a positive number: write the burn rate to alert at, e.g. factor: 14.4",
		}},
		{"name.bad.yaml", []string{
			"2: name \"Login_Success\" has characters other than lowercase letters, digits and '-': write e.g. login-success",
			"3: flow \"Login Flow\" has characters other than lowercase letters, digits and '-': write e.g. login",
		}},
		{"not_a_list.bad.yaml", []string{
			"2: slos must be a list, not keys and values: write a list: [a, b] or one \"- item\" line each",
		}},
		{"objective_range.bad.yaml", []string{
			"7: objective 100 is out of range: write a percent between 0 and 100, e.g. 99.5",
		}},
		{"root_list.bad.yaml", []string{
			"1: the file must be keys and values, not a list: start it with slos: followed by a list of SLOs",
		}},
		{"syntax.bad.yaml", []string{
			"4: mapping values are not allowed in this context: fix the YAML syntax",
		}},
		{"unknown_key.bad.yaml", []string{
			"2: objective is missing: add objective: 99.5 (a percent)",
			"4: unknown key \"objectve\" (did you mean objective?): an SLO takes alerting, calendar, description, flow, indicator, name, objective, service, slices, timezone, window",
			"7: indicator.total is missing: add total: with a filter for the events that count, e.g. name == \"POST /v1/login\"",
			"8: unknown key \"totl\" (did you mean total?): indicator takes bad, good, latency, source, total",
			"10: unknown key \"owner\": indicator takes bad, good, latency, source, total",
		}},
		{"window.bad.yaml", []string{
			"5: window 120d is out of range: write 1d to 90d, e.g. 28d",
			"10: window \"4w\" is not a number of days or hours: write e.g. 28d or 36h",
			"16: window and calendar are both set: keep one, e.g. window: 28d or calendar: month",
			"18: window is missing: add window: 28d (rolling) or calendar: month",
			"21: timezone applies to calendar windows only: remove it or use calendar: month",
		}},
	}
	files, _ := filepath.Glob("testdata/*.bad.yaml")
	if len(files) != len(tests) {
		t.Errorf("%d bad files, %d in the table: add the new ones", len(files), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			slos, err := Load(path)
			if err == nil || slos != nil {
				t.Fatalf("Load(%s) = %d SLOs, %v; want only errors", path, len(slos), err)
			}
			want := make([]string, len(tt.errs))
			for i, e := range tt.errs {
				want[i] = path + ":" + e
			}
			if got := err.Error(); got != strings.Join(want, "\n") {
				t.Errorf("errors\n got:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
			}
		})
	}
}

func TestErrorsAreTyped(t *testing.T) {
	err := Validate("testdata/window.bad.yaml")
	var e *Error
	if !errors.As(err, &e) || e.File != "testdata/window.bad.yaml" || e.Line != 5 {
		t.Errorf("first error = %#v, want an *Error at line 5", e)
	}
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 5 {
		t.Errorf("%d errors, want 5", n)
	}
}

func TestFolderChecksNamesAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	doc := "slos:\n  - name: a\n    flow: f\n    objective: 99\n    window: 1d\n    indicator: {source: traces, total: 'true', bad: 'false'}\n"
	write(t, filepath.Join(dir, "one.yaml"), doc)
	write(t, filepath.Join(dir, "two.yml"), doc)
	write(t, filepath.Join(dir, "notes.txt"), "not yaml")
	err := Validate(dir)
	want := filepath.Join(dir, "two.yml") + `:2: name "a" is already used at ` + filepath.Join(dir, "one.yaml") + ":2: give each SLO its own name"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	if err := Validate(t.TempDir()); err == nil {
		t.Error("an empty folder validated")
	}
}

func TestLoadedValues(t *testing.T) {
	slos, err := Load("testdata/calendar.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := slos[0]
	if s.Window.Calendar != Quarter || s.Window.Location.String() != "America/New_York" || s.Indicator.Latency != 1500*time.Millisecond {
		t.Errorf("got %+v", s)
	}
	if s.SLI.Table != "otel_traces" || s.SLI.Good.SQL != "(Duration <= {g0:Int64})" || s.SLI.Good.Params["g0"] != "1500000000" {
		t.Errorf("SLI %+v", s.SLI)
	}
	if slos[1].Window.Rolling != 36*time.Hour || slos[1].Window.String() != "36h" {
		t.Errorf("window %v", slos[1].Window)
	}
	if got := s.ErrorBudget(); got < 0.0499 || got > 0.0501 {
		t.Errorf("error budget %v, want 0.05", got)
	}
}

const hashBase = `slos:
  - name: login-success
    flow: login
    objective: 99.5
    window: 28d
    indicator:
      source: traces
      total: 'name == "POST /v1/login"'
      bad: 'status.code == "Error"'
    slices: ['attributes["app.platform"]']
`

func TestHash(t *testing.T) {
	base := hashOf(t, hashBase)
	same := map[string]string{
		"reformatted expression": strings.Replace(hashBase, `'status.code == "Error"'`, `"(status.code==\"Error\")"`, 1),
		"comment and flow style": "# login\n" + strings.Replace(hashBase, "    flow: login\n", "    flow: login  # the flow\n", 1),
		"description added":      strings.Replace(hashBase, "    flow: login\n", "    flow: login\n    description: sign in\n", 1),
		"alerting added":         hashBase + "    alerting: {page: \"#oncall\"}\n",
		// counts do not depend on the objective: changing it must not re-backfill
		"objective": strings.Replace(hashBase, "99.5", "99.9", 1),
	}
	for name, doc := range same {
		if h := hashOf(t, doc); h != base {
			t.Errorf("%s changed the hash", name)
		}
	}
	changed := map[string]string{
		"total":  strings.Replace(hashBase, "POST /v1/login", "POST /v2/login", 1),
		"bad":    strings.Replace(hashBase, `"Error"`, `"Unset"`, 1),
		"slices": strings.Replace(hashBase, "app.platform", "app.version", 1),
	}
	for name, doc := range changed {
		if h := hashOf(t, doc); h == base {
			t.Errorf("changing %s kept the hash", name)
		}
	}
}

func hashOf(t *testing.T, doc string) string {
	t.Helper()
	slos, err := Parse("hash.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return slos[0].Hash
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReleasePair: an SLO with a release slice counts release and platform
// together in one more compiled slice, not one of its declared slices,
// with the declared platform slice or else the default platform.
func TestReleasePair(t *testing.T) {
	slos, err := Parse("t.yaml", []byte(`slos:
  - {name: a, flow: f, objective: 99, window: 28d, indicator: {source: traces, total: 'true', bad: 'false'},
     slices: ['attributes["app.platform"]', 'resource.attributes["service.version"]']}
  - {name: b, flow: f, objective: 99, window: 28d, indicator: {source: traces, total: 'true', bad: 'false'},
     slices: ['resource.attributes["service.version"]']}
  - {name: c, flow: f, objective: 99, window: 28d, indicator: {source: traces, total: 'true', bad: 'false'},
     slices: ['attributes["app.platform"]']}
`))
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := slos[0], slos[1], slos[2]
	if a.Release == nil || a.Release.Release != 1 || a.Release.Key != 2 || a.Release.Platform != `attributes["app.platform"]` || len(a.Slices) != 2 || len(a.SLI.Slices) != 3 {
		t.Errorf("a: %+v, %d compiled slices", a.Release, len(a.SLI.Slices))
	}
	if b.Release == nil || b.Release.Key != 1 || b.Release.Platform != DefaultPlatform || len(b.SLI.Slices) != 2 {
		t.Errorf("b: %+v", b.Release)
	}
	if c.Release != nil || len(c.SLI.Slices) != 1 {
		t.Errorf("c: %+v", c.Release)
	}
	if v, p := SplitPair("4.2.0" + PairSep + "ios"); v != "4.2.0" || p != "ios" {
		t.Errorf("split: %q %q", v, p)
	}
}

// TestExpects derives the event an example SLO counts from its total
// filter, and none from a filter with alternatives.
func TestExpects(t *testing.T) {
	slos, err := Load("../examples")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Expectation{}
	for _, s := range slos {
		got[s.Name] = s.Expects()
	}
	login := got["login-success"]
	if login.Signal != "span" || login.Service != "auth-api" || login.Name != "POST /v1/login" || login.Kind != "Server" ||
		login.Good != `not (status.code == "Error" || attributes["http.response.status_code"] >= 500)` {
		t.Errorf("login: %+v", login)
	}
	if feed := got["feed-latency"]; feed.Kind != "Server" || feed.Good != "duration <= 300ms" {
		t.Errorf("feed: %+v", feed)
	}
	if push := got["push-delivery"]; push.Signal != "log" || push.Service != "push-worker" || push.Event != "push.delivery" {
		t.Errorf("push: %+v", push)
	}
	s := &SLO{Indicator: Indicator{Source: "traces", Total: `name == "a" || name == "b"`, Bad: "false"}}
	if x := s.Expects(); x.Name != "" || x.Total != `name == "a" || name == "b"` {
		t.Errorf("alternatives: %+v", x)
	}
}
