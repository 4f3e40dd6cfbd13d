package slo

import (
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/flowslo/flowslo/slo/expr"
)

// draft is one SLO while its rules run: the nodes found under its path and
// the SLO filled in as values check out.
type draft struct {
	file  string
	path  string // "slos[2]"
	line  int
	nodes map[string]*yaml.Node
	slo   *SLO
	p     *problems
}

func (d *draft) node(key string) *yaml.Node { return d.nodes[d.path+"."+key] }

// text is a scalar's value, "" when the key is absent or empty.
func (d *draft) text(key string) string {
	if n := d.node(key); n != nil {
		return n.Value
	}
	return ""
}

func (d *draft) has(key string) bool { return d.node(key) != nil }

// errorf reports a problem at the key's line, or at the SLO's own line when
// the key is missing.
func (d *draft) errorf(key, format string, args ...any) {
	line := d.line
	if n := d.node(key); n != nil {
		line = n.Line
	}
	d.p.add(d.file, line, format, args...)
}

// compile compiles one expression, reporting its errors at the line of the
// expression text inside the file.
func (d *draft) compile(key string, src expr.Source, text string, value bool, prefix string) (expr.Compiled, bool) {
	compile := expr.Compile
	if value {
		compile = expr.CompileValue
	}
	c, err := compile(src, text, expr.WithPrefix(prefix))
	if err == nil {
		return c, true
	}
	for _, e := range flatten(err) {
		d.exprError(key, e)
	}
	return c, false
}

func (d *draft) exprError(key string, err error) {
	n := d.node(key)
	var ee *expr.Error
	if n == nil || !errors.As(err, &ee) || ee.Column == 0 {
		d.errorf(key, "%s: %v", label(d.path+"."+key), err)
		return
	}
	line := n.Line + ee.Line - 1
	if n.Style == yaml.LiteralStyle || n.Style == yaml.FoldedStyle {
		line++ // a block scalar's text starts on the line after the key
	}
	d.p.add(d.file, line, "%s: column %d: %s", label(d.path+"."+key), ee.Column, ee.Msg)
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func (d *draft) String() string { return fmt.Sprintf("%s:%d", d.file, d.line) }
