// Package param writes query parameter values the way ClickHouse reads them:
// the engine parses each value as TSV-escaped text of the placeholder's type.
package param

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
