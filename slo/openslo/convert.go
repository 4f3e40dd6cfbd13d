package openslo

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// FlowKey is the label or annotation that names an SLO's flow; without it
// the flow is the service.
const FlowKey = "flowslo.dev/flow"

// converted is one SLO in flowslo terms. origin says which input field each
// flowslo key came from ("indicator.total" → spec.ratioMetric.total...), so
// that problems slo.Parse finds are reported where the user can fix them.
type converted struct {
	doc                 *Document
	name, flow, service string
	description         string
	objective           string // percent
	window              string // rolling, e.g. 28d
	calendar, timezone  string
	source, total       string
	good, bad           string
	notes               []*Problem
	origin              map[string]field
}

// note records a change made on the way: a warning, and a comment above
// the SLO in the output.
func (s *converted) note(f field, format string, args ...any) {
	s.notes = append(s.notes, &Problem{Line: f.line, Doc: f.doc.doc, Path: f.path, Msg: fmt.Sprintf(format, args...)})
}

// convertSLO maps one SLO document; nil when it has problems (reported).
// done are the SLOs converted before it, for the uniqueness of names.
func (c *converter) convertSLO(d *document, done []*converted) *converted {
	before := len(c.problems)
	s := &converted{doc: d.doc, origin: map[string]field{}}
	spec := d.root.get("spec")
	if !spec.is(yaml.MappingNode) {
		c.errorf(spec, "spec is missing or not keys and values: write spec: with service, indicatorRef (or indicator), timeWindow and objectives")
		return nil
	}
	c.name(s, d.root.get("metadata").get("name"), done)
	describe(s, d.root.get("metadata").get("displayName"), spec.get("description"))
	c.flow(s, d.root.get("metadata"), spec.get("service"))
	c.objective(s, spec.get("objectives"))
	c.budgeting(s, spec.get("budgetingMethod"))
	c.window(s, spec.get("timeWindow"))
	c.indicator(s, spec)
	if len(c.problems) > before || !c.validate(s) {
		return nil
	}
	slices.SortStableFunc(s.notes, func(a, b *Problem) int { return cmp.Compare(a.Line, b.Line) })
	for _, n := range s.notes {
		n.File = c.file
		c.warnings = append(c.warnings, n)
	}
	return s
}

func (c *converter) name(s *converted, f field, done []*converted) {
	s.name = slug(f.text())
	s.origin["name"] = f
	switch {
	case s.name == "":
		c.errorf(f, "name %q has no letters or digits: write e.g. name: checkout-success", f.text())
		return
	case s.name != f.text():
		s.note(f, "name %q became %q: flowslo names are lowercase letters, digits and '-'", f.text(), s.name)
	}
	for _, o := range done {
		if o.name == s.name {
			c.errorf(f, "name %q is already used by %s: give each SLO its own metadata.name", s.name, o.doc)
		}
	}
}

// slug lowercases s and turns every run of other characters into one '-'.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}

// describe joins the display name and the description, either optional.
func describe(s *converted, display, desc field) {
	d, t := strings.TrimSpace(display.text()), strings.TrimSpace(desc.text())
	switch {
	case d != "" && t != "" && d != t:
		s.description = d + ": " + t
	case t != "":
		s.description = t
	default:
		s.description = d
	}
	s.origin["description"] = desc
}

// flow comes from the flowslo.dev/flow label or annotation of the SLO, then
// of its Service document, else from the service name.
func (c *converter) flow(s *converted, meta, service field) {
	s.service = strings.TrimSpace(service.text())
	s.origin["service"] = service
	from := flowLabel(meta)
	if !from.ok() {
		from = flowLabel(c.services[s.service])
	}
	if !from.ok() {
		from = service
	}
	if s.flow = slug(from.text()); s.flow == "" {
		c.errorf(service, "service is missing: add service: NAME (it also becomes the flow), or the label %s: NAME", FlowKey)
		return
	}
	s.origin["flow"] = from
	if s.flow != from.text() {
		s.note(from, "flow %q became %q: flowslo flows are lowercase letters, digits and '-'", from.text(), s.flow)
	}
}

func flowLabel(meta field) field {
	for _, key := range []string{"labels", "annotations"} {
		v := meta.get(key).get(FlowKey)
		if items := v.items(); len(items) > 0 {
			v = items[0] // OpenSLO label values may be lists
		}
		if v.text() != "" {
			return v
		}
	}
	return field{}
}

func (c *converter) objective(s *converted, objs field) {
	items := objs.items()
	if len(items) == 0 {
		c.errorf(objs, "objectives is missing or not a list: add objectives: [{target: 0.995}]")
		return
	}
	o := items[0]
	target, pct := o.get("target"), o.get("targetPercent")
	switch {
	case target.ok() && pct.ok():
		c.errorf(pct, "target and targetPercent are both set: keep one, e.g. target: 0.995")
	case target.ok():
		s.origin["objective"] = target
		if v, ok := number(target, 1); ok {
			s.objective = percent(v * 100)
		} else {
			c.errorf(target, "target %q is not a number between 0 and 1: write e.g. target: 0.995 (for 99.5%%)", target.text())
		}
	case pct.ok():
		s.origin["objective"] = pct
		if v, ok := number(pct, 100); ok {
			s.objective = percent(v)
		} else {
			c.errorf(pct, "targetPercent %q is not a number between 0 and 100: write e.g. targetPercent: 99.5", pct.text())
		}
	default:
		c.errorf(o, "the objective has no target: add target: 0.995 (or targetPercent: 99.5)")
	}
	if len(items) > 1 && s.objective != "" {
		s.note(objs, "%d objectives: flowslo keeps one per SLO, so only the first (%s%%) was imported; copy this SLO under another name for each other target", len(items), s.objective)
	}
}

// number parses a value strictly between 0 and limit.
func number(f field, limit float64) (float64, bool) {
	v, err := strconv.ParseFloat(f.text(), 64)
	return v, err == nil && v > 0 && v < limit
}

// percent writes p without the binary noise of target*100 (0.995 → 99.5).
func percent(p float64) string {
	return strconv.FormatFloat(math.Round(p*1e9)/1e9, 'f', -1, 64)
}

func (c *converter) budgeting(s *converted, m field) {
	switch {
	case !m.ok(), strings.EqualFold(m.text(), "Occurrences"):
	case strings.EqualFold(m.text(), "Timeslices"):
		s.note(m, "budgetingMethod %s became event counting, flowslo's method: the objective now applies to the share of good events, not of good time slices (timeSliceTarget and timeSliceWindow are dropped)", m.text())
	default:
		c.errorf(m, "budgetingMethod %q is unknown: write Occurrences (flowslo counts good and total events)", m.text())
	}
}
