package store

import (
	"strings"
	"testing"
)

func TestCheckVersions(t *testing.T) {
	m := func(vs ...uint32) []Migration {
		var out []Migration
		for _, v := range vs {
			out = append(out, Migration{Version: v, Name: "m"})
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		lists [][]Migration
		want  string // "" for no error
	}{
		{"apart", [][]Migration{m(1, 2, 5), m(100, 102), m(180, 181)}, ""},
		{"overlap", [][]Migration{m(1, 2, 5), m(100, 102), m(101, 150)}, "overlap"},
		{"inside", [][]Migration{m(1, 50), m(10)}, "overlap"},
		{"same version", [][]Migration{m(1, 5), m(5, 6)}, "overlap"},
		{"decreasing", [][]Migration{m(1, 3, 2)}, "versions must increase"},
		{"empty list", [][]Migration{m(1), nil, m(2)}, ""},
	} {
		err := CheckVersions(tc.lists...)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
}
