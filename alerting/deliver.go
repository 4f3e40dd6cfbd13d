package alerting

import (
	"context"
	"fmt"
	"time"
)

// laneKey is one alert's notifications to one receiver target: they go out
// one at a time, in order (firing, repeats, resolve).
type laneKey struct{ alert, receiver, target string }

// lane is what the manager holds of a laneKey.
type lane struct {
	items []*outboxRow // due, oldest first
	// busy is the mark that a delivery of the lane is under way: without
	// it the next evaluation would start the same delivery again while a
	// try waits out a 429.
	busy bool
	// ref is what the receiver returned for the lane's first delivered
	// notification; delivered says one firing or repeat got through.
	ref       Ref
	delivered bool
	msg       *Message // the last firing or repeat delivered, for Refresh
}

// laneOf returns r's lane, creating it; m.mu is held.
func (m *Manager) laneOf(r outboxRow) *lane {
	k := laneKey{r.alertID, r.receiver, r.target}
	l := m.lanes[k]
	if l == nil {
		l = &lane{}
		m.lanes[k] = l
	}
	return l
}

// settle takes in a row that reached its end.
func (l *lane) settle(r *outboxRow) {
	if r.state != Delivered || r.kind == KindResolved {
		return
	}
	if l.ref == "" {
		l.ref = r.ref
	}
	l.delivered, l.msg = true, r.msg
}

// dispatch starts a delivery for every lane with something due and none
// under way, and forgets lanes whose alert is over.
func (m *Manager) dispatch() {
	m.mu.Lock()
	defer m.mu.Unlock()
	open := map[string]bool{}
	for _, e := range m.alerts {
		open[e.id] = true
	}
	for k, l := range m.lanes {
		switch {
		case l.busy:
		case len(l.items) > 0:
			l.busy = true
			m.inflight.Add(1)
			go m.runLane(l)
		case !open[k.alert]:
			delete(m.lanes, k)
		}
	}
}

// runLane delivers the lane's rows in order until it is empty or a row
// must wait for a later try.
func (m *Manager) runLane(l *lane) {
	defer m.inflight.Done()
	for {
		m.mu.Lock()
		if len(l.items) == 0 || m.base.Err() != nil {
			l.busy = false
			m.mu.Unlock()
			return
		}
		r := *l.items[0]
		d := m.deliveryOf(l, r)
		m.mu.Unlock()
		r, recorded := m.deliver(r, d)
		m.mu.Lock()
		*l.items[0] = r
		if !r.state.done() || !recorded {
			l.busy = false
			m.mu.Unlock()
			return
		}
		l.settle(&r)
		l.items = l.items[1:]
		m.mu.Unlock()
	}
}

// deliveryOf is what the receiver gets for r; m.mu is held.
func (m *Manager) deliveryOf(l *lane, r outboxRow) *Delivery {
	now := m.o.Clock()
	return &Delivery{ID: r.id, Receiver: r.receiver, Target: r.target, Ref: l.ref, MaybeSent: r.maybeSent,
		DueAt: r.created, Late: now.Sub(r.created) > lateAfter(m.o.Config), Message: r.msg, laneDelivered: l.delivered}
}

// lateAfter is how long after its due time a notification says it is late:
// a few evaluations, so a retried 5xx is not "late".
func lateAfter(c Config) time.Duration { return max(time.Minute, 4*c.EvaluationInterval) }

// deliver takes r one step: it sends it, or decides it cannot be sent,
// and records the outcome. recorded is false when the outcome could not be
// written; the lane then keeps r and writes it at the next dispatch.
func (m *Manager) deliver(r outboxRow, d *Delivery) (outboxRow, bool) {
	if r.state.done() { // delivered before, only the record is missing
		return r, m.save(r) == nil
	}
	now := m.o.Clock()
	switch {
	case now.Sub(r.created) > m.o.Config.UndeliverableAfter:
		r.state, r.err = Undeliverable, fmt.Sprintf("not delivered within %s of being due: not sent this late", m.o.Config.UndeliverableAfter)
		return r, m.finish(r, now)
	case r.kind == KindResolved && !d.laneDelivered:
		r.state, r.err = Skipped, "no page or ticket of this alert reached the receiver: nothing to resolve"
		return r, m.finish(r, now)
	case m.o.Receivers[r.receiver] == nil:
		r.state, r.err = Failed, fmt.Sprintf("receiver %q is not configured: add it to alerting.receivers of the service config", r.receiver)
		return r, m.finish(r, now)
	}
	r.state, r.attempts = Sending, r.attempts+1
	if err := m.save(r); err != nil { // without the mark a crash could send it twice
		r.state, r.attempts = Due, r.attempts-1
		return r, true
	}
	ctx, cancel := context.WithTimeout(m.base, m.o.SendTimeout)
	ref, err := m.send(ctx, d)
	cancel()
	return m.outcome(r, d, ref, err)
}

func (m *Manager) outcome(r outboxRow, d *Delivery, ref Ref, err error) (outboxRow, bool) {
	now := m.o.Clock()
	first := r.err == ""
	r.maybeSent = d.MaybeSent
	switch {
	case err == nil:
		r.state, r.err, r.ref, r.delivered, r.maybeSent = Delivered, "", ref, now, false
	case IsPermanent(err):
		r.state, r.err = Failed, err.Error()
	default:
		r.state, r.err = Due, err.Error()
		if m.base.Err() == nil {
			m.o.Logger.Warn("alerting: delivery failed, trying again", "id", r.id, "tries", r.attempts, "err", err)
		}
		if !first {
			return r, m.save(r) == nil // one log entry per row's first error
		}
	}
	if r.state == Delivered && m.save(r) != nil {
		m.o.Logger.Error("alerting: delivered but not recorded; recorded at the next try", "id", r.id)
		return r, false
	}
	return r, m.finish(r, now)
}

// finish records r and its entry in the notification log.
func (m *Manager) finish(r outboxRow, now time.Time) bool {
	ok := m.save(r) == nil
	if r.state == Failed || r.state == Undeliverable {
		m.o.Logger.Error("alerting: notification not delivered", "id", r.id, "state", r.state, "err", r.err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := logNotification(ctx, m.o.Store, r.record(now)); err != nil {
		m.o.Logger.Error("alerting: notification log", "err", err)
	}
	return ok
}

func (m *Manager) save(r outboxRow) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := saveOutbox(ctx, m.o.Store, r)
	if err != nil {
		m.o.Logger.Error("alerting: outbox", "id", r.id, "err", err)
	}
	return err
}

// record is r as an entry of the notification log.
func (r outboxRow) record(at time.Time) NotificationRecord {
	status := map[DeliveryState]string{Delivered: "sent", Due: "error"}[r.state]
	if status == "" {
		status = string(r.state)
	}
	n := NotificationRecord{At: at, AlertID: r.alertID, SLO: r.slo, Severity: r.sev, Kind: r.kind, Reason: reasonOf(r.kind).String(),
		Receiver: r.receiver, Channel: r.target, Status: status, Error: r.err, MessageTS: string(r.ref)}
	if r.msg != nil {
		n.Text = r.msg.Text()
	}
	return n
}

func reasonOf(k Kind) Reason {
	switch k {
	case KindRepeat:
		return RepeatIntervalElapsed
	case KindResolved:
		return ResolvedNotification
	}
	return FirstNotification
}

// refresh hands every Refresher the firing alerts routed to it whose
// firing notification it got.
func (m *Manager) refresh(ctx context.Context) {
	byReceiver := map[string][]*Delivery{}
	m.mu.Lock()
	firing := map[string]bool{}
	for _, e := range m.alerts {
		firing[e.id] = e.t.State == Firing
	}
	for k, l := range m.lanes {
		if firing[k.alert] && l.delivered && l.msg != nil {
			byReceiver[k.receiver] = append(byReceiver[k.receiver], &Delivery{ID: k.alert + "/refresh/" + k.receiver + "/" + k.target,
				Receiver: k.receiver, Target: k.target, Ref: l.ref, Message: l.msg})
		}
	}
	m.mu.Unlock()
	for name, ds := range byReceiver {
		if r, ok := m.o.Receivers[name].(Refresher); ok {
			r.Refresh(ctx, ds)
		}
	}
}
