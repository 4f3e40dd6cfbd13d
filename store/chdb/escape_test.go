package chdb

import "testing"

func TestEscapeParam(t *testing.T) {
	for in, want := range map[string]string{
		"plain": "plain", `a\b`: `a\\b`, "a\tb": `a\tb`, "a\nb": `a\nb`, "a\rb": `a\rb`,
		"a\x00b": `a\0b`, "it's": "it's", `\N`: `\\N`,
	} {
		if got := escapeParam(in); got != want {
			t.Errorf("escapeParam(%q) = %q, want %q", in, got, want)
		}
	}
}
