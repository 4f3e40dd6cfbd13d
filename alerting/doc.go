// Package alerting turns SLO burn rates into alerts on-call can trust.
//
// It owns the multiwindow multi-burn-rate rules of the SRE Workbook (scaled
// to each SLO's window, overridable per SLO), the alert state machine
// (inactive → firing → resolved), silences, and the notification pipeline
// (dedup → silence → record-after-success → retry → per-channel rate limit →
// send). Alert state, silences and the log of notifications live in
// ClickHouse, so a restart neither loses an alert nor pages twice.
//
// alerting is a domain package: it declares what it needs (CountsFunc,
// ContextFunc, Store, Notifier) and imports no adapter. alerting/slack is the
// Slack adapter (slack-go).
package alerting
