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

func TestForQuery(t *testing.T) {
	q := "SELECT {s:String}, {a:Array(String)}, {t: Tuple(String, UInt8)}, {n:Int64}"
	got := ForQuery(q, map[string]string{"s": `a\b` + "\t", "a": `['a\\b` + "\t" + `']`, "t": `('x\\y', 1)`, "n": "1"})
	want := map[string]string{"s": `a\\b\t`, "a": `['a\\b\t']`, "t": `('x\\y', 1)`, "n": "1"}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %q, want %q", k, got[k], w)
		}
	}
}
