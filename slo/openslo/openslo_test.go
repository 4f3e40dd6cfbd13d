package openslo

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowslo/flowslo/slo"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden outputs")

// TestConvert converts each testdata/*.yaml, pins its exact errors and
// warnings (each prefixed "testdata/<file>:"), compares the output with
// testdata/<name>.golden (none when nothing imports) and checks that the
// output is a valid flowslo SLO file.
func TestConvert(t *testing.T) {
	tests := []struct {
		file     string
		errs     []string
		warnings []string
	}{
		{file: "checkout.yaml", warnings: []string{
			`40: SLO "Checkout_Success" (document 3): metadata.name: name "Checkout_Success" became "checkout-success": flowslo names are lowercase letters, digits and '-'`,
			`50: SLO "Checkout_Success" (document 3): spec.objectives: 2 objectives: flowslo keeps one per SLO, so only the first (99.5%) was imported; copy this SLO under another name for each other target`,
		}},
		{file: "windows.yaml", warnings: []string{
			`8: SLO "feed-monthly" (document 1): metadata.annotations["flowslo.dev/flow"]: flow "Feed" became "feed": flowslo flows are lowercase letters, digits and '-'`,
			`48: SLO "feed-quarterly" (document 2): spec.timeWindow[0].calendar.startTime: startTime 2024-02-15 12:30:00 is dropped: flowslo quarter periods start at midnight on the first of January, April, July and October`,
			`50: SLO "feed-quarterly" (document 2): spec.budgetingMethod: budgetingMethod Timeslices became event counting, flowslo's method: the objective now applies to the share of good events, not of good time slices (timeSliceTarget and timeSliceWindow are dropped)`,
			`126: SLO "push-rolling" (document 5): spec.timeWindow[0].duration: rolling window 1M became 30d (a month counts as 30 days, a quarter as 90)`,
			`162: SLO "login-no-window" (document 7): spec.timeWindow: timeWindow is missing: window: 28d was chosen; change it if the SLO meant another period`,
			`163: SLO "login-no-window" (document 7): spec.service: flow "Auth API" became "auth-api": flowslo flows are lowercase letters, digits and '-'`,
		}},
		{file: "legacy.yaml", errs: []string{
			`69: SLO "login-latency" (document 4): spec.indicator.spec.ratioMetric.good.metricSource.type: type Prometheus cannot be translated: flowslo reads spans and logs, not Prometheus metrics: write type: flowslo with spec.source: traces (or logs) and spec.query: a CEL filter, e.g. query: 'status.code != "Error"'`,
			`74: SLO "login-latency" (document 4): spec.indicator.spec.ratioMetric.total.metricSource.metricSourceRef: metricSourceRef "prometheus-main" is a Prometheus DataSource, which cannot be translated: flowslo reads spans and logs, not Prometheus metrics: write type: flowslo with spec.source: traces (or logs) and spec.query: a CEL filter, e.g. query: 'name == "POST /v1/checkout"'`,
			`93: SLI "checkout-availability" (document 5): spec.ratioMetric.good.metricSource.type: type Datadog cannot be translated: flowslo reads spans and logs, not Datadog metrics: write type: flowslo with spec.source: traces (or logs) and spec.query: a CEL filter, e.g. query: 'status.code != "Error"'`,
			`98: SLI "checkout-availability" (document 5): spec.ratioMetric.total.metricSource.type: type Datadog cannot be translated: flowslo reads spans and logs, not Datadog metrics: write type: flowslo with spec.source: traces (or logs) and spec.query: a CEL filter, e.g. query: 'name == "POST /v1/checkout"'`,
			`128: SLO "feed-cpu" (document 7): spec.indicator.spec.thresholdMetric: threshold metrics cannot be imported: flowslo SLIs count good and total events: write a ratioMetric with flowslo filters, e.g. good: 'duration <= duration("300ms")' for a latency objective`,
		}, warnings: []string{
			`144: AlertPolicy "page-on-fast-burn" (document 8): AlertPolicy documents are not imported: flowslo alerts on burn rates by itself; set alerting: page: and ticket: (Slack channels) on the imported SLOs`,
		}},
		{file: "names.yaml", errs: []string{
			`16: SLO "login success" (document 2): metadata.name: name "login-success" is already used by SLO "Login_Success" (document 1): give each SLO its own metadata.name`,
		}, warnings: []string{
			`6: SLO "Login_Success" (document 1): metadata.name: name "Login_Success" became "login-success": flowslo names are lowercase letters, digits and '-'`,
		}},
		{file: "syntax.yaml", errs: []string{
			`19: document 2: did not find expected ',' or ']': fix the YAML syntax (the documents after it were not read)`,
		}},
		{file: "bad.yaml", errs: []string{
			`3: SLO "old-format" (document 1): apiVersion: "openslo/v1alpha" is not supported: only openslo/v1 documents are imported: upgrade the document and write apiVersion: openslo/v1`,
			`11: Dashboard "overview" (document 2): kind: "Dashboard" is unknown: OpenSLO v1 kinds are SLO, SLI, Service, DataSource, AlertPolicy, AlertCondition, AlertNotificationTarget`,
			`25: SLO "raw-ratio" (document 3): spec.indicator.spec.ratioMetric.raw: raw ratios cannot be imported: flowslo computes the ratio from event counts: write good: (or bad:) and total: metric sources of type: flowslo`,
			`37: SLO "missing-sli" (document 4): spec.indicatorRef: indicatorRef "login-erors" names no SLI document in this file: add it (kind: SLI, metadata.name: login-erors) or write the SLI inline under indicator:`,
			`38: SLO "missing-sli" (document 4): spec.timeWindow[0].duration: rolling window 120d is out of range: flowslo rolling windows are 1d to 90d: write e.g. duration: 28d`,
			`39: SLO "missing-sli" (document 4): spec.objectives[0].target: target "99.5" is not a number between 0 and 1: write e.g. target: 0.995 (for 99.5%)`,
			`51: SLO "both-good-and-bad" (document 5): spec.indicator.spec.ratioMetric.bad: good and bad are both set: keep one`,
			`53: SLO "both-good-and-bad" (document 5): spec.timeWindow[0].duration: calendar window 1Y is not supported: flowslo calendar windows are a week, a month or a quarter: write duration: 1w, 1M or 1Q`,
			`54: SLO "both-good-and-bad" (document 5): spec.objectives[0].targetPercent: target and targetPercent are both set: keep one, e.g. target: 0.995`,
			`65: SLO "mixed-sources" (document 6): spec.indicator.spec.ratioMetric.good.metricSource.spec.source: source logs differs from source traces at spec.indicator.spec.ratioMetric.total.metricSource.spec.source: a flowslo SLI reads one source: use the same in every metric source`,
			`67: SLO "mixed-sources" (document 6): spec.timeWindow[0].isRolling: isRolling "maybe" is not true or false: write isRolling: true (or false for a calendar window)`,
			`68: SLO "mixed-sources" (document 6): spec.objectives: objectives is missing or not a list: add objectives: [{target: 0.995}]`,
			`84: SLO "bad-cel" (document 7): spec.indicator.spec.ratioMetric.bad.metricSource.spec.query: column 16: status.code is never "ERROR": write one of "Unset", "Ok", "Error"`,
			`92: SLO "bad-cel" (document 7): spec.indicator.spec.ratioMetric.total.metricSource.spec.query: column 6: undeclared reference to 'nme': traces have attributes["key"], duration, kind, name, resource.attributes["key"], scope.name, service.name, status.code, status.message`,
			`100: SLO "no-source" (document 8): spec.service: service is missing: add service: NAME (it also becomes the flow), or the label flowslo.dev/flow: NAME`,
			`104: SLO "no-source" (document 8): spec.indicator.spec.ratioMetric.good.metricSource.spec.expression: query and expression are both set: keep one`,
			`105: SLO "no-source" (document 8): spec.indicator.spec.ratioMetric.total.metricSource.spec: source is missing: add source: traces (or logs) to the spec of the metric sources`,
			`106: SLO "no-source" (document 8): spec.timeWindow[0].duration: calendar window 2M is not supported: flowslo calendar windows are a week, a month or a quarter: write duration: 1w, 1M or 1Q`,
			`107: SLO "no-source" (document 8): spec.budgetingMethod: budgetingMethod "Weekly" is unknown: write Occurrences (flowslo counts good and total events)`,
			`116: SLO "Unknown_Source" (document 9): spec.timeWindow[0].duration: rolling window 90m is out of range: flowslo rolling windows are 1d to 90d: write e.g. duration: 28d`,
			`120: SLO "Unknown_Source" (document 9): spec.indicator.spec.ratioMetric.good.metricSource.spec.source: source "metrics" is unknown: write traces or logs`,
			`127: SLO "!!!" (document 10): metadata.name: name "!!!" has no letters or digits: write e.g. name: checkout-success`,
			`128: SLO "!!!" (document 10): spec.indicator: indicator is missing: add indicatorRef: NAME (an SLI document) or an inline indicator: with spec.ratioMetric`,
			`132: document 11: must be keys and values, not a list: start it with apiVersion: openslo/v1 and kind:`,
			`135: document 12: kind is missing: write kind: SLO (or SLI, Service)`,
			`141: SLO (document 13): metadata.name is missing: add metadata: {name: checkout-success}`,
		}},
		{file: "no_slo.yaml", errs: []string{
			` no SLO documents: write documents with apiVersion: openslo/v1 and kind: SLO`,
		}},
	}
	inputs, _ := filepath.Glob("testdata/*.yaml")
	if len(inputs) != len(tests) {
		t.Errorf("%d inputs in testdata, %d in the table: add the new ones", len(inputs), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			data, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Convert(path, data)
			want := prefixed(path, tt.errs)
			if got := errText(err); got != want {
				t.Errorf("errors\n got:\n%s\nwant:\n%s", got, want)
			}
			if got, want := warningText(res.Warnings), prefixed(path, tt.warnings); got != want {
				t.Errorf("warnings\n got:\n%s\nwant:\n%s", got, want)
			}
			checkGolden(t, strings.TrimSuffix(path, ".yaml")+".golden", res)
		})
	}
}

func prefixed(path string, lines []string) string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = path + ":" + l
	}
	return strings.Join(out, "\n")
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func warningText(ws []*Problem) string {
	lines := make([]string, len(ws))
	for i, w := range ws {
		lines[i] = w.Error()
	}
	return strings.Join(lines, "\n")
}

// checkGolden compares the output with its golden file and validates it
// the way flowslo loads SLO files.
func checkGolden(t *testing.T, golden string, res *Result) {
	t.Helper()
	if len(res.YAML) == 0 {
		if _, err := os.Stat(golden); err == nil {
			t.Errorf("nothing imported, but %s exists: remove it", golden)
		}
		return
	}
	if *update {
		if err := os.WriteFile(golden, res.YAML, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(res.YAML, want) {
		t.Errorf("output differs from %s (go test -update rewrites it)\n got:\n%s\nwant:\n%s", golden, res.YAML, want)
	}
	slos, err := slo.Parse(golden, res.YAML)
	if err != nil {
		t.Fatalf("output does not validate:\n%v", err)
	}
	var names []string
	for _, s := range slos {
		names = append(names, s.Name)
	}
	if strings.Join(names, " ") != strings.Join(res.Imported, " ") {
		t.Errorf("output has SLOs %v, Imported says %v", names, res.Imported)
	}
}

func TestTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.yaml")
	big := bytes.Repeat([]byte("# padding\n"), MaxInput/10+1)
	if err := os.WriteFile(path, big, 0o644); err != nil {
		t.Fatal(err)
	}
	want := path + " is larger than 4 MiB, too big for SLO definitions: split it into smaller files"
	if _, err := ReadFile(path); err == nil || err.Error() != want {
		t.Errorf("ReadFile = %v, want %s", err, want)
	}
	if _, err := Convert(path, big); err == nil || err.Error() != want {
		t.Errorf("Convert = %v, want %s", err, want)
	}
}

func TestErrorsAreTyped(t *testing.T) {
	_, err := Convert("legacy.yaml", mustRead(t, "testdata/legacy.yaml"))
	var p *Problem
	if !errors.As(err, &p) {
		t.Fatalf("%T is not a *Problem", err)
	}
	if p.Line != 69 || p.Doc.Kind != "SLO" || p.Doc.Name != "login-latency" || p.Doc.Num != 4 ||
		p.Path != "spec.indicator.spec.ratioMetric.good.metricSource.type" {
		t.Errorf("first problem = %+v, doc %+v", p, p.Doc)
	}
}

func TestSummary(t *testing.T) {
	tests := []struct {
		res  Result
		want string
	}{
		{Result{Imported: []string{"a", "b"}}, "imported 2 SLOs from f.yaml"},
		{Result{Imported: []string{"a"}, Skipped: []string{"B", "c"}}, "imported 1 of 3 SLOs from f.yaml; not imported: B, c (see the errors above)"},
		{Result{Imported: []string{"a"}}, "imported 1 SLO from f.yaml"},
		{Result{}, "no SLOs imported from f.yaml"},
	}
	for _, tt := range tests {
		if got := tt.res.Summary("f.yaml"); got != tt.want {
			t.Errorf("Summary = %q, want %q", got, tt.want)
		}
	}
}

func TestSlugAndPercent(t *testing.T) {
	for in, want := range map[string]string{
		"login-success": "login-success", "Checkout_Success": "checkout-success",
		"  Auth API  ": "auth-api", "a..b//c": "a-b-c", "Ünïcode": "n-code", "!!!": "",
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[float64]string{0.995 * 100: "99.5", 0.9999 * 100: "99.99", 0.9 * 100: "90", 99.95: "99.95"} {
		if got := percent(in); got != want {
			t.Errorf("percent(%v) = %s, want %s", in, got, want)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
