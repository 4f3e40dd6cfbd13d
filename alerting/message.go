package alerting

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/flowslo/flowslo/slo"
)

// Detail is what the SLO engine knows beyond counts, for a message. Every
// part is optional.
type Detail struct {
	// TopSlice is the slice value with the largest share of bad events.
	TopSlice *SliceShare `json:"top_slice,omitempty"`
	// TraceIDs are a few example traces of bad events (2–3 are shown).
	TraceIDs []string `json:"trace_ids,omitempty"`
	// BudgetRemaining is the error budget left over the SLO window: 1
	// untouched, 0 spent, negative overspent.
	BudgetRemaining *float64 `json:"budget_remaining,omitempty"`
}

// SliceShare is one slice value and its share of the bad events.
type SliceShare struct {
	Key   string  `json:"key"`   // e.g. service.version
	Value string  `json:"value"` // e.g. 4.2.0
	Share float64 `json:"share"` // of bad events, 0..1
}

// DetailFunc returns the detail of one SLO at a time; nil detail or an
// error leave those parts out of the message.
type DetailFunc func(ctx context.Context, sloName string, at time.Time) (*Detail, error)

// Message is one notification as structured data: each receiver renders
// it its own way (Block Kit, Alertmanager labels and annotations, a
// PagerDuty event, JSON). Texts are plain, without markup.
type Message struct {
	AlertID  string   `json:"alert_id"` // one incident of one SLO's severity
	Kind     Kind     `json:"kind"`
	Severity Severity `json:"severity"`
	SLO      string   `json:"slo"`
	Flow     string   `json:"flow"`
	Service  string   `json:"service,omitempty"`
	// Title names the alert: "PAGE · checkout-success".
	Title string `json:"title"`
	// Summary says what is burning and how fast, after the title.
	Summary string `json:"summary"`
	// Lead comes before the title on repeats: "Still firing after 4h."
	Lead   string  `json:"lead,omitempty"`
	Fields []Field `json:"fields,omitempty"`
	// Burn is every rule of the severity with its burn rates.
	Burn []Burn `json:"burn,omitempty"`
	// Notes are small print: low traffic, since when.
	Notes []string `json:"notes,omitempty"`
	// Examples are a few trace IDs of bad events.
	Examples []string `json:"examples,omitempty"`
	// Links: the SLO page first, then the dashboard and the runbook.
	Links []Link `json:"links,omitempty"`
	// Reply is the short thread reply that goes with a resolve.
	Reply      string      `json:"reply,omitempty"`
	BudgetLeft *float64    `json:"budget_left,omitempty"`
	TopSlice   *SliceShare `json:"top_slice,omitempty"`
	Objective  float64     `json:"objective"`
	Window     string      `json:"window"`
	StartedAt  time.Time   `json:"started_at"`
	ResolvedAt time.Time   `json:"resolved_at,omitzero"`
	LowTraffic bool        `json:"low_traffic,omitempty"`
}

// Field is one labelled value; Code, when set, is a literal shown before
// the value (a slice value, an attribute).
type Field struct {
	Label string `json:"label"`
	Value string `json:"value"`
	Code  string `json:"code,omitempty"`
}

// Link is a labelled URL. Kind says which it is: slo, dashboard, runbook.
type Link struct {
	Kind  string `json:"kind"`
	Label string `json:"label"`
	URL   string `json:"url"`
}

// Burn is one rule's burn rates at the last evaluation.
type Burn struct {
	Long        time.Duration `json:"long"`
	Short       time.Duration `json:"short"`
	LongBurn    float64       `json:"long_burn"`
	ShortBurn   float64       `json:"short_burn"`
	LongEvents  uint64        `json:"long_events"`
	ShortEvents uint64        `json:"short_events"`
	Factor      float64       `json:"factor"`
	Met         bool          `json:"met"`
	// Why is set when the rates were met but too few bad events were.
	Why string `json:"why,omitempty"`
}

// Line is the rule as one line of text: "1h: 167× · 5m: 1000× (alerts at 14.4×)".
func (b Burn) Line() string {
	return fmt.Sprintf("%s: %s · %s: %s (alerts at %s)", dur(b.Long), rateOfN(b.LongEvents, b.LongBurn),
		dur(b.Short), rateOfN(b.ShortEvents, b.ShortBurn), burn(b.Factor))
}

// Headline is the title and summary on one line, after the lead.
func (m *Message) Headline() string {
	h := m.Title + " " + m.Summary
	if m.Lead != "" {
		h = m.Lead + " " + h
	}
	return h
}

// Link returns the URL of the link of kind k, "" when there is none.
func (m *Message) Link(k string) string {
	for _, l := range m.Links {
		if l.Kind == k {
			return l.URL
		}
	}
	return ""
}

// Text is the message as plain lines, for previews, logs and receivers
// without formatting.
func (m *Message) Text() string {
	var b strings.Builder
	b.WriteString(m.Headline())
	if len(m.Burn) > 0 {
		b.WriteString("\nBurn rate:")
		for _, r := range m.Burn {
			b.WriteString("\n  " + r.Line() + burnMark(r))
		}
	}
	for _, f := range m.Fields {
		fmt.Fprintf(&b, "\n%s: %s", f.Label, f.Plain())
	}
	if len(m.Examples) > 0 {
		b.WriteString("\nExample traces: " + strings.Join(m.Examples, " "))
	}
	for _, l := range m.Links {
		fmt.Fprintf(&b, "\n%s: %s", l.Label, l.URL)
	}
	return b.String()
}

// Plain is the field's value with its code, without markup.
func (f Field) Plain() string {
	if f.Code == "" {
		return f.Value
	}
	return f.Code + ": " + f.Value
}

func burnMark(b Burn) string {
	switch {
	case b.Met:
		return " (met)"
	case b.Why != "":
		return " (" + b.Why + ")"
	}
	return ""
}

// lowTraffic is the short-window event count under which a message warns
// that single failures move the numbers a lot.
const lowTraffic = 100

// msgInput is what a message is built from.
type msgInput struct {
	slo      *slo.SLO
	sev      Severity
	t        tracker
	detail   *Detail
	budget   *float64 // from counts when the engine gave no detail
	baseURL  string
	location *time.Location
}

func (in msgInput) remaining() *float64 {
	if in.detail != nil && in.detail.BudgetRemaining != nil {
		return in.detail.BudgetRemaining
	}
	return in.budget
}

// lead is the rule that best says how fast the budget burns: the met rule
// with the highest factor, else the first.
func lead(v Verdict) (RuleResult, bool) {
	var best RuleResult
	found := false
	for _, r := range v.Results {
		if !found || (r.Met && (!best.Met || r.Factor > best.Factor)) {
			best, found = r, true
		}
	}
	return best, found
}

func firingMessage(in msgInput, kind Kind) *Message {
	m := in.base(kind)
	r, _ := lead(in.t.LastVerdict)
	window := in.slo.Window.Length(in.t.LastVerdict.At)
	m.Title = "PAGE · " + in.slo.Name
	if in.sev == Ticket {
		m.Title = "TICKET · " + in.slo.Name
	}
	m.Summary = fmt.Sprintf("(flow %s) is failing %s of requests over the last %s: %s the rate its %s%% objective allows. %s",
		in.slo.Flow, pct(ratio(r.ShortCounts)), dur(r.Short), burn(r.ShortBurn), num(in.slo.Objective),
		exhaustion(in.remaining(), window, r.ShortBurn))
	m.Summary = strings.TrimSpace(m.Summary)
	if kind == KindRepeat {
		m.Lead = fmt.Sprintf("Still firing after %s.", dur(in.t.LastVerdict.At.Sub(in.t.StartedAt)))
	}
	m.Fields = append(m.Fields, Field{Label: "Bad events", Value: fmt.Sprintf("%s of %s in the last %s; %s of %s in the last %s",
		count(r.ShortCounts.Bad()), count(r.ShortCounts.Total), dur(r.Short),
		count(r.LongCounts.Bad()), count(r.LongCounts.Total), dur(r.Long))})
	m.Fields = append(m.Fields, Field{Label: "Error budget left", Value: budgetText(in.remaining(), in.slo.Window)})
	if in.detail != nil && in.detail.TopSlice != nil {
		s := in.detail.TopSlice
		m.TopSlice = s
		m.Fields = append(m.Fields, Field{Label: "Most responsible", Code: s.Key + "=" + sliceValue(s.Value), Value: pct(s.Share) + " of bad events"})
	}
	if in.detail != nil && len(in.detail.TraceIDs) > 0 {
		m.Examples = in.detail.TraceIDs[:min(3, len(in.detail.TraceIDs))]
	}
	if r.ShortCounts.Total < lowTraffic {
		m.LowTraffic = true
		m.Notes = append(m.Notes, fmt.Sprintf("Low traffic: only %s events in the last %s, so each failure moves these numbers a lot.",
			count(r.ShortCounts.Total), dur(r.Short)))
	}
	m.Notes = append(m.Notes, fmt.Sprintf("Firing since %s · %s · objective %s%% over %s",
		in.clock(in.t.StartedAt), in.sev, num(in.slo.Objective), in.slo.Window))
	return m
}

func resolvedMessage(in msgInput) *Message {
	m := in.base(KindResolved)
	lasted := dur(in.t.ResolvedAt.Sub(in.t.StartedAt))
	m.Title = "RESOLVED · " + in.slo.Name
	m.Summary = fmt.Sprintf("(flow %s): the %s that started %s ended %s, after %s.",
		in.slo.Flow, in.sev, in.clock(in.t.StartedAt), in.clock(in.t.ResolvedAt), lasted)
	m.Fields = append(m.Fields, Field{Label: "Error budget left", Value: budgetText(in.remaining(), in.slo.Window)})
	m.Reply = fmt.Sprintf("Resolved at %s after %s. Burn rate now %s; error budget left %s.",
		in.clock(in.t.ResolvedAt), lasted, oneLine(in.t.LastVerdict), budgetText(in.remaining(), in.slo.Window))
	return m
}

func (in msgInput) base(kind Kind) *Message {
	v := in.t.LastVerdict
	m := &Message{Kind: kind, Severity: in.sev, SLO: in.slo.Name, Flow: in.slo.Flow, Service: in.slo.Service,
		Objective: in.slo.Objective, Window: in.slo.Window.String(), StartedAt: in.t.StartedAt, ResolvedAt: in.t.ResolvedAt,
		BudgetLeft: in.remaining()}
	for _, r := range v.Results {
		b := Burn{Long: r.Long, Short: r.Short, LongBurn: r.LongBurn, ShortBurn: r.ShortBurn, Factor: r.Factor,
			LongEvents: r.LongCounts.Total, ShortEvents: r.ShortCounts.Total, Met: r.Met}
		if r.TooFewBad {
			b.Why = r.Why()
		}
		m.Burn = append(m.Burn, b)
	}
	if in.baseURL != "" {
		base := strings.TrimSuffix(in.baseURL, "/")
		m.Links = append(m.Links, Link{Kind: "slo", Label: "Open " + in.slo.Name + " in flowslo", URL: base + "/slos/" + url.PathEscape(in.slo.Name)},
			Link{Kind: "dashboard", Label: "Flows dashboard", URL: base + "/"})
	}
	if in.slo.Alerting.Runbook != "" {
		m.Links = append(m.Links, Link{Kind: "runbook", Label: "Runbook", URL: in.slo.Alerting.Runbook})
	}
	return m
}

func (in msgInput) clock(t time.Time) string {
	loc := in.location
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("15:04 MST")
}

func oneLine(v Verdict) string {
	r, ok := lead(v)
	if !ok {
		return "unknown"
	}
	return fmt.Sprintf("%s over %s, %s over %s", rateOf(r.ShortCounts, r.ShortBurn), dur(r.Short), rateOf(r.LongCounts, r.LongBurn), dur(r.Long))
}

func rateOf(c Counts, b float64) string { return rateOfN(c.Total, b) }

func rateOfN(events uint64, b float64) string {
	if events == 0 {
		return "no events"
	}
	return burn(b)
}

func exhaustion(remaining *float64, window time.Duration, rate float64) string {
	if rate <= 0 {
		return ""
	}
	if remaining == nil {
		return fmt.Sprintf("At this rate a full %s budget lasts %s.", dur(window), dur(time.Duration(float64(window)/rate)))
	}
	if *remaining <= 0 {
		return "The error budget is already spent."
	}
	return fmt.Sprintf("At this rate the error budget (%s left) is gone in %s.", pct(*remaining), dur(time.Duration(*remaining*float64(window)/rate)))
}

func budgetText(remaining *float64, w slo.Window) string {
	if remaining == nil {
		return "unknown"
	}
	if *remaining < 0 {
		return fmt.Sprintf("none: overspent by %s of the %s budget", pct(-*remaining), w)
	}
	return fmt.Sprintf("%s of the %s budget", pct(*remaining), w)
}

func ratio(c Counts) float64 {
	if c.Total == 0 {
		return 0
	}
	return float64(c.Bad()) / float64(c.Total)
}

// burn writes a burn rate: 14.4×, 1000×.
func burn(f float64) string {
	if f >= 100 {
		return fmt.Sprintf("%.0f×", f)
	}
	return fmt.Sprintf("%.1f×", f)
}

// pct writes a fraction as a percent with sensible precision.
func pct(f float64) string {
	p := f * 100
	switch {
	case p == 0 || math.Abs(p) >= 10:
		return fmt.Sprintf("%.0f%%", p)
	case math.Abs(p) >= 1:
		return fmt.Sprintf("%.1f%%", p)
	}
	return fmt.Sprintf("%.2g%%", p)
}

func num(f float64) string { return fmt.Sprintf("%g", f) }

// count writes 12345 as 12,345.
func count(n uint64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// dur writes a duration the way people say it: 45s, 42m, 17h, 3d 4h.
func dur(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		if m := int(d.Minutes()) % 60; m != 0 && d < 10*time.Hour {
			return fmt.Sprintf("%dh %dm", int(d.Hours()), m)
		}
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	days, hours := int(d.Hours())/24, int(d.Hours())%24
	if hours == 0 || days >= 10 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd %dh", days, hours)
}

// sliceValue is how a slice value reads in a message: the events whose
// attribute is missing share the empty value, which would read as nothing.
func sliceValue(v string) string {
	if v == "" {
		return "(not set)"
	}
	return v
}
