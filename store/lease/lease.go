package lease

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/flowslo/flowslo/store"
)

// Querier is what the lease needs from the store; store.Store satisfies it.
type Querier interface {
	Exec(ctx context.Context, query string, params store.Params) error
	Query(ctx context.Context, query string, params store.Params) (store.Rows, error)
}

// Options tune a Lease; zero durations take their defaults.
type Options struct {
	// Name is the lease's name: one leader per name; default "flowslo".
	Name string
	// Holder names this candidate; it must differ between processes
	// (hostname, pid and a random part, see NewHolder).
	Holder string
	// Duration is how long a claim or renewal holds on ClickHouse's
	// clock; default 15 s. A dead leader is replaced within Duration plus
	// Retry.
	Duration time.Duration
	// Renew is how often the holder renews; default Duration / 3.
	Renew time.Duration
	// Margin is how long before the lease could expire the holder stops
	// leading when it cannot renew (fencing); default Duration / 3.
	Margin time.Duration
	// Retry is how often a candidate looks whether the lease is free;
	// default 2 s.
	Retry time.Duration
	// Replicated: the table is Replicated (storage.cluster). Claims then
	// wait for a quorum and reads are sequentially consistent.
	Replicated bool
	Logger     *slog.Logger
}

var validName = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

func (o Options) withDefaults() (Options, error) {
	if o.Name == "" {
		o.Name = "flowslo"
	}
	if !validName.MatchString(o.Name) {
		return o, fmt.Errorf("lease name %q: use 1 to 64 of a-z, 0-9, '_' and '-'", o.Name)
	}
	if o.Holder == "" {
		return o, errors.New("lease: Holder is required (see NewHolder)")
	}
	if o.Duration <= 0 {
		o.Duration = 15 * time.Second
	}
	if o.Renew <= 0 {
		o.Renew = o.Duration / 3
	}
	if o.Margin <= 0 {
		o.Margin = o.Duration / 3
	}
	if o.Retry <= 0 {
		o.Retry = 2 * time.Second
	}
	if o.Renew+o.Margin >= o.Duration {
		return o, fmt.Errorf("lease: renew (%s) plus margin (%s) must be shorter than the duration (%s)", o.Renew, o.Margin, o.Duration)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}

// ErrLost says the lease is no longer this holder's: another epoch began,
// or a renewal came back after the holder's deadline.
var ErrLost = errors.New("lease lost")

// Lease is one candidate for the lease Options.Name.
type Lease struct {
	q Querier
	o Options
}

// New returns a candidate; it claims nothing until TryAcquire or Run.
func New(q Querier, o Options) (*Lease, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Lease{q: q, o: o}, nil
}

// Holder is this candidate's name.
func (l *Lease) Holder() string { return l.o.Holder }

// State is the lease as ClickHouse holds it.
type State struct {
	Epoch   uint64 // 0: never claimed
	Holder  string
	Expires time.Time // on ClickHouse's clock
	Now     time.Time // ClickHouse's clock when it was read
}

// Expired says nobody holds the lease: anyone may claim the next epoch.
func (s State) Expired() bool { return s.Holder == "" || !s.Now.Before(s.Expires) }

// Term is one epoch this candidate won.
type Term struct {
	Epoch uint64
	// Deadline is when the holder must have stopped leading unless a
	// renewal moves it: Margin before the lease can expire, on the local
	// monotonic clock.
	Deadline time.Time
	seq      uint64
}

// Read returns the current epoch, its holder and its expiry. The holder of
// an epoch is the one whose claim was stored; should deduplication ever
// fail and two claims land, the first stored wins for every reader alike.
func (l *Lease) Read(ctx context.Context) (State, error) {
	rows, err := l.q.Query(ctx, `SELECT epoch, holder, min(seq), toInt64(toUnixTimestamp64Milli(min(written_at))),
	toInt64(toUnixTimestamp64Milli(argMax(expires_at, seq))), toInt64(toUnixTimestamp64Milli(now64(3)))
FROM flowslo_lease
WHERE name = {name:String} AND epoch = (SELECT max(epoch) FROM flowslo_lease WHERE name = {name:String})
GROUP BY epoch, holder`+l.readSettings(), store.Params{"name": l.o.Name})
	if err != nil {
		return State{}, fmt.Errorf("read lease: %w", err)
	}
	defer rows.Close()
	var st State
	var first claimOrder
	for rows.Next() {
		var epoch, seq uint64
		var holder string
		var written, expires, now int64
		if err := rows.Scan(&epoch, &holder, &seq, &written, &expires, &now); err != nil {
			return State{}, fmt.Errorf("read lease: %w", err)
		}
		c := claimOrder{seq, written, holder}
		if st.Holder == "" || c.before(first) {
			st, first = State{Epoch: epoch, Holder: holder, Expires: time.UnixMilli(expires).UTC(), Now: time.UnixMilli(now).UTC()}, c
		}
	}
	return st, rows.Err()
}

// claimOrder ranks an epoch's holders: the first row stored wins (the
// holder's name breaks a tie), the same for every reader.
type claimOrder struct {
	seq     uint64
	written int64
	holder  string
}

func (c claimOrder) before(o claimOrder) bool {
	if c.seq != o.seq {
		return c.seq < o.seq
	}
	if c.written != o.written {
		return c.written < o.written
	}
	return c.holder < o.holder
}

func (l *Lease) readSettings() string {
	if l.o.Replicated {
		return "\nSETTINGS select_sequential_consistency = 1"
	}
	return ""
}

// TryAcquire claims the next epoch if the lease is free and returns the
// term when this candidate's claim is the one stored; nil when the lease
// is held or another candidate won the race.
func (l *Lease) TryAcquire(ctx context.Context) (*Term, error) {
	st, err := l.Read(ctx)
	if err != nil || !st.Expired() {
		return nil, err
	}
	t := &Term{Epoch: st.Epoch + 1}
	sent := time.Now()
	if err := l.write(ctx, t.Epoch, 0, l.o.Duration, fmt.Sprintf("%s-%d", l.o.Name, t.Epoch)); err != nil {
		return nil, fmt.Errorf("claim epoch %d: %w", t.Epoch, err)
	}
	if err := l.check(ctx, t.Epoch); err != nil {
		if errors.Is(err, ErrLost) {
			return nil, nil
		}
		return nil, err
	}
	t.Deadline = sent.Add(l.o.Duration - l.o.Margin)
	return t, nil
}

// check reads back whose row holds epoch: ErrLost unless it is ours.
func (l *Lease) check(ctx context.Context, epoch uint64) error {
	st, err := l.Read(ctx)
	if err != nil {
		return err
	}
	if st.Epoch != epoch || st.Holder != l.o.Holder {
		return fmt.Errorf("epoch %d is %s's, not %s's (now at epoch %d): %w", epoch, st.Holder, l.o.Holder, st.Epoch, ErrLost)
	}
	return nil
}

// Renew extends t by Duration from now (ClickHouse's clock). It counts
// only if it returns before t's deadline and the epoch is still t's; else
// ErrLost, and the caller must already have stopped leading.
func (l *Lease) Renew(ctx context.Context, t *Term) error {
	sent := time.Now()
	if !sent.Before(t.Deadline) {
		return fmt.Errorf("renew epoch %d after its deadline: %w", t.Epoch, ErrLost)
	}
	seq := t.seq + 1
	if err := l.write(ctx, t.Epoch, seq, l.o.Duration, fmt.Sprintf("%s-%d-%s-%d", l.o.Name, t.Epoch, l.o.Holder, seq)); err != nil {
		return fmt.Errorf("renew epoch %d: %w", t.Epoch, err)
	}
	if err := l.check(ctx, t.Epoch); err != nil {
		return err
	}
	if !time.Now().Before(t.Deadline) {
		return fmt.Errorf("renewal of epoch %d came back after its deadline: %w", t.Epoch, ErrLost)
	}
	t.seq, t.Deadline = seq, sent.Add(l.o.Duration-l.o.Margin)
	return nil
}

// Release ends t at once (a graceful stop), so the next candidate need not
// wait for it to expire. Stop leading before calling it.
func (l *Lease) Release(ctx context.Context, t *Term) error {
	seq := t.seq + 1
	if err := l.write(ctx, t.Epoch, seq, 0, fmt.Sprintf("%s-%d-%s-%d", l.o.Name, t.Epoch, l.o.Holder, seq)); err != nil {
		return fmt.Errorf("release epoch %d: %w", t.Epoch, err)
	}
	t.seq, t.Deadline = seq, time.Time{}
	return nil
}

// write stores one row of epoch, expiring d from now on ClickHouse's
// clock, deduplicated by token: of several writes with one token only the
// first is stored. The token is built from the validated name, numbers and
// the holder, so it is quoted, never taken from outside.
func (l *Lease) write(ctx context.Context, epoch, seq uint64, d time.Duration, token string) error {
	settings := "insert_deduplicate = 1, insert_deduplication_token = " + quote(token)
	if l.o.Replicated {
		settings += ", insert_quorum = 'auto', insert_quorum_parallel = 0"
	}
	return l.q.Exec(ctx, `INSERT INTO flowslo_lease (name, epoch, holder, seq, expires_at)
SETTINGS `+settings+`
SELECT {name:String}, {epoch:UInt64}, {holder:String}, {seq:UInt64}, now64(3) + toIntervalMillisecond({ms:Int64})`,
		store.Params{"name": l.o.Name, "epoch": fmt.Sprint(epoch), "holder": l.o.Holder, "seq": fmt.Sprint(seq), "ms": fmt.Sprint(d.Milliseconds())})
}

func quote(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' || s[i] == '\\' {
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}
