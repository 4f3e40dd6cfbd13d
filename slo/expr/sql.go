package expr

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// supported is appended to every "not supported" error so the reader knows
// what to write instead.
const supported = `filters support == != < <= > >=, && || !, x in [list], "key" in attributes, ` +
	`has(attributes.key), startsWith, endsWith, contains, matches, duration("300ms"), ` +
	`strings, numbers and true/false`

// frag is a compiled sub-expression. Literals stay values until used, so a
// number compared with an attribute can become a Float64 placeholder and
// one compared with a column an Int64 one.
type frag struct {
	id    int64
	kind  kind
	sql   string
	lit   ref.Val  // set for literals; sql is empty until rendered
	enum  []string // allowed values of the column, if restricted
	name  string   // the CEL variable, for messages
	elems []frag   // list literals
}

func (c *compiler) expr(e celast.Expr) (frag, error) {
	switch e.Kind() {
	case celast.LiteralKind:
		return c.literal(e.ID(), e.AsLiteral())
	case celast.IdentKind:
		return c.ident(e.ID(), e.AsIdent())
	case celast.CallKind:
		return c.call(e.ID(), e.AsCall())
	case celast.ListKind:
		return c.list(e.ID(), e.AsList())
	case celast.SelectKind:
		return c.has(e.ID(), e.AsSelect())
	}
	return frag{}, c.errorf(e.ID(), "this construct is not supported: %s", supported)
}

func (c *compiler) literal(id int64, v ref.Val) (frag, error) {
	switch v.Type() {
	case types.StringType:
		return frag{id: id, kind: kString, lit: v}, nil
	case types.IntType:
		return frag{id: id, kind: kInt, lit: v}, nil
	case types.UintType:
		return frag{id: id, kind: kUint, lit: v}, nil
	case types.DoubleType:
		return frag{id: id, kind: kDouble, lit: v}, nil
	case types.BoolType:
		return frag{id: id, kind: kBool, lit: v}, nil
	}
	return frag{}, c.errorf(id, "%s literals are not supported: %s", v.Type().TypeName(), supported)
}

func (c *compiler) ident(id int64, name string) (frag, error) {
	v, ok := c.vars[name]
	if !ok { // the checker resolved it, so only a checker/compiler mismatch lands here
		return frag{}, c.errorf(id, "unknown variable %s", name)
	}
	return frag{id: id, kind: v.kind, sql: v.column, enum: v.enum, name: name}, nil
}

func (c *compiler) list(id int64, l celast.ListExpr) (frag, error) {
	f := frag{id: id, kind: kList}
	for _, e := range l.Elements() {
		el, err := c.expr(e)
		if err != nil {
			return frag{}, err
		}
		if el.lit == nil {
			return frag{}, c.errorf(e.ID(), "list elements must be strings or numbers written out, e.g. [500, 503]")
		}
		f.elems = append(f.elems, el)
	}
	return f, nil
}

// has compiles has(attributes.key), the one select CEL leaves in a checked
// tree that SQL can answer.
func (c *compiler) has(id int64, s celast.SelectExpr) (frag, error) {
	if !s.IsTestOnly() {
		return frag{}, c.errorf(id, "field .%s is not supported: use attributes[%q]", s.FieldName(), s.FieldName())
	}
	m, err := c.expr(s.Operand())
	if err != nil {
		return frag{}, err
	}
	if m.kind != kMap {
		return frag{}, c.errorf(id, "has() works on attributes and resource.attributes")
	}
	key := c.param("String", s.FieldName())
	return frag{id: id, kind: kBool, sql: "mapContains(" + m.sql + ", " + key + ")"}, nil
}

// render returns a fragment's SQL, storing literals as placeholders of
// their natural type.
func (c *compiler) render(f frag) string {
	if f.lit == nil {
		return f.sql
	}
	switch v := f.lit.Value().(type) {
	case string:
		return c.param("String", v)
	case int64:
		return c.param("Int64", strconv.FormatInt(v, 10))
	case uint64:
		return c.param("UInt64", strconv.FormatUint(v, 10))
	case float64:
		return c.param("Float64", formatFloat(v))
	case bool:
		return c.param("Bool", strconv.FormatBool(v))
	}
	return c.param("String", "") // unreachable: literal() admits only the kinds above
}

func formatFloat(v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return "nan"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// asFloat renders a number or an attribute as a nullable Float64: an
// attribute that is missing or not a number becomes NULL.
func (c *compiler) asFloat(f frag) string {
	if f.kind == kAttr {
		return "toFloat64OrNull(" + f.sql + ")"
	}
	if f.lit != nil {
		return c.param("Float64", floatOf(f.lit))
	}
	return f.sql
}

func floatOf(v ref.Val) string {
	switch n := v.Value().(type) {
	case int64:
		return strconv.FormatInt(n, 10)
	case uint64:
		return strconv.FormatUint(n, 10)
	case float64:
		return formatFloat(n)
	}
	return "nan"
}

// asString renders a string-like fragment; attributes hold true and false
// as text, so a bool compared with an attribute becomes "true" or "false".
func (c *compiler) asString(f frag) string {
	if f.lit != nil && f.kind == kBool {
		return c.param("String", strconv.FormatBool(f.lit.Value().(bool)))
	}
	return c.render(f)
}

// asText renders a slice value as a ClickHouse String.
func (c *compiler) asText(f frag) (string, error) {
	switch f.kind {
	case kString, kAttr:
		return c.render(f), nil
	case kInt, kUint, kDouble, kBool:
		return "toString(" + c.render(f) + ")", nil
	}
	return "", c.errorf(f.id, `a slice must be a value such as resource.attributes["service.version"] or service.name`)
}

func isNumber(k kind) bool { return k == kInt || k == kUint || k == kDouble }

func isText(k kind) bool { return k == kString || k == kAttr }

// checkEnum refuses a literal a restricted column never holds, such as
// status.code == "ERROR", which would silently match nothing.
func (c *compiler) checkEnum(col, lit frag) error {
	if col.enum == nil || lit.lit == nil || lit.kind != kString {
		return nil
	}
	s := lit.lit.Value().(string)
	if slices.Contains(col.enum, s) {
		return nil
	}
	return c.errorf(lit.id, "%s is never %q: write one of %s", col.name, s, quoteAll(col.enum))
}

// parseDuration reads duration("…") the way CEL does (Go's syntax, which
// CEL follows: "300ms", "1.5s", "2m").
func parseDuration(s string) (time.Duration, error) {
	return time.ParseDuration(strings.TrimSpace(s))
}

// validRegexp checks a matches() pattern: Go's regexp is RE2, as is
// ClickHouse's match(), so a pattern valid here behaves the same there.
func validRegexp(p string) error {
	_, err := regexp.Compile(p)
	return err
}
