// Package slack sends alerting messages to Slack with slack-go: a bot token
// (chat.postMessage with Block Kit, chat.update on resolve, thread replies)
// or an incoming webhook (one channel, every message new). It maps Slack's
// errors to alerting's: 429 → Throttled with Retry-After, invalid_auth,
// channel_not_found and the like → Permanent.
package slack
