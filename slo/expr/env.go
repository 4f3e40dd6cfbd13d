package expr

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
)

// Source is the kind of telemetry an expression filters.
type Source string

const (
	Traces Source = "traces" // rows of otel_traces
	Logs   Source = "logs"   // rows of otel_logs
)

// Table is the contrib exporter's table holding the source's rows.
func (s Source) Table() string {
	if s == Logs {
		return "otel_logs"
	}
	return "otel_traces"
}

// kind is what a compiled fragment holds, as far as SQL generation cares.
type kind int

const (
	kBool kind = iota
	kString
	kInt
	kUint
	kDouble
	kDuration
	kAttr // a map value: text that compares as a number when compared with one
	kMap
	kList
)

// variable is one CEL variable and the column it reads.
type variable struct {
	column string
	kind   kind
	typ    *cel.Type
	enum   []string // the only values the column holds, to catch typos early
}

var attrMap = cel.MapType(cel.StringType, cel.DynType)

// The contrib exporter writes span kinds and status codes as these words.
var (
	spanKinds   = []string{"Unspecified", "Internal", "Server", "Client", "Producer", "Consumer"}
	statusCodes = []string{"Unset", "Ok", "Error"}
)

var traceVars = map[string]variable{
	"name":                {column: "SpanName", kind: kString, typ: cel.StringType},
	"kind":                {column: "SpanKind", kind: kString, typ: cel.StringType, enum: spanKinds},
	"status.code":         {column: "StatusCode", kind: kString, typ: cel.StringType, enum: statusCodes},
	"status.message":      {column: "StatusMessage", kind: kString, typ: cel.StringType},
	"duration":            {column: "Duration", kind: kDuration, typ: cel.DurationType},
	"service.name":        {column: "ServiceName", kind: kString, typ: cel.StringType},
	"attributes":          {column: "SpanAttributes", kind: kMap, typ: attrMap},
	"resource.attributes": {column: "ResourceAttributes", kind: kMap, typ: attrMap},
	"scope.name":          {column: "ScopeName", kind: kString, typ: cel.StringType},
}

var logVars = map[string]variable{
	"body":                {column: "Body", kind: kString, typ: cel.StringType},
	"severity.number":     {column: "SeverityNumber", kind: kInt, typ: cel.IntType},
	"severity.text":       {column: "SeverityText", kind: kString, typ: cel.StringType},
	"event.name":          {column: "EventName", kind: kString, typ: cel.StringType},
	"service.name":        {column: "ServiceName", kind: kString, typ: cel.StringType},
	"attributes":          {column: "LogAttributes", kind: kMap, typ: attrMap},
	"resource.attributes": {column: "ResourceAttributes", kind: kMap, typ: attrMap},
}

func (s Source) vars() (map[string]variable, error) {
	switch s {
	case Traces:
		return traceVars, nil
	case Logs:
		return logVars, nil
	}
	return nil, fmt.Errorf("unknown source %q: use traces or logs", s)
}

// Variables lists the names an expression over the source may use, sorted;
// error messages show them so a typo is quick to fix.
func (s Source) Variables() []string {
	vars, _ := s.vars()
	names := make([]string, 0, len(vars))
	for n, v := range vars {
		if v.kind == kMap {
			n += `["key"]`
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Environments are costly to build and safe to share, so each is built once.
var (
	traceEnv = sync.OnceValues(func() (*cel.Env, error) { return newEnv(traceVars) })
	logEnv   = sync.OnceValues(func() (*cel.Env, error) { return newEnv(logVars) })
)

func newEnv(vars map[string]variable) (*cel.Env, error) {
	opts := []cel.EnvOption{cel.CrossTypeNumericComparisons(true)}
	for name, v := range vars {
		opts = append(opts, cel.Variable(name, v.typ))
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("build cel environment: %w", err)
	}
	return env, nil
}

func (s Source) env() (*cel.Env, error) {
	if s == Logs {
		return logEnv()
	}
	if s == Traces {
		return traceEnv()
	}
	_, err := s.vars()
	return nil, err
}

func quoteAll(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}
