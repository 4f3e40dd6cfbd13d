package ui

import (
	"strings"
	"time"
)

// TimeRange is one of the ranges every page and API parameter offers.
type TimeRange struct {
	Key string
	D   time.Duration
}

// Ranges are the one set of time ranges across pages and the API; 1d is
// read as 24h, so links written either way work.
var Ranges = []TimeRange{{"15m", 15 * time.Minute}, {"1h", time.Hour}, {"6h", 6 * time.Hour}, {"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}}

// rangeAliases are other spellings of a range.
var rangeAliases = map[string]string{"1d": "24h", "60m": "1h", "1w": "7d", "168h": "7d"}

// lookupRange finds a range by key or alias.
func lookupRange(key string) (time.Duration, bool) {
	if a, ok := rangeAliases[key]; ok {
		key = a
	}
	for _, r := range Ranges {
		if r.Key == key {
			return r.D, true
		}
	}
	return 0, false
}

// canonicalRange is key as Ranges spell it ("1d" → "24h").
func canonicalRange(key string) string {
	if a, ok := rangeAliases[key]; ok {
		return a
	}
	return key
}

// rangeKeys lists the ranges for error messages: "15m, 1h, 6h, 24h or 7d".
func rangeKeys(upTo time.Duration) string {
	var ks []string
	for _, r := range rangesUpTo(upTo) {
		ks = append(ks, r.Key)
	}
	if len(ks) < 2 {
		return strings.Join(ks, "")
	}
	return strings.Join(ks[:len(ks)-1], ", ") + " or " + ks[len(ks)-1]
}

// rangesUpTo are the ranges no longer than d (0: all).
func rangesUpTo(d time.Duration) []TimeRange {
	var out []TimeRange
	for _, r := range Ranges {
		if d == 0 || r.D <= d {
			out = append(out, r)
		}
	}
	return out
}
