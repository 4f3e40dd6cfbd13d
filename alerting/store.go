package alerting

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/flowslo/flowslo/store"
)

// Store is what alerting needs from ClickHouse; store.Store satisfies it.
// The tables are alerting's own (Migrations).
type Store interface {
	Exec(ctx context.Context, query string, params store.Params) error
	Query(ctx context.Context, query string, params store.Params) (store.Rows, error)
}

// alertRow is alerting_alerts' row of one alert.
type alertRow struct {
	id, slo, flow, service, channel, summary string
	sev                                      Severity
	state                                    State
	started, resolved                        time.Time
	hold                                     time.Duration
	notified, resolveNotified, failed        time.Time
	silenced                                 bool
}

var version atomic.Int64

// nextVersion orders rewrites of a row even within one microsecond.
func nextVersion() string {
	return fmt.Sprint(nextVersionInt())
}

func nextVersionInt() int64 {
	now := time.Now().UnixMicro()
	for {
		v := version.Load()
		if now <= v {
			now = v + 1
		}
		if version.CompareAndSwap(v, now) {
			return now
		}
	}
}

func ms(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return fmt.Sprint(t.UnixMilli())
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func b2s(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func saveAlert(ctx context.Context, s Store, r alertRow) error {
	err := s.Exec(ctx, `INSERT INTO alerting_alerts (id, slo, flow, service, severity, state, started_at, resolved_at,
	hold_ms, channel, channel_id, message_ts, notified_at, resolve_notified_at, failed_at, silenced, summary, updated_at)
SELECT {id:String}, {slo:String}, {flow:String}, {service:String}, {sev:String}, {state:String},
	fromUnixTimestamp64Milli({started:Int64}, 'UTC'), fromUnixTimestamp64Milli({resolved:Int64}, 'UTC'),
	{hold:Int64}, {channel:String}, {channel_id:String}, {ts:String},
	fromUnixTimestamp64Milli({notified:Int64}, 'UTC'), fromUnixTimestamp64Milli({resolve_notified:Int64}, 'UTC'),
	fromUnixTimestamp64Milli({failed:Int64}, 'UTC'), {silenced:UInt8}, {summary:String},
	fromUnixTimestamp64Micro({v:Int64}, 'UTC')`, store.Params{
		"id": r.id, "slo": r.slo, "flow": r.flow, "service": r.service, "sev": string(r.sev), "state": string(r.state),
		"started": ms(r.started), "resolved": ms(r.resolved), "hold": fmt.Sprint(r.hold.Milliseconds()),
		"channel": r.channel, "channel_id": "", "ts": "",
		"notified": ms(r.notified), "resolve_notified": ms(r.resolveNotified), "failed": ms(r.failed),
		"silenced": b2s(r.silenced), "summary": r.summary, "v": nextVersion(),
	})
	if err != nil {
		return fmt.Errorf("save alert %s: %w", r.id, err)
	}
	return nil
}

const alertColumns = `id, slo, flow, service, severity, state, toUnixTimestamp64Milli(started_at),
	toUnixTimestamp64Milli(resolved_at), hold_ms, channel, channel_id, message_ts,
	toUnixTimestamp64Milli(notified_at), toUnixTimestamp64Milli(resolve_notified_at),
	toUnixTimestamp64Milli(failed_at), silenced, summary`

// openAlerts: what a restarted manager must carry on with: firing alerts,
// and resolved ones whose resolve message has not gone out.
const openAlerts = `state = 'firing' OR (state = 'resolved' AND notified_at > failed_at
	AND toUnixTimestamp64Milli(notified_at) > 0 AND toUnixTimestamp64Milli(resolve_notified_at) = 0)`

func loadAlerts(ctx context.Context, s Store, where string, params store.Params) ([]alertRow, error) {
	rows, err := s.Query(ctx, "SELECT "+alertColumns+" FROM alerting_alerts FINAL WHERE "+where+
		" ORDER BY started_at DESC LIMIT 500", params)
	if err != nil {
		return nil, fmt.Errorf("load alerts: %w", err)
	}
	defer rows.Close()
	var out []alertRow
	for rows.Next() {
		var r alertRow
		var sev, state string
		var started, resolved, hold, notified, resolveNotified, failed int64
		var silenced uint8
		var channelID, ts string // Slack's, before receivers: unused
		if err := rows.Scan(&r.id, &r.slo, &r.flow, &r.service, &sev, &state, &started, &resolved, &hold,
			&r.channel, &channelID, &ts, &notified, &resolveNotified, &failed, &silenced, &r.summary); err != nil {
			return nil, fmt.Errorf("load alerts: %w", err)
		}
		r.sev, r.state, r.silenced = Severity(sev), State(state), silenced == 1
		r.started, r.resolved, r.hold = fromMS(started), fromMS(resolved), time.Duration(hold)*time.Millisecond
		r.notified, r.resolveNotified, r.failed = fromMS(notified), fromMS(resolveNotified), fromMS(failed)
		out = append(out, r)
	}
	return out, rows.Err()
}

// NotificationRecord is one entry of the notification log.
type NotificationRecord struct {
	At       time.Time `json:"at"`
	AlertID  string    `json:"alert_id"`
	SLO      string    `json:"slo"`
	Severity Severity  `json:"severity"`
	Kind     Kind      `json:"kind"`
	Reason   string    `json:"reason"`
	Receiver string    `json:"receiver,omitempty"`
	Channel  string    `json:"channel,omitempty"` // the receiver's target
	// Status is sent, silenced, failed (permanent), undeliverable (too
	// late), skipped, or error (a try failed; tried again).
	Status    string `json:"status"`
	Error     string `json:"error,omitempty"`
	MessageTS string `json:"message_ts,omitempty"`
	Text      string `json:"text,omitempty"`
}

func logNotification(ctx context.Context, s Store, n NotificationRecord) error {
	err := s.Exec(ctx, `INSERT INTO alerting_notifications (at, alert_id, slo, severity, kind, receiver, reason, channel,
	status, error, message_ts, text)
SELECT fromUnixTimestamp64Milli({at:Int64}, 'UTC'), {alert:String}, {slo:String}, {sev:String}, {kind:String},
	{receiver:String}, {reason:String}, {channel:String}, {status:String}, {error:String}, {ts:String}, {text:String}`, store.Params{
		"at": ms(n.At), "alert": n.AlertID, "slo": n.SLO, "sev": string(n.Severity), "kind": string(n.Kind), "receiver": n.Receiver,
		"reason": n.Reason, "channel": n.Channel, "status": n.Status, "error": n.Error, "ts": n.MessageTS, "text": n.Text,
	})
	if err != nil {
		return fmt.Errorf("log notification for %s: %w", n.AlertID, err)
	}
	return nil
}

func loadNotifications(ctx context.Context, s Store, where string, params store.Params) ([]NotificationRecord, error) {
	rows, err := s.Query(ctx, `SELECT toUnixTimestamp64Milli(at), alert_id, slo, severity, kind, receiver, reason, channel,
	status, error, message_ts, text FROM alerting_notifications WHERE `+where+` ORDER BY at DESC, alert_id LIMIT 1000`, params)
	if err != nil {
		return nil, fmt.Errorf("load notifications: %w", err)
	}
	defer rows.Close()
	var out []NotificationRecord
	for rows.Next() {
		var n NotificationRecord
		var at int64
		var sev, kind string
		if err := rows.Scan(&at, &n.AlertID, &n.SLO, &sev, &kind, &n.Receiver, &n.Reason, &n.Channel, &n.Status, &n.Error, &n.MessageTS, &n.Text); err != nil {
			return nil, fmt.Errorf("load notifications: %w", err)
		}
		n.At, n.Severity, n.Kind = fromMS(at), Severity(sev), Kind(kind)
		out = append(out, n)
	}
	return out, rows.Err()
}
