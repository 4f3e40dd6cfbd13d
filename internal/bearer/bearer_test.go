package bearer

import "testing"

func TestToken(t *testing.T) {
	for in, want := range map[string]string{"Bearer abc": "abc", "bearer abc": "abc", "BEARER x y": "x y", "Basic abc": "", "Bearer": "", "": ""} {
		got, ok := Token(in)
		if got != want || ok != (want != "") {
			t.Errorf("Token(%q) = %q, %v", in, got, ok)
		}
	}
}
