// Package param writes query parameter values the way ClickHouse reads them:
// the engine parses a scalar value as TSV-escaped text of the placeholder's
// type, but an Array, Tuple or Map value as a literal whose strings carry
// their own escapes (quoted, backslashes doubled by the caller), with no
// TSV layer to undo: escaping its backslashes again doubles them in the
// result (seen with chDB 26.7: an Array(String) holding JSON came back with
// every \" as \\").
package param

import (
	"regexp"
	"strings"
)

// placeholder matches {name:Type} in a query.
var placeholder = regexp.MustCompile(`\{([A-Za-z0-9_]+):([^{}]+)\}`)

// ForQuery returns params escaped for the placeholders of query: scalars
// with Escape, composite literals with EscapeControls.
func ForQuery(query string, params map[string]string) map[string]string {
	composite := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(query, -1) {
		t := strings.TrimSpace(m[2])
		composite[m[1]] = strings.HasPrefix(t, "Array(") || strings.HasPrefix(t, "Tuple(") || strings.HasPrefix(t, "Map(")
	}
	out := make(map[string]string, len(params))
	for k, v := range params {
		if composite[k] {
			out[k] = EscapeControls(v)
		} else {
			out[k] = Escape(v)
		}
	}
	return out
}

// EscapeControls writes tab, newline and the other control characters of
// a composite literal as escapes, which its quoted strings read back as
// the characters; backslashes are left to the literal's own quoting.
func EscapeControls(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if e, ok := escapes[v[i]]; ok && v[i] != '\\' {
			b.WriteByte('\\')
			b.WriteByte(e)
			continue
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// Escape escapes backslash, tab, newline and the other characters TSV escapes,
// so a value arrives exactly as given instead of being read as an escape
// sequence or cut at a separator.
func Escape(v string) string {
	if !needsEscape(v) {
		return v
	}
	b := make([]byte, 0, len(v)+8)
	for i := 0; i < len(v); i++ {
		if e, ok := escapes[v[i]]; ok {
			b = append(b, '\\', e)
			continue
		}
		b = append(b, v[i])
	}
	return string(b)
}

var escapes = map[byte]byte{'\\': '\\', '\t': 't', '\n': 'n', '\r': 'r', 0: '0', '\b': 'b', '\f': 'f'}

func needsEscape(v string) bool {
	for i := 0; i < len(v); i++ {
		if _, ok := escapes[v[i]]; ok {
			return true
		}
	}
	return false
}
