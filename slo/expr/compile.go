package expr

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
)

// Params maps placeholder names (without their type) to values written as
// text, the way ClickHouse's server-side parameters take them. Callers turn it
// into store.Params; this package imports no store code.
type Params map[string]string

// Compiled is an expression as a ClickHouse SQL fragment. SQL holds only
// column names, operators, function names and {name:Type} placeholders;
// every value and attribute key from the expression is in Params.
type Compiled struct {
	SQL    string
	Params Params
}

// Error is one problem in an expression. Line and Column count from 1 into
// the expression text; both are 0 when the problem is the whole expression.
type Error struct {
	Line   int
	Column int
	Msg    string
}

func (e *Error) Error() string {
	switch {
	case e.Column == 0:
		return e.Msg
	case e.Line > 1:
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("column %d: %s", e.Column, e.Msg)
}

// Option changes how an expression compiles.
type Option func(*compiler)

// WithPrefix names placeholders prefix0, prefix1, … instead of p0, p1, … so
// several expressions can share one query. The prefix must be an identifier
// and must not be followed by a digit in another prefix (use "t_", "g_").
func WithPrefix(prefix string) Option {
	return func(c *compiler) { c.prefix = prefix }
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Compile checks a filter (an expression that is true or false for each span
// or log record) and compiles it to a SQL boolean over src's table.
func Compile(src Source, text string, opts ...Option) (Compiled, error) {
	c, ast, err := prepare(src, text, opts)
	if err != nil {
		return Compiled{}, err
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return Compiled{}, &Error{Msg: fmt.Sprintf("a filter must be true or false, not %s: compare it, e.g. %s", ast.OutputType(), example(src))}
	}
	f, err := c.expr(ast.NativeRep().Expr())
	if err != nil {
		return Compiled{}, err
	}
	return c.finish(c.render(f)), nil
}

// CompileValue checks a slice expression (a value to group by, such as
// resource.attributes["service.version"]) and compiles it to a SQL String.
func CompileValue(src Source, text string, opts ...Option) (Compiled, error) {
	c, ast, err := prepare(src, text, opts)
	if err != nil {
		return Compiled{}, err
	}
	f, err := c.expr(ast.NativeRep().Expr())
	if err != nil {
		return Compiled{}, err
	}
	sql, err := c.asText(f)
	if err != nil {
		return Compiled{}, err
	}
	return c.finish(sql), nil
}

// Canonical returns the expression reprinted from its syntax tree, so that
// spacing and redundant parentheses do not change an SLO's definition hash.
func Canonical(src Source, text string) (string, error) {
	env, err := src.env()
	if err != nil {
		return "", err
	}
	ast, iss := env.Parse(text)
	if iss.Err() != nil {
		return "", issuesError(src, iss)
	}
	return cel.AstToString(ast)
}

func prepare(src Source, text string, opts []Option) (*compiler, *cel.Ast, error) {
	vars, err := src.vars()
	if err != nil {
		return nil, nil, err
	}
	c := &compiler{src: src, vars: vars, prefix: "p", params: Params{}}
	for _, o := range opts {
		o(c)
	}
	if !identifier.MatchString(c.prefix) {
		return nil, nil, fmt.Errorf("parameter prefix %q is not an identifier", c.prefix)
	}
	ast, err := check(src, text)
	if err != nil {
		return nil, nil, err
	}
	c.info = ast.NativeRep().SourceInfo()
	return c, ast, nil
}

func check(src Source, text string) (*cel.Ast, error) {
	env, err := src.env()
	if err != nil {
		return nil, err
	}
	ast, iss := env.Compile(text)
	if iss.Err() != nil {
		return nil, issuesError(src, iss)
	}
	return ast, nil
}

// issuesError turns cel-go's issues into one Error each, adding the list of
// variables to undeclared references since those are mostly typos.
func issuesError(src Source, iss *cel.Issues) error {
	var errs []error
	for _, e := range iss.Errors() {
		msg := e.Message
		switch {
		case undeclared.MatchString(msg):
			msg = container.ReplaceAllString(msg, "")
			msg += fmt.Sprintf(": %s have %s", src, joinNames(src.Variables()))
		case noOverload.MatchString(msg):
			msg += `: compare like with like: text with "quoted text", numbers with numbers, duration with duration("300ms")`
		}
		errs = append(errs, &Error{Line: e.Location.Line(), Column: e.Location.Column() + 1, Msg: msg})
	}
	return errors.Join(errs...)
}

var (
	undeclared = regexp.MustCompile(`^undeclared reference`)
	container  = regexp.MustCompile(` \(in container '[^']*'\)`)
	noOverload = regexp.MustCompile(`^found no matching overload`)
)

func joinNames(names []string) string { return strings.Join(names, ", ") }

func example(src Source) string {
	if src == Logs {
		return `severity.number >= 17`
	}
	return `status.code == "Error"`
}

// compiler turns one checked expression into SQL, numbering placeholders.
type compiler struct {
	src    Source
	vars   map[string]variable
	prefix string
	params Params
	info   *celast.SourceInfo
}

// finish renumbers placeholders in the order they appear in the SQL, so
// the output reads left to right like the expression. The SQL holds only
// text this package wrote, so rewriting it by pattern is safe.
func (c *compiler) finish(sql string) Compiled {
	out := Compiled{Params: Params{}}
	out.SQL = placeholder.ReplaceAllStringFunc(sql, func(ph string) string {
		m := placeholder.FindStringSubmatch(ph)
		name := c.prefix + strconv.Itoa(len(out.Params))
		out.Params[name] = c.params[m[1]]
		return "{" + name + ":" + m[2] + "}"
	})
	return out
}

var placeholder = regexp.MustCompile(`\{([A-Za-z0-9_]+):([A-Za-z0-9]+)\}`)

// param stores a value and returns its placeholder.
func (c *compiler) param(typ, value string) string {
	name := c.prefix + strconv.Itoa(len(c.params))
	c.params[name] = value
	return "{" + name + ":" + typ + "}"
}

func (c *compiler) errorf(id int64, format string, args ...any) error {
	e := &Error{Msg: fmt.Sprintf(format, args...)}
	if c.info != nil {
		if loc := c.info.GetStartLocation(id); loc.Line() > 0 {
			e.Line, e.Column = loc.Line(), loc.Column()+1
		}
	}
	return e
}
