package slo

import (
	"fmt"
	"time"

	"github.com/flowslo/flowslo/slo/expr"
)

// SLO is one validated service level objective.
type SLO struct {
	Name        string
	Flow        string // the business flow: login, feed, checkout, push
	Service     string // owning service, optional
	Description string
	Objective   float64 // percent of good events, 0 < Objective < 100
	Window      Window
	Indicator   Indicator
	Slices      []string // CEL value expressions to break the SLI down by
	Alerting    Alerting
	// Release is set when a slice names the release: then SLI.Slices ends
	// with one more slice, release and platform counted together.
	Release *ReleasePair

	// Hash versions the definition: it changes when the indicator, the
	// objective or the slices change, and not with YAML formatting, so a
	// changed hash means rollups must be rebuilt.
	Hash string
	// SLI is the indicator compiled to SQL.
	SLI SLI

	File string // where it was defined, for messages
	Line int
}

// ErrorBudget is the fraction of events allowed to be bad, e.g. 0.005 for 99.5%.
func (s *SLO) ErrorBudget() float64 { return 1 - s.Objective/100 }

// Calendar is a calendar window's period.
type Calendar string

const (
	Week    Calendar = "week"
	Month   Calendar = "month"
	Quarter Calendar = "quarter"
)

// Window is the period an SLO is measured over: rolling (Rolling > 0) or a
// calendar period starting at midnight in Location.
type Window struct {
	Rolling  time.Duration
	Calendar Calendar
	Location *time.Location
}

func (w Window) String() string {
	if w.Calendar == "" {
		return Duration(w.Rolling).String()
	}
	return fmt.Sprintf("%s (%s)", w.Calendar, w.Location)
}

// Indicator says which events count and which of them are good. Exactly one
// of Good, Bad and Latency is set.
type Indicator struct {
	Source  expr.Source
	Total   string        // CEL filter selecting the events that count
	Good    string        // CEL filter: good events among Total
	Bad     string        // CEL filter: bad events among Total
	Latency time.Duration // good = duration <= Latency (traces only)
}

// Alerting says where burn-rate alerts go. Windows overrides the default
// multiwindow multi-burn-rate rules when set (a severity without windows is
// then off). MinBadEvents is how many bad events the short window needs
// before an alert fires; 0 means the alerting default.
type Alerting struct {
	Page         []Route // where pages go
	Ticket       []Route // where tickets go
	Runbook      string  // URL on-call opens first; in every message
	Windows      []AlertWindow
	MinBadEvents int
}

// AlertWindow is one multiwindow burn-rate rule: alert when the burn rate
// exceeds Factor over both Long and Short.
type AlertWindow struct {
	Severity string // "page" or "ticket"
	Long     time.Duration
	Short    time.Duration
	Factor   float64
}

// SLI is an indicator compiled to ClickHouse SQL over Table. Total and Good
// are conditions (Good applies among Total); Slices are String values, the
// declared slices and then the internal ones (see ReleasePair). Their
// placeholders have distinct prefixes, so they can share one query.
type SLI struct {
	Table  string
	Total  expr.Compiled
	Good   expr.Compiled
	Slices []expr.Compiled
}

// Params returns the values of every placeholder in the SLI.
func (s SLI) Params() expr.Params {
	p := expr.Params{}
	for _, c := range append([]expr.Compiled{s.Total, s.Good}, s.Slices...) {
		for k, v := range c.Params {
			p[k] = v
		}
	}
	return p
}
