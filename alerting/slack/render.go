package slack

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/flowslo/flowslo/alerting"
)

func icon(m *alerting.Message) string {
	switch {
	case m.Kind == alerting.KindResolved:
		return ":white_check_mark:"
	case m.Severity == alerting.Ticket:
		return ":warning:"
	}
	return ":rotating_light:"
}

// headline is the first line in mrkdwn: icon, *title*, summary.
func headline(m *alerting.Message) string {
	h := icon(m) + " *" + m.Title + "* " + m.Summary
	if m.Lead != "" {
		h = ":repeat: " + m.Lead + " " + h
	}
	return h
}

// fallback is the plain text notifications and screen readers show.
func fallback(m *alerting.Message) string { return icon(m) + " " + m.Headline() }

func burnField(m *alerting.Message) string {
	lines := make([]string, 0, len(m.Burn))
	for _, b := range m.Burn {
		mark := ""
		if b.Met {
			mark = " :red_circle:"
		} else if b.Why != "" {
			mark = " (" + b.Why + ")"
		}
		lines = append(lines, b.Line()+mark)
	}
	return strings.Join(lines, "\n")
}

func fields(m *alerting.Message) []*slack.TextBlockObject {
	var out []*slack.TextBlockObject
	add := func(label, value string) {
		out = append(out, slack.NewTextBlockObject(slack.MarkdownType, "*"+label+"*\n"+value, false, false))
	}
	if len(m.Burn) > 0 {
		label := "Burn rate"
		if m.Kind == alerting.KindResolved {
			label = "Burn rate now"
		}
		add(label, burnField(m))
	}
	for _, f := range m.Fields {
		v := f.Value
		if f.Code != "" {
			v = "`" + f.Code + "`: " + v
		}
		add(f.Label, v)
	}
	if len(m.Examples) > 0 {
		add("Example traces", "`"+strings.Join(m.Examples, "` `")+"`")
	}
	return out
}

// Blocks renders m as Block Kit: the headline, the fields, the small print
// and buttons to the SLO page and the runbook. late adds a line saying the
// message could not be sent when it was due.
func Blocks(m *alerting.Message, late string) []slack.Block {
	blocks := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, headline(m), false, false), nil, nil)}
	fs := fields(m)
	for i := 0; i < len(fs); i += 10 { // Slack takes at most 10 fields a section
		blocks = append(blocks, slack.NewSectionBlock(nil, fs[i:min(i+10, len(fs))], nil))
	}
	notes := m.Notes
	if m.LowTraffic && len(notes) > 0 {
		notes = append([]string{":information_source: " + notes[0]}, notes[1:]...)
	}
	if late != "" {
		notes = append(notes, ":hourglass: "+late)
	}
	if len(notes) > 0 {
		var els []slack.MixedElement
		for _, n := range notes {
			els = append(els, slack.NewTextBlockObject(slack.MarkdownType, n, false, false))
		}
		blocks = append(blocks, slack.NewContextBlock("", els...))
	}
	if b := buttons(m); len(b) > 0 {
		blocks = append(blocks, slack.NewActionBlock("", b...))
	}
	return blocks
}

func buttons(m *alerting.Message) []slack.BlockElement {
	var out []slack.BlockElement
	for _, l := range m.Links {
		if l.Kind != "slo" && l.Kind != "runbook" {
			continue
		}
		btn := slack.NewButtonBlockElement("open_"+l.Kind, m.SLO, slack.NewTextBlockObject(slack.PlainTextType, l.Label, false, false))
		btn.URL = l.URL
		out = append(out, btn)
	}
	return out
}

// lateNote says a message goes out after Slack was unreachable.
func lateNote(d *alerting.Delivery) string {
	if !d.Late {
		return ""
	}
	if d.Message.Kind == alerting.KindResolved {
		return fmt.Sprintf("It resolved while Slack was unreachable; this update is late (due %s UTC).", d.DueAt.UTC().Format("15:04"))
	}
	return fmt.Sprintf("Sent late: Slack was unreachable when this was due at %s UTC.", d.DueAt.UTC().Format("15:04"))
}
