package openslo

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/flowslo/flowslo/slo/expr"
)

// examples are CEL filters shown in messages, by ratio role.
var examples = map[string]string{
	"total": `name == "POST /v1/checkout"`,
	"good":  `status.code != "Error"`,
	"bad":   `status.code == "Error"`,
}

// indicator finds the SLO's SLI, inline or by reference, and maps it.
func (c *converter) indicator(s *converted, spec field) {
	inline, ref := spec.get("indicator"), spec.get("indicatorRef")
	switch {
	case inline.ok() && ref.ok():
		c.errorf(ref, "indicator and indicatorRef are both set: keep one")
	case ref.ok():
		sli, found := c.slis[ref.text()]
		if !found {
			c.errorf(ref, "indicatorRef %q names no SLI document in this file: add it (kind: SLI, metadata.name: %s) or write the SLI inline under indicator:", ref.text(), ref.text())
			return
		}
		c.sli(s, sli)
	case inline.ok():
		c.sli(s, inline.get("spec"))
	default:
		c.errorf(inline, "indicator is missing: add indicatorRef: NAME (an SLI document) or an inline indicator: with spec.ratioMetric")
	}
}

// sli maps an SLI spec: only ratio metrics of flowslo filters translate.
func (c *converter) sli(s *converted, sli field) {
	if t := sli.get("thresholdMetric"); t.ok() {
		c.errorf(t, `threshold metrics cannot be imported: flowslo SLIs count good and total events: write a ratioMetric with flowslo filters, e.g. good: 'duration <= duration("300ms")' for a latency objective`)
		return
	}
	r := sli.get("ratioMetric")
	if !r.is(yaml.MappingNode) {
		c.errorf(r, "ratioMetric is missing: write ratioMetric: with total: and good: (or bad:) metric sources of type: flowslo")
		return
	}
	if raw := r.get("raw"); raw.ok() {
		c.errorf(raw, "raw ratios cannot be imported: flowslo computes the ratio from event counts: write good: (or bad:) and total: metric sources of type: flowslo")
		return
	}
	good, bad, total := r.get("good"), r.get("bad"), r.get("total")
	switch {
	case good.ok() && bad.ok():
		c.errorf(bad, "good and bad are both set: keep one")
		return
	case !good.ok() && !bad.ok():
		c.errorf(r, "ratioMetric needs good: or bad: besides total:, a metric source of type: flowslo each")
		return
	case !total.ok():
		c.errorf(r, "ratioMetric.total is missing: add total: {metricSource: {type: flowslo, spec: {source: traces, query: '%s'}}}", examples["total"])
		return
	}
	c.filters(s, total, good, bad)
}

// filters maps each metric source to a flowslo filter; they must agree on
// their source, as a flowslo SLI reads one table.
func (c *converter) filters(s *converted, total, good, bad field) {
	var srcFrom field
	for _, r := range []struct {
		role string
		f    field
	}{{"total", total}, {"good", good}, {"bad", bad}} {
		role, f := r.role, r.f
		if !f.ok() {
			continue
		}
		query, src := c.metricSource(f.get("metricSource"), role)
		if !query.ok() {
			continue
		}
		text := strings.TrimSpace(query.text())
		s.origin["indicator."+role] = query
		switch role {
		case "total":
			s.total = text
		case "good":
			s.good = text
		case "bad":
			s.bad = text
		}
		if !src.ok() {
			continue
		}
		if s.source != "" && s.source != src.text() {
			c.errorf(src, "source %s differs from source %s at %s: a flowslo SLI reads one source: use the same in every metric source", src.text(), s.source, srcFrom.path)
			continue
		}
		s.source, srcFrom = src.text(), src
		s.origin["indicator.source"] = src
	}
	if s.source == "" && s.total != "" {
		c.errorf(total.get("metricSource").get("spec"), "source is missing: add source: traces (or logs) to the spec of the metric sources")
	}
}

// metricSource checks one metric source and returns its CEL filter and its
// source (either absent when there is a problem).
func (c *converter) metricSource(ms field, role string) (query, src field) {
	if !ms.is(yaml.MappingNode) {
		c.errorf(ms, "metricSource is missing: write metricSource: {type: flowslo, spec: {source: traces, query: '%s'}}", examples[role])
		return field{}, field{}
	}
	if !c.flowsloType(ms, role) {
		return field{}, field{}
	}
	spec := ms.get("spec")
	q, e := spec.get("query"), spec.get("expression")
	switch {
	case q.ok() && e.ok():
		c.errorf(e, "query and expression are both set: keep one")
		return field{}, field{}
	case e.ok():
		q = e
	case !q.ok():
		c.errorf(q, "query is missing: write the CEL filter, e.g. query: '%s'", examples[role])
		return field{}, field{}
	}
	if !q.is(yaml.ScalarNode) {
		c.errorf(q, "%s: write the CEL filter as text, e.g. query: '%s'", wrongKind(q, yaml.ScalarNode), examples[role])
		return field{}, field{}
	}
	src = spec.get("source")
	if src.ok() && src.text() != string(expr.Traces) && src.text() != string(expr.Logs) {
		c.errorf(src, "source %q is unknown: write traces or logs", src.text())
		return q, field{}
	}
	return q, src
}

// flowsloType checks that a metric source is a flowslo CEL filter, naming
// the type directly or through a DataSource document.
func (c *converter) flowsloType(ms field, role string) bool {
	typ, at := ms.get("type"), ms.get("type")
	name := typ.text()
	if ref := ms.get("metricSourceRef"); !typ.ok() && ref.ok() {
		at = ref
		var found bool
		if name, found = c.sources[ref.text()]; !found {
			c.errorf(ref, "metricSourceRef %q names no DataSource document in this file: write type: flowslo with spec.source and spec.query instead", ref.text())
			return false
		}
	}
	if strings.EqualFold(name, "flowslo") || strings.EqualFold(name, "cel") {
		return true
	}
	what := "type is missing"
	switch {
	case at.path != typ.path:
		what = fmt.Sprintf("metricSourceRef %q is a %s DataSource, which cannot be translated: flowslo reads spans and logs, not %s metrics", at.text(), name, name)
	case name != "":
		what = fmt.Sprintf("type %s cannot be translated: flowslo reads spans and logs, not %s metrics", name, name)
	}
	c.errorf(at, "%s: write type: flowslo with spec.source: traces (or logs) and spec.query: a CEL filter, e.g. query: '%s'", what, examples[role])
	return false
}
