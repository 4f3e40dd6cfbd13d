package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/flowslo/flowslo/alerting"
	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb"
	"github.com/flowslo/flowslo/store/chserver"
	"github.com/flowslo/flowslo/store/lease"
)

// openStores opens the store, migrated, and the one the UI reads from:
// the embedded engine for both, or a ClickHouse server (waited for) with
// an optional separate reader. A collector on a server waits for nothing:
// its store opens in the background (openLater) while its queue takes
// requests.
func openStores(ctx context.Context, opts Options, cfg Config, log *slog.Logger, state func(string)) (store.Store, store.Store, error) {
	if opts.ClickHouseDSN == "" && opts.openServer == nil {
		st, err := openEmbedded(ctx, opts, cfg, schemaOf(opts.Role))
		return st, st, err
	}
	pw, err := secret(opts.ClickHousePasswordFile, "FLOWSLO_CLICKHOUSE_PASSWORD", opts.Getenv)
	if err != nil {
		return nil, nil, err
	}
	open, err := serverOpener(opts, cfg, log, pw)
	if err != nil {
		return nil, nil, err
	}
	what := "ClickHouse at " + dsnHosts(opts.ClickHouseDSN)
	if opts.Role == RoleCollector {
		// It reads nothing: no reader connection.
		st := openLater(log, what, open)
		return st, st, nil
	}
	main, err := waitFor(ctx, log, state, what, open)
	if err != nil {
		return nil, nil, err
	}
	reads, err := openReader(ctx, opts, log, state, pw)
	if err != nil {
		_ = main.Close()
		return nil, nil, err
	}
	return main, reads, nil
}

// serverOpener opens and migrates the ClickHouse server's store, once
// the DSN and options passed the checks waiting cannot fix.
func serverOpener(opts Options, cfg Config, log *slog.Logger, pw string) (func(context.Context) (store.Store, error), error) {
	if opts.openServer != nil {
		return opts.openServer, nil
	}
	warnPasswordInDSN(log, "--clickhouse-dsn", opts.ClickHouseDSN)
	co := chserver.Options{
		TTLDays: cfg.Storage.RetentionDays(), TracesTTLDays: cfg.Storage.SignalRetentionDays("traces"),
		LogsTTLDays: cfg.Storage.SignalRetentionDays("logs"), Cluster: cfg.Storage.Cluster, Password: pw, Schema: schemaOf(opts.Role)}
	if err := chserver.Check(opts.ClickHouseDSN, co); err != nil {
		return nil, err
	}
	return func(ctx context.Context) (store.Store, error) { return chserver.Open(ctx, opts.ClickHouseDSN, co) }, nil
}

func openEmbedded(ctx context.Context, opts Options, cfg Config, schema []store.Migration) (store.Store, error) {
	if opts.ClickHouseReadDSN != "" {
		return nil, errors.New("--clickhouse-read-dsn needs --clickhouse-dsn: the embedded engine has no separate reader")
	}
	if cfg.Storage.Cluster != "" {
		return nil, errors.New("storage.cluster needs a ClickHouse server: pass --clickhouse-dsn, or remove cluster from the config")
	}
	return chdb.Open(ctx, chdb.Options{
		DataDir:  opts.DataDir,
		Database: opts.Database,
		TTLDays:  cfg.Storage.RetentionDays(),
		Schema:   schema,
		// Each signal's own retention, when set.
		TracesTTLDays:  cfg.Storage.SignalRetentionDays("traces"),
		LogsTTLDays:    cfg.Storage.SignalRetentionDays("logs"),
		MaxMemoryBytes: embeddedMemoryCap,
	})
}

// embeddedMemoryCap bounds the embedded ClickHouse's memory. Ingest already
// refuses new requests while the whole process (Go heap and the engine)
// holds 1 GiB; this is the backstop behind it, twice that, so a query that
// runs away (a huge page range, a slice by user id) fails with ClickHouse's
// memory error instead of taking the host.
const embeddedMemoryCap = 2 << 30

// Schema is every domain's migrations, in the order they are applied
// after the core tables': each domain owns its DDL next to its queries.
func Schema() []store.Migration {
	return slices.Concat(engine.Migrations(), alerting.Migrations(), lease.Migrations())
}

// schemaOf is the domain schema a role migrates: none for a collector,
// which writes only the core tables. Many collectors starting at once
// then never race over the domains' steps; the servers own those.
func schemaOf(r Role) []store.Migration {
	if r == RoleCollector {
		return nil
	}
	return Schema()
}

// openReader opens the UI's read connection: on --clickhouse-read-dsn, or
// on the main DSN, either way with max_execution_time set, so a heavy page
// is stopped on the server.
func openReader(ctx context.Context, opts Options, log *slog.Logger, state func(string), mainPassword string) (store.Store, error) {
	dsn, pw := opts.ClickHouseReadDSN, mainPassword
	if dsn == "" {
		dsn = opts.ClickHouseDSN
	} else {
		var err error
		if pw, err = secret(opts.ClickHouseReadPasswordFile, "FLOWSLO_CLICKHOUSE_READ_PASSWORD", opts.Getenv); err != nil {
			return nil, err
		}
		warnPasswordInDSN(log, "--clickhouse-read-dsn", dsn)
	}
	return waitFor(ctx, log, state, "the ClickHouse reader at "+dsnHosts(dsn), func(ctx context.Context) (store.Store, error) {
		return chserver.Open(ctx, dsn, chserver.Options{Reader: true, Password: pw, MaxExecutionTime: opts.ReadTimeout})
	})
}

// secret is the content of file, else the environment variable env.
func secret(file, env string, getenv func(string) string) (string, error) {
	if file == "" {
		return getenv(env), nil
	}
	data, err := readLimited(file, 4096)
	if err != nil {
		return "", fmt.Errorf("read password file: %w", err)
	}
	return strings.TrimRight(string(data), "\r\n"), nil
}

func warnPasswordInDSN(log *slog.Logger, flag, dsn string) {
	if co, err := clickhouse.ParseDSN(dsn); err == nil && co.Auth.Password != "" {
		log.Warn("the ClickHouse password in "+flag+" is visible to every user of this machine (ps): use --clickhouse-password-file or $FLOWSLO_CLICKHOUSE_PASSWORD", "flag", flag)
	}
}

// dsnHosts names the servers of a DSN without its credentials.
func dsnHosts(dsn string) string {
	co, err := clickhouse.ParseDSN(dsn)
	if err != nil || len(co.Addr) == 0 {
		return "the configured DSN"
	}
	return strings.Join(co.Addr, ",")
}

// Backoff of the start-up wait for ClickHouse: fast at first (a server
// starting beside flowslo is usually up in seconds), then every 10 s.
const (
	firstRetry  = 250 * time.Millisecond
	maxRetry    = 10 * time.Second
	openTimeout = 15 * time.Second
)

// waitFor calls open until it succeeds, the error is not one that waiting
// cures, or ctx ends; state (what /readyz answers) and the log say why
// flowslo is not up yet.
func waitFor(ctx context.Context, log *slog.Logger, state func(string), what string, open func(context.Context) (store.Store, error)) (store.Store, error) {
	delay := firstRetry
	for attempt := 1; ; attempt++ {
		state("connecting to " + what)
		actx, cancel := context.WithTimeout(ctx, openTimeout)
		st, err := open(actx)
		cancel()
		if err == nil {
			return st, nil
		}
		if !unreachable(err) {
			return nil, err
		}
		reason := fmt.Sprintf("waiting for %s (attempt %d, next in %s): %v", what, attempt, delay, err)
		state(reason)
		log.Warn("waiting for ClickHouse", "server", what, "attempt", attempt, "retry_in", delay, "err", err)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("gave up %s: %w", reason, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(2*delay, maxRetry)
	}
}

// unreachable: the server is not there yet (refused, reset, timed out,
// no route, name not resolvable), as opposed to a DSN, password or version
// that waiting will not fix.
func unreachable(err error) bool {
	var ne net.Error
	var dns *net.DNSError
	return errors.As(err, &ne) || errors.As(err, &dns) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded)
}

// MigrateOptions are the schema options cfg gives a ClickHouse server.
func MigrateOptions(cfg Config) store.MigrateOptions {
	return store.MigrateOptions{TTLDays: cfg.Storage.RetentionDays(), TracesTTLDays: cfg.Storage.SignalRetentionDays("traces"),
		LogsTTLDays: cfg.Storage.SignalRetentionDays("logs"), Cluster: cfg.Storage.Cluster}
}

// WriteSchema writes the DDL flowslo runs on an empty ClickHouse server
// (or cluster) with cfg: the core tables and every domain's.
func WriteSchema(w io.Writer, cfg Config) error {
	return store.WriteDDL(w, MigrateOptions(cfg), engine.Migrations(), alerting.Migrations(), lease.Migrations())
}
