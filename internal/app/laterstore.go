package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/flowslo/flowslo/store"
)

// laterStore is a collector's ClickHouse server store, opened (connected
// and migrated) in the background so that the collector listens at once:
// its persistent queue acknowledges what clients send while ClickHouse is
// not there yet. Until the store is open, every call answers a retryable
// "ClickHouse not reachable yet: <last error>", which the queue's
// consumers retry without end; once open, calls go to it.
//
// It also remembers since when ClickHouse fails (opening, pings,
// inserts), so /readyz can say so while the queue takes requests.
type laterStore struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when the background open ends

	mu    sync.Mutex
	st    store.Store // nil until open
	since time.Time   // first failure since the last success; zero: none
	last  error
}

var _ store.TokenInserter = (*laterStore)(nil)

// openLater starts opening the store with open, with the start-up
// backoff (firstRetry doubling to maxRetry), until it succeeds or Close.
// Errors that waiting alone does not cure (a password, a server version,
// a failing migration) are retried too, and logged as errors: they show
// only once ClickHouse answers, when the collector has acknowledged data,
// and the queue keeps that data until someone fixes ClickHouse.
func openLater(log *slog.Logger, what string, open func(context.Context) (store.Store, error)) *laterStore {
	ctx, cancel := context.WithCancel(context.Background())
	s := &laterStore{cancel: cancel, done: make(chan struct{}), since: time.Now(), last: errors.New("not connected yet")}
	go s.run(ctx, log, what, open)
	return s
}

func (s *laterStore) run(ctx context.Context, log *slog.Logger, what string, open func(context.Context) (store.Store, error)) {
	defer close(s.done)
	for attempt, delay := 1, firstRetry; ; attempt, delay = attempt+1, min(2*delay, maxRetry) {
		actx, cancel := context.WithTimeout(ctx, openTimeout)
		st, err := open(actx)
		cancel()
		if err == nil {
			s.mu.Lock()
			s.st, s.since, s.last = st, time.Time{}, nil
			s.mu.Unlock()
			log.Info("ClickHouse open: storing what the queue holds", "server", what, "attempt", attempt)
			return
		}
		if ctx.Err() != nil {
			return // closing
		}
		s.observe(err)
		level, msg := slog.LevelWarn, "waiting for ClickHouse; the queue keeps what is acknowledged"
		if !unreachable(err) {
			level, msg = slog.LevelError, "ClickHouse refuses the collector, and waiting alone will not fix it; the queue keeps what is acknowledged"
		}
		log.Log(ctx, level, msg, "server", what, "attempt", attempt, "retry_in", delay, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}

// open is the store once opened, or the retryable error that says why
// it is not.
func (s *laterStore) open() (store.Store, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st == nil {
		return nil, fmt.Errorf("ClickHouse not reachable yet: %w", s.last)
	}
	return s.st, nil
}

// observe records the outcome of a call that reaches ClickHouse. Bad
// data is the rows' fault, not ClickHouse's.
func (s *laterStore) observe(err error) {
	if err != nil && store.KindOf(err) == store.BadData {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err == nil:
		s.since, s.last = time.Time{}, nil
	case s.since.IsZero():
		s.since, s.last = time.Now(), err
	default:
		s.last = err
	}
}

// outage says since when ClickHouse fails and the last error, or nil.
func (s *laterStore) outage() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		return nil
	}
	how := "failing"
	switch {
	case store.KindOf(s.last) == store.StorageFull:
		how = "failing (storage full)"
	case unreachable(s.last):
		how = "unreachable"
	}
	return fmt.Errorf("ClickHouse %s since %s: %w", how, s.since.UTC().Format(time.RFC3339), s.last)
}

func (s *laterStore) Exec(ctx context.Context, query string, params store.Params) error {
	st, err := s.open()
	if err != nil {
		return err
	}
	return st.Exec(ctx, query, params)
}

func (s *laterStore) Query(ctx context.Context, query string, params store.Params) (store.Rows, error) {
	st, err := s.open()
	if err != nil {
		return nil, err
	}
	return st.Query(ctx, query, params)
}

func (s *laterStore) InsertSpans(ctx context.Context, spans []store.Span) error {
	return s.call(func(st store.Store) error { return st.InsertSpans(ctx, spans) })
}

func (s *laterStore) InsertLogs(ctx context.Context, logs []store.LogRecord) error {
	return s.call(func(st store.Store) error { return st.InsertLogs(ctx, logs) })
}

func (s *laterStore) InsertSpansOnce(ctx context.Context, token string, spans []store.Span) error {
	return s.call(func(st store.Store) error { return tokens(st).InsertSpansOnce(ctx, token, spans) })
}

func (s *laterStore) InsertLogsOnce(ctx context.Context, token string, logs []store.LogRecord) error {
	return s.call(func(st store.Store) error { return tokens(st).InsertLogsOnce(ctx, token, logs) })
}

func (s *laterStore) Ping(ctx context.Context) error {
	return s.call(func(st store.Store) error { return st.Ping(ctx) })
}

// call runs f on the open store and records how it went.
func (s *laterStore) call(f func(store.Store) error) error {
	st, err := s.open()
	if err != nil {
		return err
	}
	err = f(st)
	s.observe(err)
	return err
}

// tokens is st's deduplicating inserts: every store flowslo opens on a
// server takes tokens (chserver.Store, and chdb.Store in tests).
func tokens(st store.Store) store.TokenInserter { return st.(store.TokenInserter) }

// Close stops opening, and closes the store if it was opened.
func (s *laterStore) Close() error {
	s.cancel()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st == nil {
		return nil
	}
	return s.st.Close()
}
