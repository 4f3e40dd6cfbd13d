package chserver

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/internal/param"
)

// Options configure the server store beyond the DSN.
type Options struct {
	// TTLDays is the retention of spans and logs; 0 means store.DefaultTTLDays.
	TTLDays int
	// TracesTTLDays and LogsTTLDays, when set, are one signal's retention
	// instead of TTLDays.
	TracesTTLDays, LogsTTLDays int
	// Cluster, when set, creates the database and tables ON CLUSTER with
	// Replicated engines.
	Cluster string
	// Schema are the domains' migrations (slo/engine, alerting), applied
	// after the core ones.
	Schema []store.Migration
	// Password, when set, is used instead of the DSN's, so that it need
	// not appear in the command line (the app reads it from a file or the
	// environment).
	Password string
	// Reader opens a connection for reads only: no database creation, no
	// migrations (the writer's store does those), so the DSN's user can be
	// a read-only one (readonly=2: reads, and settings such as the one below).
	Reader bool
	// MaxExecutionTime, when set, bounds every query on the server
	// (max_execution_time), so a slow read is cancelled there and not only
	// abandoned by the client.
	MaxExecutionTime time.Duration
}

const defaultDatabase = "flowslo"

var dbName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Store is the ClickHouse server implementation of store.Store.
type Store struct {
	conn    driver.Conn
	db      string
	ttlDays int
	cluster bool // writes go through Distributed tables
}

var _ store.Store = (*Store)(nil)

// Open connects to the server named by dsn
// (clickhouse://user:pass@host:9000/db, database default "flowslo"), refuses
// servers older than MinVersion, creates the database and runs migrations.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	co, db, mo, err := parse(dsn, opts)
	if err != nil {
		return nil, err
	}
	if opts.Reader {
		return openReader(ctx, co, db)
	}
	if err := prepare(ctx, *co, db, mo); err != nil {
		return nil, fmt.Errorf("open clickhouse: %w", err)
	}
	co.Auth.Database = db
	conn, err := clickhouse.Open(co)
	if err != nil {
		return nil, fmt.Errorf("open clickhouse: %w", err)
	}
	s := &Store{conn: conn, db: db, ttlDays: mo.MaxTTLDays(), cluster: opts.Cluster != ""}
	if err := store.Migrate(ctx, s, mo, opts.Schema); err != nil {
		conn.Close()
		return nil, fmt.Errorf("open clickhouse: %w", err)
	}
	return s, nil
}

// Check reports what Open refuses before it connects (the DSN's syntax,
// the database name, the retention options), so a caller that opens in
// the background can fail at once on what waiting never fixes.
func Check(dsn string, opts Options) error {
	_, _, _, err := parse(dsn, opts)
	return err
}

func parse(dsn string, opts Options) (*clickhouse.Options, string, store.MigrateOptions, error) {
	co, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		return nil, "", store.MigrateOptions{}, fmt.Errorf("open clickhouse: %w", err)
	}
	applyOptions(co, opts)
	mo := store.MigrateOptions{TTLDays: opts.TTLDays, TracesTTLDays: opts.TracesTTLDays, LogsTTLDays: opts.LogsTTLDays, Cluster: opts.Cluster}
	if err := mo.Validate(); err != nil {
		return nil, "", mo, fmt.Errorf("open clickhouse: %w", err)
	}
	db := co.Auth.Database
	if db == "" {
		db = defaultDatabase
	}
	if !dbName.MatchString(db) {
		return nil, "", mo, fmt.Errorf("open clickhouse: database name %q: use letters, digits and '_'", db)
	}
	return co, db, mo, nil
}

func applyOptions(co *clickhouse.Options, opts Options) {
	if opts.Password != "" {
		co.Auth.Password = opts.Password
	}
	if opts.MaxExecutionTime > 0 {
		if co.Settings == nil {
			co.Settings = clickhouse.Settings{}
		}
		co.Settings["max_execution_time"] = max(1, int(opts.MaxExecutionTime/time.Second))
	}
}

// openReader connects and checks the server answers, changing nothing.
func openReader(ctx context.Context, co *clickhouse.Options, db string) (*Store, error) {
	co.Auth.Database = db
	conn, err := clickhouse.Open(co)
	if err != nil {
		return nil, fmt.Errorf("open clickhouse reader: %w", err)
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("open clickhouse reader: %w", err)
	}
	return &Store{conn: conn, db: db}, nil
}

// prepare checks the server version and creates the database, connected to
// the server's default database: the target may not exist yet.
func prepare(ctx context.Context, co clickhouse.Options, db string, mo store.MigrateOptions) error {
	co.Auth.Database = "default"
	conn, err := clickhouse.Open(&co)
	if err != nil {
		return err
	}
	defer conn.Close()
	addr := strings.Join(co.Addr, ",")
	version, err := serverVersion(ctx, conn)
	if err != nil {
		return fmt.Errorf("server version at %s: %w", addr, err)
	}
	if err := checkVersion(version, addr); err != nil {
		return err
	}
	return conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS `"+db+"`"+mo.OnCluster())
}

// serverVersion takes the version from the handshake, which even servers
// too old for the rest of the protocol answer, and asks version() otherwise.
func serverVersion(ctx context.Context, conn driver.Conn) (string, error) {
	if hs, err := conn.ServerVersion(); err == nil && hs.Version.Major > 0 {
		return fmt.Sprintf("%d.%d.%d", hs.Version.Major, hs.Version.Minor, hs.Version.Patch), nil
	}
	var v string
	if err := conn.QueryRow(ctx, "SELECT version()").Scan(&v); err != nil {
		return "", err
	}
	return v, nil
}

// Database is the database the store works in.
func (s *Store) Database() string { return s.db }

func withParams(ctx context.Context, query string, p store.Params) context.Context {
	if len(p) == 0 {
		return ctx
	}
	cp := make(clickhouse.Parameters, len(p))
	for k, v := range param.ForQuery(query, p) {
		cp[k] = v
	}
	return clickhouse.Context(ctx, clickhouse.WithParameters(cp))
}

// Exec runs a statement that returns no rows.
func (s *Store) Exec(ctx context.Context, query string, params store.Params) error {
	if err := s.conn.Exec(withParams(ctx, query, params), query); err != nil {
		return wrapQuery(err, query)
	}
	return nil
}

// Query runs a SELECT; rows stream from the server as they are read.
func (s *Store) Query(ctx context.Context, query string, params store.Params) (store.Rows, error) {
	r, err := s.conn.Query(withParams(ctx, query, params), query)
	if err != nil {
		return nil, wrapQuery(err, query)
	}
	return newRows(r), nil
}

// Ping checks the server answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.conn.Ping(ctx); err != nil {
		return fmt.Errorf("clickhouse: %w", err)
	}
	return nil
}

// Close closes the connection pool.
func (s *Store) Close() error { return s.conn.Close() }

func wrapQuery(err error, q string) error {
	if len(q) > 200 {
		q = q[:200] + "…"
	}
	return fmt.Errorf("clickhouse: %w (query: %s)", err, q)
}
