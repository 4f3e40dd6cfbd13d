package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/flowslo/flowslo/slo"
)

// Exit codes of `flowslo check`, for release pipelines. The verdict is the
// server's (GET /api/v1/readiness); the CLI only maps it to a code.
const (
	checkReady    = 0
	checkNotReady = 1 // not ready, or at risk without --allow-at-risk
	checkUnknown  = 2 // no data yet, unknown SLO or flow, flowslo unreachable, bad usage
)

// maxAPIResponse bounds what the CLI reads from the API.
const maxAPIResponse = 16 << 20

type checkOptions struct {
	url, slo, flow string
	release        string // judge this release (GET /api/v1/releases/{version})
	allowAtRisk    bool
	json           bool   // print the API's answer instead of words
	token          string // for a flowslo that requires a login
}

func check(args []string, stdout, stderr io.Writer) int {
	o, err := parseCheck(args, stderr)
	if err != nil {
		if !errors.Is(err, errPrinted) {
			fmt.Fprintln(stderr, "flowslo check:", err)
		}
		return checkUnknown
	}
	if o.release != "" {
		return checkRelease(o, stdout, stderr)
	}
	var r readinessAnswer
	if err := getJSON(strings.TrimRight(o.url, "/")+"/api/v1/readiness", o.token, &r); err != nil {
		fmt.Fprintln(stderr, "flowslo check:", err)
		return checkUnknown
	}
	v, err := pick(r, o)
	if err != nil {
		fmt.Fprintln(stderr, "flowslo check:", err)
		return checkUnknown
	}
	if o.json {
		_ = json.NewEncoder(stdout).Encode(v.raw)
		return code(o, v.verdict)
	}
	return report(o, v, stdout)
}

// errPrinted: the flag package already said what is wrong.
var errPrinted = errors.New("usage error")

func parseCheck(args []string, stderr io.Writer) (checkOptions, error) {
	var o checkOptions
	fs := flag.NewFlagSet("flowslo check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "http://localhost:8080", "flowslo's address")
	fs.StringVar(&o.slo, "slo", "", "the SLO to check")
	fs.StringVar(&o.flow, "flow", "", "the flow to check (every SLO of it)")
	fs.StringVar(&o.release, "release", "", "the release (service.version) to check, in every SLO that saw it (narrow with --flow)")
	fs.BoolVar(&o.allowAtRisk, "allow-at-risk", false, "pass (exit 0) when the verdict is at risk")
	fs.BoolVar(&o.json, "json", false, "print the server's answer as JSON (the exit code is the same)")
	minBudget := fs.String("min-budget", "", "no longer read: the server decides (readiness.min_budget_percent)")
	tokenFile := fs.String("token-file", "", "file with flowslo's API token (or set FLOWSLO_TOKEN)")
	if err := fs.Parse(args); err != nil {
		return o, errPrinted
	}
	if *minBudget != "" {
		return o, errors.New("--min-budget is the server's to decide now: set readiness.min_budget_percent in flowslo's --config file, and drop the flag")
	}
	tok, err := readToken(*tokenFile)
	if err != nil {
		return o, err
	}
	o.token = tok
	if o.release != "" {
		if o.slo != "" {
			return o, errors.New("--release judges a release in every SLO that saw it: narrow it with --flow NAME, not --slo")
		}
		return o, nil
	}
	if (o.slo == "") == (o.flow == "") {
		return o, errors.New("give exactly one of --slo NAME or --flow NAME, or --release VERSION")
	}
	return o, nil
}

// readinessAnswer is the part of GET /api/v1/readiness the check reads.
type readinessAnswer struct {
	Flows []struct {
		Flow    string     `json:"flow"`
		Verdict string     `json:"verdict"`
		Reasons []string   `json:"reasons"`
		SLOs    []checkSLO `json:"slos"`
		Raw     json.RawMessage
	} `json:"flows"`
	raw struct {
		Flows []json.RawMessage `json:"flows"`
	}
}

// UnmarshalJSON keeps each flow's and SLO's JSON as the server sent it,
// for --json.
func (r *readinessAnswer) UnmarshalJSON(b []byte) error {
	type plain readinessAnswer
	if err := json.Unmarshal(b, (*plain)(r)); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &r.raw); err != nil {
		return err
	}
	for i := range r.Flows {
		if i < len(r.raw.Flows) {
			r.Flows[i].Raw = r.raw.Flows[i]
		}
	}
	return nil
}

// checkSLO is one SLO's part of a flow's verdict.
type checkSLO struct {
	Name                 string                    `json:"name"`
	Verdict              string                    `json:"verdict"`
	Reasons              []string                  `json:"reasons"`
	ErrorBudgetRemaining *float64                  `json:"error_budget_remaining"`
	BurnRates            map[slo.Duration]*float64 `json:"burn_rates"`
}

// verdict is what the check reports on: a flow, or one SLO.
type verdict struct {
	what, verdict string
	reasons       []string
	slos          []checkSLO
	raw           any // the server's JSON of what was checked
}

// pick finds the flow or SLO asked for in the server's answer.
func pick(r readinessAnswer, o checkOptions) (verdict, error) {
	var names []string
	for _, f := range r.Flows {
		if o.flow != "" {
			if f.Flow == o.flow {
				return verdict{"flow " + f.Flow, f.Verdict, f.Reasons, f.SLOs, f.Raw}, nil
			}
			names = append(names, f.Flow)
			continue
		}
		for _, s := range f.SLOs {
			if s.Name == o.slo {
				return verdict{"SLO " + s.Name, s.Verdict, s.Reasons, []checkSLO{s}, s}, nil
			}
			names = append(names, s.Name)
		}
	}
	kind, name := "SLO", o.slo
	if o.flow != "" {
		kind, name = "flow", o.flow
	}
	if len(names) == 0 {
		return verdict{}, fmt.Errorf("unknown %s %q: flowslo has no SLOs loaded (start it with --slo FILE)", kind, name)
	}
	return verdict{}, fmt.Errorf("unknown %s %q: flowslo knows %s", kind, name, strings.Join(names, ", "))
}

var errNotFound = errors.New("not found")

// readToken reads the API token from a file, or FLOWSLO_TOKEN.
func readToken(file string) (string, error) {
	if file == "" {
		return strings.TrimSpace(os.Getenv("FLOWSLO_TOKEN")), nil
	}
	f, err := os.Open(file)
	if err != nil {
		return "", fmt.Errorf("read --token-file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return "", fmt.Errorf("read --token-file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

func getJSON(u, token string, v any) error {
	_, err := fetchJSON(u, token, v)
	return err
}

// fetchJSON GETs u into v and returns the body as the server sent it.
func fetchJSON(u, token string, v any) ([]byte, error) {
	body, err := get(u, token)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return nil, fmt.Errorf("GET %s: unexpected answer: %w", u, err)
	}
	return body, nil
}

func get(u, token string) ([]byte, error) {
	client := &http.Client{Timeout: 15 * time.Second}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("--url %q: %w", u, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("flowslo unreachable: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIResponse))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", u, err)
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return nil, fmt.Errorf("flowslo refused the request (%s): pass its token with --token-file or FLOWSLO_TOKEN", resp.Status)
	}
	if resp.StatusCode == http.StatusNotFound {
		var e struct{ Error string }
		if json.Unmarshal(body, &e) != nil || e.Error == "" {
			// Not flowslo's API answering (an OTLP port, another server).
			return nil, fmt.Errorf("%w: %s answered 404 without flowslo's API: is --url flowslo's HTTP address (default :8080)?", errNotFound, u)
		}
		return nil, fmt.Errorf("%w: %s", errNotFound, e.Error)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", u, resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}

// verdictWords are the server's verdicts as the check prints them, with
// their exit codes.
var verdictWords = map[string]struct {
	word string
	code int
}{
	"ready":     {"READY", checkReady},
	"unknown":   {"UNKNOWN", checkUnknown},
	"at_risk":   {"AT RISK", checkNotReady},
	"not_ready": {"NOT READY", checkNotReady},
	"no_data":   {"NO DATA", checkUnknown},
}

// code is the exit code of a verdict.
func code(o checkOptions, v string) int {
	if v == "at_risk" && o.allowAtRisk {
		return checkReady
	}
	if vw, ok := verdictWords[v]; ok {
		return vw.code
	}
	return checkUnknown
}

// report prints the verdict and why on one line, then a line per SLO, and
// returns the exit code.
func report(o checkOptions, v verdict, w io.Writer) int {
	vw, ok := verdictWords[v.verdict]
	if !ok {
		fmt.Fprintf(w, "%s: verdict %q is unknown to this flowslo check: upgrade it to match the server\n", v.what, v.verdict)
		return checkUnknown
	}
	word, code := vw.word, vw.code
	if v.verdict == "at_risk" && o.allowAtRisk {
		word, code = "AT RISK (passing: --allow-at-risk)", checkReady
	}
	why := "no reason given"
	if len(v.reasons) > 0 {
		why = v.reasons[0]
	}
	fmt.Fprintf(w, "%s: %s: %s\n", v.what, word, why)
	for _, s := range v.slos {
		fmt.Fprintf(w, "  %-28s %-10s budget left %-8s burn 1h %-7s 5m %-7s\n",
			s.Name, strings.ReplaceAll(s.Verdict, "_", " "), pct(s.ErrorBudgetRemaining), rate(s.BurnRates[slo.Duration(time.Hour)]), rate(s.BurnRates[slo.Duration(5*time.Minute)]))
	}
	return code
}

func pct(v *float64) string {
	if v == nil {
		return "no data"
	}
	return fmt.Sprintf("%.1f%%", *v*100)
}

func rate(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.2fx", *v)
}
