package expr

import (
	"maps"
	"testing"
)

func TestCompile(t *testing.T) {
	tests := []struct {
		src    Source
		expr   string
		sql    string
		params Params
	}{
		{Traces, `name == "POST /v1/login"`, `(SpanName = {p0:String})`, Params{"p0": "POST /v1/login"}},
		{Traces, `resource.attributes["service.name"] == "auth-api" && name == "POST /v1/login"`,
			`((ResourceAttributes[{p0:String}] = {p1:String}) AND (SpanName = {p2:String}))`,
			Params{"p0": "service.name", "p1": "auth-api", "p2": "POST /v1/login"}},
		{Traces, `status.code == "Error" || attributes["http.response.status_code"] >= 500`,
			`((StatusCode = {p0:String}) OR (ifNull(toFloat64OrNull(SpanAttributes[{p1:String}]) >= {p2:Float64}, false)))`,
			Params{"p0": "Error", "p1": "http.response.status_code", "p2": "500"}},
		{Traces, `500 <= attributes["code"]`, `(ifNull({p0:Float64} <= toFloat64OrNull(SpanAttributes[{p1:String}]), false))`,
			Params{"p0": "500", "p1": "code"}},
		{Traces, `attributes["ratio"] < 0.5`, `(ifNull(toFloat64OrNull(SpanAttributes[{p0:String}]) < {p1:Float64}, false))`,
			Params{"p0": "ratio", "p1": "0.5"}},
		{Traces, `duration > duration("300ms")`, `(Duration > {p0:Int64})`, Params{"p0": "300000000"}},
		{Traces, `duration("1.5s") >= duration`, `({p0:Int64} >= Duration)`, Params{"p0": "1500000000"}},
		{Traces, `status.code != "Ok"`, `(StatusCode != {p0:String})`, Params{"p0": "Ok"}},
		{Traces, `!(kind == "Server")`, `(NOT (SpanKind = {p0:String}))`, Params{"p0": "Server"}},
		{Traces, `status.code in ["Error", "Unset"]`, `(StatusCode IN ({p0:String}, {p1:String}))`, Params{"p0": "Error", "p1": "Unset"}},
		{Traces, `attributes["code"] in [500, 503]`, `ifNull(toFloat64OrNull(SpanAttributes[{p0:String}]) IN ({p1:Float64}, {p2:Float64}), false)`,
			Params{"p0": "code", "p1": "500", "p2": "503"}},
		{Traces, `attributes["region"] in ["eu", "us"]`, `(SpanAttributes[{p0:String}] IN ({p1:String}, {p2:String}))`,
			Params{"p0": "region", "p1": "eu", "p2": "us"}},
		{Traces, `name in []`, `false`, Params{}},
		{Traces, `"app.platform" in attributes`, `mapContains(SpanAttributes, {p0:String})`, Params{"p0": "app.platform"}},
		{Traces, `"k8s.pod.name" in resource.attributes`, `mapContains(ResourceAttributes, {p0:String})`, Params{"p0": "k8s.pod.name"}},
		{Traces, `has(attributes.retry)`, `mapContains(SpanAttributes, {p0:String})`, Params{"p0": "retry"}},
		{Traces, `name.startsWith("GET ")`, `startsWith(SpanName, {p0:String})`, Params{"p0": "GET "}},
		{Traces, `attributes["url.path"].endsWith("/feed")`, `endsWith(SpanAttributes[{p0:String}], {p1:String})`, Params{"p0": "url.path", "p1": "/feed"}},
		{Traces, `status.message.contains("timeout")`, `(position(StatusMessage, {p0:String}) > 0)`, Params{"p0": "timeout"}},
		{Traces, `name.matches("^GET /v[0-9]+/feed$")`, `match(SpanName, {p0:String})`, Params{"p0": "^GET /v[0-9]+/feed$"}},
		{Traces, `matches(scope.name, "grpc")`, `match(ScopeName, {p0:String})`, Params{"p0": "grpc"}},
		{Traces, `attributes["cached"] == true`, `(SpanAttributes[{p0:String}] = {p1:String})`, Params{"p0": "cached", "p1": "true"}},
		{Traces, `service.name == attributes["peer.service"]`, `(ServiceName = SpanAttributes[{p0:String}])`, Params{"p0": "peer.service"}},
		{Traces, `true`, `{p0:Bool}`, Params{"p0": "true"}},
		{Logs, `severity.number >= 17`, `(SeverityNumber >= {p0:Int64})`, Params{"p0": "17"}},
		{Logs, `severity.text == "ERROR" && body.contains("panic")`,
			`((SeverityText = {p0:String}) AND (position(Body, {p1:String}) > 0))`, Params{"p0": "ERROR", "p1": "panic"}},
		{Logs, `event.name == "push.delivered" && attributes["push.provider"] == "apns"`,
			`((EventName = {p0:String}) AND (LogAttributes[{p1:String}] = {p2:String}))`,
			Params{"p0": "push.delivered", "p1": "push.provider", "p2": "apns"}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got, err := Compile(tt.src, tt.expr)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if got.SQL != tt.sql {
				t.Errorf("SQL\n got %s\nwant %s", got.SQL, tt.sql)
			}
			if !maps.Equal(got.Params, tt.params) {
				t.Errorf("params\n got %v\nwant %v", got.Params, tt.params)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		src  Source
		expr string
		err  string
	}{
		{Traces, `status.code == "ERROR"`, `column 16: status.code is never "ERROR": write one of "Unset", "Ok", "Error"`},
		{Traces, `kind in ["server"]`, `column 10: kind is never "server": write one of "Unspecified", "Internal", "Server", "Client", "Producer", "Consumer"`},
		{Traces, `stauts.code == "Error"`, `column 1: undeclared reference to 'stauts': traces have attributes["key"], duration, kind, name, resource.attributes["key"], scope.name, service.name, status.code, status.message`},
		{Logs, `duration > duration("1s")`, `column 1: undeclared reference to 'duration': logs have attributes["key"], body, event.name, resource.attributes["key"], service.name, severity.number, severity.text`},
		{Traces, `name == 1`, `column 6: found no matching overload for '_==_' applied to '(string, int)': compare like with like: text with "quoted text", numbers with numbers, duration with duration("300ms")`},
		{Traces, `attributes["x"]`, `a filter must be true or false, not dyn: compare it, e.g. status.code == "Error"`},
		{Traces, `size(name) > 3`, `column 5: size() is not supported: ` + supported},
		{Traces, `attributes.x == "a"`, `column 11: field .x is not supported: use attributes["x"]`},
		{Traces, `name.matches("(")`, "column 14: invalid pattern: error parsing regexp: missing closing ): `(`: write an RE2 regular expression"},
		{Traces, `duration > duration("soon")`, `column 21: invalid duration "soon": write e.g. duration("300ms") or duration("1.5s")`},
		{Traces, `name.matches(name)`, `column 14: matches takes a quoted pattern, e.g. name.matches("^GET /v[0-9]+/feed$")`},
		{Traces, `[1, 2].exists(x, x > 1)`, `column 14: this construct is not supported: ` + supported},
		{Traces, `name ==`, "column 8: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}"},
		{"metrics", `true`, `unknown source "metrics": use traces or logs`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := Compile(tt.src, tt.expr)
			if err == nil || err.Error() != tt.err {
				t.Errorf("error\n got %v\nwant %s", err, tt.err)
			}
		})
	}
}

func TestCompileValue(t *testing.T) {
	tests := []struct {
		src    Source
		expr   string
		sql    string
		params Params
	}{
		{Traces, `resource.attributes["service.version"]`, `ResourceAttributes[{s0:String}]`, Params{"s0": "service.version"}},
		{Traces, `attributes["app.platform"]`, `SpanAttributes[{s0:String}]`, Params{"s0": "app.platform"}},
		{Traces, `service.name`, `ServiceName`, Params{}},
		{Logs, `severity.number`, `toString(SeverityNumber)`, Params{}},
	}
	for _, tt := range tests {
		got, err := CompileValue(tt.src, tt.expr, WithPrefix("s"))
		if err != nil {
			t.Fatalf("%s: %v", tt.expr, err)
		}
		if got.SQL != tt.sql || !maps.Equal(got.Params, tt.params) {
			t.Errorf("%s: got %s %v, want %s %v", tt.expr, got.SQL, got.Params, tt.sql, tt.params)
		}
	}
	if _, err := CompileValue(Traces, `duration`); err == nil {
		t.Error("a duration slice compiled; want an error")
	}
}

func TestWithPrefix(t *testing.T) {
	got, err := Compile(Traces, `name == "a"`, WithPrefix("bad_"))
	if err != nil || got.SQL != `(SpanName = {bad_0:String})` || got.Params["bad_0"] != "a" {
		t.Errorf("got %+v, %v", got, err)
	}
	if _, err := Compile(Traces, `true`, WithPrefix("x}; DROP")); err == nil {
		t.Error("a prefix that is no identifier was accepted")
	}
}

func TestCanonical(t *testing.T) {
	a, err := Canonical(Traces, `name=="a"&&(duration>duration("1s"))`)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Canonical(Traces, "name == \"a\"\n  && duration > duration('1s')")
	if a != b {
		t.Errorf("canonical forms differ: %q vs %q", a, b)
	}
}
