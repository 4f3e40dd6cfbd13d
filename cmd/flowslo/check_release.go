package main

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// releaseAnswer is the part of GET /api/v1/releases/{version} the check
// prints.
type releaseAnswer struct {
	Version string   `json:"version"`
	Verdict string   `json:"verdict"`
	Reasons []string `json:"reasons"`
	Summary string   `json:"summary"`
	SLOs    []struct {
		SLO       string   `json:"slo"`
		Flow      string   `json:"flow"`
		Verdict   string   `json:"verdict"`
		Total     uint64   `json:"total"`
		SLI       *float64 `json:"sli"`
		Objective float64  `json:"objective"`
		Adoption  *float64 `json:"adoption"`
		Previous  *struct {
			Version string   `json:"version"`
			SLI     *float64 `json:"sli"`
		} `json:"previous"`
	} `json:"slos"`
}

// checkRelease prints the server's verdict on a release, as the release
// page words it, and returns its exit code.
func checkRelease(o checkOptions, stdout, stderr io.Writer) int {
	u := strings.TrimRight(o.url, "/") + "/api/v1/releases/" + url.PathEscape(o.release)
	if o.flow != "" {
		u += "?flow=" + url.QueryEscape(o.flow)
	}
	var r releaseAnswer
	body, err := fetchJSON(u, o.token, &r)
	if errors.Is(err, errNotFound) && strings.Contains(err.Error(), "unknown release") {
		fmt.Fprintf(stderr, "flowslo check: release %s: %v\n", o.release, strings.TrimPrefix(err.Error(), errNotFound.Error()+": "))
		return checkUnknown
	}
	if err != nil {
		fmt.Fprintln(stderr, "flowslo check:", err)
		return checkUnknown
	}
	if o.json {
		fmt.Fprintln(stdout, strings.TrimSpace(string(body)))
		return code(o, r.Verdict)
	}
	return reportRelease(o, r, stdout)
}

func reportRelease(o checkOptions, r releaseAnswer, w io.Writer) int {
	vw, ok := verdictWords[r.Verdict]
	if !ok {
		fmt.Fprintf(w, "release %s: verdict %q is unknown to this flowslo check: upgrade it to match the server\n", r.Version, r.Verdict)
		return checkUnknown
	}
	word := vw.word
	if r.Verdict == "at_risk" && o.allowAtRisk {
		word = "AT RISK (passing: --allow-at-risk)"
	}
	why := "no reason given"
	if len(r.Reasons) > 0 {
		why = r.Reasons[0]
	}
	fmt.Fprintf(w, "release %s: %s: %s\n", r.Version, word, why)
	for _, s := range r.SLOs {
		prev := "no previous release"
		if s.Previous != nil {
			prev = s.Previous.Version + " " + pct(s.Previous.SLI)
		}
		fmt.Fprintf(w, "  %-28s %-10s SLI %-8s objective %-7s %-8s events %-8d adoption %s\n",
			s.SLO, strings.ReplaceAll(s.Verdict, "_", " "), pct(s.SLI), fmt.Sprintf("%.2f%%", s.Objective*100), prev, s.Total, pct(s.Adoption))
	}
	return code(o, r.Verdict)
}
