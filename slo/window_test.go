package slo

import (
	"testing"
	"time"
)

func TestWindowLength(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	utc := func(c Calendar) Window { return Window{Calendar: c, Location: time.UTC} }
	tests := []struct {
		name       string
		w          Window
		at         string
		start, end string
		want       time.Duration
	}{
		{"rolling", Window{Rolling: 28 * day}, "2027-02-10T00:00:00Z", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z", 28 * day},
		{"february", utc(Month), "2027-02-10T00:00:00Z", "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z", 28 * day},
		{"leap february", utc(Month), "2028-02-29T23:59:00Z", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z", 29 * day},
		{"april", utc(Month), "2027-04-01T00:00:00Z", "2027-04-01T00:00:00Z", "2027-05-01T00:00:00Z", 30 * day},
		{"january", utc(Month), "2027-01-31T12:00:00Z", "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z", 31 * day},
		{"q1", utc(Quarter), "2027-03-31T23:59:00Z", "2027-01-01T00:00:00Z", "2027-04-01T00:00:00Z", 90 * day},
		{"leap q1", utc(Quarter), "2028-02-01T00:00:00Z", "2028-01-01T00:00:00Z", "2028-04-01T00:00:00Z", 91 * day},
		{"q3", utc(Quarter), "2027-08-15T00:00:00Z", "2027-07-01T00:00:00Z", "2027-10-01T00:00:00Z", 92 * day},
		// Berlin's Q4 starts at midnight summer time and ends at midnight
		// winter time: 92 days and one hour.
		{"berlin q4", Window{Calendar: Quarter, Location: berlin}, "2026-12-31T22:30:00Z", "2026-09-30T22:00:00Z", "2026-12-31T23:00:00Z", 92*day + time.Hour},
		// and its first hour (still September in UTC) is already Q4
		{"berlin q4 first hour", Window{Calendar: Quarter, Location: berlin}, "2026-09-30T22:10:00Z", "2026-09-30T22:00:00Z", "2026-12-31T23:00:00Z", 92*day + time.Hour},
		{"berlin q1", Window{Calendar: Quarter, Location: berlin}, "2027-02-01T00:00:00Z", "2026-12-31T23:00:00Z", "2027-03-31T22:00:00Z", 90*day - time.Hour},
		{"berlin october", Window{Calendar: Month, Location: berlin}, "2026-10-31T22:30:00Z", "2026-09-30T22:00:00Z", "2026-10-31T23:00:00Z", 31*day + time.Hour},
		{"week", utc(Week), "2027-02-10T00:00:00Z", "2027-02-08T00:00:00Z", "2027-02-15T00:00:00Z", 7 * day},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, _ := time.Parse(time.RFC3339, tt.at)
			if got := tt.w.Length(at); got != tt.want {
				t.Errorf("Length = %s, want %s", got, tt.want)
			}
			if tt.w.Calendar == "" {
				return
			}
			start, end := tt.w.Period(at)
			if f := start.Format(time.RFC3339); f != tt.start {
				t.Errorf("start = %s, want %s", f, tt.start)
			}
			if f := end.Format(time.RFC3339); f != tt.end {
				t.Errorf("end = %s, want %s", f, tt.end)
			}
		})
	}
}

// TestAlertWindowFactors: the defaults scaled to the window's real length,
// never below 1, and rules longer than the window left out.
func TestAlertWindowFactors(t *testing.T) {
	day := 24 * time.Hour
	feb, _ := time.Parse(time.RFC3339, "2027-02-10T00:00:00Z")
	tests := []struct {
		name string
		w    Window
		want []float64 // page 1h, page 6h, ticket 1d, ticket 3d
	}{
		{"1d", Window{Rolling: day}, []float64{1, 1, 1}},
		{"36h", Window{Rolling: 36 * time.Hour}, []float64{1, 1, 1}},
		{"7d", Window{Rolling: 7 * day}, []float64{14.4 * 7 / 30, 6 * 7 / 30.0, 1, 1}},
		{"30d", Window{Rolling: 30 * day}, []float64{14.4, 6, 3, 1}},
		{"february", Window{Calendar: Month, Location: time.UTC}, []float64{14.4 * 28 / 30, 6 * 28 / 30.0, 3 * 28 / 30.0, 1}},
		{"q1", Window{Calendar: Quarter, Location: time.UTC}, []float64{14.4 * 90 / 30, 6 * 3, 3 * 3, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &SLO{Window: tt.w, Objective: 99}
			got := s.AlertWindows(feb)
			if len(got) != len(tt.want) {
				t.Fatalf("%d rules, want %d: %+v", len(got), len(tt.want), got)
			}
			for i, w := range got {
				if d := w.Factor - tt.want[i]; d > 1e-9 || d < -1e-9 {
					t.Errorf("%s %s/%s factor %g, want %g", w.Severity, w.Long, w.Short, w.Factor, tt.want[i])
				}
			}
		})
	}
	own := &SLO{Window: Window{Rolling: day}, Alerting: Alerting{Windows: []AlertWindow{{Severity: "page", Long: time.Hour, Short: 5 * time.Minute, Factor: 0.5}}}}
	if got := own.AlertWindows(feb); len(got) != 1 || got[0].Factor != 0.5 {
		t.Errorf("an SLO's own windows are taken as written, got %+v", got)
	}
}
