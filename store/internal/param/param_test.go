package param

import "testing"

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain": "plain", `a\b`: `a\\b`, "a\tb": `a\tb`, "a\nb": `a\nb`, "a\rb": `a\rb`,
		"a\x00b": `a\0b`, "it's": "it's", `\N`: `\\N`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}
