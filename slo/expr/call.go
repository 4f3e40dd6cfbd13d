package expr

import (
	"strconv"

	celast "github.com/google/cel-go/common/ast"
)

// sqlOps maps CEL's comparison functions to SQL operators.
var sqlOps = map[string]string{
	"_==_": "=", "_!=_": "!=", "_<_": "<", "_<=_": "<=", "_>_": ">", "_>=_": ">=",
}

func (c *compiler) call(id int64, call celast.CallExpr) (frag, error) {
	args := call.Args()
	if call.IsMemberFunction() {
		args = append([]celast.Expr{call.Target()}, args...)
	}
	fs := make([]frag, len(args))
	for i, a := range args {
		f, err := c.expr(a)
		if err != nil {
			return frag{}, err
		}
		fs[i] = f
	}
	fn := call.FunctionName()
	if op, ok := sqlOps[fn]; ok {
		return c.compare(id, op, fs[0], fs[1])
	}
	switch fn {
	case "_&&_":
		return c.logic(id, "AND", fs)
	case "_||_":
		return c.logic(id, "OR", fs)
	case "!_":
		return c.not(id, fs[0])
	case "@in":
		return c.in(id, fs[0], fs[1])
	case "_[_]":
		return c.index(id, fs[0], fs[1])
	case "startsWith", "endsWith":
		return c.stringFunc(id, fn, fs)
	case "contains":
		return c.contains(id, fs)
	case "matches":
		return c.matches(id, fs)
	case "duration":
		return c.duration(id, fs)
	}
	return frag{}, c.errorf(id, "%s() is not supported: %s", fn, supported)
}

func (c *compiler) boolean(f frag) (string, error) {
	if f.kind != kBool {
		return "", c.errorf(f.id, "expected a condition (true or false): %s", supported)
	}
	return c.render(f), nil
}

func (c *compiler) logic(id int64, op string, fs []frag) (frag, error) {
	l, err := c.boolean(fs[0])
	if err != nil {
		return frag{}, err
	}
	r, err := c.boolean(fs[1])
	if err != nil {
		return frag{}, err
	}
	return frag{id: id, kind: kBool, sql: "(" + l + " " + op + " " + r + ")"}, nil
}

func (c *compiler) not(id int64, f frag) (frag, error) {
	s, err := c.boolean(f)
	if err != nil {
		return frag{}, err
	}
	return frag{id: id, kind: kBool, sql: "(NOT " + s + ")"}, nil
}

// compare writes l op r. An attribute compared with a number compares as a
// number; a missing or non-numeric attribute makes that comparison false
// (never NULL, so that ! and OR stay two-valued).
func (c *compiler) compare(id int64, op string, l, r frag) (frag, error) {
	if err := c.checkEnum(l, r); err != nil {
		return frag{}, err
	}
	if err := c.checkEnum(r, l); err != nil {
		return frag{}, err
	}
	var sql string
	switch {
	case (l.kind == kAttr && isNumber(r.kind)) || (isNumber(l.kind) && r.kind == kAttr):
		sql = "ifNull(" + c.asFloat(l) + " " + op + " " + c.asFloat(r) + ", false)"
	case (l.kind == kAttr && (isText(r.kind) || r.kind == kBool)) || (r.kind == kAttr && (isText(l.kind) || l.kind == kBool)):
		sql = c.asString(l) + " " + op + " " + c.asString(r)
	case l.kind == r.kind && l.kind != kMap && l.kind != kList,
		isNumber(l.kind) && isNumber(r.kind):
		sql = c.render(l) + " " + op + " " + c.render(r)
	default:
		return frag{}, c.errorf(id, "cannot compare these two values: compare a value with a string, number or duration, e.g. %s", example(c.src))
	}
	return frag{id: id, kind: kBool, sql: "(" + sql + ")"}, nil
}

// in handles both `x in [list]` and `"key" in attributes`.
func (c *compiler) in(id int64, x, coll frag) (frag, error) {
	switch coll.kind {
	case kMap:
		if !isText(x.kind) {
			return frag{}, c.errorf(x.id, `attribute keys are strings: write "key" in attributes`)
		}
		return frag{id: id, kind: kBool, sql: "mapContains(" + coll.sql + ", " + c.render(x) + ")"}, nil
	case kList:
		return c.inList(id, x, coll.elems)
	}
	return frag{}, c.errorf(id, `"in" takes a list or a map: write x in ["a", "b"] or "key" in attributes`)
}

func (c *compiler) inList(id int64, x frag, elems []frag) (frag, error) {
	if len(elems) == 0 {
		return frag{id: id, kind: kBool, sql: "false"}, nil
	}
	numeric := x.kind == kAttr && isNumber(elems[0].kind)
	vals := ""
	for i, e := range elems {
		if err := c.checkInElem(x, e, elems[0], numeric); err != nil {
			return frag{}, err
		}
		if i > 0 {
			vals += ", "
		}
		if numeric {
			vals += c.asFloat(e)
		} else {
			vals += c.asString(e)
		}
	}
	if numeric {
		return frag{id: id, kind: kBool, sql: "ifNull(" + c.asFloat(x) + " IN (" + vals + "), false)"}, nil
	}
	return frag{id: id, kind: kBool, sql: "(" + c.render(x) + " IN (" + vals + "))"}, nil
}

// checkInElem keeps a list to one kind of value matching x, so the SQL IN
// compares like with like.
func (c *compiler) checkInElem(x, e, first frag, numeric bool) error {
	if err := c.checkEnum(x, e); err != nil {
		return err
	}
	sameKind := e.kind == first.kind || (isNumber(e.kind) && isNumber(first.kind))
	fits := e.kind == x.kind || (isNumber(e.kind) && isNumber(x.kind)) ||
		(x.kind == kAttr && (isText(e.kind) || isNumber(e.kind) || e.kind == kBool))
	if !sameKind || !fits || (x.kind == kAttr && !numeric && isNumber(e.kind)) {
		return c.errorf(e.id, `list elements must all be of the kind of the value on the left, e.g. status.code in ["Error", "Unset"]`)
	}
	return nil
}

func (c *compiler) index(id int64, m, key frag) (frag, error) {
	if m.kind != kMap {
		return frag{}, c.errorf(id, `only attributes and resource.attributes can be indexed: write attributes["key"]`)
	}
	if !isText(key.kind) {
		return frag{}, c.errorf(key.id, `attribute keys are strings: write attributes["key"]`)
	}
	return frag{id: id, kind: kAttr, sql: m.sql + "[" + c.render(key) + "]"}, nil
}

func (c *compiler) texts(fn string, fs []frag) ([]string, error) {
	out := make([]string, len(fs))
	for i, f := range fs {
		if !isText(f.kind) {
			return nil, c.errorf(f.id, `%s works on strings, e.g. name.%s("GET ")`, fn, fn)
		}
		out[i] = c.render(f)
	}
	return out, nil
}

func (c *compiler) stringFunc(id int64, fn string, fs []frag) (frag, error) {
	s, err := c.texts(fn, fs)
	if err != nil {
		return frag{}, err
	}
	return frag{id: id, kind: kBool, sql: fn + "(" + s[0] + ", " + s[1] + ")"}, nil
}

// contains is position() > 0: ClickHouse has no string contains(), and
// position is case-sensitive like CEL's.
func (c *compiler) contains(id int64, fs []frag) (frag, error) {
	s, err := c.texts("contains", fs)
	if err != nil {
		return frag{}, err
	}
	return frag{id: id, kind: kBool, sql: "(position(" + s[0] + ", " + s[1] + ") > 0)"}, nil
}

func (c *compiler) matches(id int64, fs []frag) (frag, error) {
	pat := fs[1]
	if pat.lit == nil || pat.kind != kString {
		return frag{}, c.errorf(pat.id, `matches takes a quoted pattern, e.g. name.matches("^GET /v[0-9]+/feed$")`)
	}
	if err := validRegexp(pat.lit.Value().(string)); err != nil {
		return frag{}, c.errorf(pat.id, "invalid pattern: %v: write an RE2 regular expression", err)
	}
	s, err := c.texts("matches", fs)
	if err != nil {
		return frag{}, err
	}
	return frag{id: id, kind: kBool, sql: "match(" + s[0] + ", " + s[1] + ")"}, nil
}

// duration turns duration("300ms") into nanoseconds, the unit of
// otel_traces.Duration.
func (c *compiler) duration(id int64, fs []frag) (frag, error) {
	if len(fs) != 1 || fs[0].lit == nil || fs[0].kind != kString {
		return frag{}, c.errorf(id, `duration takes a quoted value, e.g. duration("300ms")`)
	}
	d, err := parseDuration(fs[0].lit.Value().(string))
	if err != nil {
		return frag{}, c.errorf(fs[0].id, `invalid duration %q: write e.g. duration("300ms") or duration("1.5s")`, fs[0].lit.Value())
	}
	return frag{id: id, kind: kDuration, sql: c.param("Int64", strconv.FormatInt(d.Nanoseconds(), 10))}, nil
}
