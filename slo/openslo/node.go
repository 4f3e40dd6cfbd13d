package openslo

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// field is a place in an OpenSLO document: its node (nil when absent), the
// path a user would write to reach it and the line to report it at.
type field struct {
	doc  *document
	n    *yaml.Node
	path string
	line int // the node's line, or its parent's when absent
}

func (f field) ok() bool { return f.n != nil }

// get is the value of key in a mapping, at the key's line; absent (at the
// mapping's line) when f is not a mapping or has no such key.
func (f field) get(key string) field {
	child := field{doc: f.doc, path: join(f.path, key), line: f.line}
	if f.n == nil || f.n.Kind != yaml.MappingNode {
		return child
	}
	for i := 0; i+1 < len(f.n.Content); i += 2 {
		if k := f.n.Content[i]; k.Value == key {
			child = child.at(f.n.Content[i+1])
			child.line = k.Line
			return child
		}
	}
	return child
}

// at points f at n, resolving aliases; an empty value counts as absent.
func (f field) at(n *yaml.Node) field {
	if n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n != nil {
		f.line = n.Line
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			n = nil
		}
	}
	f.n = n
	return f
}

// items are the elements of a list.
func (f field) items() []field {
	if f.n == nil || f.n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]field, len(f.n.Content))
	for i, n := range f.n.Content {
		out[i] = field{doc: f.doc, path: f.path + "[" + strconv.Itoa(i) + "]", line: f.line}.at(n)
	}
	return out
}

// text is a scalar's value, "" when absent or not a scalar.
func (f field) text() string {
	if f.n == nil || f.n.Kind != yaml.ScalarNode {
		return ""
	}
	return f.n.Value
}

func (f field) is(kind yaml.Kind) bool { return f.n != nil && f.n.Kind == kind }

// join extends a path; keys with dots or slashes, such as labels, are
// written in brackets: metadata.labels["flowslo.dev/flow"].
func join(path, key string) string {
	switch {
	case strings.ContainsAny(key, "./"):
		return path + "[" + strconv.Quote(key) + "]"
	case path == "":
		return key
	}
	return path + "." + key
}

var kindNames = map[yaml.Kind]string{
	yaml.ScalarNode: "a value", yaml.MappingNode: "keys and values", yaml.SequenceNode: "a list",
}

// wrongKind says what f should have been.
func wrongKind(f field, want yaml.Kind) string {
	return fmt.Sprintf("must be %s, not %s", kindNames[want], kindNames[f.n.Kind])
}
