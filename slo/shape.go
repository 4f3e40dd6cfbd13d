package slo

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// shape is the structure a YAML node must have. Checking it first means the
// value rules never meet a list where they expect text, and every unknown
// key (usually a typo) is reported with its line.
type shape struct {
	kind   yaml.Kind
	fields map[string]*shape // mappings
	items  *shape            // sequences
	// alts, when set, are the shapes a node may take, told apart by kind
	// (a route is a channel, {receiver: …} or a list of them).
	alts []*shape
	hint string // how to write a node of alts
}

var scalar = &shape{kind: yaml.ScalarNode}

func mapping(fields map[string]*shape) *shape { return &shape{kind: yaml.MappingNode, fields: fields} }
func sequence(items *shape) *shape            { return &shape{kind: yaml.SequenceNode, items: items} }

// oneOf is a node that may take any of alts' kinds.
func oneOf(hint string, alts ...*shape) *shape { return &shape{alts: alts, hint: hint} }

// routeShape: where an alert severity goes: "#channel" (the Slack
// receiver), {receiver: name, channel: …}, or a list of those.
var routeShape = func() *shape {
	const hint = `write a Slack channel ("#oncall"), {receiver: name} or a list of them`
	one := mapping(map[string]*shape{"receiver": scalar, "channel": scalar})
	return oneOf(hint, scalar, one, sequence(oneOf(hint, scalar, one)))
}()

var sloShape = mapping(map[string]*shape{
	"name": scalar, "flow": scalar, "service": scalar, "description": scalar,
	"objective": scalar, "window": scalar, "calendar": scalar, "timezone": scalar,
	"indicator": mapping(map[string]*shape{
		"source": scalar, "total": scalar, "bad": scalar, "good": scalar,
		"latency": mapping(map[string]*shape{"threshold": scalar}),
	}),
	"slices": sequence(scalar),
	"alerting": mapping(map[string]*shape{
		"page": routeShape, "ticket": routeShape, "min_bad_events": scalar, "runbook": scalar,
		"windows": sequence(mapping(map[string]*shape{
			"severity": scalar, "long": scalar, "short": scalar, "factor": scalar,
		})),
	}),
})

var fileShape = mapping(map[string]*shape{"slos": sequence(sloShape)})

var kindNames = map[yaml.Kind]string{
	yaml.ScalarNode: "a value", yaml.MappingNode: "keys and values", yaml.SequenceNode: "a list",
}

// kindHints say how to write each kind of node.
var kindHints = map[yaml.Kind]string{
	yaml.ScalarNode:   "write a single value on the same line",
	yaml.MappingNode:  "write key: value lines indented below it",
	yaml.SequenceNode: `write a list: [a, b] or one "- item" line each`,
}

// walker checks a document against a shape and indexes its nodes by path
// ("slos[0].indicator.bad") for the value rules.
type walker struct {
	file  string
	nodes map[string]*yaml.Node
	p     *problems
}

func (w *walker) walk(n *yaml.Node, s *shape, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value counts as absent
	}
	if s.alts != nil {
		alt := s.pick(n.Kind)
		if alt == nil {
			w.p.add(w.file, n.Line, "%s must not be %s: %s", where(path), kindNames[n.Kind], s.hint)
			return
		}
		s = alt
	}
	if n.Kind != s.kind {
		hint := kindHints[s.kind]
		if path == "" {
			hint = "start it with slos: followed by a list of SLOs"
		}
		w.p.add(w.file, n.Line, "%s must be %s, not %s: %s", where(path), kindNames[s.kind], kindNames[n.Kind], hint)
		return
	}
	w.nodes[path] = n
	switch s.kind {
	case yaml.MappingNode:
		w.walkMapping(n, s, path)
	case yaml.SequenceNode:
		for i, item := range n.Content {
			w.walk(item, s.items, fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

func (w *walker) walkMapping(n *yaml.Node, s *shape, path string) {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if line, dup := seen[k.Value]; dup {
			w.p.add(w.file, k.Line, "%s is given twice (also on line %d): keep one", k.Value, line)
			continue
		}
		seen[k.Value] = k.Line
		fs, ok := s.fields[k.Value]
		if !ok {
			w.p.add(w.file, k.Line, "unknown key %q%s: %s takes %s", k.Value, suggest(k.Value, s.fields), where(path), keyList(s.fields))
			continue
		}
		w.walk(v, fs, join(path, k.Value))
	}
}

// pick is the alternative of kind k, nil when none is.
func (s *shape) pick(k yaml.Kind) *shape {
	for _, a := range s.alts {
		if a.kind == k {
			return a
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// label is a path as the user wrote it, without the slos[i] prefix.
func label(path string) string {
	if i := strings.Index(path, "]."); strings.HasPrefix(path, "slos[") && i > 0 {
		return path[i+2:]
	}
	return path
}

func where(path string) string {
	if path == "" {
		return "the file"
	}
	if l := label(path); l != path {
		return l
	}
	if strings.HasPrefix(path, "slos[") {
		return "an SLO"
	}
	return path
}

func keyList(fields map[string]*shape) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}

// suggest names the known key closest to a typo, if one is close.
func suggest(key string, fields map[string]*shape) string {
	best, bestDist := "", 3
	for k := range fields {
		if d := distance(strings.ToLower(key), k); d < bestDist || (d == bestDist && k < best) {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
