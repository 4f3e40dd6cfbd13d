package slo

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a window's length as SLO files, the config, the API and the
// UI write it: 5m, 1h, 28d. It is the one place windows are named, so that
// a burn rate keyed "1h" in the API is the window an alert rule calls 1h.
// It prints in the largest unit that divides it (90m, 36h, 28d) and parses
// Go's durations plus whole days, alone or leading (28d, 1d12h).
type Duration time.Duration

const day = 24 * time.Hour

// ParseDuration reads a Duration: Go's syntax ("90m", "1h30m", "300ms")
// or whole days in front of it ("28d", "1d12h", "-10d").
func ParseDuration(s string) (Duration, error) {
	d, ok := parseDuration(s)
	if !ok {
		return 0, fmt.Errorf("%q is not a duration: write e.g. 5m, 1h or 28d", s)
	}
	return d, nil
}

func parseDuration(s string) (Duration, bool) {
	if !strings.Contains(s, "d") {
		t, err := time.ParseDuration(s)
		return Duration(t), err == nil
	}
	sign, rest := time.Duration(1), strings.TrimPrefix(s, "+")
	if r, ok := strings.CutPrefix(s, "-"); ok {
		sign, rest = -1, r
	}
	days, rest, ok := cutDays(rest)
	if !ok || strings.HasPrefix(rest, "+") || strings.HasPrefix(rest, "-") {
		return 0, false
	}
	if rest == "" {
		return Duration(sign * days), true
	}
	t, err := time.ParseDuration(rest)
	if err != nil || t > math.MaxInt64-days {
		return 0, false
	}
	return Duration(sign * (days + t)), true
}

// cutDays takes the leading "<n>d" off s.
func cutDays(s string) (days time.Duration, rest string, ok bool) {
	i := strings.IndexByte(s, 'd')
	n, err := strconv.ParseUint(s[:i], 10, 63) // digits only: no sign, no fraction
	if err != nil || n > uint64(math.MaxInt64/int64(day)) {
		return 0, "", false
	}
	return time.Duration(n) * day, s[i+1:], true
}

// units are what String writes in, largest first.
var units = []struct {
	d    time.Duration
	name string
}{{day, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}}

// String writes d in the largest unit that divides it: 5m, 90m, 36h, 28d;
// what no whole unit divides (1.5s) in Go's syntax.
func (d Duration) String() string {
	t := time.Duration(d)
	for _, u := range units {
		if t != 0 && t%u.d == 0 {
			return strconv.FormatInt(int64(t/u.d), 10) + u.name
		}
	}
	return t.String()
}

// MarshalText makes a Duration a string in JSON and YAML, also as a map key.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// UnmarshalYAML is UnmarshalText with the line the value is on.
func (d *Duration) UnmarshalYAML(node *yaml.Node) error {
	if err := d.UnmarshalText([]byte(node.Value)); err != nil {
		return fmt.Errorf("line %d: %w", node.Line, err)
	}
	return nil
}
