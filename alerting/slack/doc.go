// Package slack is the Slack receiver of alerting, with slack-go: a bot
// token (chat.postMessage with Block Kit, chat.update on resolve, thread
// replies) or an incoming webhook (one channel, every message new). It
// renders alerting's structured messages as Block Kit and maps Slack's
// errors to alerting's: 429 → Throttled with Retry-After, invalid_auth,
// channel_not_found and the like → Permanent, 5xx and Slack error codes →
// Refused, anything else (a timeout) leaves the message maybe sent.
//
// Every message carries its delivery ID in Slack message metadata. When a
// try may have reached Slack (a timeout after the send, a crash before the
// outcome was recorded), the next one searches the channel's recent
// history, or the thread, for that ID before posting again.
package slack
