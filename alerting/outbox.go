package alerting

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/flowslo/flowslo/store"
)

// DeliveryState is where a notification is on its way to one receiver.
type DeliveryState string

const (
	Due           DeliveryState = "due"           // recorded, not yet sent (or a try failed)
	Sending       DeliveryState = "sending"       // a try is under way
	Delivered     DeliveryState = "delivered"     // the receiver confirmed
	Failed        DeliveryState = "failed"        // refused for good (bad token, unknown channel …)
	Undeliverable DeliveryState = "undeliverable" // not delivered within undeliverable_after
	Skipped       DeliveryState = "skipped"       // a resolve of a page the receiver never got
)

// done reports whether s is final: nothing more is sent for the row.
func (s DeliveryState) done() bool { return s != Due && s != Sending }

// outboxRow is one notification to one receiver and target.
type outboxRow struct {
	id, alertID, slo string
	sev              Severity
	kind             Kind
	seq              int
	receiver, target string
	state            DeliveryState
	attempts         int
	maybeSent        bool
	err              string
	ref              Ref
	created          time.Time
	delivered        time.Time
	msg              *Message
}

// outboxID names a notification per receiver and target, the same on every
// retry and after a restart.
func outboxID(alertID string, kind Kind, seq int, r Route) string {
	k := string(kind)
	if kind == KindRepeat {
		k = fmt.Sprintf("repeat-%d", seq)
	}
	return alertID + "/" + k + "/" + r.Receiver + "/" + r.Target
}

// seq orders an alert's notifications: the firing one, repeats, the resolve.
const resolveSeq = 1 << 30

func quote(s string) string { return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'" }

func strArray(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ",") + "]"
}

func intArray(ns []int64) string {
	q := make([]string, len(ns))
	for i, n := range ns {
		q[i] = fmt.Sprint(n)
	}
	return "[" + strings.Join(q, ",") + "]"
}

// saveOutbox writes rows in one INSERT (one part): the routes of one
// notification are recorded together or not at all.
func saveOutbox(ctx context.Context, s Store, rows ...outboxRow) error {
	if len(rows) == 0 {
		return nil
	}
	var c outboxColumns
	for _, r := range rows {
		if err := c.add(r); err != nil {
			return err
		}
	}
	err := s.Exec(ctx, `INSERT INTO alerting_outbox (id, alert_id, slo, severity, kind, seq, receiver, target, state,
	attempts, maybe_sent, error, ref, created_at, delivered_at, message, updated_at)
SELECT ids[i], alerts[i], slos[i], sevs[i], kinds[i], toUInt32(seqs[i]), receivers[i], targets[i], states[i],
	toUInt32(attempts[i]), toUInt8(maybe[i]), errors[i], refs[i], fromUnixTimestamp64Milli(created[i], 'UTC'),
	fromUnixTimestamp64Milli(delivered[i], 'UTC'), messages[i], fromUnixTimestamp64Micro(versions[i], 'UTC')
FROM (SELECT {ids:Array(String)} AS ids, {alerts:Array(String)} AS alerts, {slos:Array(String)} AS slos,
	{sevs:Array(String)} AS sevs, {kinds:Array(String)} AS kinds, {seqs:Array(Int64)} AS seqs,
	{receivers:Array(String)} AS receivers, {targets:Array(String)} AS targets, {states:Array(String)} AS states,
	{attempts:Array(Int64)} AS attempts, {maybe:Array(Int64)} AS maybe, {errors:Array(String)} AS errors,
	{refs:Array(String)} AS refs, {created:Array(Int64)} AS created, {delivered:Array(Int64)} AS delivered,
	{messages:Array(String)} AS messages, {versions:Array(Int64)} AS versions,
	arrayJoin(range(1, length(ids) + 1)) AS i)`, c.params())
	if err != nil {
		return fmt.Errorf("save outbox: %w", err)
	}
	return nil
}

// outboxColumns gathers rows column by column for saveOutbox.
type outboxColumns struct {
	ids, alerts, slos, sevs, kinds, receivers, targets, states, errors, refs, messages []string
	seqs, attempts, maybe, created, delivered, versions                                []int64
}

func (c *outboxColumns) add(r outboxRow) error {
	msg, err := json.Marshal(r.msg)
	if err != nil {
		return fmt.Errorf("encode message: %w", err)
	}
	c.ids, c.alerts, c.slos = append(c.ids, r.id), append(c.alerts, r.alertID), append(c.slos, r.slo)
	c.sevs, c.kinds = append(c.sevs, string(r.sev)), append(c.kinds, string(r.kind))
	c.receivers, c.targets = append(c.receivers, r.receiver), append(c.targets, r.target)
	c.states, c.errors, c.refs = append(c.states, string(r.state)), append(c.errors, r.err), append(c.refs, string(r.ref))
	c.messages = append(c.messages, string(msg))
	c.seqs, c.attempts = append(c.seqs, int64(r.seq)), append(c.attempts, int64(r.attempts))
	c.maybe = append(c.maybe, int64(btoi(r.maybeSent)))
	c.created, c.delivered = append(c.created, milli(r.created)), append(c.delivered, milli(r.delivered))
	c.versions = append(c.versions, nextVersionInt())
	return nil
}

func (c *outboxColumns) params() store.Params {
	return store.Params{
		"ids": strArray(c.ids), "alerts": strArray(c.alerts), "slos": strArray(c.slos), "sevs": strArray(c.sevs),
		"kinds": strArray(c.kinds), "seqs": intArray(c.seqs), "receivers": strArray(c.receivers),
		"targets": strArray(c.targets), "states": strArray(c.states), "attempts": intArray(c.attempts),
		"maybe": intArray(c.maybe), "errors": strArray(c.errors), "refs": strArray(c.refs),
		"created": intArray(c.created), "delivered": intArray(c.delivered), "messages": strArray(c.messages),
		"versions": intArray(c.versions),
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func milli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

const outboxColumnsSQL = `id, alert_id, slo, severity, kind, seq, receiver, target, state, attempts, maybe_sent, error, ref,
	toUnixTimestamp64Milli(created_at), toUnixTimestamp64Milli(delivered_at), message`

// loadOutbox reads rows matching where, oldest first in each alert.
func loadOutbox(ctx context.Context, s Store, where string, params store.Params) ([]outboxRow, error) {
	rows, err := s.Query(ctx, "SELECT "+outboxColumnsSQL+" FROM alerting_outbox FINAL WHERE "+where+
		" ORDER BY alert_id, seq, receiver, target LIMIT 10000", params)
	if err != nil {
		return nil, fmt.Errorf("load outbox: %w", err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		r, err := scanOutbox(rows)
		if err != nil {
			return nil, fmt.Errorf("load outbox: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func scanOutbox(rows store.Rows) (outboxRow, error) {
	var r outboxRow
	var sev, kind, state, ref, msg string
	var seq, attempts uint32
	var maybe uint8
	var created, delivered int64
	if err := rows.Scan(&r.id, &r.alertID, &r.slo, &sev, &kind, &seq, &r.receiver, &r.target, &state, &attempts,
		&maybe, &r.err, &ref, &created, &delivered, &msg); err != nil {
		return r, err
	}
	r.sev, r.kind, r.state, r.ref = Severity(sev), Kind(kind), DeliveryState(state), Ref(ref)
	r.seq, r.attempts, r.maybeSent = int(seq), int(attempts), maybe == 1
	r.created, r.delivered = fromMS(created), fromMS(delivered)
	r.msg = &Message{}
	if err := json.Unmarshal([]byte(msg), r.msg); err != nil {
		return r, fmt.Errorf("message of %s: %w", r.id, err)
	}
	return r, nil
}
