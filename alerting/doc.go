// Package alerting turns SLO burn rates into alerts on-call can trust.
//
// It owns the multiwindow multi-burn-rate rules of the SRE Workbook (scaled
// to each SLO's window, overridable per SLO), the alert state machine
// (inactive → firing → resolved), silences, and delivery: dedup decides
// that an alert needs a notification, the notification is recorded as due
// in an outbox (ClickHouse) for every receiver the SLO routes to, and each
// (alert, receiver, target) lane delivers its notifications one at a time,
// in order: retry → per-target rate limit → send, the outcome recorded
// after the receiver answered. A try under way is marked "sending" first,
// so a restart or a timeout hands the receiver the same delivery marked
// MaybeSent, and the receiver looks before sending again. Nothing is lost
// while a receiver is down, nothing older than undeliverable_after is sent
// late, and alerting owns its tables (Migrations).
//
// alerting is a domain package: it declares what it needs (CountsFunc,
// DetailFunc, Store, Notifier) and imports no adapter. Its messages are
// structured data; each receiver renders them: alerting/slack (slack-go),
// alerting/alertmanager (prometheus/notifier), alerting/pagerduty (Events
// v2), alerting/webhook (signed JSON). alerting/promrules writes the same
// rules for a Prometheus.
package alerting
