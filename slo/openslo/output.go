package openslo

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/flowslo/flowslo/slo"
)

// render writes the flowslo SLO file. It is checked with slo.Parse: each
// SLO was already, so a failure here is a bug, reported as a problem.
func (c *converter) render(slos []*converted) []byte {
	file := fileNode(slos)
	file.Content[0].HeadComment = fmt.Sprintf("Imported from %s (OpenSLO v1) by flowslo import openslo.", filepath.Base(c.file))
	data := encode(file)
	if _, err := slo.Parse(c.file, data); err != nil {
		c.problem(nil, 0, "", "the converted file does not validate, which is a bug in flowslo import: %v", err)
		return nil
	}
	return data
}

// validate checks one SLO with slo.Parse, the check flowslo itself runs,
// and reports its problems at the input fields the values came from.
func (c *converter) validate(s *converted) bool {
	data := encode(fileNode([]*converted{s}))
	_, err := slo.Parse(c.file, data)
	if err == nil {
		return true
	}
	keys := keyLines(data)
	for _, e := range flatten(err) {
		var se *slo.Error
		if !errors.As(e, &se) {
			c.problem(s.doc, 0, "", "%v", e)
			continue
		}
		k := keyAt(keys, se.Line)
		f, ok := s.origin[k.key]
		if !ok {
			c.problem(s.doc, s.origin["name"].line, "", "%s", se.Msg)
			continue
		}
		f.line = inputLine(f, se.Line-k.line)
		c.errorf(f, "%s", strings.TrimPrefix(se.Msg, k.key+": "))
	}
	return false
}

// inputLine is the line of an error offset lines into a multi-line filter:
// a literal block is written out line for line as it was read.
func inputLine(f field, offset int) int {
	if offset > 0 && f.n != nil && f.n.Style == yaml.LiteralStyle && f.n.Value == strings.TrimLeft(f.n.Value, " \t\n") {
		return f.line + offset
	}
	return f.line
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func encode(n *yaml.Node) []byte {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		panic(fmt.Sprintf("encode built YAML: %v", err)) // nodes built here are always encodable
	}
	enc.Close()
	return b.Bytes()
}

func fileNode(slos []*converted) *yaml.Node {
	list := &yaml.Node{Kind: yaml.SequenceNode}
	for _, s := range slos {
		list.Content = append(list.Content, s.node())
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{text("slos"), list}}
	return &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}
}

// node is the SLO as flowslo YAML, its notes as comments above it.
func (s *converted) node() *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, v *yaml.Node) {
		if v.Value != "" || v.Kind != yaml.ScalarNode {
			m.Content = append(m.Content, text(key), v)
		}
	}
	add("name", text(s.name))
	add("flow", text(s.flow))
	add("service", text(s.service))
	add("description", text(s.description))
	add("objective", &yaml.Node{Kind: yaml.ScalarNode, Value: s.objective})
	add("window", text(s.window))
	add("calendar", text(s.calendar))
	add("timezone", text(s.timezone))
	ind := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{text("source"), text(s.source)}}
	for _, kv := range [][2]string{{"total", s.total}, {"good", s.good}, {"bad", s.bad}} {
		if kv[1] != "" {
			ind.Content = append(ind.Content, text(kv[0]), filter(kv[1]))
		}
	}
	add("indicator", ind)
	comments := []string{"from " + s.doc.String()}
	for _, n := range s.notes {
		comments = append(comments, "note: "+n.Msg)
	}
	m.HeadComment = strings.Join(comments, "\n")
	return m
}

func text(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

// filter writes a CEL filter as the examples do: single-quoted, or as a
// block when it spans lines.
func filter(v string) *yaml.Node {
	n := text(v)
	n.Style = yaml.SingleQuotedStyle
	if strings.Contains(v, "\n") {
		n.Style = yaml.LiteralStyle
	}
	return n
}

// keyLine is where a key of the SLO ("indicator.total") is in the output.
type keyLine struct {
	line int
	key  string
}

// keyLines lists the keys of the first SLO of a rendered file, in order.
func keyLines(data []byte) []keyLine {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	var out []keyLine
	var walk func(m *yaml.Node, prefix string)
	walk = func(m *yaml.Node, prefix string) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			out = append(out, keyLine{k.Line, prefix + k.Value})
			if v.Kind == yaml.MappingNode {
				walk(v, prefix+k.Value+".")
			}
		}
	}
	root := doc.Content[0]
	if len(root.Content) == 2 && len(root.Content[1].Content) > 0 {
		walk(root.Content[1].Content[0], "")
	}
	return out
}

// keyAt is the key whose value spans line: the last one starting at or
// before it.
func keyAt(keys []keyLine, line int) keyLine {
	var at keyLine
	for _, k := range keys {
		if k.line <= line {
			at = k
		}
	}
	return at
}
