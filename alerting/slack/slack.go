package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/flowslo/flowslo/alerting"
)

// Notifier implements alerting.Notifier.
type Notifier struct {
	client  *slack.Client // bot token mode
	webhook string        // webhook mode
	http    *http.Client
}

// New builds the notifier c describes; nil (and no error) when c has neither
// a token (token, token_file or FLOWSLO_SLACK_TOKEN) nor a webhook.
func New(c alerting.SlackConfig, getenv func(string) string) (*Notifier, error) {
	token, err := c.ResolveToken(getenv)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Timeout: 15 * time.Second}
	switch {
	case c.WebhookURL != "":
		return &Notifier{webhook: c.WebhookURL, http: hc}, nil
	case token == "":
		return nil, nil
	}
	opts := []slack.Option{slack.OptionHTTPClient(hc)}
	if c.APIURL != "" {
		opts = append(opts, slack.OptionAPIURL(strings.TrimSuffix(c.APIURL, "/")+"/"))
	}
	return &Notifier{client: slack.New(token, opts...)}, nil
}

// Notify sends m (see alerting.Notifier).
func (n *Notifier) Notify(ctx context.Context, m *alerting.Message) (alerting.Ref, error) {
	if n.webhook != "" {
		err := slack.PostWebhookCustomHTTPContext(ctx, n.webhook, n.http, &slack.WebhookMessage{
			Text: fallback(m), Blocks: &slack.Blocks{BlockSet: Blocks(m)}})
		return alerting.Ref{}, classify(err)
	}
	switch {
	case m.Kind == alerting.KindResolved && m.Ref.TS != "":
		return n.resolve(ctx, m)
	case m.Kind == alerting.KindRepeat && m.Ref.TS != "":
		return n.post(ctx, m.Ref.ChannelID, m, slack.MsgOptionTS(m.Ref.TS))
	}
	return n.post(ctx, m.Channel, m)
}

func (n *Notifier) post(ctx context.Context, channel string, m *alerting.Message, extra ...slack.MsgOption) (alerting.Ref, error) {
	opts := append([]slack.MsgOption{slack.MsgOptionText(fallback(m), false), slack.MsgOptionBlocks(Blocks(m)...)}, extra...)
	ch, ts, err := n.client.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return alerting.Ref{}, classify(err)
	}
	return alerting.Ref{ChannelID: ch, TS: ts}, nil
}

// resolve rewrites the firing message and says so in its thread.
func (n *Notifier) resolve(ctx context.Context, m *alerting.Message) (alerting.Ref, error) {
	_, _, _, err := n.client.UpdateMessageContext(ctx, m.Ref.ChannelID, m.Ref.TS,
		slack.MsgOptionText(fallback(m), false), slack.MsgOptionBlocks(Blocks(m)...))
	if err != nil && !isSlackError(err, "message_not_found", "cant_update_message", "edit_window_closed") {
		return alerting.Ref{}, classify(err)
	}
	_, _, err = n.client.PostMessageContext(ctx, m.Ref.ChannelID, slack.MsgOptionText(m.Reply, false), slack.MsgOptionTS(m.Ref.TS))
	return m.Ref, classify(err)
}

// permanent are Slack errors that will not go away by retrying.
var permanent = map[string]bool{
	"invalid_auth": true, "not_authed": true, "account_inactive": true, "token_revoked": true, "token_expired": true,
	"channel_not_found": true, "not_in_channel": true, "is_archived": true, "missing_scope": true,
	"no_permission": true, "restricted_action": true, "invalid_blocks": true, "invalid_blocks_format": true,
	"msg_too_long": true, "no_text": true, "ekm_access_denied": true, "team_access_not_granted": true,
	"org_login_required": true, "access_denied": true, "invalid_arguments": true,
	// webhook answers
	"no_service": true, "no_service_id": true, "no_team": true, "team_disabled": true, "channel_is_archived": true,
	"action_prohibited": true, "posting_to_general_channel_denied": true, "invalid_payload": true,
}

// classify maps slack-go errors to alerting's retry classes.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return alerting.Throttled(err, max(rl.RetryAfter, time.Second))
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && permanent[se.Err] {
		return alerting.Permanent(err)
	}
	if permanent[err.Error()] {
		return alerting.Permanent(err)
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		switch {
		case sc.Code == http.StatusTooManyRequests:
			return alerting.Throttled(err, time.Second)
		case sc.Code == http.StatusNotFound || sc.Code == http.StatusForbidden || sc.Code == http.StatusGone ||
			sc.Code == http.StatusUnauthorized || sc.Code == http.StatusBadRequest:
			return alerting.Permanent(err)
		}
	}
	return fmt.Errorf("slack: %w", err)
}

func isSlackError(err error, codes ...string) bool {
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		return false
	}
	for _, c := range codes {
		if se.Err == c {
			return true
		}
	}
	return false
}

// fallback is the plain text notifications and screen readers show.
func fallback(m *alerting.Message) string {
	return strings.NewReplacer("*", "", "`", "").Replace(m.Headline)
}

// Blocks renders m as Block Kit: the headline, the fields, the small print
// and a button to the SLO page.
func Blocks(m *alerting.Message) []slack.Block {
	blocks := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, m.Headline, false, false), nil, nil)}
	var fields []*slack.TextBlockObject
	for _, f := range m.Fields {
		fields = append(fields, slack.NewTextBlockObject(slack.MarkdownType, "*"+f.Label+"*\n"+f.Value, false, false))
	}
	for i := 0; i < len(fields); i += 10 { // Slack takes at most 10 fields a section
		blocks = append(blocks, slack.NewSectionBlock(nil, fields[i:min(i+10, len(fields))], nil))
	}
	if len(m.Notes) > 0 {
		var els []slack.MixedElement
		for _, n := range m.Notes {
			els = append(els, slack.NewTextBlockObject(slack.MarkdownType, n, false, false))
		}
		blocks = append(blocks, slack.NewContextBlock("", els...))
	}
	if m.Link != "" {
		btn := slack.NewButtonBlockElement("open_slo", m.SLO, slack.NewTextBlockObject(slack.PlainTextType, "Open "+m.SLO+" in flowslo", false, false))
		btn.URL = m.Link
		blocks = append(blocks, slack.NewActionBlock("", btn))
	}
	return blocks
}
