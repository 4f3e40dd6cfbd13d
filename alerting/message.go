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

// Message is one notification, rendered by the notifier (Block Kit for
// Slack). Texts use Slack mrkdwn.
type Message struct {
	Kind     Kind     `json:"kind"`
	Channel  string   `json:"channel"`
	Ref      Ref      `json:"ref"` // the firing message, for repeats and resolves
	Severity Severity `json:"severity"`
	SLO      string   `json:"slo"`
	Flow     string   `json:"flow"`
	// Headline is the first line: what is burning and how fast.
	Headline string  `json:"headline"`
	Fields   []Field `json:"fields,omitempty"`
	// Notes are small print: low traffic, since when.
	Notes    []string `json:"notes,omitempty"`
	TraceIDs []string `json:"trace_ids,omitempty"`
	Link     string   `json:"link,omitempty"` // the SLO's page
	// Reply is the short thread reply that goes with a resolve.
	Reply string `json:"reply,omitempty"`
}

// Field is one labelled value.
type Field struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Text is the message as plain lines, for notification previews and logs.
func (m *Message) Text() string {
	var b strings.Builder
	b.WriteString(m.Headline)
	for _, f := range m.Fields {
		fmt.Fprintf(&b, "\n%s: %s", f.Label, f.Value)
	}
	return b.String()
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
	channel  string
	ref      Ref
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
	failing := ratio(r.ShortCounts)
	icon, tier := ":rotating_light:", "PAGE"
	if in.sev == Ticket {
		icon, tier = ":warning:", "TICKET"
	}
	m.Headline = fmt.Sprintf("%s *%s · %s* (flow %s) is failing %s of requests over the last %s: %s the rate its %s%% objective allows. %s",
		icon, tier, in.slo.Name, in.slo.Flow, pct(failing), dur(r.Short), burn(r.ShortBurn),
		num(in.slo.Objective), exhaustion(in.remaining(), window, r.ShortBurn))
	if kind == KindRepeat {
		m.Headline = fmt.Sprintf(":repeat: Still firing after %s. ", dur(in.t.LastVerdict.At.Sub(in.t.StartedAt))) + m.Headline
	}
	m.Fields = append(m.Fields, Field{"Burn rate", burnLines(in.t.LastVerdict)})
	m.Fields = append(m.Fields, Field{"Bad events", fmt.Sprintf("%s of %s in the last %s; %s of %s in the last %s",
		count(r.ShortCounts.Bad()), count(r.ShortCounts.Total), dur(r.Short),
		count(r.LongCounts.Bad()), count(r.LongCounts.Total), dur(r.Long))})
	m.Fields = append(m.Fields, Field{"Error budget left", budgetText(in.remaining(), in.slo.Window)})
	if in.detail != nil && in.detail.TopSlice != nil {
		s := in.detail.TopSlice
		m.Fields = append(m.Fields, Field{"Most responsible", fmt.Sprintf("`%s=%s`: %s of bad events", s.Key, s.Value, pct(s.Share))})
	}
	if in.detail != nil && len(in.detail.TraceIDs) > 0 {
		m.TraceIDs = in.detail.TraceIDs[:min(3, len(in.detail.TraceIDs))]
		m.Fields = append(m.Fields, Field{"Example traces", "`" + strings.Join(m.TraceIDs, "` `") + "`"})
	}
	if r.ShortCounts.Total < lowTraffic {
		m.Notes = append(m.Notes, fmt.Sprintf(":information_source: Low traffic: only %s events in the last %s, so each failure moves these numbers a lot.",
			count(r.ShortCounts.Total), dur(r.Short)))
	}
	m.Notes = append(m.Notes, fmt.Sprintf("Firing since %s · %s · objective %s%% over %s",
		in.clock(in.t.StartedAt), in.sev, num(in.slo.Objective), in.slo.Window))
	return m
}

func resolvedMessage(in msgInput) *Message {
	m := in.base(KindResolved)
	lasted := dur(in.t.ResolvedAt.Sub(in.t.StartedAt))
	m.Headline = fmt.Sprintf(":white_check_mark: *RESOLVED · %s* (flow %s): the %s that started %s ended %s, after %s.",
		in.slo.Name, in.slo.Flow, in.sev, in.clock(in.t.StartedAt), in.clock(in.t.ResolvedAt), lasted)
	m.Fields = append(m.Fields, Field{"Burn rate now", burnLines(in.t.LastVerdict)})
	m.Fields = append(m.Fields, Field{"Error budget left", budgetText(in.remaining(), in.slo.Window)})
	m.Reply = fmt.Sprintf(":white_check_mark: Resolved at %s after %s. Burn rate now %s; error budget left %s.",
		in.clock(in.t.ResolvedAt), lasted, oneLine(in.t.LastVerdict), budgetText(in.remaining(), in.slo.Window))
	return m
}

func (in msgInput) base(kind Kind) *Message {
	m := &Message{Kind: kind, Channel: in.channel, Ref: in.ref, Severity: in.sev, SLO: in.slo.Name, Flow: in.slo.Flow}
	if in.baseURL != "" {
		m.Link = strings.TrimSuffix(in.baseURL, "/") + "/slos/" + url.PathEscape(in.slo.Name)
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

// burnLines lists each rule's burn rates against its threshold.
func burnLines(v Verdict) string {
	lines := make([]string, 0, len(v.Results))
	for _, r := range v.Results {
		mark := ""
		if r.Met {
			mark = " :red_circle:"
		} else if r.TooFewBad {
			mark = " (" + r.Why() + ")"
		}
		lines = append(lines, fmt.Sprintf("%s: %s · %s: %s (alerts at %s)%s",
			dur(r.Long), rateOf(r.LongCounts, r.LongBurn), dur(r.Short), rateOf(r.ShortCounts, r.ShortBurn), burn(r.Factor), mark))
	}
	return strings.Join(lines, "\n")
}

func oneLine(v Verdict) string {
	r, ok := lead(v)
	if !ok {
		return "unknown"
	}
	return fmt.Sprintf("%s over %s, %s over %s", rateOf(r.ShortCounts, r.ShortBurn), dur(r.Short), rateOf(r.LongCounts, r.LongBurn), dur(r.Long))
}

func rateOf(c Counts, b float64) string {
	if c.Total == 0 {
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
