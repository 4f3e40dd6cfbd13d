package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Exit codes of `flowslo check`, for release pipelines.
const (
	checkReady    = 0
	checkNotReady = 1
	checkUnknown  = 2 // unknown SLO or flow, flowslo unreachable, bad usage
)

// maxAPIResponse bounds what the CLI reads from the API.
const maxAPIResponse = 16 << 20

// fastBurn is a page-level burn now: the SRE Workbook's first page tier
// (2% of a 30-day budget in an hour), seen over both its windows.
const fastBurn = 14.4

type checkOptions struct {
	url, slo, flow string
	minBudget      float64 // percent
	token          string  // for a flowslo that requires a login
}

func check(args []string, stdout, stderr io.Writer) int {
	var o checkOptions
	fs := flag.NewFlagSet("flowslo check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "http://localhost:8080", "flowslo's address")
	fs.StringVar(&o.slo, "slo", "", "the SLO to check")
	fs.StringVar(&o.flow, "flow", "", "the flow to check (every SLO of it)")
	fs.Float64Var(&o.minBudget, "min-budget", 0, "not ready below this percent of error budget left")
	tokenFile := fs.String("token-file", "", "file with flowslo's API token (or set FLOWSLO_TOKEN)")
	if err := fs.Parse(args); err != nil {
		return checkUnknown
	}
	tok, err := readToken(*tokenFile)
	if err != nil {
		fmt.Fprintln(stderr, "flowslo check:", err)
		return checkUnknown
	}
	o.token = tok
	if (o.slo == "") == (o.flow == "") {
		fmt.Fprintln(stderr, "flowslo check: give exactly one of --slo NAME or --flow NAME")
		return checkUnknown
	}
	slos, err := fetchCheckSLOs(o)
	if err != nil {
		fmt.Fprintln(stderr, "flowslo check:", err)
		return checkUnknown
	}
	return report(o, slos, stdout)
}

// checkSLO is the part of an SLO's API status the check reads.
type checkSLO struct {
	Name                 string              `json:"name"`
	Flow                 string              `json:"flow"`
	Status               string              `json:"status"`
	SLI                  *float64            `json:"sli"`
	Objective            float64             `json:"objective"`
	ErrorBudgetRemaining *float64            `json:"error_budget_remaining"`
	BurnRates            map[string]*float64 `json:"burn_rates"`
}

func fetchCheckSLOs(o checkOptions) ([]checkSLO, error) {
	base := strings.TrimRight(o.url, "/")
	if o.slo != "" {
		var one checkSLO
		if err := getJSON(base+"/api/v1/slos/"+url.PathEscape(o.slo), o.token, &one); err != nil {
			return nil, err
		}
		return []checkSLO{one}, nil
	}
	var all struct {
		SLOs []checkSLO `json:"slos"`
	}
	if err := getJSON(base+"/api/v1/slos", o.token, &all); err != nil {
		return nil, err
	}
	var out []checkSLO
	for _, s := range all.SLOs {
		if s.Flow == o.flow {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no SLO belongs to flow %q: check the name against GET %s/api/v1/readiness", o.flow, base)
	}
	return out, nil
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
	client := &http.Client{Timeout: 15 * time.Second}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("--url %q: %w", u, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("flowslo unreachable: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIResponse))
	if err != nil {
		return fmt.Errorf("read %s: %w", u, err)
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return fmt.Errorf("flowslo refused the request (%s): pass its token with --token-file or FLOWSLO_TOKEN", resp.Status)
	}
	if resp.StatusCode == http.StatusNotFound {
		var e struct{ Error string }
		_ = json.Unmarshal(body, &e)
		return fmt.Errorf("%w: %s", errNotFound, e.Error)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", u, resp.Status, strings.TrimSpace(string(body)))
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: unexpected answer: %w", u, err)
	}
	return nil
}

// report prints one line per SLO with its verdict and returns the exit code.
func report(o checkOptions, slos []checkSLO, w io.Writer) int {
	code := checkReady
	what := "SLO " + o.slo
	if o.flow != "" {
		what = "flow " + o.flow
	}
	var lines []string
	for _, s := range slos {
		problems := blockers(s, o.minBudget)
		mark := "ok"
		if len(problems) > 0 {
			code, mark = checkNotReady, "NOT READY: "+strings.Join(problems, "; ")
		}
		lines = append(lines, fmt.Sprintf("  %-28s budget left %-8s burn 1h %-7s 5m %-7s %s",
			s.Name, pct(s.ErrorBudgetRemaining), rate(s.BurnRates["1h"]), rate(s.BurnRates["5m"]), mark))
	}
	verdict := "READY"
	if code != checkReady {
		verdict = "NOT READY"
	}
	fmt.Fprintf(w, "%s: %s\n%s\n", what, verdict, strings.Join(lines, "\n"))
	return code
}

// blockers says in words why an SLO holds a release back.
func blockers(s checkSLO, minBudget float64) []string {
	var out []string
	b := s.ErrorBudgetRemaining
	switch {
	case b != nil && *b <= 0:
		out = append(out, "error budget exhausted")
	case b != nil && minBudget > 0 && *b*100 < minBudget:
		out = append(out, fmt.Sprintf("budget left %s is below the %.4g%% minimum", pct(b), minBudget))
	}
	if r1, r5 := s.BurnRates["1h"], s.BurnRates["5m"]; r1 != nil && r5 != nil && *r1 >= fastBurn && *r5 >= fastBurn {
		out = append(out, fmt.Sprintf("burning fast now (%s over 1h, %s over 5m)", rate(r1), rate(r5)))
	}
	return out
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
