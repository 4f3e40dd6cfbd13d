package expr

import (
	"regexp"
	"strings"
	"testing"
)

// sqlToken is every token the compiler may write itself. Whatever else shows
// up in SQL outside a placeholder came from the user, which is the bug the
// fuzzer looks for.
var sqlToken = regexp.MustCompile(`^(?:\{[A-Za-z_][A-Za-z0-9_]*:(?:String|Int64|UInt64|Float64|Bool)\}` +
	`|SpanName|SpanKind|StatusCode|StatusMessage|Duration|ServiceName|SpanAttributes|ResourceAttributes|ScopeName` +
	`|Body|SeverityNumber|SeverityText|EventName|LogAttributes` +
	`|AND|OR|NOT|IN|false|ifNull|toFloat64OrNull|toString|mapContains|startsWith|endsWith|position|match` +
	`|!=|<=|>=|=|<|>|0|\(|\)|\[|\]|,| )`)

func checkSQL(t *testing.T, c Compiled) {
	t.Helper()
	rest := c.SQL
	for rest != "" {
		tok := sqlToken.FindString(rest)
		if tok == "" {
			t.Fatalf("SQL %q holds text the compiler does not write: %q", c.SQL, rest)
		}
		rest = rest[len(tok):]
	}
	for _, m := range placeholder.FindAllStringSubmatch(c.SQL, -1) {
		if _, ok := c.Params[m[1]]; !ok {
			t.Fatalf("placeholder %s has no value in %v", m[0], c.Params)
		}
	}
	if n := strings.Count(c.SQL, "{"); n != len(c.Params) {
		t.Fatalf("%d placeholders, %d params: %q %v", n, len(c.Params), c.SQL, c.Params)
	}
}

var fuzzSeeds = []string{
	`name == "POST /v1/login"`,
	`resource.attributes["service.name"] == "auth-api" && name == "POST /v1/login"`,
	`status.code == "Error" || attributes["http.response.status_code"] >= 500`,
	`duration > duration("300ms")`,
	`attributes["code"] in [500, 503] || !("retry" in attributes)`,
	`name.matches("^GET") && status.message.contains("x") && name.endsWith("y")`,
	`name == "x'); DROP TABLE otel_traces; --"`,
	`name == "\\'; SELECT 1 --"`,
	`attributes["a'] OR 1=1 --"] == "b"`,
	`attributes["}{p0:String}"] == "{p1:String}"`,
	`"k' OR '1'='1" in attributes`,
	`attributes["x"] == "` + "\x00\n\r" + `"`,
	`name in ["a) OR (1=1", "SpanName"]`,
	`has(attributes.SpanName)`,
	`name == "SpanName" || name == "AND"`,
	`attributes["x"] < 1e308 && attributes["y"] > -0.5`,
	`severity.number >= 17 && body.contains("panic")`,
}

func FuzzCompile(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, text string, logs bool) {
		src := Traces
		if logs {
			src = Logs
		}
		if c, err := Compile(src, text, WithPrefix("f")); err == nil {
			checkSQL(t, c)
		}
		if c, err := CompileValue(src, text); err == nil {
			checkSQL(t, c)
		}
	})
}
