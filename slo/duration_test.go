package slo

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestParseDuration(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		in   string
		want time.Duration
		out  string // what String writes back
	}{
		{"5m", 5 * time.Minute, "5m"},
		{"30m", 30 * time.Minute, "30m"},
		{"1h", time.Hour, "1h"},
		{"60m", time.Hour, "1h"},
		{"90m", 90 * time.Minute, "90m"},
		{"1h30m", 90 * time.Minute, "90m"},
		{"36h", 36 * time.Hour, "36h"},
		{"24h", day, "1d"},
		{"1d", day, "1d"},
		{"3d", 3 * day, "3d"},
		{"28d", 28 * day, "28d"},
		{"1d12h", 36 * time.Hour, "36h"},
		{"7d0h", 7 * day, "7d"},
		{"45s", 45 * time.Second, "45s"},
		{"90s", 90 * time.Second, "90s"},
		{"300ms", 300 * time.Millisecond, "300ms"},
		{"1.5h", 90 * time.Minute, "90m"},
		{"0d", 0, "0s"},
		{"0", 0, "0s"},
		{"-10d", -10 * day, "-10d"},
		{"+2h", 2 * time.Hour, "2h"},
	}
	for _, tt := range tests {
		d, err := ParseDuration(tt.in)
		if err != nil {
			t.Errorf("ParseDuration(%q): %v", tt.in, err)
			continue
		}
		if time.Duration(d) != tt.want || d.String() != tt.out {
			t.Errorf("ParseDuration(%q) = %v (%q), want %v (%q)", tt.in, time.Duration(d), d.String(), tt.want, tt.out)
		}
		if back, err := ParseDuration(d.String()); err != nil || back != d {
			t.Errorf("%q does not round-trip: %q gives %v, %v", tt.in, d.String(), back, err)
		}
	}
}

func TestParseDurationRejects(t *testing.T) {
	for _, in := range []string{"", "-", "d", "5", "5 m", " 5m", "5min", "1.5d", "-d", "+-5m", "--5m", "1d-2h", "1d+2h",
		"3dd", "1w", "28days", "99999999999999d", "106751d23h47m16.854775808s", "d5m"} {
		_, err := ParseDuration(in)
		if err == nil {
			t.Errorf("ParseDuration(%q) accepted it", in)
			continue
		}
		if want := `"` + in + `" is not a duration: write e.g. 5m, 1h or 28d`; err.Error() != want {
			t.Errorf("ParseDuration(%q) error %q, want %q", in, err, want)
		}
	}
}

// Every Duration prints as something that parses back to it.
func TestDurationStringRoundTrips(t *testing.T) {
	for _, d := range []time.Duration{1, time.Second + 1, 61 * time.Second, 25 * time.Hour, 24*time.Hour + time.Nanosecond,
		-90 * time.Minute, 1<<63 - 1, -1 << 63} {
		s := Duration(d).String()
		back, err := ParseDuration(s)
		if err != nil || time.Duration(back) != d {
			t.Errorf("%v prints %q, which parses as %v, %v", d, s, time.Duration(back), err)
		}
	}
}

// In JSON a Duration is its string, as a value and as a map key, and reads
// back the same.
func TestDurationJSON(t *testing.T) {
	in := struct {
		W  Duration             `json:"w"`
		By map[Duration]float64 `json:"by"`
	}{Duration(28 * 24 * time.Hour), map[Duration]float64{Duration(5 * time.Minute): 1, Duration(time.Hour): 2, Duration(90 * time.Minute): 3}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"w":"28d","by":{"1h":2,"5m":1,"90m":3}}`; string(b) != want {
		t.Fatalf("json %s, want %s", b, want)
	}
	out := in
	out.By = nil
	if err := json.Unmarshal(b, &out); err != nil || out.W != in.W || len(out.By) != 3 || out.By[Duration(90*time.Minute)] != 3 {
		t.Fatalf("read back %+v, %v", out, err)
	}
	err = json.Unmarshal([]byte(`{"w":"soon"}`), &out)
	if err == nil || !strings.Contains(err.Error(), `"soon" is not a duration`) {
		t.Fatalf("bad value: %v", err)
	}
}

func TestDurationYAML(t *testing.T) {
	var v struct {
		Retention Duration `yaml:"retention"`
	}
	if err := yaml.Unmarshal([]byte("retention: 30d\n"), &v); err != nil || v.Retention != Duration(30*24*time.Hour) {
		t.Fatalf("30d read as %v, %v", v.Retention, err)
	}
	b, err := yaml.Marshal(v)
	if err != nil || string(b) != "retention: 30d\n" {
		t.Fatalf("written as %q, %v", b, err)
	}
	err = yaml.Unmarshal([]byte("\nretention: 30 days\n"), &v)
	if want := `line 2: "30 days" is not a duration: write e.g. 5m, 1h or 28d`; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("bad value: %v, want %s", err, want)
	}
}
