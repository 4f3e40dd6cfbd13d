package chserver

import "testing"

func TestCheckVersion(t *testing.T) {
	for _, tc := range []struct {
		version, err string
	}{
		{"18.16.1", "ClickHouse server 18.16 at db:9000 is too old: flowslo needs 23.8 or newer"},
		{"23.7.6.111", "ClickHouse server 23.7 at db:9000 is too old: flowslo needs 23.8 or newer"},
		{"23.8.1.2992", ""},
		{"23.10.1", ""}, // compared as numbers, not text
		{"24.3.5.47", ""},
		{"26.7.2.1", ""},
		{"garbage", `parse version "garbage"`},
	} {
		err := checkVersion(tc.version, "db:9000")
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.err {
			t.Errorf("checkVersion(%q) = %q, want %q", tc.version, got, tc.err)
		}
	}
}
