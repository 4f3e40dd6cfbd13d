package engine

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/flowslo/flowslo/slo"
)

// Why an example event is bad, in the words of the SLI's clauses: the
// filter text is not re-evaluated clause by clause; the event's status,
// duration and the attributes the filter reads are compared with what the
// clauses commonly say (status.code == "Error", a status code >= 500,
// duration over the threshold), and an attribute the filter reads that
// the event lacks is named (a missing http.response.status_code fails a
// "good" filter that compares it).

// attrRef finds the attributes a filter reads: attributes["k"] and
// resource.attributes["k"].
var attrRef = regexp.MustCompile(`(resource\.)?attributes\["([^"]+)"\]`)

// filterAttrs are the attribute keys s's good/bad filter reads, span
// attributes first.
func filterAttrs(s *slo.SLO) (span, res []string) {
	for _, m := range attrRef.FindAllStringSubmatch(s.Indicator.Good+" "+s.Indicator.Bad, -1) {
		if m[1] != "" {
			res = appendNew(res, m[2])
		} else {
			span = appendNew(span, m[2])
		}
	}
	return span, res
}

// whyBad says which clauses of s's SLI the event fails.
func whyBad(s *slo.SLO, x Example, attrs, res map[string]string) []string {
	var out []string
	text := s.Indicator.Good + " " + s.Indicator.Bad
	if s.Indicator.Latency > 0 && time.Duration(x.Duration*float64(time.Millisecond)) > s.Indicator.Latency {
		out = append(out, fmt.Sprintf("duration %s > %s", time.Duration(x.Duration*float64(time.Millisecond)).Round(time.Millisecond), s.Indicator.Latency))
	}
	if x.Status == "Error" && strings.Contains(text, "status.code") {
		out = append(out, `status.code == "Error"`)
	}
	span, resKeys := filterAttrs(s)
	for _, k := range span {
		v, ok := attrs[k]
		switch {
		case !ok:
			out = append(out, "attribute "+k+" missing")
		case strings.HasSuffix(k, "status_code"):
			if n, err := strconv.Atoi(v); err == nil && n >= 500 {
				out = append(out, fmt.Sprintf("%s >= 500 (%d)", k, n))
			}
		}
	}
	for _, k := range resKeys {
		if _, ok := res[k]; !ok {
			out = append(out, "resource attribute "+k+" missing")
		}
	}
	if len(out) == 0 {
		out = append(out, "fails: "+strings.TrimSpace(orText(s.Indicator.Good, "not ("+s.Indicator.Bad+")")))
	}
	return out
}

func orText(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// versionOf and platformOf read an example's release and platform.
func versionOf(res, attrs map[string]string) string {
	return firstOf([]map[string]string{res, attrs}, "service.version", "app.version")
}

func platformOf(res, attrs map[string]string) string {
	return firstOf([]map[string]string{attrs, res}, "app.platform", "os.name")
}

func firstOf(ms []map[string]string, keys ...string) string {
	for _, k := range keys {
		for _, m := range ms {
			if v := m[k]; v != "" {
				return v
			}
		}
	}
	return ""
}
