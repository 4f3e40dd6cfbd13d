package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/flowslo/flowslo/alerting"
)

// Receiver implements alerting.Notifier for Slack.
type Receiver struct {
	client  *slack.Client // bot token mode
	webhook string        // webhook mode
	http    *http.Client

	mu  sync.Mutex
	ids map[string]string // channel name → ID, for history look-ups
}

// eventType marks flowslo's messages in Slack message metadata.
const eventType = "flowslo_notification"

// New builds the receiver c describes; nil (and no error) when c has
// neither a token (token, token_file or FLOWSLO_SLACK_TOKEN) nor a webhook.
func New(c Config, getenv func(string) string) (*Receiver, error) {
	token, err := c.ResolveToken(getenv)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Timeout: 15 * time.Second}
	switch {
	case c.WebhookURL != "":
		return &Receiver{webhook: c.WebhookURL, http: hc}, nil
	case token == "":
		return nil, nil
	}
	opts := []slack.Option{slack.OptionHTTPClient(hc)}
	if c.APIURL != "" {
		opts = append(opts, slack.OptionAPIURL(strings.TrimSuffix(c.APIURL, "/")+"/"))
	}
	return &Receiver{client: slack.New(token, opts...), ids: map[string]string{}}, nil
}

// ref is a message in a channel, as alerting.Ref "CHANNELID/TS".
type ref struct{ channel, ts string }

func parseRef(r alerting.Ref) ref {
	ch, ts, _ := strings.Cut(string(r), "/")
	return ref{ch, ts}
}

func (r ref) String() string { return r.channel + "/" + r.ts }

// Notify delivers d (see alerting.Notifier): a firing message is posted, a
// repeat replies in its thread, a resolve updates it and replies.
func (r *Receiver) Notify(ctx context.Context, d *alerting.Delivery) (alerting.Ref, error) {
	if r.webhook != "" {
		return "", r.postWebhook(ctx, d)
	}
	at := parseRef(d.Ref)
	switch {
	case d.Message.Kind == alerting.KindResolved && at.ts != "":
		return d.Ref, r.resolve(ctx, d, at)
	case d.Message.Kind == alerting.KindRepeat && at.ts != "":
		_, err := r.reply(ctx, d, at, slack.MsgOptionBlocks(Blocks(d.Message, lateNote(d))...), slack.MsgOptionText(fallback(d.Message), false))
		return d.Ref, err
	}
	got, err := r.post(ctx, d)
	return alerting.Ref(got.String()), err
}

func (r *Receiver) postWebhook(ctx context.Context, d *alerting.Delivery) error {
	err := slack.PostWebhookCustomHTTPContext(ctx, r.webhook, r.http, &slack.WebhookMessage{
		Text: fallback(d.Message), Blocks: &slack.Blocks{BlockSet: Blocks(d.Message, lateNote(d))}})
	return classify(err)
}

func metadata(d *alerting.Delivery) slack.MsgOption {
	return slack.MsgOptionMetadata(slack.SlackMetadata{EventType: eventType,
		EventPayload: map[string]any{"id": d.ID, "alert_id": d.Message.AlertID, "kind": string(d.Message.Kind)}})
}

// post sends a new top-level message, after looking for it when an
// earlier try may have posted it.
func (r *Receiver) post(ctx context.Context, d *alerting.Delivery) (ref, error) {
	if d.MaybeSent {
		if found, err := r.findInChannel(ctx, d); lookedUp(err) || found.ts != "" {
			return found, err
		}
	}
	ch, ts, err := r.client.PostMessageContext(ctx, d.Target, slack.MsgOptionText(fallback(d.Message), false),
		slack.MsgOptionBlocks(Blocks(d.Message, lateNote(d))...), metadata(d))
	if err != nil {
		return ref{}, classify(err)
	}
	r.learn(d.Target, ch)
	return ref{ch, ts}, nil
}

// reply posts into at's thread, after looking for the reply when an
// earlier try may have posted it.
func (r *Receiver) reply(ctx context.Context, d *alerting.Delivery, at ref, opts ...slack.MsgOption) (ref, error) {
	if d.MaybeSent {
		if found, err := r.findInThread(ctx, d, at); lookedUp(err) || found.ts != "" {
			return found, err
		}
	}
	opts = append(opts, slack.MsgOptionTS(at.ts), metadata(d))
	ch, ts, err := r.client.PostMessageContext(ctx, at.channel, opts...)
	if err != nil {
		return ref{}, classify(err)
	}
	return ref{ch, ts}, nil
}

// resolve rewrites the firing message and says so in its thread. When the
// message can no longer be edited (deleted, or past the workspace's edit
// window) the whole resolved message goes into the thread instead.
func (r *Receiver) resolve(ctx context.Context, d *alerting.Delivery, at ref) error {
	m := d.Message
	_, _, _, err := r.client.UpdateMessageContext(ctx, at.channel, at.ts,
		slack.MsgOptionText(fallback(m), false), slack.MsgOptionBlocks(Blocks(m, "")...))
	text := ":white_check_mark: " + m.Reply
	if note := lateNote(d); note != "" {
		text += " " + note
	}
	opts := []slack.MsgOption{slack.MsgOptionText(text, false)}
	switch {
	case isSlackError(err, "message_not_found", "cant_update_message", "edit_window_closed"):
		opts = append(opts, slack.MsgOptionBlocks(Blocks(m, lateNote(d))...))
	case err != nil:
		return classify(err)
	}
	_, err = r.reply(ctx, d, at, opts...)
	return err
}

// lookBack is how far before a notification was due its message is
// searched for: clocks differ, and Slack's ts is Slack's clock.
const lookBack = 5 * time.Minute

func (r *Receiver) findInChannel(ctx context.Context, d *alerting.Delivery) (ref, error) {
	id, err := r.channelID(ctx, d.Target)
	if err != nil || id == "" {
		return ref{}, err
	}
	res, err := r.client.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
		ChannelID: id, Oldest: slackTS(d.DueAt.Add(-lookBack)), Limit: 200, IncludeAllMetadata: true})
	if err != nil {
		return ref{}, fmt.Errorf("look for an earlier try: %w", classify(err))
	}
	return find(res.Messages, id, d.ID), nil
}

func (r *Receiver) findInThread(ctx context.Context, d *alerting.Delivery, at ref) (ref, error) {
	msgs, _, _, err := r.client.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
		ChannelID: at.channel, Timestamp: at.ts, Limit: 200, IncludeAllMetadata: true})
	if err != nil {
		return ref{}, fmt.Errorf("look for an earlier try: %w", classify(err))
	}
	return find(msgs, at.channel, d.ID), nil
}

// lookedUp: a look-up error to stop at. A permanent one (the token lacks
// channels:history) never goes away, and never sending is worse than a
// rare repeat: the message is posted.
func lookedUp(err error) bool { return err != nil && !alerting.IsPermanent(err) }

func find(msgs []slack.Message, channel, id string) ref {
	for _, m := range msgs {
		if m.Metadata.EventType == eventType && m.Metadata.EventPayload["id"] == id {
			return ref{channel, m.Timestamp}
		}
	}
	return ref{}
}

func slackTS(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) + ".000000" }

var channelIDPattern = regexp.MustCompile(`^[CGD][A-Z0-9]{6,}$`)

// channelID is the ID of a channel given by name (#oncall) or ID: learned
// from earlier posts, else from conversations.list. "" when there is none.
func (r *Receiver) channelID(ctx context.Context, target string) (string, error) {
	if channelIDPattern.MatchString(target) {
		return target, nil
	}
	name := strings.TrimPrefix(target, "#")
	r.mu.Lock()
	id := r.ids[name]
	r.mu.Unlock()
	if id != "" {
		return id, nil
	}
	params := &slack.GetConversationsParameters{Limit: 1000, ExcludeArchived: true, Types: []string{"public_channel", "private_channel"}}
	for {
		chans, next, err := r.client.GetConversationsContext(ctx, params)
		if err != nil {
			return "", fmt.Errorf("find channel %s: %w", target, classify(err))
		}
		for _, c := range chans {
			r.learn(c.Name, c.ID)
		}
		r.mu.Lock()
		id = r.ids[name]
		r.mu.Unlock()
		if id != "" || next == "" {
			return id, nil
		}
		params.Cursor = next
	}
}

func (r *Receiver) learn(target, id string) {
	if id == "" || channelIDPattern.MatchString(target) {
		return
	}
	r.mu.Lock()
	r.ids[strings.TrimPrefix(target, "#")] = id
	r.mu.Unlock()
}

// permanent are Slack errors that will not go away by retrying.
var permanent = map[string]bool{
	"invalid_auth": true, "not_authed": true, "account_inactive": true, "token_revoked": true, "token_expired": true,
	"channel_not_found": true, "not_in_channel": true, "is_archived": true, "missing_scope": true,
	"no_permission": true, "restricted_action": true, "invalid_blocks": true, "invalid_blocks_format": true,
	"msg_too_long": true, "no_text": true, "ekm_access_denied": true, "team_access_not_granted": true,
	"org_login_required": true, "access_denied": true, "invalid_arguments": true, "invalid_metadata_format": true,
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
	if errors.As(err, &se) {
		if permanent[se.Err] {
			return alerting.Permanent(err)
		}
		return alerting.Refused(fmt.Errorf("slack: %w", err))
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
		return alerting.Refused(fmt.Errorf("slack: %w", err))
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
